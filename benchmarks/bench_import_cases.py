"""Benchmark: `zhili import cases` of a 1 M-row csv export into a fresh database (PostgreSQL by default).

1. Drops and recreates the database's public schema, migrates, builds the demo district (unless ``--reuse``).
2. Writes a synthetic export (tests/imports/synthetic.py: the columns of zhili/imports/examples/cases_mapping.yaml,
   points inside the demo's grids, ~6 % bad rows of every kind) of ``--rows`` rows, streamed to disk.
3. Imports it in a child process, then imports it again (the re-run: everything already present), and reports for
   each run: seconds, rows/s, imported / present / rejected, and the child's peak RSS (resource.getrusage), which
   shows whether memory stays flat.

    .venv/bin/python benchmarks/bench_import_cases.py [--rows 1000000] [--batch 2000] [--reuse] [--json]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/zhili_h2]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_KEY = "5a" * 32
MAPPING = ROOT / "zhili" / "imports" / "examples" / "cases_mapping.yaml"


def _settings(url: str) -> Any:
    from zhili.config import Settings
    from zhili.kit import crypto

    crypto.configure(BENCH_KEY)
    return Settings(database_url=url, var_dir=ROOT / "var", secret_key=BENCH_KEY)


def _points(session: Any, n: int = 5000) -> list[tuple[float, float]]:
    """Points inside the demo's grids: random points of grid bounding boxes that the index places."""
    from sqlalchemy import select

    from zhili.org import spatial
    from zhili.org.models import Grid

    index = spatial.current_index(session, 0)
    boxes = list(session.execute(select(Grid.min_lon, Grid.min_lat, Grid.max_lon, Grid.max_lat)).tuples())
    rng = random.Random(11)
    out: list[tuple[float, float]] = []
    while len(out) < n:
        x0, y0, x1, y1 = rng.choice(boxes)
        lon, lat = round(rng.uniform(x0, x1), 6), round(rng.uniform(y0, y1), 6)
        if index.locate(lon, lat) is not None:
            out.append((lon, lat))
    return out


def setup(url: str, rows: int, reuse: bool, path: Path) -> dict[str, Any]:
    from sqlalchemy import text

    from tests.imports import synthetic
    from zhili.auth.actor import system_actor
    from zhili.db import make_engine, make_sessionmaker, transaction
    from zhili.demo.build import build_demo
    from zhili.migrate import upgrade

    _settings(url)
    engine = make_engine(url)
    t0 = time.perf_counter()
    if not reuse:
        if url.startswith("postgresql"):
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(engine)
        with transaction(make_sessionmaker(engine), info={"actor": system_actor(), "ip": "bench"}) as session:
            build_demo(session)
    with transaction(make_sessionmaker(engine)) as session:
        points = _points(session)
    engine.dispose()
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    ans = synthetic.write_csv(path, rows, points, start=datetime(2025, 11, 1, tzinfo=UTC), span_days=360)
    return {"setup_seconds": round(built, 1), "write_seconds": round(time.perf_counter() - t0, 1),
            "file_mb": round(path.stat().st_size / 2**20, 1), "expected_good": ans.good,
            "expected_bad": len(ans.bad)}


def run_import(url: str, path: Path, batch: int) -> dict[str, Any]:
    """One import (in this process, which the parent started for it alone)."""
    from zhili.auth.actor import system_actor
    from zhili.db import make_engine, make_sessionmaker
    from zhili.imports.cases import import_cases

    settings = _settings(url)
    engine = make_engine(url)
    t0 = time.perf_counter()
    s = import_cases(make_sessionmaker(engine), settings, system_actor(), path, MAPPING,
                     rejects=path.with_suffix(".rejects.csv"), batch_size=batch)
    wall = time.perf_counter() - t0
    engine.dispose()
    return {"seconds": round(wall, 1), "rows_per_s": round(s.read / wall), "load_seconds": s.seconds,
            "load_rows_per_s": round(s.read / max(s.seconds, 1e-6)), "refresh_seconds": round(wall - s.seconds, 1),
            "read": s.read, "imported": s.imported,
            "present": s.present, "rejected": s.rejected, "analysis_refreshed": s.refreshed, "refresh_error": s.refresh_error,
            "cpu_seconds": round(time.process_time(), 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/zhili_h2")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--file", type=Path, default=ROOT / "var" / "bench_import_cases.csv")
    parser.add_argument("--reuse", action="store_true", help="keep the database and the file (no rebuild)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_import(args.database_url, args.file, args.batch)))
        return
    args.file.parent.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"rows": args.rows, "batch": args.batch, "database": args.database_url.split(":")[0]}
    if not (args.reuse and args.file.exists()):
        out.update(setup(args.database_url, args.rows, args.reuse, args.file))
        if not args.json:
            print(f"setup {out['setup_seconds']} s; wrote {args.rows:,} rows ({out['file_mb']} MB) in "
                  f"{out['write_seconds']} s", flush=True)
    runs = []
    for label in ("first", "re-run"):
        done = subprocess.run([sys.executable, __file__, "--child", "--database-url", args.database_url,
                               "--file", str(args.file), "--batch", str(args.batch)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            raise SystemExit(f"{label} import failed (exit {done.returncode})")
        run = {"run": label, **json.loads(done.stdout.strip().splitlines()[-1])}
        runs.append(run)
        if not args.json:
            print(f"{label}: {run['read']:,} rows in {run['seconds']} s ({run['rows_per_s']:,} rows/s; loading "
                  f"{run['load_seconds']} s = {run['load_rows_per_s']:,} rows/s, then analysis refresh "
                  f"{run['refresh_seconds']} s); imported "
                  f"{run['imported']:,}, present {run['present']:,}, rejected {run['rejected']:,}; CPU "
                  f"{run['cpu_seconds']} s, peak RSS {run['peak_rss_mb']} MB", flush=True)
    out["runs"] = runs
    if args.json:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
