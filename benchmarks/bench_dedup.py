"""Benchmark: duplicate candidates among 1,000,000 open cases on PostgreSQL (budget: < 10 ms per lookup).

1. Prepares the database like bench_intake.py (drop the schema, migrate, demo district, default rules) unless
   ``--reuse``; then, unless it already holds ``--cases`` cases: writes ``--templates`` (default 20,000) cases
   with `zhili.demo.history` (``open_share=1.0``: every case open, on the demo's clustered places, category mix
   and Chinese texts; it runs at a few hundred cases/s, so 1 M that way takes most of an hour), then copies them
   in SQL (INSERT ... SELECT) up to ``--cases``, each copy moved by up to +-150 m, so the density follows the
   demo's hotspots at 50 x; fills the place cells, and ANALYZEs.
2. Draws ``--lookups`` queries (default 1,000): a random existing case's category and text, at a point moved up to
   100 m from it (a new report of a matter already in, the case dedup exists for).
3. Times `zhili.cases.dedup.candidates` in this process, as the API route runs it (category lookups, the place
   query on the partial index, exact distance and text similarity in Python, names of the results), for the
   center operator (the whole district visible), at 250 m and at 1 km, after 50 unmeasured warm-up lookups.
   Reports p50/p95/p99/max, the related open cases within the radius (of the first 200 queries; at most
   `repository.DEDUP_POOL_LIMIT` nearest of them are compared by text) and the candidates kept, and with
   ``--explain`` the plan of one place query.

    .venv/bin/python benchmarks/bench_dedup.py [--cases 1000000] [--lookups 1000] [--reuse] [--json] [--explain]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/zhili_bench]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "benchmarks")):
    if p not in sys.path:
        sys.path.insert(0, p)

import bench_intake as bi  # noqa: E402

BUDGET_MS = 10.0


def fill(url: str, n: int, templates: int, seed: int) -> dict[str, Any]:
    from sqlalchemy import func, select, text

    from zhili.auth.actor import system_actor
    from zhili.cases import repository
    from zhili.cases.models import Case
    from zhili.config import get_settings
    from zhili.db import make_engine, make_sessionmaker, transaction
    from zhili.demo import history

    settings = get_settings()
    engine = make_engine(url)
    made = 0
    t = time.perf_counter()
    with transaction(make_sessionmaker(engine), info={"actor": system_actor(), "ip": "bench"}) as session:
        have = int(session.scalar(select(func.count()).select_from(Case)) or 0)
        if have < min(n, templates):
            made = history.generate_cases(session, settings, min(n, templates) - have, seed=seed,
                                          open_share=1.0, progress=lambda stage, done, total: None)
            have += made
    if have < n:
        cols = [c.name for c in Case.__table__.columns if c.name not in ("id", "number", "lon", "lat", "geo_cell")]
        listed = ", ".join(cols)
        with engine.begin() as conn:
            conn.execute(text(
                f"INSERT INTO cases (number, lon, lat, {listed}) "
                f"SELECT 'B' || lpad((row_number() OVER ())::text, 12, '0'), "
                f"lon + (random() - 0.5) * 0.003, lat + (random() - 0.5) * 0.0027, {listed} "
                f"FROM (SELECT * FROM cases ORDER BY id LIMIT {templates}) t "
                f"CROSS JOIN generate_series(1, {n // templates + 1}) g LIMIT {n - have}"))
        made += n - have
    with transaction(make_sessionmaker(engine), info={"actor": system_actor(), "ip": "bench"}) as session:
        missing = repository.fill_missing_cells(session)
    fill_s = time.perf_counter() - t
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE cases"))
        open_n = conn.execute(text("SELECT count(*) FROM cases WHERE status IN ('received', 'registered', "
                                   "'dispatched', 'in_progress', 'handled', 'suspended')")).scalar_one()
        total = conn.execute(text("SELECT count(*) FROM cases")).scalar_one()
    engine.dispose()
    return {"made": made, "fill_s": round(fill_s, 1), "cells_filled": missing, "open": int(open_n),
            "total": int(total)}


def queries(session: Any, k: int, seed: int) -> list[dict[str, Any]]:
    from sqlalchemy import func, select

    from zhili.cases import geocell
    from zhili.cases.models import Case
    from zhili.taxonomy.models import Category

    rng = random.Random(seed)
    top = int(session.scalar(select(func.max(Case.id))) or 0)
    out: list[dict[str, Any]] = []
    while len(out) < k:
        ids = [rng.randint(1, top) for _ in range(k)]
        rows = session.execute(select(Case.lon, Case.lat, Case.title, Case.description, Category.code)
                               .join(Category, Category.id == Case.category_id).where(Case.id.in_(ids)))
        for lon, lat, title, description, code in rows:
            d, a = rng.uniform(0, 100), rng.uniform(0, 6.283)
            dlat = d * math.cos(a) / geocell.METERS_PER_DEGREE_LAT
            dlon = d * math.sin(a) / (geocell.METERS_PER_DEGREE_LAT * math.cos(math.radians(lat)))
            out.append({"lon": lon + dlon, "lat": lat + dlat, "category_code": code,
                        "text": f"{title}\n{description}"})
    return out[:k]


def pct(vals: list[float], q: float) -> float:
    s = sorted(vals)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def run(url: str, lookups: int, seed: int, explain: bool) -> dict[str, Any]:
    from sqlalchemy import select

    from zhili.auth.models import User
    from zhili.auth.repository import build_actor
    from zhili.cases import dedup, geocell, repository
    from zhili.config import get_settings
    from zhili.db import make_engine
    from zhili.kit import clock

    settings = get_settings()
    engine = make_engine(url)
    from sqlalchemy.orm import Session

    results: dict[str, Any] = {}
    with Session(engine) as session:
        user = session.scalar(select(User).where(User.username == "operator"))
        assert user is not None, "the demo's operator user is missing"
        actor = build_actor(session, user, via="token")
        qs = queries(session, lookups + 50, seed)
        for radius in (250.0, 1000.0):
            pools: list[int] = []
            kept: list[int] = []
            times: list[float] = []
            for i, q in enumerate(qs):
                t = time.perf_counter()
                found = dedup.candidates(session, actor, radius_m=radius, settings=settings, **q)
                dt_ms = (time.perf_counter() - t) * 1000
                session.rollback()  # a fresh snapshot per lookup, like one request each
                if i >= 50:
                    times.append(dt_ms)
                    kept.append(len(found))
            for q in qs[50:250]:  # the pool size behind the timings, counted apart (not timed)
                related = dedup._Family(session, q["category_code"]).related
                pools.append(len(repository.dedup_pool(
                    session, actor, lon=q["lon"], lat=q["lat"], radius_m=radius,
                    cells=geocell.cells_around(q["lon"], q["lat"], radius), category_ids=related,
                    closed_since=clock.now(), exclude_id=None, limit=10**7)))
            results[f"{int(radius)}m"] = {
                "lookups": len(times), "p50_ms": round(pct(times, 0.5), 2), "p95_ms": round(pct(times, 0.95), 2),
                "p99_ms": round(pct(times, 0.99), 2), "max_ms": round(max(times), 2),
                "mean_ms": round(sum(times) / len(times), 2),
                "in_radius_mean": round(sum(pools) / len(pools), 1), "in_radius_max": max(pools),
                "compared_max": repository.DEDUP_POOL_LIMIT,
                "kept_mean": round(sum(kept) / len(kept), 2), "with_candidates": sum(1 for k in kept if k)}
        if explain:
            from sqlalchemy import text

            q = qs[0]
            related = dedup._Family(session, q["category_code"]).related
            cells = geocell.cells_around(q["lon"], q["lat"], 250)
            sql = (f"EXPLAIN (ANALYZE, BUFFERS) SELECT id, title FROM cases WHERE "
                   f"{repository.OPEN_SQL.replace('status', 'cases.status', 1)} "
                   f"AND geo_cell IN ({','.join(map(str, cells))}) AND category_id IN ({','.join(map(str, related))})")
            results["explain"] = [r[0] for r in session.execute(text(sql))]
    engine.dispose()
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", default=bi.DEFAULT_URL)
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--lookups", type=int, default=1000)
    ap.add_argument("--templates", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--explain", action="store_true")
    args = ap.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="zhili-bench-dedup-"))
    bi.configure_here(args.database_url, var_dir)
    from zhili.config import get_settings
    from zhili.kit import crypto

    crypto.configure(get_settings().secret_key, var_dir)
    out: dict[str, Any] = {"machine": bi.machine_info(), "load_start": bi.loadavg()}
    if not args.reuse:
        out["prepare"] = bi.prepare_db(args.database_url)
    out["fill"] = fill(args.database_url, args.cases, args.templates, 2026)
    out["lookups"] = run(args.database_url, args.lookups, args.seed, args.explain)
    out["load_end"] = bi.loadavg()
    out["budget_ms"] = BUDGET_MS
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    print(json.dumps({k: v for k, v in out.items() if k != "lookups"}, ensure_ascii=False))
    for name, r in out["lookups"].items():
        if name == "explain":
            print("\n".join(r))
        else:
            print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in r.items()))


if __name__ == "__main__":
    main()
