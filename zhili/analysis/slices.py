"""Building the one-dimension slices (models.Slice) from the facts, in SQL.

Daily slices ("d") of a set of days are rebuilt from the facts, like the daily rollup: per dimension, an intake row
per (received day, key) and a closure row (with the duration histograms) per (closed day, key). Monthly slices ("m")
of every month those days fall in are then rebuilt from that month's daily slices (a GROUP BY over at most ~31 x keys
rows, so an incremental refresh stays cheap).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, cast, delete, func, insert, literal, null, select
from sqlalchemy.orm import Session

from zhili.analysis import indicators as ind
from zhili.analysis.models import SLICE_DIMS, WALL_HIST, WORK_HIST, CaseFact, Slice

DIM_COLUMN = {"community": "community_id", "grid": "grid_id", "department": "department_id",
              "category": "category_id", "channel": "channel"}
SUMMED = (*ind.MEASURE_FIELDS, *WORK_HIST, *WALL_HIST)


def key_expr(dim: str) -> Any:
    if dim == "all":
        return null()
    col = getattr(CaseFact, DIM_COLUMN[dim])
    return col if dim == "channel" else cast(col, String)


def month_start(d: date) -> date:
    return d.replace(day=1)


def month_end(d: date) -> date:
    nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


def rebuild_days(session: Session, days: Iterable[date]) -> None:
    """Incremental: the days' daily slices from the facts, then each touched month rebuilt from its daily slices
    (one row per key and month: the table stays bounded however often it is refreshed; adding differences as
    extra rows instead grew a month by thousands of rows per refresh)."""
    ordered = sorted(set(days))
    for i in range(0, len(ordered), 500):
        chunk = ordered[i:i + 500]
        session.execute(delete(Slice).where(Slice.grain == "d", Slice.period.in_(chunk)))
        _insert_daily(session, CaseFact.received_day.in_(chunk), CaseFact.closed_day.in_(chunk))
    _rebuild_months(session, {month_start(d) for d in ordered})


def compact_months(session: Session, months: Iterable[date]) -> None:
    """Fold each month's rows into one per key (from its daily slices); for a periodic job."""
    _rebuild_months(session, months)


def rebuild_range(session: Session, start: date, end: date) -> None:
    session.execute(delete(Slice).where(Slice.grain == "d", Slice.period >= start, Slice.period <= end))
    _insert_daily(session, and_(CaseFact.received_day >= start, CaseFact.received_day <= end),
                  and_(CaseFact.closed_day >= start, CaseFact.closed_day <= end))
    months, m = set(), month_start(start)
    while m <= end:
        months.add(m)
        m = month_end(m) + timedelta(days=1)
    _rebuild_months(session, months)


def _insert_daily(session: Session, intake_where: ColumnElement[bool], closure_where: ColumnElement[bool]) -> None:
    closure_zero = {n: literal(0) for n in ind.CLOSURE_FIELDS}
    hist_zero = {n: literal(0) for n in (*WORK_HIST, *WALL_HIST)}
    for dim in SLICE_DIMS:
        key = key_expr(dim)
        groups = [] if dim == "all" else [key]
        intake = {"grain": literal("d"), "period": CaseFact.received_day, "dim": literal(dim), "key": key,
                  "received": func.count(),
                  **{n: func.sum(getattr(CaseFact, n)) for n in ind.INTAKE_FIELDS if n != "received"},
                  **closure_zero, "wall_seconds": literal(0.0), "work_seconds": literal(0.0), **hist_zero}
        sel = select(*[c.label(n) for n, c in intake.items()]).where(intake_where).group_by(
            CaseFact.received_day, *groups)
        session.execute(insert(Slice).from_select(list(intake), sel))
        closure = {"grain": literal("d"), "period": CaseFact.closed_day, "dim": literal(dim), "key": key,
                   **{n: literal(0) for n in ind.INTAKE_FIELDS}, "closed": func.count(),
                   **{n: func.sum(getattr(CaseFact, n)) for n in ind.CLOSURE_FIELDS if n != "closed"},
                   **{n: func.sum(case((CaseFact.work_bucket == k, 1), else_=0)) for k, n in enumerate(WORK_HIST)},
                   **{n: func.sum(case((CaseFact.wall_bucket == k, 1), else_=0)) for k, n in enumerate(WALL_HIST)}}
        sel = select(*[c.label(n) for n, c in closure.items()]).where(
            closure_where, CaseFact.closed_day.is_not(None)).group_by(CaseFact.closed_day, *groups)
        session.execute(insert(Slice).from_select(list(closure), sel))


def _rebuild_months(session: Session, months: Iterable[date]) -> None:
    for m in sorted(months):
        session.execute(delete(Slice).where(Slice.grain == "m", Slice.period == m))
        for dim in SLICE_DIMS:  # one dimension at a time: the lookup index (grain, dim, period) bounds the read
            cols: dict[str, Any] = {"grain": literal("m"), "period": literal(m), "dim": literal(dim), "key": Slice.key,
                                    **{n: func.sum(getattr(Slice, n)) for n in SUMMED}}
            sel = select(*[c.label(n) for n, c in cols.items()]).where(
                Slice.grain == "d", Slice.dim == dim, Slice.period >= m, Slice.period <= month_end(m)).group_by(
                Slice.key)
            session.execute(insert(Slice).from_select(list(cols), sel))
