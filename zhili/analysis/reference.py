"""The reference ("oracle") path: indicators computed straight from `cases`, every case row read and its working
time computed on the spot. Slow and obviously right; the tests compare the rollup path (service.py) with it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from zhili.analysis import indicators as ind
from zhili.analysis import repository as repo
from zhili.analysis.indicators import Measures
from zhili.analysis.service import (
    TIME_DIMENSIONS,
    Bucket,
    Dimensions,
    IndicatorQuery,
    IndicatorTable,
    Key,
    build_table,
    local_day,
    resolve_filters,
    time_key,
    utc_bounds,
    validate,
)
from zhili.auth.actor import Actor
from zhili.cases.models import CaseStatus
from zhili.config import Settings, get_settings
from zhili.kit.workdays import WorkCalendar
from zhili.workcal.service import calendar_for


def reference_indicators(session: Session, actor: Actor, q: IndicatorQuery,
                         settings: Settings | None = None) -> IndicatorTable:
    """The indicators straight from `cases` (every case row read, working time computed per case)."""
    actor.require("analysis.view")
    validate(q)
    filters = resolve_filters(session, actor, q)
    dims = Dimensions(session)
    cal = calendar_for(session, settings or get_settings())
    lo, hi = utc_bounds(q.start, q.end)
    groups: dict[Key, Bucket] = defaultdict(Bucket)
    total = Bucket()
    keyer = _case_keyer(q.by, dims)
    for r in repo.reference_rows(session, actor, lo, hi, filters.clauses):
        intake, closure, work, wall = _case_parts(r, cal)
        received_in = lo <= _utc(r.received_at) < hi
        closed_in = closure.closed and r.closed_at is not None and lo <= _utc(r.closed_at) < hi
        if received_in:
            total.measures.add(intake)
            groups[keyer(r, local_day(r.received_at))].measures.add(intake)
        if closed_in:
            total.measures.add(closure)
            total.work.append(work)
            total.wall.append(wall)
            b = groups[keyer(r, local_day(r.closed_at))]
            b.measures.add(closure)
            b.work.append(work)
            b.wall.append(wall)
    return build_table(q, dims, {k: b.measures for k, b in groups.items()}, total.measures,
                       {k: b.medians() for k, b in groups.items()}, total.medians())


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _case_keyer(by: str | None, dims: Dimensions) -> Callable[[Any, date], Key]:
    if by is None:
        return lambda r, d: None
    if by in TIME_DIMENSIONS:
        return lambda r, d: time_key(by, d)
    column = {"community": "area_id", "grid": "grid_id", "department": "department_id", "category": "category_id"}
    if by in column:
        name = column[by]
        return lambda r, d: getattr(r, name)
    if by == "street":
        return lambda r, d: dims.street_of.get(r.area_id)
    if by == "runway":
        return lambda r, d: dims.runway_of.get(r.category_id)
    return lambda r, d: str(r.channel)


def _case_parts(r: Any, cal: WorkCalendar) -> tuple[Measures, Measures, float, float]:
    """The intake and closure measures of one case row, and its working and wall seconds (0 when not closed)."""
    closed = r.status == CaseStatus.closed and r.closed_at is not None
    work = wall = 0.0
    if closed:
        wall = max(0.0, (_utc(r.closed_at) - _utc(r.received_at)).total_seconds())
        work = cal.working_seconds(_utc(r.received_at), _utc(r.closed_at))
    intake, closure = ind.case_measures(
        status=str(r.status), registered=r.registered_at is not None, dispatch_count=r.dispatch_count or 0,
        send_back_count=r.send_back_count or 0, repeat_complaint=r.repeat_complaint, channel=str(r.channel),
        self_handled=bool(r.self_handled), closed=closed, deadline_at=_opt_utc(r.deadline_at),
        closed_at=_opt_utc(r.closed_at), rework_count=r.rework_count or 0, extension_count=r.extension_count or 0,
        satisfaction=None if r.satisfaction is None else str(r.satisfaction), wall_seconds=wall, work_seconds=work)
    return intake, closure, work, wall


def _opt_utc(at: datetime | None) -> datetime | None:
    return None if at is None else _utc(at)


def reference_daily(session: Session, actor: Actor, q: IndicatorQuery,
                    name: str) -> dict[Key, tuple[str, dict[date, int]]]:
    actor.require("analysis.view")
    validate(q)
    filters = resolve_filters(session, actor, q)
    dims = Dimensions(session)
    lo, hi = utc_bounds(q.start, q.end)
    keyer = _case_keyer(q.by, dims)
    days = [q.start + timedelta(days=i) for i in range((q.end - q.start).days + 1)]
    cal = calendar_for(session, get_settings())
    out: dict[Key, tuple[str, dict[date, int]]] = {}
    intake_side = name in ind.INTAKE_FIELDS
    for r in repo.reference_rows(session, actor, lo, hi, filters.clauses):
        intake, closure, _w, _x = _case_parts(r, cal)
        m, at = (intake, r.received_at) if intake_side else (closure, r.closed_at)
        value = int(getattr(m, name))
        if not value or at is None or not lo <= _utc(at) < hi:
            continue
        d = local_day(at)
        k = keyer(r, d)
        entry = out.setdefault(k, (dims.label(q.by, k) if q.by else "合计", dict.fromkeys(days, 0)))
        entry[1][d] += value
    return out
