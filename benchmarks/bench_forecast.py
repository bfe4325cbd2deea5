"""Benchmark: the daily forecast run (zhili.insight) for every category and street over a year of demo history.

Budget (issue 5): forecasts for all categories < 30 s.

For each size in ``--sizes`` (default 20,000 and 200,000 cases): a fresh database (SQLite file in a temporary
folder unless ``--database-url`` names another; PostgreSQL is dropped and rebuilt), the demo district, ``--templates``
cases over the last 12 months from `zhili.demo.history.generate_cases`, copied in SQL up to the size, rollups
rebuilt; then times `runs.run_forecasts` (a year of history, 30 days ahead, rolling-origin
backtest) and `runs.detect_anomalies`, and summarises the backtest: how many series beat seasonal-naive on MAE,
the median MAE and sMAPE of both, the median interval coverage (nominal 90 %).

    .venv/bin/python benchmarks/bench_forecast.py [--sizes 20000,200000] [--templates 20000]
        [--database-url sqlite:///var/bench-forecast.db]   # or postgresql+psycopg://.../db (it is emptied!)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "benchmarks")):
    if p not in sys.path:
        sys.path.insert(0, p)

import bench_indicators as bind  # noqa: E402
import bench_intake as bi  # noqa: E402

BUDGET_S = 30.0


def fill_even(url: str, n: int, templates: int, seed: int) -> dict[str, Any]:
    """`templates` generated cases, then whole copies of all of them (n // templates in all): every day keeps its
    share. (Copying up to a LIMIT would copy the oldest templates only and leave the last months thin.)"""
    from sqlalchemy import func, select, text

    from zhili.analysis import rollup
    from zhili.auth.actor import system_actor
    from zhili.cases.models import Case
    from zhili.config import get_settings
    from zhili.db import make_engine, make_sessionmaker, transaction

    out = bind.fill(url, templates, templates, seed)
    copies = n // templates - 1
    if copies <= 0:
        return out
    engine = make_engine(url)
    t = time.perf_counter()
    cols = [c.name for c in Case.__table__.columns if c.name not in ("id", "number", "master_id")]
    with engine.begin() as conn:
        conn.execute(text(bind.copy_sql(engine.dialect.name, ", ".join(cols), templates, copies,
                                        copies * templates)))
    out["copy_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    with transaction(make_sessionmaker(engine), info={"actor": system_actor(), "ip": "bench"}) as session:
        span = session.execute(select(func.min(Case.received_at), func.max(Case.received_at))).one()
        rollup.refresh_after_bulk(session, span[0].date() - timedelta(days=1), span[1].date() + timedelta(days=1),
                                  get_settings())
    out["refresh_after_bulk_s"] = round(time.perf_counter() - t, 1)
    with engine.connect() as conn:
        out["cases"] = conn.execute(text("SELECT count(*) FROM cases")).scalar()
    engine.dispose()
    return out


def measure(url: str) -> dict[str, Any]:
    from sqlalchemy import select

    from zhili.auth.actor import system_actor
    from zhili.db import make_engine, make_sessionmaker, transaction
    from zhili.insight import runs
    from zhili.insight.models import BacktestError, ForecastSeries

    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with transaction(factory, info={"actor": system_actor(), "ip": "bench"}) as session:
        t = time.perf_counter()
        run = runs.run_forecasts(session)
        forecast_s = time.perf_counter() - t
        t = time.perf_counter()
        raised = runs.detect_anomalies(session)
        detect_s = time.perf_counter() - t
        series = list(session.scalars(select(ForecastSeries).where(ForecastSeries.run_id == run.id)))
        errs: dict[int, dict[str, BacktestError]] = {}
        for e in session.scalars(select(BacktestError).where(
                BacktestError.series_id.in_([s.id for s in series]))):
            errs.setdefault(e.series_id, {})[e.method] = e
    pairs = [(e["model"], e["seasonal_naive"]) for e in errs.values() if "model" in e and "seasonal_naive" in e]
    engine.dispose()
    return {
        "series": run.series_count, "by_kind": {k: sum(1 for s in series if s.kind == k and s.top_level)
                                               for k in ("category", "street")},
        "leaf_series": sum(1 for s in series if not s.top_level),
        "forecast_s": round(forecast_s, 2), "per_series_ms": round(1000 * forecast_s / max(1, run.series_count), 1),
        "detect_s": round(detect_s, 2), "alerts": raised, "backtested": len(pairs),
        "model_beats_naive_mae": sum(1 for m, n in pairs if m.mae < n.mae),
        "median_mae": [round(statistics.median(m.mae for m, _ in pairs), 2),
                       round(statistics.median(n.mae for _, n in pairs), 2)] if pairs else None,
        "median_smape": [round(statistics.median(m.smape for m, _ in pairs), 3),
                         round(statistics.median(n.smape for _, n in pairs), 3)] if pairs else None,
        "median_coverage": round(statistics.median(m.coverage or 0 for m, _ in pairs), 3) if pairs else None,
        "within_budget": forecast_s < BUDGET_S,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default="")
    ap.add_argument("--sizes", default="20000,200000")
    ap.add_argument("--templates", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    var = Path(tempfile.mkdtemp(prefix="zhili-bench-forecast-"))
    url = args.database_url or f"sqlite:///{var}/bench.db"
    bi.configure_here(url, var)
    from zhili.config import get_settings
    from zhili.kit import crypto

    crypto.configure(get_settings().secret_key, get_settings().var_dir)
    report: dict[str, Any] = {"database": url.split("@")[-1], "sizes": {}}
    for size in (int(s) for s in args.sizes.split(",")):
        if url.startswith("sqlite"):
            bind.prepare_sqlite(url, args.seed)
        else:
            bi.prepare_db(url, args.seed)
        load = fill_even(url, size, min(size, args.templates), args.seed)
        result = measure(url)
        report["sizes"][size] = {"load": load, **result}
        print(f"{size:>8} cases: {result['series']} series ({result['by_kind']['category']} categories, "
              f"{result['leaf_series']} leaves, {result['by_kind']['street']} streets) in {result['forecast_s']} s "
              f"({result['per_series_ms']} ms each); anomaly check {result['detect_s']} s; model beats seasonal-naive "
              f"on MAE in {result['model_beats_naive_mae']}/{result['backtested']}; median MAE model/naive "
              f"{result['median_mae']}, sMAPE {result['median_smape']}, coverage {result['median_coverage']}",
              flush=True)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
