"""Benchmark: the indicators as a street official sees them (the read side's scoped path: daily rollup + facts).

    .venv/bin/python benchmarks/bench_indicators_scoped.py postgresql+psycopg://postgres@127.0.0.1:5432/zhili_bench

Run it on a database `bench_indicators.py` has filled (`--reuse` keeps it). The viewer holds `analysis.view` over
the first street's subtree; a month (October 2026) and the last year, without breakdown and by community, category
and month; min and max of 3 runs each (the first warms the caches).
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta

from sqlalchemy import func, select

from zhili.analysis import service
from zhili.analysis.models import CaseFact
from zhili.auth.actor import Actor
from zhili.config import Settings
from zhili.db import make_engine, make_sessionmaker, transaction
from zhili.kit import crypto
from zhili.org.models import Area, AreaLevel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    settings = Settings(database_url=args.database_url, analysis_refresh_seconds=3600)
    crypto.configure(settings.secret_key, settings.var_dir)
    db = make_sessionmaker(make_engine(settings.database_url))
    with transaction(db) as s:
        path = s.scalars(select(Area.path).where(Area.level == AreaLevel.street).order_by(Area.id).limit(1)).one()
        last = s.scalar(select(func.max(CaseFact.received_day))) or date.today()
    viewer = Actor(user_id=0, username="bench", display_name="bench", permissions=frozenset({"analysis.view"}),
                   area_paths=(path,))
    month_start = last.replace(day=1) - timedelta(days=1)
    periods = {"month": (month_start.replace(day=1), month_start), "year": (last - timedelta(days=364), last)}
    for label, (lo, hi) in periods.items():
        for by in (None, "community", "category", "month"):
            took = []
            for _ in range(args.repeats):
                with transaction(db) as s:
                    t = time.perf_counter()
                    service.indicators(s, viewer, service.IndicatorQuery(lo, hi, by=by), settings)
                    took.append(time.perf_counter() - t)
            print(f"{label:5} {by or 'total':10} min {min(took) * 1000:7.1f} ms   max {max(took) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
