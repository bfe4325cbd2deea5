"""Authorization table of the case pages (merged into tests/test_authz_matrix.py).

The matrix signs in with bearer tokens, so forms need no CSRF token here (tests/cases/test_pages.py covers the
cookie session and CSRF). {case:SPEC} makes a fresh case per row (tests/cases/helpers.py).
"""

from __future__ import annotations

from tests.factories import A_POINT
from tests.matrix_common import DENY, MISSING, OK, S1, Case

SEE_OTHER = 303
CATEGORY = "SJ0102"  # 暴露垃圾, seeded by the migration
INTAKE = {"title": "小区门口垃圾堆放", "category": CATEGORY, "lon": str(A_POINT[0]), "lat": str(A_POINT[1]),
          "caller_name": "王小明", "caller_phone": "13800138000", "mode": "dispatch", "department": "330212-CG"}
REPORT = {"title": "人行道垃圾", "category": CATEGORY, "lon": str(A_POINT[0]), "lat": str(A_POINT[1])}

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("GET", "/gov/cases"): [
        Case("street", "/gov/cases", OK, contains=["待立案", "红色超期"]),
        Case("cg", "/gov/cases?queue=dispatched", OK),
        Case("street2", f"/gov/cases?area={S1}", MISSING),
        Case("resident", "/gov/cases", DENY), Case("ops", "/gov/cases", DENY)],
    ("GET", "/gov/cases/new"): [
        Case("operator", "/gov/cases/new", OK, contains=["12345", "受理、立案并派遣"]),
        Case("cg", "/gov/cases/new", DENY), Case("resident", "/gov/cases/new", DENY)],
    ("POST", "/gov/cases/new"): [
        Case("operator", "/gov/cases/new", SEE_OTHER, data=INTAKE),
        Case("cg", "/gov/cases/new", DENY, data=INTAKE), Case("resident", "/gov/cases/new", DENY, data=INTAKE)],
    ("GET", "/gov/cases/{number}"): [
        Case("street", "/gov/cases/{case:a_registered}", OK, contains=["138****8000", "待派遣"]),
        Case("cg", "/gov/cases/{case:a_dispatched_cg}", OK, contains=["签收"]),
        Case("street2", "/gov/cases/{case:a_registered}", MISSING),
        Case("grid_b", "/gov/cases/{case:a_registered}", MISSING),
        Case("zj", "/gov/cases/{case:a_dispatched_cg}", MISSING),
        Case("resident", "/gov/cases/{case:a_resident}", DENY)],
    ("POST", "/gov/cases/{number}/act/{action}"): [
        Case("operator", "/gov/cases/{case:a_received}/act/register", SEE_OTHER, data={"version": ""}),
        Case("cg", "/gov/cases/{case:a_dispatched_cg}/act/acknowledge", SEE_OTHER, data={"version": ""}),
        Case("operator", "/gov/cases/{case:a_in_progress_cg}/act/supervise", SEE_OTHER,
             data={"reason": "群众反映强烈"}),
        Case("grid_a", "/gov/cases/{case:a_received}/act/register", DENY, data={"version": ""}),
        Case("street2", "/gov/cases/{case:a_received}/act/register", MISSING, data={"version": ""}),
        Case("cg", "/gov/cases/{case:a_received}/act/register", MISSING, data={"version": ""}),
        Case("zj", "/gov/cases/{case:a_dispatched_cg}/act/acknowledge", MISSING, data={"version": ""}),
        Case("cg", "/gov/cases/{case:a_in_progress_cg}/act/supervise", DENY, data={"reason": "群众反映强烈"}),
        Case("operator", "/gov/cases/{case:a_received}/act/nothing", MISSING, data={"version": ""}),
        Case("resident", "/gov/cases/{case:a_resident}/act/register", DENY, data={"version": ""})],
    ("GET", "/gov/inbox"): [Case("cg", "/gov/inbox", OK, contains=["部门待办"]),
                            Case("operator", "/gov/inbox", DENY), Case("resident", "/gov/inbox", DENY)],
    ("GET", "/gov/supervision"): [Case("operator", "/gov/supervision", OK, contains=["延期申请"]),
                                  Case("street", "/gov/supervision", DENY), Case("cg", "/gov/supervision", DENY)],
    ("GET", "/gov/grid/report"): [Case("grid_a", "/gov/grid/report", OK, contains=['capture="environment"']),
                                  Case("cg", "/gov/grid/report", DENY), Case("resident", "/gov/grid/report", DENY)],
    ("POST", "/gov/grid/report"): [Case("grid_a", "/gov/grid/report", SEE_OTHER, data=REPORT),
                                   Case("cg", "/gov/grid/report", DENY, data=REPORT),
                                   Case("resident", "/gov/grid/report", DENY, data=REPORT)],
    ("GET", "/gov/grid/tasks"): [Case("grid_a", "/gov/grid/tasks", OK, contains=["待现场核查"]),
                                 Case("cg", "/gov/grid/tasks", DENY), Case("resident", "/gov/grid/tasks", DENY)],
    ("GET", "/service/cases"): [Case("resident", "/service/cases", OK, contains=["我的诉求"]),
                                Case("street", "/service/cases", DENY), Case("ops", "/service/cases", DENY)],
    ("GET", "/service/cases/new"): [Case("resident", "/service/cases/new", OK, contains=["我要反映"]),
                                    Case("operator", "/service/cases/new", DENY)],
    ("POST", "/service/cases/new"): [Case("resident", "/service/cases/new", SEE_OTHER, data=REPORT),
                                     Case("operator", "/service/cases/new", DENY, data=REPORT)],
    ("GET", "/service/cases/{number}"): [
        Case("resident", "/service/cases/{case:a_resident}", OK, contains=["待立案"]),
        Case("resident", "/service/cases/{case:a_registered}", MISSING),
        Case("street", "/service/cases/{case:a_resident}", DENY)],
    ("POST", "/service/cases/{number}/rate"): [
        Case("resident", "/service/cases/{case:a_resident_closed}/rate", SEE_OTHER,
             data={"satisfaction": "satisfied"}),
        Case("resident", "/service/cases/{case:a_registered}/rate", MISSING, data={"satisfaction": "satisfied"}),
        Case("grid_a", "/service/cases/{case:a_resident_closed}/rate", DENY, data={"satisfaction": "satisfied"})],
}
