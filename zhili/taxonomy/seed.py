"""Seed the built-in category tree and the district-wide default responsibility rules. Both only ever insert what
is missing (by category code; by (category, area)), so an administrator's edits survive every upgrade."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from zhili.org.models import AreaLevel
from zhili.taxonomy import repository
from zhili.taxonomy.catalog import DEFAULT_RULES, LEAVES, MAJORS
from zhili.taxonomy.models import CategoryKind, LimitUnit, Priority, RuleBasis, Runway

KIND_BY_PREFIX = {"BJ": CategoryKind.component, "SJ": CategoryKind.event, "ZL": CategoryKind.governance}
UNITS = {"wh": LimitUnit.work_hours, "wd": LimitUnit.work_days, "h": LimitUnit.hours}
MISSING_OWNER_NOTE = "缺少属主部门，暂按属地"


@dataclass(frozen=True)
class SeedCategory:
    code: str
    name: str
    parent: str | None
    kind: CategoryKind
    runway: Runway
    register: str
    close: str
    priority: Priority = Priority.normal
    unit: LimitUnit | None = None
    normal: float | None = None
    urgent: float | None = None
    keywords: str = ""
    sort: int = 0


def catalog() -> list[SeedCategory]:
    """The built-in tree, majors before their leaves."""
    out: list[SeedCategory] = []
    runways: dict[str, Runway] = {}
    for i, line in enumerate(x for x in MAJORS.strip().splitlines() if x.strip()):
        code, name, runway, register, close = line.split("|")
        runways[code] = Runway(runway)
        out.append(SeedCategory(code, name, None, KIND_BY_PREFIX[code[:2]], Runway(runway), register, close,
                                sort=i + 1))
    for line in (x for x in LEAVES.strip().splitlines() if x.strip()):
        code, name, prio, unit, normal, urgent, keywords, register, close = line.split("|")
        out.append(SeedCategory(code, name, code[:4], KIND_BY_PREFIX[code[:2]], runways[code[:4]], register, close,
                                Priority.urgent if prio == "u" else Priority.normal, UNITS[unit], float(normal),
                                float(urgent), keywords, int(code[4:])))
    return out


def _public(item: SeedCategory) -> bool:
    """Residents may report the leaves of 部件 and 事件 (things they see in the street) through public channels;
    governance matters (disputes, public security leads, labour claims) come in through staff, not an open API,
    and so do emergencies (SJ04: gas leaks, fires, collapses), which need 110/119 at once, not a non-emergency
    report."""
    return (item.parent is not None and item.kind in (CategoryKind.component, CategoryKind.event)
            and item.parent != "SJ04")


def seed_categories(session: Session) -> int:
    """Insert the built-in categories whose codes are missing; returns how many were inserted."""
    existing = {c.code: c for c in repository.all_categories(session)}
    inserted = 0
    items = catalog()
    for parents_pass in (True, False):
        rows: list[dict[str, Any]] = []
        for item in items:
            if (item.parent is None) != parents_pass or item.code in existing:
                continue
            parent = existing.get(item.parent) if item.parent else None
            if item.parent and parent is None:
                continue  # its major was renamed away by an administrator: leave the branch alone
            rows.append(dict(code=item.code, name=item.name, parent_id=parent.id if parent else None,
                             path=(parent.path if parent else "/") + item.code + "/", kind=item.kind,
                             runway=item.runway, register_criteria=item.register, close_criteria=item.close,
                             default_priority=item.priority, limit_unit=item.unit, limit_normal=item.normal,
                             limit_urgent=item.urgent, keywords=item.keywords, active=True, sort=item.sort,
                             public=_public(item)))
        repository.insert_categories(session, rows)
        inserted += len(rows)
        if rows:
            existing = {c.code: c for c in repository.all_categories(session)}
    if inserted:
        repository.bump_version(session)
    return inserted


def seed_default_rules(session: Session) -> int:
    """District-wide default rules at every district: components to their owner department, events and most
    governance matters to the territory (the street's center). An owner department missing from this deployment
    becomes a territory rule noting it. A leaf's rule is added only where it differs from its major's."""
    categories = repository.category_codes(session)
    existing = repository.rule_keys(session)
    rows: list[dict[str, Any]] = []
    for district in repository.areas_at_level(session, AreaLevel.district):
        prefix = district.code[:6]
        depts = repository.departments_by_codes(
            session, [f"{prefix}-{s}" for s in DEFAULT_RULES.values() if s is not None])
        resolved: dict[str, tuple[RuleBasis, int | None, str]] = {}
        for code, suffix in DEFAULT_RULES.items():
            if suffix is None:
                resolved[code] = (RuleBasis.territory, None, "")
            elif (dept := depts.get(f"{prefix}-{suffix}")) is not None:
                resolved[code] = (RuleBasis.owner, dept.id, "")
            else:
                resolved[code] = (RuleBasis.territory, None, MISSING_OWNER_NOTE)
        for code, (basis, dept_id, note) in resolved.items():
            cid = categories.get(code)
            if cid is None or (cid, district.id) in existing:
                continue
            major = code[:4]
            if len(code) > 4 and major in resolved and resolved[major][:2] == (basis, dept_id):
                continue  # the major's rule already says this
            rows.append(dict(category_id=cid, area_id=district.id, area_path=district.path, basis=basis,
                             department_id=dept_id, note=note))
            existing.add((cid, district.id))
    repository.insert_rules(session, rows)
    if rows:
        repository.bump_version(session)
    return len(rows)
