"""Authorization cases for every assessment route (merged into tests/test_authz_matrix.py).

`zhili db upgrade` seeds the default schemes, so in every test world scheme 1 is the departments' and scheme 2
the streets' (area 3 is 首南街道, street S1; area 4 下应街道). Leaders and operators see the whole district, a
street official only its street's units, department handlers and residents nothing (no assessment.view);
editing schemes and computing scores need assessment.manage (leader, admin)."""

from __future__ import annotations

from tests.matrix_common import DENY, MISSING, OK, Case

NEW = {"name": "新方案", "unit_kind": "grid", "items": [{"indicator": "close_rate", "weight": 100, "target": 0.9}]}
FORM = {"name": "表单方案", "unit_kind": "community", "active": "1", "item_indicator": ["close_rate", ""],
        "item_weight": ["100", ""], "item_target": ["0.9", ""], "item_floor": ["0.5", ""],
        "item_method": ["linear", "linear"], "ded_kind": ["overdue_case"], "ded_points": ["1"], "ded_cap": ["5"],
        "ded_hours": ["24"]}
S1_UNIT, S2_UNIT = "/2/units/3", "/2/units/4"

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("GET", "/api/assessment/schemes"): [
        Case("leader", "/api/assessment/schemes", OK, contains=["职能部门月度考核", "网格员月度考核"]),
        Case("street", "/api/assessment/schemes", OK), Case("dept", "/api/assessment/schemes", DENY),
        Case("resident", "/api/assessment/schemes", DENY)],
    ("POST", "/api/assessment/schemes"): [
        Case("leader", "/api/assessment/schemes", 201, json=NEW, contains=["新方案"]),
        Case("street", "/api/assessment/schemes", DENY, json=NEW)],
    ("GET", "/api/assessment/schemes/{scheme_id}"): [
        Case("operator", "/api/assessment/schemes/1", OK, contains=["ontime_rate"]),
        Case("leader", "/api/assessment/schemes/99", MISSING), Case("resident", "/api/assessment/schemes/1", DENY)],
    ("PUT", "/api/assessment/schemes/{scheme_id}"): [
        Case("admin", "/api/assessment/schemes/1", OK, json=NEW, contains=["新方案"]),
        Case("admin", "/api/assessment/schemes/99", MISSING, json=NEW),
        Case("street", "/api/assessment/schemes/1", DENY, json=NEW)],
    ("POST", "/api/assessment/schemes/{scheme_id}/runs"): [
        Case("leader", "/api/assessment/schemes/2/runs", OK, json={"month": "2026-10"}, contains=['"unit_count":2']),
        Case("leader", "/api/assessment/schemes/2/runs", 422, json={"month": "2026-13"}),
        Case("street", "/api/assessment/schemes/2/runs", DENY, json={"month": "2026-10"}),
        Case("dept", "/api/assessment/schemes/2/runs", DENY, json={"month": "2026-10"})],
    ("GET", "/api/assessment/schemes/{scheme_id}/ranking"): [
        Case("street", "/api/assessment/schemes/2/ranking?month=2026-10", OK, contains=["镇街月度考核"]),
        Case("street", "/api/assessment/schemes/99/ranking", MISSING),
        Case("dept", "/api/assessment/schemes/2/ranking", DENY),
        Case("resident", "/api/assessment/schemes/2/ranking", DENY)],
    ("GET", "/api/assessment/schemes/{scheme_id}/units/{unit_id}/history"): [
        Case("street", f"/api/assessment/schemes{S1_UNIT}/history", OK, contains=["首南街道"]),
        Case("street", f"/api/assessment/schemes{S2_UNIT}/history", MISSING),
        Case("street2", f"/api/assessment/schemes{S1_UNIT}/history", MISSING),
        Case("dept", f"/api/assessment/schemes{S1_UNIT}/history", DENY)],
    ("GET", "/api/assessment/reports/monthly.xlsx"): [
        Case("street", "/api/assessment/reports/monthly.xlsx?month=2026-10", OK),
        Case("leader", "/api/assessment/reports/monthly.xlsx?month=2026-13", 422),
        Case("dept", "/api/assessment/reports/monthly.xlsx", DENY),
        Case("resident", "/api/assessment/reports/monthly.xlsx", DENY)],
    ("GET", "/api/assessment/reports/monthly.pdf"): [
        Case("leader", "/api/assessment/reports/monthly.pdf?month=2026-10", OK),
        Case("community", "/api/assessment/reports/monthly.pdf", DENY)],
    ("GET", "/gov/assessment"): [
        Case("street", "/gov/assessment?scheme=2&month=2026-10", OK, contains=["督查考核", "镇街月度考核"]),
        Case("leader", "/gov/assessment?month=2026-13", 422), Case("dept", "/gov/assessment", DENY)],
    ("POST", "/gov/assessment/compute"): [
        Case("leader", "/gov/assessment/compute", 303, data={"scheme_id": "2", "month": "2026-10"}),
        Case("street", "/gov/assessment/compute", DENY, data={"scheme_id": "2", "month": "2026-10"})],
    ("GET", "/gov/assessment/schemes/{scheme_id}/units/{unit_id}"): [
        Case("street", f"/gov/assessment/schemes{S1_UNIT}", OK, contains=["首南街道"]),
        Case("street2", f"/gov/assessment/schemes{S1_UNIT}", MISSING),
        Case("dept", f"/gov/assessment/schemes{S1_UNIT}", DENY)],
    ("GET", "/gov/assessment/schemes"): [
        Case("leader", "/gov/assessment/schemes", OK, contains=["考核方案", "职能部门月度考核"]),
        Case("street", "/gov/assessment/schemes", DENY)],
    ("POST", "/gov/assessment/schemes"): [
        Case("admin", "/gov/assessment/schemes", 303, data=FORM),
        Case("admin", "/gov/assessment/schemes", 422, data={**FORM, "item_weight": ["90", ""]},
             contains=["各项权重之和应为 100，现为 90"]),
        Case("street", "/gov/assessment/schemes", DENY, data=FORM)],
    ("GET", "/gov/assessment/schemes/{scheme_id}"): [
        Case("leader", "/gov/assessment/schemes/1", OK, contains=["职能部门月度考核"]),
        Case("leader", "/gov/assessment/schemes/99", MISSING), Case("operator", "/gov/assessment/schemes/1", DENY)],
    ("POST", "/gov/assessment/schemes/{scheme_id}"): [
        Case("leader", "/gov/assessment/schemes/3", 303, data=FORM),
        Case("street", "/gov/assessment/schemes/3", DENY, data=FORM)],
}
