"""Authorization cases for every taxonomy route (merged into tests/test_authz_matrix.py).

Rule id 1 is the first default rule the test world seeds (部件/公用设施 in 鄞州区)."""

from __future__ import annotations

import io

from openpyxl import Workbook

from tests.matrix_common import C1, C2, DENY, MISSING, OK, S1, Case
from zhili.taxonomy.xlsx import CATEGORY_COLUMNS, CATEGORY_SHEET, RULE_COLUMNS, RULE_SHEET


def _empty_workbook() -> bytes:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    wb.create_sheet(CATEGORY_SHEET).append([label for _, label in CATEGORY_COLUMNS])
    wb.create_sheet(RULE_SHEET).append([label for _, label in RULE_COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


EMPTY = _empty_workbook()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NEW_CAT = {"code": "SJ0199", "name": "其他环境问题", "parent_code": "SJ01", "limit_unit": "work_hours",
           "limit_normal": 8}
CAT_FORM = {"name": "暴露垃圾", "parent_code": "SJ01", "kind": "event", "runway": "economy",
            "default_priority": "normal", "limit_unit": "work_hours", "limit_normal": "4", "limit_urgent": "2",
            "active": "1", "sort": "2"}
RULE = {"category_code": "SJ0501", "area_code": S1, "basis": "owner", "department_code": "330212-CG"}

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("GET", "/api/taxonomy/categories"): [
        Case("resident", "/api/taxonomy/categories?active=1", OK, contains=["暴露垃圾"]),
        Case("grid_a", "/api/taxonomy/categories", OK, contains=["违法建设(拆除)"]),
        Case("ops", "/api/taxonomy/categories", DENY)],
    ("GET", "/api/taxonomy/categories/{code}"): [
        Case("resident", "/api/taxonomy/categories/SJ0102", OK, contains=["4 工作时"]),
        Case("resident", "/api/taxonomy/categories/NOPE", MISSING),
        Case("ops", "/api/taxonomy/categories/SJ0102", DENY)],
    ("POST", "/api/taxonomy/categories"): [
        Case("admin", "/api/taxonomy/categories", 201, json=NEW_CAT, contains=["市容环境/其他环境问题"]),
        Case("street", "/api/taxonomy/categories", DENY, json=NEW_CAT),
        Case("leader", "/api/taxonomy/categories", DENY, json=NEW_CAT)],
    ("PUT", "/api/taxonomy/categories/{code}"): [
        Case("admin", "/api/taxonomy/categories/SJ0101", OK, json={"limit_normal": 3}, contains=["3 工作时"]),
        Case("street", "/api/taxonomy/categories/SJ0101", DENY, json={"limit_normal": 3}),
        Case("admin", "/api/taxonomy/categories/NOPE", MISSING, json={"limit_normal": 3})],
    ("GET", "/api/taxonomy/rules"): [
        Case("admin", "/api/taxonomy/rules", OK, contains=["区综合行政执法局"]),
        Case("admin", "/api/taxonomy/rules?area=330200000000", MISSING),
        Case("operator", "/api/taxonomy/rules", DENY)],
    ("POST", "/api/taxonomy/rules"): [
        Case("admin", "/api/taxonomy/rules", 201, json=RULE, contains=["首南街道"]),
        Case("admin", "/api/taxonomy/rules", MISSING, json={**RULE, "area_code": "330200000000"}),
        Case("street", "/api/taxonomy/rules", DENY, json=RULE)],
    ("PUT", "/api/taxonomy/rules/{rule_id}"): [
        Case("admin", "/api/taxonomy/rules/1", OK, json={"note": "复核"}, contains=["复核"]),
        Case("street", "/api/taxonomy/rules/1", DENY, json={"note": "复核"}),
        Case("admin", "/api/taxonomy/rules/99999", MISSING, json={"note": "复核"})],
    ("DELETE", "/api/taxonomy/rules/{rule_id}"): [
        Case("street", "/api/taxonomy/rules/1", DENY),
        Case("admin", "/api/taxonomy/rules/1", 204),
        Case("admin", "/api/taxonomy/rules/99999", MISSING)],
    ("GET", "/api/taxonomy/route"): [
        Case("street", f"/api/taxonomy/route?category=SJ0102&area={C1}", OK, contains=["首南街道社会治理中心"]),
        Case("street", f"/api/taxonomy/route?category=SJ0102&area={C2}", MISSING),
        Case("resident", f"/api/taxonomy/route?category=SJ0102&area={C1}", DENY)],
    ("GET", "/api/taxonomy/report"): [
        Case("admin", "/api/taxonomy/report", OK, contains=["已检查"]),
        Case("leader", "/api/taxonomy/report", DENY)],
    ("GET", "/api/taxonomy/export"): [
        Case("admin", "/api/taxonomy/export", OK),
        Case("street", "/api/taxonomy/export", DENY)],
    ("POST", "/api/taxonomy/import"): [
        Case("admin", "/api/taxonomy/import", OK, files={"file": ("t.xlsx", EMPTY, XLSX)}, contains=["没有变化"]),
        Case("street", "/api/taxonomy/import", DENY, files={"file": ("t.xlsx", EMPTY, XLSX)})],
    ("GET", "/gov/taxonomy"): [
        Case("admin", "/gov/taxonomy", OK, contains=["新增分类", "暴露垃圾"]),
        Case("street", "/gov/taxonomy", OK, absent=["新增分类"]),
        Case("ops", "/gov/taxonomy", DENY)],
    ("POST", "/gov/taxonomy"): [
        Case("admin", "/gov/taxonomy", 303, data={**CAT_FORM, "code": "SJ0198", "name": "新小类"}),
        Case("street", "/gov/taxonomy", DENY, data={**CAT_FORM, "code": "SJ0198", "name": "新小类"})],
    ("GET", "/gov/taxonomy/{code}"): [
        Case("admin", "/gov/taxonomy/SJ0102", OK, contains=["保存"]),
        Case("admin", "/gov/taxonomy/NOPE", MISSING),
        Case("ops", "/gov/taxonomy/SJ0102", DENY)],
    ("POST", "/gov/taxonomy/{code}"): [
        Case("admin", "/gov/taxonomy/SJ0102", 303, data=CAT_FORM),
        Case("street", "/gov/taxonomy/SJ0102", DENY, data=CAT_FORM),
        Case("admin", "/gov/taxonomy/NOPE", MISSING, data=CAT_FORM)],
    ("GET", "/gov/responsibility"): [
        Case("admin", "/gov/responsibility", OK, contains=["检查结果", "区综合行政执法局"]),
        Case("street", "/gov/responsibility", DENY)],
    ("POST", "/gov/responsibility/rules"): [
        Case("admin", "/gov/responsibility/rules", 303, data=RULE),
        Case("street", "/gov/responsibility/rules", DENY, data=RULE),
        Case("admin", "/gov/responsibility/rules", MISSING, data={**RULE, "area_code": "330200000000"})],
    ("POST", "/gov/responsibility/rules/{rule_id}"): [
        Case("admin", "/gov/responsibility/rules/1", 303, data={"basis": "territory", "department_code": ""}),
        Case("street", "/gov/responsibility/rules/1", DENY, data={"basis": "territory"}),
        Case("admin", "/gov/responsibility/rules/99999", MISSING, data={"basis": "territory"})],
    ("POST", "/gov/responsibility/rules/{rule_id}/delete"): [
        Case("street", "/gov/responsibility/rules/1/delete", DENY),
        Case("admin", "/gov/responsibility/rules/1/delete", 303),
        Case("admin", "/gov/responsibility/rules/99999/delete", MISSING)],
    ("POST", "/gov/responsibility/import"): [
        Case("admin", "/gov/responsibility/import", OK, files={"file": ("t.xlsx", EMPTY, XLSX)},
             contains=["没有变化"]),
        Case("street", "/gov/responsibility/import", DENY, files={"file": ("t.xlsx", EMPTY, XLSX)})],
}
