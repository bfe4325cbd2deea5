"""The insight jobs' use cases: the daily forecast run and the anomaly check. Never commits (the job runner does).

`run_forecasts` reads a year of daily volume as the platform (district by district: the district's total, each
top-level category, each leaf category with enough volume, each street), forecasts each series (forecast.py) and
stores the run. `detect_anomalies` judges yesterday's counts against the intervals computed without them, today's
count so far (scaled) against today's forecast, and each grid's yesterday against a Poisson interval over its own
previous four weeks; each finding is inserted once under the unique key (kind, subject, day), and only the process
whose insert succeeded notifies the center (users holding cases.supervise over the subject's area).
"""

from __future__ import annotations

import logging
import time as timer
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from zhili.analysis import service as analysis
from zhili.auth import service as auth_service
from zhili.auth.actor import Actor, system_actor
from zhili.insight import anomalies, forecast, repository
from zhili.insight.models import ForecastRun, ForecastSeries
from zhili.insight.service import day_share, today
from zhili.kit import clock
from zhili.notify import service as notify
from zhili.org.models import AreaLevel

log = logging.getLogger("zhili.insight")
HISTORY_DAYS = 365
HORIZON = 30
LEVEL = 0.9
MIN_LEAF_DAILY = 1.0  # a leaf category gets its own series from one case a day on average
KEEP_RUNS = 14
GRID_BASELINE_DAYS = 28
GRID_MIN_OBSERVED = 5
ALERT_KINDS = ("category", "street", "grid")


def _dense(per_day: dict[date, int], start: date, days: int) -> list[int]:
    return [int(per_day.get(start + timedelta(days=i), 0)) for i in range(days)]


def _districts(session: Session) -> list[tuple[int, str, str]]:
    found = repository.areas_at(session, AreaLevel.district) or repository.areas_at(session, AreaLevel.city)
    return [(a.id, a.name, a.path) for a in found]


def _series_inputs(session: Session, actor: Actor, start: date, end: date, history_days: int
                   ) -> list[dict[str, Any]]:
    """Every series to forecast: kind, key, label, area path, category id, top level, daily history."""
    cats = repository.categories(session)
    by_id = {r[0]: r for r in cats}
    top_of: dict[int, int] = {}
    for cid, _code, _name, _parent, _path in cats:
        top = cid
        while by_id.get(top) is not None and by_id[top][3] is not None:
            top = int(by_id[top][3] or top)
        top_of[cid] = top
    out: list[dict[str, Any]] = []
    for district_id, district_name, district_path in _districts(session):
        per_cat = analysis.daily_counts(session, actor, start, end, by="category", area_id=district_id)
        totals: dict[date, int] = defaultdict(int)
        per_top: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
        for key, (_label, counts) in per_cat.items():
            for d, n in counts.items():
                totals[d] += n
                if isinstance(key, int) and key in top_of:
                    per_top[top_of[key]][d] += n
        base = {"area_path": district_path}
        out.append({**base, "kind": "category", "key": f"{district_id}:all", "label": f"{district_name} 全部事项",
                    "category_id": None, "top_level": True, "history": _dense(totals, start, history_days)})
        for top_id, counts in per_top.items():
            out.append({**base, "kind": "category", "key": f"{district_id}:{top_id}",
                        "label": f"{district_name} {by_id[top_id][2]}", "category_id": top_id, "top_level": True,
                        "history": _dense(counts, start, history_days)})
        for key, (_label, counts) in per_cat.items():
            if not isinstance(key, int) or key not in by_id or by_id[key][3] is None:
                continue  # unknown, or itself top-level (already a series)
            if sum(counts.values()) < MIN_LEAF_DAILY * history_days:
                continue
            out.append({**base, "kind": "category", "key": f"{district_id}:{key}",
                        "label": f"{district_name} {by_id[key][2]}", "category_id": key, "top_level": False,
                        "history": _dense(counts, start, history_days)})
        per_street = analysis.daily_counts(session, actor, start, end, by="street", area_id=district_id)
        for key, (_label, counts) in per_street.items():
            street = repository.area_by_id(session, int(key)) if isinstance(key, int) else None
            if street is None:
                continue
            out.append({"kind": "street", "key": str(street.id), "label": street.name, "area_path": street.path,
                        "category_id": None, "top_level": True, "history": _dense(counts, start, history_days)})
    return out


def run_forecasts(session: Session, history_days: int = HISTORY_DAYS, horizon: int = HORIZON,
                  level: float = LEVEL) -> ForecastRun:
    """Forecast every series from the history up to yesterday; keep the last KEEP_RUNS runs."""
    began = timer.perf_counter()
    actor = system_actor()
    as_of = today() - timedelta(days=1)
    start = as_of - timedelta(days=history_days - 1)
    run = repository.add_run(session, as_of=as_of, started_at=clock.now(), horizon=horizon, level=level,
                             history_days=history_days)
    inputs = _series_inputs(session, actor, start, as_of, history_days)
    for item in inputs:
        result = forecast.forecast_series(item["history"], horizon=horizon, level=level)
        series = ForecastSeries(run_id=run.id, kind=item["kind"], subject_key=item["key"], label=item["label"][:200],
                                area_path=item["area_path"], category_id=item["category_id"],
                                top_level=item["top_level"], method=result.method,
                                history_total=int(sum(item["history"])))
        if result.check is not None:
            series.check_day, series.check_actual = as_of, int(item["history"][-1])
            series.check_yhat, series.check_lo, series.check_hi = (result.check.yhat, result.check.lo,
                                                                   result.check.hi)
        points = [{"day": as_of + timedelta(days=i + 1), "yhat": p.yhat, "lo": p.lo, "hi": p.hi}
                  for i, p in enumerate(result.points)]
        errors = []
        for method, err, coverage in (("model", result.model, result.coverage),
                                      ("seasonal_naive", result.naive, None)):
            if err is not None:
                errors.append({"method": method, "origins": result.origins, "horizon": forecast.BACKTEST_HORIZON,
                               "mae": round(err.mae, 4), "smape": round(err.smape, 4),
                               "mape": None if err.mape is None else round(err.mape, 4), "coverage": coverage})
        repository.add_series(session, series, points, errors)
    run.series_count = len(inputs)
    run.finished_at = clock.now()
    run.seconds = round(timer.perf_counter() - began, 3)
    repository.delete_runs(session, repository.old_runs(session, KEEP_RUNS))
    log.info("insight.forecast: %d series as of %s in %.1f s", run.series_count, as_of, run.seconds)
    return run


# ---- anomalies ---------------------------------------------------------------------------------------------------

def _href(kind: str, key: str) -> str:
    if kind == "grid":
        return "/gov/insight/hotspots"
    return f"/gov/insight/forecasts?kind={kind}&key={key}"


def _raise(session: Session, f: anomalies.Finding, area_path: str) -> bool:
    title, body = anomalies.message(f)
    alert = repository.insert_alert(session, {
        "kind": f.kind, "subject_key": f.subject_key, "day": f.day, "area_path": area_path, "level": f.level,
        "title": title[:200], "body": body[:500], "href": _href(f.kind, f.subject_key), "observed": f.observed,
        "projected": f.projected, "lo": f.lo, "hi": f.hi, "partial": f.partial, "created_at": clock.now()})
    if alert is None:
        return False
    users = auth_service.user_ids_with_permission_over(session, "cases.supervise", area_path)
    alert.notified = notify.notify(session, users, "insight_alert", title, body)
    return True


def _series_findings(session: Session, run: ForecastRun, day: date) -> list[tuple[anomalies.Finding, str]]:
    """Yesterday's complete counts against the intervals fitted without them."""
    out = []
    for s in repository.all_series(session, run.id):
        if s.kind not in ALERT_KINDS or s.check_day != day or s.check_actual is None:
            continue
        f = anomalies.finding(s.kind, s.subject_key, s.label, day, s.check_actual, s.check_lo or 0.0,
                              s.check_hi or 0.0)
        if f is not None:
            out.append((f, s.area_path))
    return out


def _today_findings(session: Session, actor: Actor, run: ForecastRun, day: date
                    ) -> list[tuple[anomalies.Finding, str]]:
    """Today's count so far, scaled to the whole day, against today's forecast interval (from noon on)."""
    share = day_share()
    if share < anomalies.MIN_DAY_SHARE:
        return []
    out = []
    so_far: dict[str, int] = {}
    for district_id, _name, _path in _districts(session):
        for key, (_l, counts) in analysis.daily_counts(session, actor, day, day, by="category",
                                                       area_id=district_id).items():
            so_far[f"{district_id}:{key}"] = sum(counts.values())
            so_far[f"{district_id}:all"] = so_far.get(f"{district_id}:all", 0) + sum(counts.values())
        for key, (_l, counts) in analysis.daily_counts(session, actor, day, day, by="street",
                                                       area_id=district_id).items():
            so_far[str(key)] = sum(counts.values())
    cats = repository.categories(session)
    for s in repository.all_series(session, run.id):
        if s.kind not in ALERT_KINDS or not s.top_level or s.subject_key.endswith(":all"):
            continue
        point = repository.point_on(session, s.id, day)
        if point is None:
            continue
        observed = so_far.get(s.subject_key, 0)
        if s.kind == "category" and s.category_id is not None:
            observed = _subtree_count(cats, so_far, s)
        f = anomalies.finding(s.kind, s.subject_key, s.label, day, observed, point.lo, point.hi, share)
        if f is not None:
            out.append((f, s.area_path))
    return out


def _subtree_count(cats: list[Any], so_far: dict[str, int], s: ForecastSeries) -> int:
    district = s.subject_key.split(":")[0]
    path = next((r[4] for r in cats if r[0] == s.category_id), None)
    if path is None:
        return 0
    return sum(so_far.get(f"{district}:{r[0]}", 0) for r in cats if r[4].startswith(path))


def _grid_findings(session: Session, actor: Actor, day: date) -> list[tuple[anomalies.Finding, str]]:
    start = day - timedelta(days=GRID_BASELINE_DAYS)
    counts = analysis.daily_counts(session, actor, start, day, by="grid")
    geo = repository.grid_geo(session, [k for k in counts if isinstance(k, int)])
    out = []
    for key, (_label, per_day) in counts.items():
        if not isinstance(key, int) or key not in geo:
            continue
        observed = int(per_day.get(day, 0))
        if observed < GRID_MIN_OBSERVED:
            continue
        rate = (sum(per_day.values()) - observed + 0.5) / GRID_BASELINE_DAYS
        lo, hi = anomalies.poisson_interval(rate)
        f = anomalies.finding("grid", str(key), geo[key][3], day, observed, lo, hi)
        if f is not None and f.projected > f.hi:
            out.append((f, geo[key][0]))
    return out


def detect_anomalies(session: Session) -> int:
    """Raise the alerts not raised yet; returns how many this call raised (0 on a second run)."""
    actor = system_actor()
    now_day = today()
    yesterday = now_day - timedelta(days=1)
    findings: list[tuple[anomalies.Finding, str]] = []
    run = repository.run_for_day(session, yesterday)
    if run is not None:
        findings += _series_findings(session, run, yesterday)
        findings += _today_findings(session, actor, run, now_day)
    findings += _grid_findings(session, actor, yesterday)
    raised = 0
    for f, path in findings:
        if f.subject_key.endswith(":all"):
            continue  # the district total repeats what its streets and categories say
        if repository.alert_exists(session, f.kind, f.subject_key, f.day):
            continue
        raised += _raise(session, f, path)
    return raised
