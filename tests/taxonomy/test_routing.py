"""Routing by the responsibility list: owner vs territory, the most specific category first, then the deepest
area; territory to the street's center (or the district's when the street has none); limits with inheritance."""

from __future__ import annotations

from tests.taxonomy.helpers import cat, department, new_street, route
from zhili.db import transaction
from zhili.org.models import DepartmentKind
from zhili.taxonomy import repository, routing
from zhili.taxonomy.models import (
    Category,
    CategoryKind,
    LimitUnit,
    Priority,
    ResponsibilityRule,
    RuleBasis,
    Runway,
)

C1_PATH = "/330200000000/330212000000/330212006000/330212006001/"
C2_PATH = "/330200000000/330212000000/330212001000/330212001005/"


def ensure_s1_center(db) -> int:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        return department(s, "330212006-ZX", "首南街道社会治理中心", "330212006000", DepartmentKind.center).id


def test_an_event_goes_to_the_center_of_the_street_where_it_happened(db, ruled) -> None:
    s1_center = ensure_s1_center(db)
    here = route(db, "SJ0102", C1_PATH)
    assert here is not None
    assert (here.department_id, here.basis) == (s1_center, RuleBasis.territory)
    assert here.explanation.startswith("权责清单：市容环境/暴露垃圾 · 鄞州区 → 属地：首南街道社会治理中心")
    there = route(db, "SJ0102", C2_PATH)
    assert there is not None
    assert (there.department_id, there.department_name) == (ruled.departments["s2_center"].id, "下应街道社会治理中心")


def test_a_component_goes_to_its_owner_department_wherever_it_is(db, ruled) -> None:
    for path in (C1_PATH, C2_PATH):
        found = route(db, "BJ0304", path)  # 果皮箱 under 部件/市容环境 -> 城管
        assert found is not None
        assert (found.department_id, found.basis) == (ruled.departments["cg"].id, RuleBasis.owner)
        assert "属主：区综合行政执法局" in found.explanation


def test_the_most_specific_category_wins_then_the_deepest_area(db, ruled, as_persona) -> None:
    ensure_s1_center(db)
    admin = as_persona("admin")
    # A district rule for the leaf beats the major's rule.
    r = admin.post("/api/taxonomy/rules", json={"category_code": "SJ0102", "area_code": "330212000000",
                                                 "basis": "owner", "department_code": "330212-CG"})
    assert r.status_code == 201, r.text
    assert route(db, "SJ0102", C1_PATH).department_name == "区综合行政执法局"  # type: ignore[union-attr]
    assert route(db, "SJ0101", C1_PATH).department_name == "首南街道社会治理中心"  # type: ignore[union-attr]
    # A street rule for the major beats the district rule for the major, in that street only.
    r = admin.post("/api/taxonomy/rules", json={"category_code": "SJ01", "area_code": "330212001000",
                                                 "basis": "territory", "department_code": "330212-ZX",
                                                 "note": "下应街道暂由区中心统一处置"})
    assert r.status_code == 201, r.text
    found = route(db, "SJ0101", C2_PATH)
    assert found is not None and found.department_name == "鄞州区社会治理中心"
    assert "备注：下应街道暂由区中心统一处置" in found.explanation
    assert route(db, "SJ0101", C1_PATH).department_name == "首南街道社会治理中心"  # type: ignore[union-attr]
    # The leaf's district rule still beats the major's street rule: category first, then area.
    assert route(db, "SJ0102", C2_PATH).department_name == "区综合行政执法局"  # type: ignore[union-attr]


def test_a_street_without_a_center_falls_back_to_the_districts_center(db, ruled) -> None:
    with transaction(db) as s:
        _, community = new_street(s, "330212009000", "新城街道")
        path = community.path
    found = route(db, "SJ0102", path)
    assert found is not None
    assert (found.department_id, found.department_name) == (ruled.departments["center"].id, "鄞州区社会治理中心")
    assert "所在镇街未设社会治理中心" in found.explanation


def test_no_applicable_rule_routes_nowhere(db, ruled, as_persona) -> None:
    admin = as_persona("admin")
    r = admin.post("/api/taxonomy/categories", json={"code": "ZL99", "name": "其他诉求", "kind": "governance",
                                                      "runway": "service"})
    assert r.status_code == 201, r.text
    assert route(db, "ZL99", C1_PATH) is None
    # A rule only for street S2 leaves S1 unrouted.
    r = admin.post("/api/taxonomy/rules", json={"category_code": "ZL99", "area_code": "330212001000",
                                                 "basis": "territory"})
    assert r.status_code == 201, r.text
    assert route(db, "ZL99", C1_PATH) is None
    assert route(db, "ZL99", C2_PATH).department_name == "下应街道社会治理中心"  # type: ignore[union-attr]


def test_every_process_follows_rule_changes_through_the_version(db, ruled, as_persona) -> None:
    before = route(db, "BJ0304", C2_PATH)
    assert before is not None and before.basis == RuleBasis.owner
    with transaction(db) as s:
        version = routing.routing_table(s).version
    admin = as_persona("admin")
    rules = admin.get("/api/taxonomy/rules?category=BJ03").json()
    rule = next(r for r in rules if r["category_code"] == "BJ03")
    r = admin.put(f"/api/taxonomy/rules/{rule['id']}", json={"basis": "territory", "department_code": None})
    assert r.status_code == 200, r.text
    after = route(db, "BJ0304", C2_PATH)
    assert after is not None and (after.basis, after.department_name) == (RuleBasis.territory, "下应街道社会治理中心")
    with transaction(db) as s:
        assert routing.routing_table(s).version != version
    assert admin.delete(f"/api/taxonomy/rules/{rule['id']}").status_code == 204
    assert route(db, "BJ0304", C2_PATH) is None


def test_limit_for_uses_the_priority_and_inherits_from_the_nearest_ancestor(db) -> None:
    with transaction(db) as s:
        road = cat(s, "SJ0101")
        assert routing.limit_for(s, road, Priority.normal) == (2.0, LimitUnit.work_hours)
        assert routing.limit_for(s, road, Priority.urgent) == (1.0, LimitUnit.work_hours)
        demolish = cat(s, "SJ0305")
        assert routing.limit_for(s, demolish, "normal") == (20.0, LimitUnit.work_days)
        major = cat(s, "SJ01")
        assert routing.limit_for(s, major, Priority.normal) is None
        major.limit_unit, major.limit_normal = LimitUnit.work_days, 3.0
        leaf = Category(code="SJ0199", name="其他环境问题", parent_id=major.id, path=major.path + "SJ0199/",
                        kind=CategoryKind.event, runway=Runway.economy)
        s.add(leaf)
        s.flush()
        repository.bump_version(s)
        # No limit of its own: the major's, for either priority (the major has no urgent limit).
        assert routing.limit_for(s, leaf, Priority.urgent) == (3.0, LimitUnit.work_days)
        assert routing.limit_for(s, leaf, Priority.normal) == (3.0, LimitUnit.work_days)


def test_a_change_made_by_another_process_is_seen_after_the_refresh_interval(db, ruled, engine,
                                                                              monkeypatch) -> None:
    from sqlalchemy import update

    from zhili.taxonomy.models import TaxonomyState

    assert route(db, "BJ0304", C2_PATH).basis == RuleBasis.owner  # type: ignore[union-attr]
    with transaction(db) as s:
        rule_id = next(r.id for r in routing.routing_table(s).rules[cat(s, "BJ03").id])
    # Another replica turns the rule into a territory rule: plain SQL, no session of this process involved.
    with engine.begin() as conn:
        conn.execute(update(ResponsibilityRule).where(ResponsibilityRule.id == rule_id)
                     .values(basis=RuleBasis.territory, department_id=None))
        conn.execute(update(TaxonomyState).values(version=TaxonomyState.version + 1))
    monkeypatch.setattr(routing, "REFRESH_SECONDS", 0.0)
    found = route(db, "BJ0304", C2_PATH)
    assert found is not None and (found.basis, found.department_name) == (RuleBasis.territory, "下应街道社会治理中心")
