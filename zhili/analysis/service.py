"""Indicators over a period, broken down by one dimension, scoped to the acting user.

`indicators()` answers from the rollup tables (rollup.py), refreshing any dirty days first so figures are always
current. District-wide queries without filters (the common page: the center, the leaders) read the one-dimension
slices and take exact two-pass medians (sliced.py, median.py); scoped or filtered ones read the daily rollup and the
facts (a district-wide actor's scope filter is skipped there too). `reference_indicators()` computes the same table straight from `cases` (slow, obviously right): the
oracle the tests compare the rollup against. Both share the per-case rule `indicators.case_measures`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, literal
from sqlalchemy.orm import Session

from zhili.analysis import indicators as ind
from zhili.analysis import repository as repo
from zhili.analysis import rollup, sliced
from zhili.analysis.indicators import Measures, Medians
from zhili.analysis.models import CaseFact, DailyRollup
from zhili.auth.actor import Actor
from zhili.cases.models import CHANNEL_LABEL, Case, Channel
from zhili.config import Settings
from zhili.kit.errors import NotFound, ValidationFailed
from zhili.org.models import AreaLevel
from zhili.taxonomy.models import RUNWAY_LABEL

TZ = ZoneInfo("Asia/Shanghai")
DIMENSIONS = ("street", "community", "grid", "department", "category", "runway", "channel", "day", "week", "month")
DIMENSION_LABEL = {"street": "镇街", "community": "社区", "grid": "网格", "department": "主办部门", "category": "事项分类",
                   "runway": "跑道", "channel": "来源渠道", "day": "日", "week": "周", "month": "月"}
TIME_DIMENSIONS = ("day", "week", "month")
MAX_DAYS = 3 * 366
NONE_LABEL = "未指定"
Key = str | int | None


@dataclass(frozen=True)
class IndicatorQuery:
    start: date
    end: date  # inclusive; local (Asia/Shanghai) days
    by: str | None = None
    area_id: int | None = None  # restrict to this area's subtree
    department_id: int | None = None  # lead department
    category_id: int | None = None  # this category and its descendants
    channel: str | None = None


@dataclass(frozen=True)
class IndicatorRow:
    key: Key
    label: str
    values: dict[str, float | None]


@dataclass(frozen=True)
class IndicatorTable:
    query: IndicatorQuery
    rows: list[IndicatorRow]
    total: IndicatorRow


# -- validation and filters ----------------------------------------------------------------------------------------
def validate(q: IndicatorQuery) -> None:
    if q.start > q.end:
        raise ValidationFailed("结束日期不能早于开始日期", field="end")
    if (q.end - q.start).days + 1 > MAX_DAYS:
        raise ValidationFailed("统计期不能超过 3 年", field="start")
    if q.by is not None and q.by not in DIMENSIONS:
        raise ValidationFailed(f"不支持的分组维度“{q.by}”，可选：{'、'.join(DIMENSIONS)}", field="by")
    if q.channel is not None and q.channel not in Channel.__members__:
        raise ValidationFailed(f"未知的来源渠道“{q.channel}”", field="channel")


@dataclass
class Filters:
    """The query's restrictions, resolved: as SQL over `cases` (reference) and as id sets (rollup)."""

    clauses: list[ColumnElement[bool]] = field(default_factory=list)
    area_path: str | None = None
    department_id: int | None = None
    category_ids: list[int] | None = None
    channel: str | None = None


def resolve_filters(session: Session, actor: Actor, q: IndicatorQuery) -> Filters:
    """The filters of `q`, checking that the named objects exist and may concern the actor (404 otherwise)."""
    f = Filters(channel=q.channel, department_id=q.department_id)
    if q.area_id is not None:
        a = repo.area(session, q.area_id)
        only_areas = not actor.grid_ids and not actor.department_ids
        if a is None or (only_areas and not any(a.path.startswith(p) or p.startswith(a.path)
                                                for p in actor.area_paths)):
            raise NotFound(field="area_id")
        f.area_path = a.path
        f.clauses.append(repo.subtree(a.path))
    if q.department_id is not None:
        d = repo.department(session, q.department_id)
        only_departments = not actor.area_paths and not actor.grid_ids
        if d is None or (only_departments and d.id not in actor.department_ids):
            raise NotFound(field="department_id")
        f.clauses.append(Case.department_id == d.id)
    if q.category_id is not None:
        c = repo.category(session, q.category_id)
        if c is None:
            raise NotFound("事项分类不存在", field="category_id")
        f.category_ids = repo.category_ids_under(session, c.path)
        f.clauses.append(Case.category_id.in_(f.category_ids))
    if q.channel is not None:
        f.clauses.append(Case.channel == Channel(q.channel))
    return f


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[local midnight of start, local midnight after end) as UTC instants."""
    lo = datetime.combine(start, time(), TZ).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(), TZ).astimezone(UTC)
    return lo, hi


def local_day(at: datetime) -> date:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(TZ).date()


# -- dimension keys and labels --------------------------------------------------------------------------------------
class Dimensions:
    """Keys and labels of every breakdown, from the small dimension tables (loaded once per call)."""

    def __init__(self, session: Session) -> None:
        areas = repo.area_rows(session)
        self.area_name = {r.id: r.name for r in areas}
        self.area_path = {r.id: r.path for r in areas}
        self.street_of = {r.id: (r.parent_id if r.level == AreaLevel.community else r.id) for r in areas}
        self._session = session
        self._grids: dict[int, str] | None = None
        self._departments: dict[int, str] | None = None
        cats = repo.category_rows(session)
        self.category_name = {r.id: r.name for r in cats}
        self.runway_of = {r.id: str(r.runway) for r in cats}

    def grids(self) -> dict[int, str]:
        if self._grids is None:
            self._grids = repo.grid_labels(self._session)
        return self._grids

    def departments(self) -> dict[int, str]:
        if self._departments is None:
            self._departments = repo.department_labels(self._session)
        return self._departments

    def label(self, by: str, key: Key) -> str:
        if key is None:
            return NONE_LABEL
        if by in ("street", "community"):
            return self.area_name.get(int(key), str(key))
        if by == "grid":
            return self.grids().get(int(key), str(key))
        if by == "department":
            return self.departments().get(int(key), str(key))
        if by == "category":
            return self.category_name.get(int(key), str(key))
        if by == "runway":
            return runway_label(str(key))
        if by == "channel":
            return CHANNEL_LABEL.get(Channel(str(key)), str(key)) if str(key) in Channel.__members__ else str(key)
        if by == "week":
            monday = date.fromisoformat(str(key))
            return f"{monday.isocalendar()[0]}年第{monday.isocalendar()[1]}周（{monday:%m-%d}起）"
        if by == "month":
            y, m = str(key).split("-")
            return f"{y}年{int(m)}月"
        return str(key)


def runway_label(value: str) -> str:
    return {str(k): v for k, v in RUNWAY_LABEL.items()}.get(value, value)


def time_key(by: str, d: date) -> str:
    if by == "day":
        return d.isoformat()
    if by == "week":
        return (d - timedelta(days=d.weekday())).isoformat()
    return f"{d.year:04d}-{d.month:02d}"


def time_keys(by: str, start: date, end: date) -> list[str]:
    """Every key of a time breakdown over [start, end], in order (empty periods show as zero rows)."""
    out: list[str] = []
    d = start
    while d <= end:
        k = time_key(by, d)
        if not out or out[-1] != k:
            out.append(k)
        d += timedelta(days=1)
    return out


# -- the table ------------------------------------------------------------------------------------------------------
@dataclass
class Bucket:
    measures: Measures = field(default_factory=Measures)
    work: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)

    def medians(self) -> Medians:
        return Medians(work_hours=_hours(ind.median(sorted(self.work))),
                       wall_hours=_hours(ind.median(sorted(self.wall))))


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600.0


def build_table(q: IndicatorQuery, dims: Dimensions, groups: dict[Key, Measures], total: Measures,
                medians: dict[Key, Medians], total_median: Medians) -> IndicatorTable:
    rows: list[IndicatorRow] = []
    if q.by is not None:
        keys: Iterable[Key]
        if q.by in TIME_DIMENSIONS:
            keys = time_keys(q.by, q.start, q.end)
        else:
            keys = sorted(groups, key=lambda k: (-groups[k].received, -groups[k].closed, k is None, str(k)))
        rows = [IndicatorRow(k, dims.label(q.by, k), ind.values(groups.get(k, Measures()), medians.get(k)))
                for k in keys]
    return IndicatorTable(q, rows, IndicatorRow(None, "合计", ind.values(total, total_median)))


# -- the public entry points ----------------------------------------------------------------------------------------
def indicators(session: Session, actor: Actor, q: IndicatorQuery,
               settings: Settings | None = None) -> IndicatorTable:
    """The indicators of `q` for the actor's jurisdiction, from the rollup (refreshed first when due: see
    rollup.refresh_if_due)."""
    actor.require("analysis.view")
    validate(q)
    rollup.refresh_if_due(session, settings)
    filters = resolve_filters(session, actor, q)
    dims = Dimensions(session)
    if _district_wide(session, actor, dims) and not (q.area_id or q.department_id or q.category_id or q.channel):
        by = q.by
        sums, total, medians, total_median = sliced.indicators(
            session, q, dims, lambda d: time_key(by, _as_date(d)) if by else None)
        return build_table(q, dims, sums, total, medians, total_median)
    sums, total = _sums(session, actor, q, filters, dims)
    medians, total_median = _medians(session, actor, q, filters, dims)
    return build_table(q, dims, sums, total, medians, total_median)


def _district_wide(session: Session, actor: Actor, dims: Dimensions) -> bool:
    """True when the actor's area subtrees hold every area except their own ancestors (the city above a district):
    cases sit in communities, so the scope filter would keep every row and is skipped."""
    if not actor.area_paths:
        return False
    inside = set(repo.area_ids_in(session, actor.area_paths))
    return all(i in inside or any(p.startswith(dims.area_path[i]) for p in actor.area_paths)
               for i in dims.area_name)


def _where(session: Session, actor: Actor, filters: Filters, t: Any) -> list[ColumnElement[bool]]:
    dims = Dimensions(session)
    where = [] if _district_wide(session, actor, dims) else [
        repo.table_scope(actor, repo.area_ids_in(session, actor.area_paths), t)]
    if filters.area_path is not None:
        where.append(t.community_id.in_(repo.area_ids_in(session, [filters.area_path])))
    if filters.department_id is not None:
        where.append(t.department_id == filters.department_id)
    if filters.category_ids is not None:
        where.append(t.category_id.in_(filters.category_ids))
    if filters.channel is not None:
        where.append(t.channel == filters.channel)
    return where


def _base_column(by: str | None, t: Any, day: Any) -> Any:
    if by is None:
        return None
    if by in TIME_DIMENSIONS:
        return day
    return getattr(t, {"street": "street_id", "community": "community_id", "grid": "grid_id",
                       "department": "department_id", "category": "category_id", "runway": "category_id",
                       "channel": "channel"}[by])


def _fold(by: str | None, dims: Dimensions) -> Callable[[Any], Key]:
    """Maps a base-column value to the breakdown key (runway of a category, week or month of a day)."""
    if by == "runway":
        return lambda k: dims.runway_of.get(k)
    if by in TIME_DIMENSIONS:
        return lambda k: time_key(by, _as_date(k))
    return lambda k: k


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


def _sums(session: Session, actor: Actor, q: IndicatorQuery, filters: Filters,
          dims: Dimensions) -> tuple[dict[Key, Measures], Measures]:
    t = DailyRollup
    where = [t.day >= q.start, t.day <= q.end, *_where(session, actor, filters, t)]
    fold = _fold(q.by, dims)
    groups: dict[Key, Measures] = defaultdict(Measures)
    for r in repo.rollup_sums(session, where, _base_column(q.by, t, t.day)):
        groups[fold(r.key) if q.by else None].add(Measures(**{n: getattr(r, n) for n in ind.MEASURE_FIELDS}))
    total = Measures.total(groups.values())
    return (dict(groups) if q.by else {}), total


def _medians(session: Session, actor: Actor, q: IndicatorQuery, filters: Filters,
             dims: Dimensions) -> tuple[dict[Key, Medians], Medians]:
    """Exact medians of the closed cases' durations, from the facts (indexed by closed day)."""
    t = CaseFact
    where = [t.closed_day >= q.start, t.closed_day <= q.end, *_where(session, actor, filters, t)]
    if session.get_bind().dialect.name != "postgresql":
        return _medians_in_python(session, q, where, dims)
    out: dict[Key, Medians] = {}
    total = Medians()
    for by in ([None, q.by] if q.by else [None]):
        rows = [(r.key, r.work, r.wall) for r in repo.duration_medians(session, where, _pg_group(by, dims))]
        meds = {(_pg_key(by, k)): Medians(_hours(w), _hours(x)) for k, w, x in rows}
        if by is None:
            total = meds.get(None, Medians())
        else:
            out = meds
    return out, total


def _medians_in_python(session: Session, q: IndicatorQuery, where: list[ColumnElement[bool]],
                       dims: Dimensions) -> tuple[dict[Key, Medians], Medians]:
    """SQLite: the matching facts' durations read once, grouped in Python; the total from the same values."""
    t = CaseFact
    fold = _fold(q.by, dims)
    work: dict[Key, list[float]] = defaultdict(list)
    wall: dict[Key, list[float]] = defaultdict(list)
    for r in repo.durations(session, where, _base_column(q.by, t, t.closed_day)):
        k = fold(r.key) if q.by else None
        work[k].append(r.work_seconds)
        wall[k].append(r.wall_seconds)
    total = Medians(_hours(ind.median(sorted(v for vs in work.values() for v in vs))),
                    _hours(ind.median(sorted(v for vs in wall.values() for v in vs))))
    out = {k: Medians(_hours(ind.median(sorted(work[k]))), _hours(ind.median(sorted(wall[k])))) for k in work}
    return (out if q.by else {}), total


def _pg_group(by: str | None, dims: Dimensions) -> Any:
    """The median's grouping expression on PostgreSQL (medians cannot be folded after grouping)."""
    t = CaseFact
    if by == "runway":
        return case(dims.runway_of, value=t.category_id, else_=None) if dims.runway_of else literal(None)
    if by == "week":
        return func.date_trunc("week", t.closed_day)
    if by == "month":
        return func.to_char(t.closed_day, "YYYY-MM")
    return _base_column(by, t, t.closed_day)


def _pg_key(by: str | None, key: Any) -> Key:
    if by in ("day", "week"):
        return _as_date(key).isoformat()
    return key


COUNT_MEASURES = {"received": "received", "registered": "registered", "closed": "closed",
                  "overdue_closed": "overdue", **{m: m for m in ind.MEASURE_FIELDS if m not in
                                                  ("wall_seconds", "work_seconds")}}


def daily_counts(session: Session, actor: Actor, start: date, end: date, by: str | None = None,
                 measure: str = "received", **filters: Any) -> dict[Key, tuple[str, dict[date, int]]]:
    """Per breakdown key: (label, local day -> count of `measure`) over [start, end]; days without any are 0.
    `filters` are IndicatorQuery's (area_id, department_id, category_id, channel)."""
    if measure not in COUNT_MEASURES:
        raise ValidationFailed(f"不支持的计数口径“{measure}”", field="measure")
    if by in TIME_DIMENSIONS:
        raise ValidationFailed("按日计数时不能再按时间分组", field="by")
    q = IndicatorQuery(start=start, end=end, by=by, **filters)
    actor.require("analysis.view")
    validate(q)
    rollup.refresh_if_due(session)
    f = resolve_filters(session, actor, q)
    dims = Dimensions(session)
    name = COUNT_MEASURES[measure]
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    out: dict[Key, tuple[str, dict[date, int]]] = {}
    if _district_wide(session, actor, dims) and not (q.area_id or q.department_id or q.category_id or q.channel):
        rows = sliced.daily(session, q, dims, name)  # keys already folded
        fold: Callable[[Any], Key] = lambda k: k  # noqa: E731
    else:
        t = DailyRollup
        where = [t.day >= q.start, t.day <= q.end, *_where(session, actor, f, t)]
        rows = repo.rollup_daily(session, where, _base_column(by, t, t.day), getattr(t, name))
        fold = _fold(by, dims)
    for k, d, value in rows:
        key = fold(k) if by else None
        entry = out.setdefault(key, (dims.label(by, key) if by else "合计", dict.fromkeys(days, 0)))
        entry[1][_as_date(d)] += int(value)
    return out
