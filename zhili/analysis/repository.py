"""Queries of the analysis domain. Every read goes through `scope(actor)`: the actor's area subtrees, grids and
lead departments, deny by default. Dimension lookups (areas, grids, departments, categories) are small tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, false, func, literal, or_, select
from sqlalchemy.orm import Session

from zhili.analysis.indicators import MEASURE_FIELDS
from zhili.analysis.models import CaseFact, DailyRollup
from zhili.auth.actor import Actor
from zhili.cases.models import Case, CaseStatus
from zhili.cases.repository import subtree
from zhili.org.models import Area, AreaLevel, Department, Grid
from zhili.taxonomy.models import Category


def scope(actor: Actor) -> ColumnElement[bool]:
    """Cases in the actor's jurisdiction for analysis: inside one of its area subtrees, in one of its grids, or led
    by one of its departments (the case's lead department). Nothing otherwise."""
    clauses: list[ColumnElement[bool]] = [subtree(p) for p in actor.area_paths]
    if actor.grid_ids:
        clauses.append(Case.grid_id.in_(sorted(actor.grid_ids)))
    if actor.department_ids:
        clauses.append(Case.department_id.in_(sorted(actor.department_ids)))
    return or_(*clauses) if clauses else false()


def area(session: Session, area_id: int) -> Area | None:
    return session.get(Area, area_id)


def department(session: Session, department_id: int) -> Department | None:
    return session.get(Department, department_id)


def category(session: Session, category_id: int) -> Category | None:
    return session.get(Category, category_id)


def category_ids_under(session: Session, path: str) -> list[int]:
    return list(session.scalars(select(Category.id).where(Category.path.startswith(path, autoescape=True))))


def area_rows(session: Session) -> list[Row[Any]]:
    return list(session.execute(select(Area.id, Area.name, Area.level, Area.parent_id, Area.path)))


def community_ids_in(session: Session, paths: Sequence[str]) -> list[int]:
    """Communities inside any of the area subtrees `paths`."""
    if not paths:
        return []
    cond = or_(*[and_(Area.path >= p, Area.path < p[:-1] + "0") for p in paths])
    return list(session.scalars(select(Area.id).where(Area.level == AreaLevel.community, cond)))


def grid_labels(session: Session) -> dict[int, str]:
    return {i: n for i, n in session.execute(select(Grid.id, Grid.name))}


def department_labels(session: Session) -> dict[int, str]:
    return {i: n for i, n in session.execute(select(Department.id, Department.short_name))}


def category_rows(session: Session) -> list[Row[Any]]:
    return list(session.execute(select(Category.id, Category.name, Category.runway)))


REFERENCE_COLUMNS = (Case.id, Case.status, Case.registered_at, Case.dispatch_count, Case.send_back_count,
                     Case.repeat_complaint, Case.channel, Case.self_handled, Case.deadline_at, Case.closed_at,
                     Case.received_at, Case.rework_count, Case.extension_count, Case.satisfaction, Case.area_id,
                     Case.grid_id, Case.department_id, Case.category_id)


def reference_rows(session: Session, actor: Actor, lo: datetime, hi: datetime,
                   filters: Sequence[ColumnElement[bool]]) -> list[Row[Any]]:
    """Every countable case (not merged) in scope received in [lo, hi) or closed in [lo, hi) (UTC instants)."""
    when = or_(and_(Case.received_at >= lo, Case.received_at < hi),
               and_(Case.status == CaseStatus.closed, Case.closed_at >= lo, Case.closed_at < hi))
    stmt = select(*REFERENCE_COLUMNS).where(Case.status != CaseStatus.merged, scope(actor), when, *filters)
    return list(session.execute(stmt))


# -- the rollup path (models.py tables) -----------------------------------------------------------------------------
def area_ids_in(session: Session, paths: Sequence[str]) -> list[int]:
    """Every area inside any of the subtrees `paths` (the areas a case's community can be)."""
    if not paths:
        return []
    cond = or_(*[and_(Area.path >= p, Area.path < p[:-1] + "0") for p in paths])
    return list(session.scalars(select(Area.id).where(cond)))


def table_scope(actor: Actor, area_ids: Sequence[int], t: Any) -> ColumnElement[bool]:
    """`scope(actor)` over a facts or rollup table `t`: community in the actor's areas, grid, lead department."""
    clauses: list[ColumnElement[bool]] = []
    if area_ids:
        clauses.append(t.community_id.in_(sorted(area_ids)))
    if actor.grid_ids:
        clauses.append(t.grid_id.in_(sorted(actor.grid_ids)))
    if actor.department_ids:
        clauses.append(t.department_id.in_(sorted(actor.department_ids)))
    return or_(*clauses) if clauses else false()


def rollup_sums(session: Session, where: Sequence[ColumnElement[bool]], group: Any | None) -> list[Row[Any]]:
    """Summed measures of the rollup rows matching `where`, per `group` (a column) or in total (key None)."""
    key = group if group is not None else literal(None)
    stmt = select(key.label("key"), *[func.coalesce(func.sum(getattr(DailyRollup, n)), 0).label(n)
                                      for n in MEASURE_FIELDS]).where(*where)
    if group is not None:
        stmt = stmt.group_by(group)
    return list(session.execute(stmt))


def duration_medians(session: Session, where: Sequence[ColumnElement[bool]], group: Any | None) -> list[Row[Any]]:
    """PostgreSQL: (key, median work seconds, median wall seconds) of the matching facts, per `group`."""
    key = group if group is not None else literal(None)
    stmt = select(key.label("key"),
                  func.percentile_cont(0.5).within_group(CaseFact.work_seconds).label("work"),
                  func.percentile_cont(0.5).within_group(CaseFact.wall_seconds).label("wall")).where(*where)
    if group is not None:
        stmt = stmt.group_by(group)
    return list(session.execute(stmt))


def durations(session: Session, where: Sequence[ColumnElement[bool]], group: Any | None) -> Iterable[Row[Any]]:
    """SQLite: (key, work seconds, wall seconds) of every matching fact (medians are taken in Python)."""
    key = group if group is not None else literal(None)
    return session.execute(select(key.label("key"), CaseFact.work_seconds, CaseFact.wall_seconds).where(*where))


def rollup_daily(session: Session, where: Sequence[ColumnElement[bool]], group: Any | None,
                 measure: Any) -> list[tuple[Any, Any, Any]]:
    """(key, day, sum of `measure`) of the matching rollup rows with a non-zero sum."""
    key = group if group is not None else literal(None)
    total = func.sum(measure)
    stmt = select(key, DailyRollup.day, total).where(*where).group_by(
        *([group] if group is not None else []), DailyRollup.day).having(total > 0)
    return [tuple(r) for r in session.execute(stmt)]
