"""Gaps and conflicts of the responsibility list, as an administrator needs to see them.

Gaps: an active leaf category that no rule routes to a department in some street; a leaf without any time limit
(own or inherited). Conflicts: an owner rule without a department; a rule whose department does not serve the
rule's area. Routing is evaluated in memory (one read of the departments), not once per (leaf, street).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.org.models import AreaLevel, DepartmentKind
from zhili.taxonomy import repository, routing
from zhili.taxonomy.models import RuleBasis
from zhili.taxonomy.schemas import ReportItem, ReportRead

MAX_NAMES = 5


def _names(names: list[str]) -> str:
    shown = "、".join(names[:MAX_NAMES])
    return f"{shown} 等 {len(names)} 个镇街" if len(names) > MAX_NAMES else shown


def report(session: Session, actor: Actor | None = None) -> ReportRead:
    """The report over the streets inside the actor's jurisdiction (every street for the platform itself)."""
    if actor is not None:
        actor.require("taxonomy.manage")
    table = routing.routing_table(session)
    categories = repository.all_categories(session)
    parents = {c.parent_id for c in categories if c.parent_id is not None and c.active}
    leaves = [c for c in categories if c.active and c.id not in parents]
    streets = [s for s in repository.areas_at_level(session, AreaLevel.street)
               if actor is None or actor.in_area(s.path)]
    departments = {d.id: d for d in repository.all_departments(session)}
    centers = {d.area_path: (d.id, d.name) for d in departments.values() if d.kind == DepartmentKind.center}

    def department(did: int) -> tuple[int, str] | None:
        d = departments.get(did)
        return (d.id, d.name) if d else None

    def center_lookup(paths: list[str]) -> dict[str, tuple[int, str]]:
        return {p: centers[p] for p in paths if p in centers}

    gaps: list[ReportItem] = []
    conflicts: list[ReportItem] = []
    for leaf in sorted(leaves, key=lambda c: c.path):
        name = table.names.get(leaf.id, leaf.name)
        missing = [s for s in streets
                   if routing.resolve(table, leaf.id, s.path, department, center_lookup) is None]
        if missing:
            gaps.append(ReportItem(kind="no_route", category_code=leaf.code, area_codes=[s.code for s in missing],
                                   message=f"「{name}」在{_names([s.name for s in missing])}找不到责任部门"))
        if table.limit(leaf.id, "normal") is None:
            gaps.append(ReportItem(kind="no_limit", category_code=leaf.code,
                                   message=f"「{name}」没有处置时限（本级和上级均未设置）"))
    codes = {c.id: c.code for c in categories}
    rules = repository.all_rules(session, actor)
    areas = repository.areas_by_ids(session, [r.area_id for r in rules])
    for rule in rules:
        name = table.names.get(rule.category_id, "")
        area = areas.get(rule.area_id)
        area_name = area.name if area else ""
        area_codes = [area.code] if area else []
        if rule.basis == RuleBasis.owner and rule.department_id is None:
            conflicts.append(ReportItem(kind="owner_without_department", category_code=codes.get(rule.category_id),
                                        area_codes=area_codes, rule_id=rule.id,
                                        message=f"「{name}」在{area_name}的属主规则没有指定责任部门"))
        dept = departments.get(rule.department_id) if rule.department_id else None
        if dept is not None and not rule.area_path.startswith(dept.area_path):
            conflicts.append(ReportItem(kind="department_outside_area", category_code=codes.get(rule.category_id),
                                        area_codes=area_codes, rule_id=rule.id,
                                        message=f"「{name}」在{area_name}的规则指定了{dept.name}，"
                                                f"但该部门的服务区域不包含{area_name}"))
    if not gaps and not conflicts:
        summary = f"已检查 {len(leaves)} 个启用的末级分类、{len(streets)} 个镇街：权责清单完整，未发现缺口或冲突。"
    else:
        summary = (f"已检查 {len(leaves)} 个启用的末级分类、{len(streets)} 个镇街：发现 {len(gaps)} 处缺口、"
                   f"{len(conflicts)} 处冲突。")
    return ReportRead(summary=summary, leaves=len(leaves), streets=len(streets), gaps=gaps, conflicts=conflicts)
