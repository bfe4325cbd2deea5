"""The fast path of `service.indicators`: district-wide queries without filters, answered from the one-dimension
slices (models.Slice) and exact two-pass medians (median.py).

Used when the actor's area subtrees cover every area (so the scope filter would keep everything and is skipped) and
the query has no area / department / category / channel filter. The period is split into whole calendar months
(monthly slices) and the remaining days (daily slices); day and week breakdowns read daily slices only. Sums and
duration histograms are added per breakdown key in Python (street folds communities, runway folds categories, week
and month fold days); then the second pass (median.py) reads, per group, only the values at the middle ranks of the
bucket holding them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.orm import Session

from zhili.analysis import indicators as ind
from zhili.analysis import median as med
from zhili.analysis.indicators import Measures, Medians
from zhili.analysis.models import WALL_HIST, WORK_HIST, CaseFact, Slice
from zhili.analysis.slices import SUMMED, month_end

Key = str | int | None
SLICE_DIM = {None: "all", "day": "all", "week": "all", "month": "all", "street": "community",
             "community": "community", "grid": "grid", "department": "department", "category": "category",
             "runway": "category", "channel": "channel"}
FACT_KEY = {"street": "street_id", "community": "community_id", "grid": "grid_id", "department": "department_id",
            "category": "category_id", "runway": "category_id", "channel": "channel"}


def split_period(start: date, end: date, daily_only: bool) -> tuple[list[date], list[date], list[date]]:
    """(first days of the months to add whole, the days to add, the days to subtract) making up [start, end].

    A month wholly inside is added whole; a month cut by an end is added whole minus its excluded days when more
    than half of it is inside (a year ending on the 29th reads the month and one day, not 29 days), else by its
    included days."""
    months: list[date] = []
    plus: list[date] = []
    minus: list[date] = []
    m = start.replace(day=1)
    while m <= end:
        last = month_end(m)
        inside = [m + timedelta(days=i) for i in range((last - m).days + 1) if start <= m + timedelta(days=i) <= end]
        if daily_only:
            plus.extend(inside)
        elif len(inside) == (last - m).days + 1 or 2 * len(inside) > (last - m).days + 1:
            months.append(m)
            minus.extend(d for d in (m + timedelta(days=i) for i in range((last - m).days + 1)) if not start <= d <= end)
        else:
            plus.extend(inside)
        m = last + timedelta(days=1)
    return months, plus, minus


def _periods(months: list[date], days: list[date]) -> Any:
    when = []
    if months:
        when.append(and_(Slice.grain == "m", Slice.period.in_(months)))
    if days:
        contiguous = len(days) == (days[-1] - days[0]).days + 1
        when.append(and_(Slice.grain == "d", Slice.period >= days[0], Slice.period <= days[-1],
                         *([] if contiguous else [Slice.period.in_(days)])))
    return or_(*when)


def _slice_key(by: str | None, dims: Any, fold_time: Callable[[date], Key]) -> Callable[[Any, Any], Key]:
    """(period, slice key text) -> the breakdown key."""
    if by is None:
        return lambda p, k: None
    if by in ("day", "week", "month"):
        return lambda p, k: fold_time(p)
    if by == "channel":
        return lambda p, k: k
    as_int: Callable[[Any], int | None] = lambda k: None if k is None else int(k)  # noqa: E731
    if by == "street":
        return lambda p, k: None if k is None else dims.street_of.get(int(k))
    if by == "runway":
        return lambda p, k: None if k is None else dims.runway_of.get(int(k))
    return lambda p, k: as_int(k)


def indicators(session: Session, q: Any, dims: Any, fold_time: Callable[[date], Key]
               ) -> tuple[dict[Key, Measures], Measures, dict[Key, Medians], Medians]:
    """(sums per key, total sums, medians per key, total medians) of an unfiltered district-wide query `q`."""
    daily_only = q.by in ("day", "week")
    months, plus, minus = split_period(q.start, q.end, daily_only)
    group = [Slice.period, Slice.key] if q.by in ("day", "week", "month") else [Slice.key]
    to_key = _slice_key(q.by, dims, fold_time)
    sums: dict[Key, Measures] = defaultdict(Measures)
    hists: dict[Key, tuple[list[int], list[int]]] = {}
    total = Measures()
    total_hist = ([0] * med.BUCKETS, [0] * med.BUCKETS)
    n_group = len(group)
    base = len(ind.MEASURE_FIELDS)
    for sign, (ms, ds) in ((1, (months, plus)), (-1, ([], minus))):
        if not ms and not ds:
            continue
        stmt = select(*group, *[func.sum(getattr(Slice, n)).label(n) for n in SUMMED]).where(
            Slice.dim == SLICE_DIM[q.by], _periods(ms, ds)).group_by(*group)
        for r in session.execute(stmt):
            key = to_key(r[0], r[1]) if n_group == 2 else to_key(None, r[0])
            values = r[n_group:]
            m = Measures(**{n: sign * (values[i] or 0) for i, n in enumerate(ind.MEASURE_FIELDS)})
            sums[key].add(m)
            total.add(m)
            h = hists.setdefault(key, ([0] * med.BUCKETS, [0] * med.BUCKETS))
            for k in range(med.BUCKETS):
                w, x = sign * int(values[base + k] or 0), sign * int(values[base + med.BUCKETS + k] or 0)
                h[0][k] += w
                h[1][k] += x
                total_hist[0][k] += w
                total_hist[1][k] += x
    assert len(WORK_HIST) == len(WALL_HIST) == med.BUCKETS
    for key in [k for k, m in sums.items() if not m.received and not m.closed]:  # only on subtracted days
        del sums[key], hists[key]
    work = _medians(session, q, dims, fold_time, "work", {k: h[0] for k, h in hists.items()}, total_hist[0])
    wall = _medians(session, q, dims, fold_time, "wall", {k: h[1] for k, h in hists.items()}, total_hist[1])
    medians = {k: Medians(_hours(work[0].get(k)), _hours(wall[0].get(k))) for k in hists} if q.by else {}
    return (dict(sums) if q.by else {}), total, medians, Medians(_hours(work[1]), _hours(wall[1]))


def daily(session: Session, q: Any, dims: Any, measure: str) -> list[tuple[Key, date, int]]:
    """(breakdown key, day, sum of `measure`) from the daily slices, non-zero sums only (service.daily_counts)."""
    total = func.sum(getattr(Slice, measure))
    stmt = select(Slice.key, Slice.period, total).where(
        Slice.grain == "d", Slice.dim == SLICE_DIM[q.by], Slice.period >= q.start, Slice.period <= q.end).group_by(
        Slice.key, Slice.period).having(total > 0)
    to_key = _slice_key(q.by, dims, lambda d: None)
    return [(to_key(None, k), d, int(v)) for k, d, v in session.execute(stmt)]


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600.0


def _medians(session: Session, q: Any, dims: Any, fold_time: Callable[[date], Key], kind: str,
             hists: dict[Key, list[int]], total_hist: list[int]) -> tuple[dict[Key, float | None], float | None]:
    """Second pass: for each group (and the total), the values at the middle ranks inside their buckets."""
    steps: dict[Key, list[tuple[int, int]]] = {k: med.plan(h) for k, h in hists.items()} if q.by else {}
    groups: list[tuple[Key, list[tuple[int, int]]]] = [(TOTAL, med.plan(total_hist)),
                                                       *[(k, s) for k, s in steps.items() if s]]
    wants = [Want(g, key, b, ranks) for g, (key, s) in enumerate(groups) for b, ranks in _by_bucket(s).items()]
    found = _values(session, q, dims, kind, wants)
    out: dict[Key, float | None] = {k: None for k in steps}
    total: float | None = None
    for g, (key, s) in enumerate(groups):
        value = med.combine(s, {(b, r): found[(g, b, r)] for b, r in s}) if s else None
        if key is TOTAL:
            total = value
        else:
            out[key] = value
    return out, total


class _Total:
    pass


TOTAL: Any = _Total()


@dataclass(frozen=True)
class Want:
    group: int
    key: Key  # TOTAL, a breakdown key
    bucket: int
    ranks: tuple[int, ...]  # 0-based ranks inside the bucket


def _by_bucket(steps: list[tuple[int, int]]) -> dict[int, tuple[int, ...]]:
    out: dict[int, tuple[int, ...]] = {}
    for b, r in steps:
        out[b] = tuple(sorted({*out.get(b, ()), r}))
    return out


def _match(q: Any, dims: Any, kind: str, w: Want) -> list[Any]:
    """The facts of want `w`'s group and bucket."""
    bucket = getattr(CaseFact, f"{kind}_bucket")
    where = [bucket == w.bucket]
    lo, hi = q.start, q.end
    if w.key is not TOTAL and q.by in ("day", "week", "month"):
        lo, hi = _time_range(q.by, str(w.key), q.start, q.end)
    elif w.key is not TOTAL and q.by == "runway":
        where.append(CaseFact.category_id.in_(sorted(c for c, r in dims.runway_of.items() if r == w.key)))
    elif w.key is not TOTAL and q.by is not None:
        col = getattr(CaseFact, FACT_KEY[q.by])
        where.insert(0, col.is_(None) if w.key is None else col == w.key)
    return [*where, CaseFact.closed_day >= lo, CaseFact.closed_day <= hi]


def _time_range(by: str, key: str, start: date, end: date) -> tuple[date, date]:
    if by == "day":
        lo = hi = date.fromisoformat(key)
    elif by == "week":
        lo = date.fromisoformat(key)
        hi = lo + timedelta(days=6)
    else:
        lo = date.fromisoformat(key + "-01")
        hi = month_end(lo)
    return max(lo, start), min(hi, end)


def _values(session: Session, q: Any, dims: Any, kind: str, wants: list[Want]) -> dict[tuple[int, int, int], float]:
    """(group, bucket, rank) -> the value at that rank among the group's facts in that bucket."""
    seconds = getattr(CaseFact, f"{kind}_seconds")
    found: dict[tuple[int, int, int], float] = {}
    postgres = session.get_bind().dialect.name == "postgresql"
    batched = [w for w in wants if _batchable(q, w)]
    if batched:
        found.update((_values_pg if postgres else _values_sqlite)(session, q, kind, batched))
    done = {id(w) for w in batched}
    for w in wants:  # one small indexed query per group: the bucket's values up to the upper rank
        if id(w) in done:
            continue
        stmt = select(seconds).where(*_match(q, dims, kind, w)).order_by(seconds).offset(w.ranks[0]).limit(
            w.ranks[-1] - w.ranks[0] + 1)
        got = list(session.scalars(stmt))
        for r in w.ranks:
            found[(w.group, w.bucket, r)] = got[r - w.ranks[0]]
    return found


def _batchable(q: Any, w: Want) -> bool:
    if w.key is TOTAL or q.by in ("day", "week", "month"):
        return True
    return w.key is not None and q.by not in (None, "runway")


def _values_pg(session: Session, q: Any, kind: str, wants: list[Want]) -> dict[tuple[int, int, int], float]:
    """PostgreSQL: every group's wanted values in one query per shape (arrays unnested and joined to the facts
    through the group's index, ranks by a window function); arrays keep the statement small however many groups.
    Shapes: by key (a breakdown column equals the group's key) and by day range (time groups and the total)."""
    found: dict[tuple[int, int, int], float] = {}
    by_key = [w for w in wants if w.key is not TOTAL and q.by not in ("day", "week", "month")]
    keyed = {id(w) for w in by_key}
    by_range = [w for w in wants if id(w) not in keyed]
    if by_key:
        col = FACT_KEY[q.by]  # column names from fixed tables only, never from input
        key_type = "text" if q.by == "channel" else "int"
        sql = _pg_sql(kind, f"CAST(:k AS {key_type}[])", "k",
                      f"f.{col} = w.k AND f.closed_day >= :lo AND f.closed_day <= :hi")
        found.update(_run(session, sql, by_key, {"k": [w.key for w in by_key], "lo": q.start, "hi": q.end}))
    if by_range:
        spans = [(q.start, q.end) if w.key is TOTAL else _time_range(q.by, str(w.key), q.start, q.end)
                 for w in by_range]
        sql = _pg_sql(kind, "CAST(:lo AS date[]), CAST(:hi AS date[])", "lo, hi",
                      "f.closed_day >= w.lo AND f.closed_day <= w.hi")
        found.update(_run(session, sql, by_range, {"lo": [a for a, _b in spans], "hi": [b for _a, b in spans]}))
    return found


def _values_sqlite(session: Session, q: Any, kind: str, wants: list[Want]) -> dict[tuple[int, int, int], float]:
    """SQLite (in process): one small indexed query per group on the driver's cursor (its statement cache makes a
    few thousand of them cheap)."""
    keyed = q.by not in (None, "day", "week", "month")
    col = FACT_KEY.get(q.by or "", "")  # column names from fixed tables only, never from input
    by_key = (f"SELECT {kind}_seconds FROM analysis_case_facts WHERE {col} = ? AND {kind}_bucket = ? "
              f"AND closed_day >= ? AND closed_day <= ? ORDER BY {kind}_seconds LIMIT ? OFFSET ?")
    by_range = (f"SELECT {kind}_seconds FROM analysis_case_facts WHERE {kind}_bucket = ? "
                f"AND closed_day >= ? AND closed_day <= ? ORDER BY {kind}_seconds LIMIT ? OFFSET ?")
    cursor = session.connection().connection.cursor()
    found: dict[tuple[int, int, int], float] = {}
    try:
        for w in wants:
            span = w.ranks[-1] - w.ranks[0] + 1
            if keyed and w.key is not TOTAL:
                args: tuple[Any, ...] = (w.key, w.bucket, q.start.isoformat(), q.end.isoformat(), span, w.ranks[0])
                got = [r[0] for r in cursor.execute(by_key, args)]
            else:
                lo, hi = (q.start, q.end) if w.key is TOTAL else _time_range(q.by, str(w.key), q.start, q.end)
                got = [r[0] for r in cursor.execute(by_range, (w.bucket, lo.isoformat(), hi.isoformat(), span,
                                                                 w.ranks[0]))]
            for r in w.ranks:
                found[(w.group, w.bucket, r)] = got[r - w.ranks[0]]
    finally:
        cursor.close()
    return found


def _pg_sql(kind: str, arrays: str, names: str, join: str) -> Any:
    """Each wanted group's values at its ranks: a LATERAL index scan of that group's bucket, sorted, OFFSET to the
    lower rank (one window over every group's whole bucket sorted them all: 3-5x slower at 5 M)."""
    return text(f"""
        SELECT w.g, w.b, w.r1 + y.i - 1 AS rn, y.s
        FROM unnest(CAST(:g AS int[]), CAST(:b AS int[]), CAST(:r1 AS int[]), CAST(:r2 AS int[]), {arrays})
             AS w(g, b, r1, r2, {names})
        CROSS JOIN LATERAL (
          SELECT z.s, row_number() OVER (ORDER BY z.s) AS i FROM (
            SELECT f.{kind}_seconds AS s FROM analysis_case_facts f
            WHERE f.{kind}_bucket = w.b AND {join}
            ORDER BY f.{kind}_seconds OFFSET w.r1 LIMIT w.r2 - w.r1 + 1) z) y""")


def _run(session: Session, sql: Any, wants: list[Want], params: dict[str, Any]) -> dict[tuple[int, int, int], float]:
    params = {"g": [w.group for w in wants], "b": [w.bucket for w in wants], "r1": [w.ranks[0] for w in wants],
              "r2": [w.ranks[-1] for w in wants], **params}
    session.execute(text("SET LOCAL work_mem = '64MB'"))  # a year's median bucket (~400 k values) sorts in memory
    return {(g, b, rn): s for g, b, rn, s in session.execute(sql, params)}
