"""The report of gaps (a leaf routed nowhere in some street, a leaf without a limit) and conflicts (an owner
rule without a department, a rule whose department does not serve its area)."""

from __future__ import annotations

from sqlalchemy import select

from tests.taxonomy.helpers import area, cat, department
from zhili.db import transaction
from zhili.org.models import DepartmentKind
from zhili.taxonomy import repository
from zhili.taxonomy.models import ResponsibilityRule, RuleBasis
from zhili.taxonomy.report import report


def test_the_default_rules_leave_no_gap_in_streets_with_a_center(db, ruled) -> None:
    with transaction(db) as s:
        department(s, "330212006-ZX", "首南街道社会治理中心", "330212006000", DepartmentKind.center)
    with transaction(db) as s:
        result = report(s)
    assert (result.gaps, result.conflicts) == ([], [])
    assert result.streets == 2 and result.leaves >= 80
    assert "未发现缺口或冲突" in result.summary


def test_report_finds_gaps_and_conflicts(db, ruled, as_persona) -> None:
    admin = as_persona("admin")
    # Gap: remove the 街面秩序 rule -> its leaves route nowhere, in both streets.
    rule = next(r for r in admin.get("/api/taxonomy/rules?category=SJ05").json() if r["category_code"] == "SJ05")
    assert admin.delete(f"/api/taxonomy/rules/{rule['id']}").status_code == 204
    # Gap: a new leaf with no limit anywhere above it.
    assert admin.post("/api/taxonomy/categories", json={"code": "ZL0199", "name": "其他纠纷",
                                                         "parent_code": "ZL01"}).status_code == 201
    # Conflicts written behind the service's back (e.g. a department moved to another street afterwards).
    with transaction(db) as s:
        s1_center = department(s, "330212006-ZX", "首南街道社会治理中心", "330212006000", DepartmentKind.center)
        s2 = area(s, "330212001000")
        s.add(ResponsibilityRule(category_id=cat(s, "SJ02").id, area_id=s2.id, area_path=s2.path,
                                 basis=RuleBasis.territory, department_id=s1_center.id, note=""))
        s.add(ResponsibilityRule(category_id=cat(s, "SJ03").id, area_id=s2.id, area_path=s2.path,
                                 basis=RuleBasis.owner, department_id=None, note=""))
        repository.bump_version(s)
    r = admin.get("/api/taxonomy/report")
    assert r.status_code == 200
    body = r.json()
    gaps = {(g["kind"], g["category_code"]): g for g in body["gaps"]}
    assert gaps[("no_route", "SJ0501")]["area_codes"] == ["330212001000", "330212006000"]
    assert gaps[("no_route", "SJ0501")]["message"] == "「街面秩序/无照游商」在下应街道、首南街道找不到责任部门"
    assert ("no_limit", "ZL0199") in gaps
    # The owner rule without a department also leaves 施工管理 unrouted in 下应街道 only.
    assert gaps[("no_route", "SJ0301")]["area_codes"] == ["330212001000"]
    kinds = {(c["kind"], c["category_code"]) for c in body["conflicts"]}
    assert kinds == {("department_outside_area", "SJ02"), ("owner_without_department", "SJ03")}
    assert any("首南街道社会治理中心" in c["message"] and "不包含下应街道" in c["message"] for c in body["conflicts"])
    assert "缺口" in body["summary"] and "2 处冲突" in body["summary"]
    # The page shows the same findings at the top.
    page = admin.get("/gov/responsibility")
    assert page.status_code == 200
    assert "「街面秩序/无照游商」在下应街道、首南街道找不到责任部门" in page.text
    assert "的属主规则没有指定责任部门" in page.text


def test_report_is_limited_to_the_actors_streets(db, ruled) -> None:
    from zhili.auth.actor import Actor

    with transaction(db) as s:
        s.execute(ResponsibilityRule.__table__.delete())
        repository.bump_version(s)
        s1 = area(s, "330212006000")
        actor = Actor(user_id=1, username="x", display_name="x", permissions=frozenset({"taxonomy.manage"}),
                      area_paths=(s1.path,))
        result = report(s, actor)
        assert result.streets == 1
        assert all(g.area_codes == ["330212006000"] for g in result.gaps if g.kind == "no_route")
        assert len(list(s.scalars(select(ResponsibilityRule)))) == 0
