"""Keeping the read side's tables fresh: per-case facts and the daily rollup (models.py).

Every ORM insert or update of a Case queues its id in `analysis_dirty` in the same transaction (hooks in
models.py). `refresh(session)` turns the queue into fresh facts and rebuilds the rollup rows of every day those
cases touched (old and new received / closed days); readers call it first, a periodic job too. Bulk loads that
bypass the ORM (demo history, legacy import, benchmarks) call `refresh_after_bulk(session, start, end)`.

Concurrent refreshers are serialized (a transaction-scoped advisory lock on PostgreSQL; SQLite has one writer);
a refresher handles the queue rows it saw and deletes exactly those, so a change committed meanwhile stays queued.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Table, and_, delete, func, insert, literal, or_, select, text
from sqlalchemy.orm import Session

from zhili.analysis import indicators as ind
from zhili.analysis import slices
from zhili.analysis.median import bucket_of
from zhili.analysis.models import CaseFact, DailyRollup, DirtyCase, Slice
from zhili.cases.models import Case, CaseStatus
from zhili.config import Settings, get_settings
from zhili.kit.workdays import WorkCalendar
from zhili.org.models import Area, AreaLevel
from zhili.workcal.service import calendar_for

TZ = ZoneInfo("Asia/Shanghai")
BATCH = 5000
FACTS: Table = CaseFact.__table__  # type: ignore[assignment]  # Core inserts (executemany), not the ORM bulk path
LOCK_KEY = 5_000_501  # pg_advisory_xact_lock key of the refresher
DIMS = ("street_id", "community_id", "grid_id", "department_id", "category_id", "channel")
FACT_FLAGS = ("registered", "rejected", "dispatched", "sent_back", "intake_closed", "repeat", "grid_reported",
              "self_handled", "with_deadline", "ontime", "overdue", "reworked", "extended", "rated", "satisfied")
COLUMNS = (Case.id, Case.status, Case.registered_at, Case.dispatch_count, Case.send_back_count,
           Case.repeat_complaint, Case.channel, Case.self_handled, Case.deadline_at, Case.closed_at, Case.received_at,
           Case.rework_count, Case.extension_count, Case.satisfaction, Case.area_id, Case.grid_id,
           Case.department_id, Case.category_id)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _day(at: datetime) -> date:
    return _utc(at).astimezone(TZ).date()


def street_map(session: Session) -> dict[int, int | None]:
    """Area id -> its street (a community's parent; a street itself)."""
    return {i: (p if lvl == AreaLevel.community else i if lvl == AreaLevel.street else None)
            for i, p, lvl in session.execute(select(Area.id, Area.parent_id, Area.level))}


def fact_of(r: Any, cal: WorkCalendar, streets: dict[int, int | None]) -> dict[str, Any]:
    """The fact row of one (not merged) case row."""
    closed = r.status == CaseStatus.closed and r.closed_at is not None
    wall = work = None
    if closed:
        wall = max(0.0, (_utc(r.closed_at) - _utc(r.received_at)).total_seconds())
        work = cal.working_seconds(_utc(r.received_at), _utc(r.closed_at))
    intake, closure = ind.case_measures(
        status=str(r.status), registered=r.registered_at is not None, dispatch_count=r.dispatch_count or 0,
        send_back_count=r.send_back_count or 0, repeat_complaint=r.repeat_complaint, channel=str(r.channel),
        self_handled=bool(r.self_handled), closed=closed,
        deadline_at=None if r.deadline_at is None else _utc(r.deadline_at),
        closed_at=None if r.closed_at is None else _utc(r.closed_at), rework_count=r.rework_count or 0,
        extension_count=r.extension_count or 0, satisfaction=None if r.satisfaction is None else str(r.satisfaction),
        wall_seconds=wall, work_seconds=work)
    row: dict[str, Any] = {
        "case_id": r.id, "received_day": _day(r.received_at), "closed_day": _day(r.closed_at) if closed else None,
        "street_id": streets.get(r.area_id), "community_id": r.area_id, "grid_id": r.grid_id,
        "department_id": r.department_id, "category_id": r.category_id, "channel": str(r.channel),
        "wall_seconds": wall, "work_seconds": work,
        "wall_bucket": None if wall is None else bucket_of(wall), "work_bucket": None if work is None else bucket_of(work)}
    for name in FACT_FLAGS:
        row[name] = int(getattr(intake, name) if name in ind.INTAKE_FIELDS else getattr(closure, name))
    return row


# -- incremental ----------------------------------------------------------------------------------------------------
_last_refresh = {"at": float("-inf")}  # monotonic time of this process's last refresh by a reader


def refresh_if_due(session: Session, settings: Settings | None = None) -> int:
    """A reader's refresh: at most once per `analysis_refresh_seconds` per process (0: every time), so that at a
    city's scale, where one refresh costs up to a second, readers do not each pay it; the `analysis.refresh` job
    runs every minute. Figures therefore lag changes by at most that many seconds."""
    import time as _time

    every = (settings or get_settings()).analysis_refresh_seconds
    now = _time.monotonic()
    if every > 0 and now - _last_refresh["at"] < every:
        return 0
    _last_refresh["at"] = now
    return refresh(session, settings)


def has_dirty(session: Session) -> bool:
    return session.execute(select(DirtyCase.id).limit(1)).first() is not None


def refresh(session: Session, settings: Settings | None = None, limit: int = 50_000) -> int:
    """Bring facts and rollup up to date with the queued cases; returns how many cases were refreshed."""
    if not has_dirty(session):
        return 0
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    queued = list(session.execute(select(DirtyCase.id, DirtyCase.case_id).order_by(DirtyCase.id).limit(limit)))
    if not queued:
        return 0
    case_ids = sorted({c for _i, c in queued})
    days = _refresh_facts(session, case_ids, settings)
    rebuild_days(session, days)
    for i in range(0, len(queued), BATCH):
        session.execute(delete(DirtyCase).where(DirtyCase.id.in_([q for q, _c in queued[i:i + BATCH]])))
    return len(case_ids)


def _refresh_facts(session: Session, case_ids: Sequence[int], settings: Settings | None) -> set[date]:
    """Replace the facts of `case_ids`; returns every day whose rollup they touched (before and after)."""
    cal = calendar_for(session, settings or get_settings())
    streets = street_map(session)
    days: set[date] = set()
    for i in range(0, len(case_ids), BATCH):
        chunk = list(case_ids[i:i + BATCH])
        for rd, cd in session.execute(select(CaseFact.received_day, CaseFact.closed_day)
                                      .where(CaseFact.case_id.in_(chunk))):
            days.add(rd)
            if cd is not None:
                days.add(cd)
        session.execute(delete(CaseFact).where(CaseFact.case_id.in_(chunk)))
        rows = [fact_of(r, cal, streets) for r in session.execute(
            select(*COLUMNS).where(Case.id.in_(chunk), Case.status != CaseStatus.merged))]
        for row in rows:
            days.add(row["received_day"])
            if row["closed_day"] is not None:
                days.add(row["closed_day"])
        if rows:
            session.execute(insert(FACTS), rows)
    return days


def rebuild_days(session: Session, days: Iterable[date]) -> None:
    """Rebuild the rollup rows of `days` from the facts (each day alone: the set may be sparse)."""
    ordered = sorted(set(days))
    for i in range(0, len(ordered), 500):
        chunk = ordered[i:i + 500]
        session.execute(delete(DailyRollup).where(DailyRollup.day.in_(chunk)))
        _insert_rollup(session, CaseFact.received_day.in_(chunk), CaseFact.closed_day.in_(chunk))
    slices.rebuild_days(session, ordered)


def rebuild_range(session: Session, start: date, end: date) -> None:
    """Rebuild the rollup rows of every day in [start, end] from the facts."""
    session.execute(delete(DailyRollup).where(DailyRollup.day >= start, DailyRollup.day <= end))
    _insert_rollup(session, and_(CaseFact.received_day >= start, CaseFact.received_day <= end),
                   and_(CaseFact.closed_day >= start, CaseFact.closed_day <= end))
    slices.rebuild_range(session, start, end)


def _insert_rollup(session: Session, intake_where: ColumnElement[bool], closure_where: ColumnElement[bool]) -> None:
    """Two kinds of rows: intake sums on the received day, closure sums on the closed day."""
    dims = [getattr(CaseFact, d) for d in DIMS]
    zero_i = {n: literal(0) for n in ind.CLOSURE_FIELDS if n not in ("wall_seconds", "work_seconds")}
    intake_cols = {"day": CaseFact.received_day, **{d: getattr(CaseFact, d) for d in DIMS},
                   "received": func.count(),
                   **{n: func.sum(getattr(CaseFact, n)) for n in ind.INTAKE_FIELDS if n != "received"},
                   **zero_i, "wall_seconds": literal(0.0), "work_seconds": literal(0.0)}
    intake_sel = select(*[c.label(n) for n, c in intake_cols.items()]).where(intake_where).group_by(
        CaseFact.received_day, *dims)
    session.execute(insert(DailyRollup).from_select(list(intake_cols), intake_sel))
    closure_cols = {"day": CaseFact.closed_day, **{d: getattr(CaseFact, d) for d in DIMS},
                    **{n: literal(0) for n in ind.INTAKE_FIELDS}, "closed": func.count(),
                    **{n: func.sum(getattr(CaseFact, n)) for n in ind.CLOSURE_FIELDS if n != "closed"}}
    closure_sel = select(*[c.label(n) for n, c in closure_cols.items()]).where(
        closure_where, CaseFact.closed_day.is_not(None)).group_by(CaseFact.closed_day, *dims)
    session.execute(insert(DailyRollup).from_select(list(closure_cols), closure_sel))


# -- bulk -----------------------------------------------------------------------------------------------------------
def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (datetime.combine(start, time(), TZ).astimezone(UTC),
            datetime.combine(end + timedelta(days=1), time(), TZ).astimezone(UTC))


def refresh_after_bulk(session: Session, start: date, end: date, settings: Settings | None = None) -> int:
    """After rows were written around the ORM: rebuild the facts of every case received or closed in the local
    days [start, end], and the rollup of every day they touch. Returns how many facts were written."""
    lo, hi = _bounds(start, end)
    touched = or_(and_(Case.received_at >= lo, Case.received_at < hi),
                  and_(Case.closed_at >= lo, Case.closed_at < hi))
    old = or_(and_(CaseFact.received_day >= start, CaseFact.received_day <= end),
              and_(CaseFact.closed_day >= start, CaseFact.closed_day <= end))
    span = session.execute(select(func.min(CaseFact.received_day), func.max(CaseFact.closed_day)).where(old)).one()
    session.execute(delete(CaseFact).where(old))
    session.execute(delete(CaseFact).where(CaseFact.case_id.in_(select(Case.id).where(touched))))
    cal = calendar_for(session, settings or get_settings())
    streets = street_map(session)
    written, first, last = 0, start, end
    for rows in _batches(session, select(*COLUMNS).where(touched, Case.status != CaseStatus.merged)):
        facts = [fact_of(r, cal, streets) for r in rows]
        session.execute(insert(FACTS), facts)  # Core executemany: ~2x the ORM bulk path
        written += len(facts)
        first = min([first, *(f["received_day"] for f in facts)])
        last = max([last, *(f["closed_day"] for f in facts if f["closed_day"] is not None)])
    if span[0] is not None:
        first = min(first, span[0])
    if span[1] is not None:
        last = max(last, span[1])
    rebuild_range(session, first, last)
    session.execute(delete(DirtyCase).where(DirtyCase.case_id.in_(select(Case.id).where(touched))))
    return written


def _batches(session: Session, stmt: Any) -> Iterator[list[Any]]:
    result = session.execute(stmt.execution_options(yield_per=BATCH))
    while True:
        rows = result.fetchmany(BATCH)
        if not rows:
            return
        yield list(rows)


def rebuild_all(session: Session, settings: Settings | None = None) -> int:
    """Every fact and rollup row from scratch (after a legacy import of unknown span, or to repair)."""
    span = session.execute(select(func.min(Case.received_at), func.max(Case.received_at))).one()
    session.execute(delete(DailyRollup))
    session.execute(delete(Slice))
    session.execute(delete(CaseFact))
    if span[0] is None:
        return 0
    return refresh_after_bulk(session, _day(span[0]) - timedelta(days=1), _day(span[1]) + timedelta(days=1),
                              settings)
