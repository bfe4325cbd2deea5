"""Insight reads (分析研判): hotspots, trends, the stored forecasts and alerts. Never commits.

Every read needs `analysis.view` and shows only the actor's jurisdiction: daily volumes come from
`zhili.analysis.service.daily_counts` (scoped there), case points and addresses through this domain's scoped
repository, stored series and alerts by the area they describe. A named street outside the scope is a 404.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.orm import Session

from zhili.analysis import service as analysis
from zhili.auth.actor import Actor
from zhili.insight import hotspots, repository
from zhili.insight.models import BacktestError, ForecastRun, ForecastSeries
from zhili.insight.schemas import (
    AlertRead,
    ClusterPage,
    ClusterRead,
    ErrorRead,
    ForecastPage,
    GridHotspotPage,
    GridHotspotRead,
    PointRead,
    RepeatAddressPage,
    RepeatAddressRead,
    RunRead,
    SeriesDetail,
    SeriesRead,
    TrendDay,
    TrendRead,
)
from zhili.kit import clock
from zhili.kit.errors import NotFound, ValidationFailed

LOCAL = ZoneInfo("Asia/Shanghai")
MAX_CLUSTER_POINTS = 100_000
MAX_CLUSTERS = 50  # the largest; the page and the API say how many there were
MAX_CLUSTER_NUMBERS = 100
CHART_HISTORY_DAYS = 56


def today() -> date:
    return clock.now().astimezone(LOCAL).date()


def local_start(day: date) -> datetime:
    return datetime.combine(day, time(), LOCAL).astimezone(UTC)


def day_share() -> float:
    """How much of today (local) has passed, 0..1."""
    now = clock.now().astimezone(LOCAL)
    return (now - datetime.combine(now.date(), time(), LOCAL)).total_seconds() / 86400


def _street_path(session: Session, actor: Actor, area_id: int | None) -> str | None:
    if area_id is None:
        return None
    area = repository.area_by_id(session, area_id)
    if area is None or not (actor.in_area(area.path) or any(p.startswith(area.path) for p in actor.area_paths)):
        raise NotFound("区域不存在或不在您的辖区内", field="area_id")
    return area.path


def streets(session: Session, actor: Actor) -> list[tuple[int, str, str]]:
    actor.require("analysis.view")
    return repository.streets_for(session, actor)


def categories(session: Session, actor: Actor) -> list[tuple[int, str, bool]]:
    """(id, name, top level) of active categories: the trend page's chooser."""
    actor.require("analysis.view")
    return [(r[0], r[2], r[3] is None) for r in repository.categories(session)]


# ---- hotspots ----------------------------------------------------------------------------------------------------

def grid_hotspots(session: Session, actor: Actor, days: int = 7, weeks: int = 8, area_id: int | None = None,
                  min_count: int = 3) -> GridHotspotPage:
    """Grids ranked by their last `days` complete days against their own previous `weeks` weeks."""
    actor.require("analysis.view")
    end = today() - timedelta(days=1)
    start = end - timedelta(days=days - 1)
    b_end = start - timedelta(days=1)
    b_start = b_end - timedelta(days=weeks * 7 - 1)
    filters: dict[str, Any] = {"area_id": area_id} if area_id is not None else {}
    recent = analysis.daily_counts(session, actor, start, end, by="grid", **filters)
    base = analysis.daily_counts(session, actor, b_start, b_end, by="grid", **filters)
    ranked = hotspots.rank_grids({k: (label, sum(c.values())) for k, (label, c) in recent.items() if k is not None},
                                 {k: sum(c.values()) for k, (_l, c) in base.items()}, days, weeks * 7, min_count)
    geo = repository.grid_geo(session, [int(r.key) for r in ranked if isinstance(r.key, int)])
    rows = [GridHotspotRead(grid_id=int(r.key) if isinstance(r.key, int) else None, name=r.label, recent=r.recent,
                            baseline=r.baseline, expected=r.expected, ratio=r.ratio, score=r.score,
                            lon=geo[r.key][1] if r.key in geo else None, lat=geo[r.key][2] if r.key in geo else None)
            for r in ranked]
    return GridHotspotPage(start=start, end=end, baseline_start=b_start, baseline_end=b_end, rows=rows)


def point_clusters(session: Session, actor: Actor, days: int = 30, eps_m: float = 100.0, min_samples: int = 5,
                   area_id: int | None = None) -> ClusterPage:
    """Recurring point clusters among the scope's cases received over the last `days` days (today included)."""
    actor.require("analysis.view")
    path = _street_path(session, actor, area_id)
    end = today()
    start = end - timedelta(days=days - 1)
    rows = repository.case_points(session, actor, local_start(start), local_start(end + timedelta(days=1)), path,
                                  MAX_CLUSTER_POINTS + 1)
    truncated = len(rows) > MAX_CLUSTER_POINTS
    pts = [hotspots.CasePoint(case_id=r[0], number=r[1], lon=float(r[2]), lat=float(r[3]), category=r[4])
           for r in rows[:MAX_CLUSTER_POINTS]]
    found = hotspots.clusters(pts, eps_m=eps_m, min_samples=min_samples)
    return ClusterPage(start=start, end=end, eps_m=eps_m, min_samples=min_samples, cases=len(pts),
                       truncated=truncated, total_clusters=len(found),
                       clusters=[ClusterRead(size=c.size, lon=c.lon, lat=c.lat, radius_m=c.radius_m,
                                             top_categories=c.top_categories,
                                             case_numbers=c.numbers[:MAX_CLUSTER_NUMBERS])
                                 for c in found[:MAX_CLUSTERS]])


def repeat_addresses(session: Session, actor: Actor, days: int = 30, min_cases: int = 3,
                     area_id: int | None = None, limit: int = 50) -> RepeatAddressPage:
    actor.require("analysis.view")
    path = _street_path(session, actor, area_id)
    end = today()
    start = end - timedelta(days=days - 1)
    lo, hi = local_start(start), local_start(end + timedelta(days=1))
    found = repository.repeat_addresses(session, actor, lo, hi, path, min_cases, limit)
    numbers = repository.address_numbers(session, actor, [r[0] for r in found], lo, hi, 20)
    rows = [RepeatAddressRead(address=address, cases=int(n), categories=int(cats), latest=clock.as_utc(latest),
                              case_numbers=numbers.get(address, [])) for address, n, cats, latest in found]
    return RepeatAddressPage(start=start, end=end, min_cases=min_cases, rows=rows)


# ---- trends ------------------------------------------------------------------------------------------------------

def trend(session: Session, actor: Actor, days: int = 365, category_id: int | None = None,
          area_id: int | None = None) -> TrendRead:
    """Daily volume of the last `days` complete days with its STL decomposition (period 7), the weekday profile,
    and with a year or more the month-of-year profile."""
    actor.require("analysis.view")
    if not 14 <= days <= 1096:
        raise ValidationFailed("分析天数应在 14 到 1096 之间", field="days")
    end = today() - timedelta(days=1)
    start = end - timedelta(days=days - 1)
    filters: dict[str, Any] = {k: v for k, v in (("category_id", category_id), ("area_id", area_id)) if v is not None}
    counts = analysis.daily_counts(session, actor, start, end, by=None, **filters)
    per_day = next(iter(counts.values()))[1] if counts else {}
    day_list = [start + timedelta(days=i) for i in range(days)]
    y = np.array([per_day.get(d, 0) for d in day_list], dtype=float)
    trend_c = seasonal_c = resid_c = None
    if y.sum() > 0:
        from statsmodels.tsa.seasonal import STL

        fit = STL(y, period=7, robust=True).fit()
        trend_c, seasonal_c, resid_c = fit.trend, fit.seasonal, fit.resid
    weekday = [float(np.mean([y[i] for i, d in enumerate(day_list) if d.weekday() == w] or [0])) for w in range(7)]
    month_profile = None
    if days >= 365 and y.mean() > 0:
        month_profile = [round(float(np.mean([y[i] for i, d in enumerate(day_list) if d.month == m] or [0]))
                               / float(y.mean()), 3) for m in range(1, 13)]
    weekly: dict[date, int] = {}
    for d, v in zip(day_list, y, strict=False):
        monday = d - timedelta(days=d.weekday())
        weekly[monday] = weekly.get(monday, 0) + int(v)
    label = "全部案件"
    if category_id is not None:
        label = next((r[2] for r in repository.categories(session) if r[0] == category_id), label)
    if area_id is not None:
        area = repository.area_by_id(session, area_id)
        label = f"{area.name if area else ''} {label}"

    def at(arr: Any, i: int) -> float | None:
        return None if arr is None else round(float(arr[i]), 2)

    return TrendRead(start=start, end=end, label=label, total=int(y.sum()),
                     weekday_profile=[round(v, 2) for v in weekday], month_profile=month_profile,
                     weekly=sorted(weekly.items()),
                     days=[TrendDay(day=d, observed=int(y[i]), trend=at(trend_c, i), seasonal=at(seasonal_c, i),
                                    resid=at(resid_c, i)) for i, d in enumerate(day_list)])


# ---- forecasts ---------------------------------------------------------------------------------------------------

def _run_read(run: ForecastRun) -> RunRead:
    return RunRead(id=run.id, as_of=run.as_of, finished_at=run.finished_at, horizon=run.horizon, level=run.level,
                   history_days=run.history_days, series_count=run.series_count, seconds=run.seconds)


def _error(e: BacktestError | None) -> ErrorRead | None:
    if e is None:
        return None
    return ErrorRead(method=e.method, origins=e.origins, horizon=e.horizon, mae=e.mae, smape=e.smape, mape=e.mape,
                     coverage=e.coverage)


def _series_read(session: Session, s: ForecastSeries, errs: dict[str, BacktestError]) -> SeriesRead:
    pts = repository.points(session, s.id)
    return SeriesRead(id=s.id, kind=s.kind, subject_key=s.subject_key, label=s.label, top_level=s.top_level,
                      method=s.method, history_total=s.history_total,
                      next7=round(sum(p.yhat for p in pts[:7]), 1), next30=round(sum(p.yhat for p in pts[:30]), 1),
                      model=_error(errs.get("model")), naive=_error(errs.get("seasonal_naive")))


def forecasts(session: Session, actor: Actor) -> ForecastPage:
    actor.require("analysis.view")
    run = repository.latest_run(session)
    if run is None:
        return ForecastPage(run=None, series=[])
    series = repository.series_list(session, actor, run.id)
    errs = repository.backtests(session, [s.id for s in series])
    return ForecastPage(run=_run_read(run), series=[_series_read(session, s, errs.get(s.id, {})) for s in series])


def series_detail(session: Session, actor: Actor, series_id: int) -> SeriesDetail:
    actor.require("analysis.view")
    s = repository.series_by_id(session, actor, series_id)
    run = session.get(ForecastRun, s.run_id) if s is not None else None
    if s is None or run is None:
        raise NotFound("预测序列不存在")
    errs = repository.backtests(session, [s.id]).get(s.id, {})
    start = run.as_of - timedelta(days=CHART_HISTORY_DAYS - 1)
    history: list[tuple[date, int]] = []
    filters: dict[str, Any] = {}
    if s.kind == "street":
        filters["area_id"] = int(s.subject_key)
    else:
        district = s.subject_key.split(":")[0]
        filters["area_id"] = int(district)
        if s.category_id is not None:
            filters["category_id"] = s.category_id
    counts = analysis.daily_counts(session, actor, start, run.as_of, by=None, **filters)
    if counts:
        per_day = next(iter(counts.values()))[1]
        history = [(start + timedelta(days=i), int(per_day.get(start + timedelta(days=i), 0)))
                   for i in range(CHART_HISTORY_DAYS)]
    return SeriesDetail(run=_run_read(run), series=_series_read(session, s, errs), history=history,
                        points=[PointRead(day=p.day, yhat=p.yhat, lo=p.lo, hi=p.hi)
                                for p in repository.points(session, s.id)])


def forecast_points(session: Session, actor: Actor) -> list[tuple[str, str, PointRead]]:
    """(label, kind label, point) of every series of the latest run the actor may see."""
    actor.require("analysis.view")
    run = repository.latest_run(session)
    if run is None:
        return []
    kinds = {"category": "事项", "street": "街道"}
    return [(s.label, kinds.get(s.kind, s.kind), PointRead(day=p.day, yhat=p.yhat, lo=p.lo, hi=p.hi))
            for s in repository.series_list(session, actor, run.id) for p in repository.points(session, s.id)]


def find_series(session: Session, actor: Actor, kind: str, key: str) -> int | None:
    """The latest run's series id for (kind, subject key), when the actor may see it: alerts link here."""
    run = repository.latest_run(session)
    if run is None:
        return None
    return next((s.id for s in repository.series_list(session, actor, run.id)
                 if s.kind == kind and s.subject_key == key), None)


# ---- alerts ------------------------------------------------------------------------------------------------------

def alerts(session: Session, actor: Actor, limit: int = 50, offset: int = 0) -> list[AlertRead]:
    actor.require("analysis.view")
    return [AlertRead(id=a.id, at=clock.as_utc(a.created_at), kind=a.kind, day=a.day, title=a.title, body=a.body,
                      level=a.level, href=a.href, observed=a.observed, lo=a.lo, hi=a.hi)
            for a in repository.alerts(session, actor, limit, offset)]


def latest_alerts(session: Session, actor: Actor, limit: int = 10) -> list[AlertRead]:
    """The newest anomaly alerts in the actor's jurisdiction (for the cockpit); empty without analysis.view or
    cockpit.view rather than an error, so a page that shows them among other things never fails on them."""
    if not (actor.can("analysis.view") or actor.can("cockpit.view")):
        return []
    return [AlertRead(id=a.id, at=clock.as_utc(a.created_at), kind=a.kind, day=a.day, title=a.title, body=a.body,
                      level=a.level, href=a.href, observed=a.observed, lo=a.lo, hi=a.hi)
            for a in repository.alerts(session, actor, max(1, min(limit, 200)))]
