"""Benchmark: generating the demo history (`zhili.demo.history.generate_cases`) on SQLite or PostgreSQL.

1. Builds the demo district into a fresh database (SQLite file, or a PostgreSQL database whose public schema is
   dropped and recreated) unless ``--reuse``.
2. Generates each size of ``--sizes`` (default 20000,200000) in one transaction of its own, on top of what is
   already there, and reports seconds, cases per minute, the process's CPU seconds and its peak memory.

    .venv/bin/python benchmarks/bench_history.py [--sizes 20000,200000] [--open-share 1.0] [--reuse] [--json]
        [--database-url sqlite:///var/bench_history.db | postgresql+psycopg://postgres@127.0.0.1:5432/zhili_bench]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_KEY = "5a" * 32


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="sqlite:///var/bench_history.db")
    parser.add_argument("--sizes", default="20000,200000")
    parser.add_argument("--open-share", type=float, default=None)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from sqlalchemy import text

    from zhili.auth.actor import system_actor
    from zhili.config import Settings
    from zhili.db import make_engine, make_sessionmaker, transaction
    from zhili.demo.build import build_demo
    from zhili.demo.history import generate_cases
    from zhili.kit import crypto
    from zhili.migrate import upgrade

    url = args.database_url
    crypto.configure(BENCH_KEY)
    settings = Settings(database_url=url, var_dir=ROOT / "var", secret_key=BENCH_KEY)
    if not args.reuse and url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.split("///", 1)[1] + suffix).unlink(missing_ok=True)
    engine = make_engine(url)
    if not args.reuse and url.startswith("postgresql"):
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    factory = make_sessionmaker(engine)
    info = {"actor": system_actor(), "ip": "bench"}
    if not args.reuse:
        with transaction(factory, info=info) as session:
            build_demo(session)
    out: dict[str, Any] = {"database": engine.dialect.name, "open_share": args.open_share, "runs": []}
    for size in (int(x) for x in args.sizes.split(",")):
        t0, c0 = time.perf_counter(), time.process_time()
        with transaction(factory, info=info) as session:
            made = generate_cases(session, settings, size, seed=size, open_share=args.open_share)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        run = {"cases": made, "seconds": round(wall, 1), "cases_per_min": round(made / wall * 60),
               "cpu_seconds": round(cpu, 1), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                                                  / 1024)}
        out["runs"].append(run)
        if not args.json:
            print(f"{engine.dialect.name}: {made:,} cases in {wall:.1f} s ({run['cases_per_min']:,}/min, "
                  f"CPU {cpu:.1f} s, peak RSS {run['peak_rss_mb']} MB)", flush=True)
    engine.dispose()
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
