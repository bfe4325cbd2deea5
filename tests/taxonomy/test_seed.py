"""The built-in category tree and the default responsibility rules: realistic, complete, idempotent, and never
overwriting what an administrator changed."""

from __future__ import annotations

from sqlalchemy import delete, func, select

from tests.taxonomy.helpers import cat, department
from zhili.db import transaction
from zhili.taxonomy.models import Category, CategoryKind, LimitUnit, Priority, ResponsibilityRule, RuleBasis
from zhili.taxonomy.seed import MISSING_OWNER_NOTE, seed_categories, seed_default_rules


def test_upgrade_seeds_the_tree_with_the_issues_example_limits(db) -> None:
    with transaction(db) as s:
        cats = list(s.scalars(select(Category)))
        by_name = {c.name: c for c in cats}
        parents = {c.parent_id for c in cats if c.parent_id}
        leaves = [c for c in cats if c.id not in parents]
        assert 80 <= len(leaves) <= 150
        assert (by_name["道路清扫保洁"].limit_unit, by_name["道路清扫保洁"].limit_normal) == (LimitUnit.work_hours, 2)
        assert (by_name["暴露垃圾"].limit_unit, by_name["暴露垃圾"].limit_normal) == (LimitUnit.work_hours, 4)
        assert (by_name["违法建设(制止)"].limit_unit, by_name["违法建设(制止)"].limit_normal) == (LimitUnit.work_hours, 4)
        assert (by_name["违法建设(拆除)"].limit_unit, by_name["违法建设(拆除)"].limit_normal) == (LimitUnit.work_days, 20)
        # 部件/市容环境 and 事件/市容环境 both exist, told apart by code and kind.
        assert {(c.code, c.kind) for c in cats if c.name == "市容环境"} == {
            ("BJ03", CategoryKind.component), ("SJ01", CategoryKind.event)}
        majors = {c.name for c in cats if c.parent_id is None}
        assert {"公用设施", "道路交通", "园林绿化", "房屋土地", "其他设施", "宣传广告", "施工管理", "街面秩序",
                "突发事件", "矛盾纠纷", "安全隐患", "消防", "食品安全", "噪声扰民", "物业纠纷", "劳动保障",
                "民生服务", "疫情防控"} <= majors
        assert {c.runway.value for c in cats} == {"party", "economy", "safety", "service"}
        for leaf in leaves:
            assert leaf.register_criteria and leaf.close_criteria and leaf.keywords, leaf.code
            assert leaf.limit_unit and leaf.limit_normal and leaf.limit_urgent, leaf.code
            assert leaf.limit_urgent <= leaf.limit_normal, leaf.code
            parent = s.get(Category, leaf.parent_id)
            assert parent is not None and leaf.path == f"{parent.path}{leaf.code}/" and leaf.kind == parent.kind
        assert by_name["燃气泄漏"].default_priority == Priority.urgent


def test_seeding_again_inserts_nothing_and_keeps_an_administrators_edit(db) -> None:
    with transaction(db) as s:
        before = s.scalar(select(func.count()).select_from(Category))
        road = cat(s, "SJ0101")
        road.limit_normal = 3.0
        road.name = "道路保洁（本区口径）"
        s.delete(cat(s, "SJ0509"))
    with transaction(db) as s:
        assert seed_categories(s) == 1  # only the deleted leaf comes back
        assert seed_categories(s) == 0
        assert s.scalar(select(func.count()).select_from(Category)) == before
        road = cat(s, "SJ0101")
        assert (road.name, road.limit_normal) == ("道路保洁（本区口径）", 3.0)


def test_default_rules_use_owner_departments_that_exist_and_territory_otherwise(db, world) -> None:
    with transaction(db) as s:
        s.execute(delete(ResponsibilityRule))
        zj = department(s, "330212-ZJ", "区住房和城乡建设局", "330212000000")
        inserted = seed_default_rules(s)
        assert inserted > 0
        assert seed_default_rules(s) == 0
        rules = {(r.category_id, r.area_id): r for r in s.scalars(select(ResponsibilityRule))}
        district = world.areas["district"].id
        # 部件/市容环境 -> 城管, 部件/公用设施 -> 住建: owners present in this deployment.
        env = rules[(cat(s, "BJ03").id, district)]
        assert (env.basis, env.department_id, env.note) == (RuleBasis.owner, world.departments["cg"].id, "")
        assert rules[(cat(s, "BJ01").id, district)].department_id == zj.id
        # 部件/道路交通 -> 交通运输 is missing here: territory, saying so.
        road = rules[(cat(s, "BJ02").id, district)]
        assert (road.basis, road.department_id, road.note) == (RuleBasis.territory, None, MISSING_OWNER_NOTE)
        # 事件 majors are territory without a note; no leaf rule repeats its major's.
        street_env = rules[(cat(s, "SJ01").id, district)]
        assert (street_env.basis, street_env.department_id, street_env.note) == (RuleBasis.territory, None, "")
        assert (cat(s, "SJ0101").id, district) not in rules
        assert all(r.area_path == world.areas["district"].path for r in rules.values())


def test_default_rules_fill_in_an_owner_department_added_later_without_touching_existing_rules(db, world) -> None:
    with transaction(db) as s:
        s.execute(delete(ResponsibilityRule))
        seed_default_rules(s)
        xf = department(s, "330212-XF", "区消防救援大队", "330212000000")
        added = seed_default_rules(s)
        assert added >= 2  # 消火栓 and 火情火灾 leaves now differ from their majors
        rules = {r.category_id: r for r in s.scalars(select(ResponsibilityRule))}
        assert rules[cat(s, "SJ0406").id].department_id == xf.id
        assert rules[cat(s, "SJ0406").id].basis == RuleBasis.owner
        # The 消防 major was seeded as territory while XF was missing: seeding never rewrites it.
        assert rules[cat(s, "ZL03").id].basis == RuleBasis.territory
