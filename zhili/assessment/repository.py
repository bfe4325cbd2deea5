"""Every assessment query. Units and scores are read inside the actor's jurisdiction (area subtrees, departments,
grids), deny by default; the case-side counts are asked for the units already chosen that way.

Schemes are platform data (like the taxonomy): readable with assessment.view, the service checks who edits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, delete, false, or_, select
from sqlalchemy.orm import Session

from zhili.assessment.models import AssessmentRun, AssessmentScheme, AssessmentScore
from zhili.auth.actor import Actor
from zhili.cases.models import Case, CaseEvent, CaseStatus, SupervisionOrder
from zhili.org.models import Area, AreaLevel, Department, Grid, GridMember, GridRole, Staff

WORKER_ROLES = (GridRole.leader, GridRole.full_time, GridRole.part_time)  # 网格长、专职、兼职网格员

# ---- schemes -----------------------------------------------------------------------------------------------------


def schemes(session: Session, *, active_only: bool = False) -> list[AssessmentScheme]:
    stmt = select(AssessmentScheme).order_by(AssessmentScheme.id)
    if active_only:
        stmt = stmt.where(AssessmentScheme.active.is_(True))
    return list(session.scalars(stmt))


def scheme(session: Session, scheme_id: int) -> AssessmentScheme | None:
    return session.get(AssessmentScheme, scheme_id)


def scheme_by_name(session: Session, name: str) -> AssessmentScheme | None:
    return session.scalar(select(AssessmentScheme).where(AssessmentScheme.name == name))


# ---- units in scope ----------------------------------------------------------------------------------------------


def _under(col: Any, paths: Sequence[str]) -> list[ColumnElement[bool]]:
    return [col.startswith(p, autoescape=True) for p in paths]


def departments(session: Session, actor: Actor) -> list[Department]:
    clauses = _under(Department.area_path, actor.area_paths)
    if actor.department_ids:
        clauses.append(Department.id.in_(sorted(actor.department_ids)))
    if not clauses:
        return []
    return list(session.scalars(select(Department).where(or_(*clauses)).order_by(Department.code)))


def areas(session: Session, actor: Actor, level: AreaLevel) -> list[Area]:
    clauses = _under(Area.path, actor.area_paths)
    if not clauses:
        return []
    return list(session.scalars(select(Area).where(Area.level == level, or_(*clauses)).order_by(Area.code)))


def _grid_scope(actor: Actor) -> list[ColumnElement[bool]]:
    clauses = _under(Grid.area_path, actor.area_paths)
    if actor.grid_ids:
        clauses.append(Grid.id.in_(sorted(actor.grid_ids)))
    return clauses


def grids(session: Session, actor: Actor) -> list[Grid]:
    clauses = _grid_scope(actor)
    if not clauses:
        return []
    return list(session.scalars(select(Grid).where(or_(*clauses)).order_by(Grid.code)))


def grid_workers(session: Session, actor: Actor) -> list[Row[tuple[GridMember, Staff, Grid]]]:
    """The grid workers (网格长, 专职, 兼职) of the grids in scope, one row per membership."""
    clauses = _grid_scope(actor)
    if not clauses:
        return []
    return list(session.execute(
        select(GridMember, Staff, Grid).join(Staff, Staff.id == GridMember.staff_id)
        .join(Grid, Grid.id == GridMember.grid_id)
        .where(GridMember.role.in_(WORKER_ROLES), or_(*clauses)).order_by(Grid.code, GridMember.id)))


# ---- case-side counts (for deductions and grid workers) ----------------------------------------------------------

CaseUnit = Row[tuple[int | None, str, int, int | None]]  # department_id, area_path, area_id, grid_id
_UNIT_COLS = (Case.department_id, Case.area_path, Case.area_id, Case.grid_id)


def overdue_cases(session: Session, start: datetime, end: datetime) -> list[CaseUnit]:
    """Cases closed in [start, end) after their deadline, and cases still open at `end` whose deadline passed."""
    closed_late = and_(Case.closed_at >= start, Case.closed_at < end, Case.closed_at > Case.deadline_at)
    open_late = and_(Case.deadline_at < end, Case.received_at < end,
                     or_(Case.closed_at.is_(None), Case.closed_at >= end),
                     Case.status.not_in((CaseStatus.rejected, CaseStatus.merged)))
    return list(session.execute(select(*_UNIT_COLS).where(Case.deadline_at.is_not(None),
                                                          or_(closed_late, open_late))))


def repeat_cases(session: Session, start: datetime, end: datetime) -> list[CaseUnit]:
    """Cases received in the period flagged as repeat complaints (merged duplicates count once, via the master)."""
    return list(session.execute(select(*_UNIT_COLS).where(
        Case.received_at >= start, Case.received_at < end, Case.repeat_complaint.is_(True),
        Case.status != CaseStatus.merged)))


def reworked_cases(session: Session, start: datetime, end: datetime) -> list[CaseUnit]:
    """Cases closed in the period that were sent back for rework at least once."""
    return list(session.execute(select(*_UNIT_COLS).where(
        Case.closed_at >= start, Case.closed_at < end, Case.rework_count > 0)))


def supervision_orders(session: Session, start: datetime, end: datetime
                       ) -> list[Row[tuple[int | None, str, int, int | None, datetime, datetime | None]]]:
    """Orders issued in the period with their case's unit columns; the service decides which came too late."""
    return list(session.execute(
        select(SupervisionOrder.department_id, Case.area_path, Case.area_id, Case.grid_id,
               SupervisionOrder.issued_at, SupervisionOrder.answered_at)
        .join(Case, Case.id == SupervisionOrder.case_id)
        .where(SupervisionOrder.issued_at >= start, SupervisionOrder.issued_at < end)))


def reports_by_user(session: Session, user_ids: Sequence[int], start: datetime, end: datetime) -> dict[int, int]:
    """Cases received in the period that each user filed (reporter or creator), rejected ones not counted."""
    if not user_ids:
        return {}
    ids = sorted(set(user_ids))
    rows = session.execute(select(Case.reporter_user_id, Case.created_by).where(
        Case.received_at >= start, Case.received_at < end, Case.status != CaseStatus.rejected,
        or_(Case.reporter_user_id.in_(ids), Case.created_by.in_(ids))))
    out: dict[int, int] = {}
    for reporter, creator in rows:
        for uid in {reporter, creator} & set(ids):
            out[uid] = out.get(uid, 0) + 1
    return out


def verifications_by_user(session: Session, user_ids: Sequence[int], start: datetime, end: datetime
                          ) -> dict[int, int]:
    if not user_ids:
        return {}
    rows = session.execute(select(CaseEvent.actor_id, CaseEvent.id).where(
        CaseEvent.action.in_(("verify_ok", "verify_fail")), CaseEvent.at >= start, CaseEvent.at < end,
        CaseEvent.actor_id.in_(sorted(set(user_ids)))))
    out: dict[int, int] = {}
    for uid, _ in rows:
        out[uid] = out.get(uid, 0) + 1
    return out


def overdue_list(session: Session, actor: Actor, start: datetime, end: datetime, limit: int
                 ) -> list[Row[tuple[str, str, datetime, datetime | None, str | None, str]]]:
    """The monthly report's overdue cases inside the actor's jurisdiction: closed late in the period, or due in
    the period and still open. (number, title, deadline, closed_at, lead department, community path)."""
    scope: list[ColumnElement[bool]] = _under(Case.area_path, actor.area_paths)
    if actor.department_ids:
        scope.append(Case.department_id.in_(sorted(actor.department_ids)))
    if actor.grid_ids:
        scope.append(Case.grid_id.in_(sorted(actor.grid_ids)))
    if not scope:
        return []
    closed_late = and_(Case.closed_at >= start, Case.closed_at < end, Case.closed_at > Case.deadline_at)
    open_late = and_(Case.deadline_at < end, Case.deadline_at >= start, Case.closed_at.is_(None),
                     Case.status.not_in((CaseStatus.rejected, CaseStatus.merged)))
    return list(session.execute(
        select(Case.number, Case.title, Case.deadline_at, Case.closed_at, Department.name, Case.area_path)
        .outerjoin(Department, Department.id == Case.department_id)
        .where(Case.deadline_at.is_not(None), or_(closed_late, open_late), or_(*scope))
        .order_by(Case.deadline_at, Case.id).limit(limit)))


def area_names(session: Session) -> dict[str, str]:
    return {str(p): str(n) for p, n in session.execute(select(Area.path, Area.name))}


# ---- runs and scores ---------------------------------------------------------------------------------------------


def run_for(session: Session, scheme_id: int, start: date, end: date) -> AssessmentRun | None:
    return session.scalar(select(AssessmentRun).where(AssessmentRun.scheme_id == scheme_id,
                                                      AssessmentRun.period_start == start,
                                                      AssessmentRun.period_end == end))


def runs(session: Session, scheme_id: int) -> list[AssessmentRun]:
    return list(session.scalars(select(AssessmentRun).where(AssessmentRun.scheme_id == scheme_id)
                                .order_by(AssessmentRun.period_start.desc(), AssessmentRun.period_end.desc())))


def delete_scores(session: Session, run_id: int) -> None:
    session.execute(delete(AssessmentScore).where(AssessmentScore.run_id == run_id))


def readable_scores(actor: Actor) -> ColumnElement[bool]:
    """Scores the actor may read: units inside its area subtrees, its departments, its grids; nothing else."""
    clauses = _under(AssessmentScore.area_path, actor.area_paths)
    if actor.department_ids:
        clauses.append(AssessmentScore.department_id.in_(sorted(actor.department_ids)))
    if actor.grid_ids:
        clauses.append(AssessmentScore.grid_id.in_(sorted(actor.grid_ids)))
    return or_(*clauses) if clauses else false()


def scores(session: Session, actor: Actor, run_id: int) -> list[AssessmentScore]:
    return list(session.scalars(select(AssessmentScore).where(AssessmentScore.run_id == run_id,
                                                              readable_scores(actor))
                                .order_by(AssessmentScore.rank, AssessmentScore.unit_label)))


def ranks(session: Session, run_id: int) -> dict[int, int]:
    """unit_id -> rank in a run (for the rank change; only units the caller already may read are looked up)."""
    rows = session.execute(select(AssessmentScore.unit_id, AssessmentScore.rank)
                           .where(AssessmentScore.run_id == run_id))
    return {int(u): int(r) for u, r in rows}


def unit_history(session: Session, actor: Actor, scheme_id: int, unit_id: int
                 ) -> list[Row[tuple[AssessmentRun, AssessmentScore]]]:
    return list(session.execute(
        select(AssessmentRun, AssessmentScore).join(AssessmentScore, AssessmentScore.run_id == AssessmentRun.id)
        .where(AssessmentRun.scheme_id == scheme_id, AssessmentScore.unit_id == unit_id, readable_scores(actor))
        .order_by(AssessmentRun.period_start, AssessmentRun.period_end)))
