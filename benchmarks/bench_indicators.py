"""Benchmark: the standard indicators (zhili.analysis) at city scale.

Budgets (issue 5): PostgreSQL with 5 M cases: any month x any breakdown < 300 ms, a whole year < 1 s; SQLite with
1 M cases: < 1 s.

1. Unless ``--reuse``: drops the schema, migrates, builds the demo district (like bench_intake.py), writes
   ``--templates`` (default 20,000) cases with `zhili.demo.history.generate_cases` over the last 12 months (their
   own lifecycles: most closed, some late, reworked, merged) and builds their facts with
   `rollup.refresh_after_bulk` (timed: the per-case cost, working time included); then copies the cases and their
   facts in SQL up to ``--cases`` (copies keep the times, new ids and numbers; ``--facts-only`` copies only the facts,
   which is all the indicators read), and rebuilds the daily rollup and the slices from the facts in SQL (timed).
2. Times `service.indicators` as the API runs it, for the center operator (the whole district), for the last full
   month and for the whole year, without a breakdown and with each breakdown, ``--repeats`` times each after one
   warm-up; prints p50/p95 per query and the worst.

    .venv/bin/python benchmarks/bench_indicators.py [--cases 5000000] [--templates 20000] [--repeats 5] [--reuse]
        [--facts-only]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/zhili_bench]   # or sqlite:///var/bench.db
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

import bench_intake as bi  # noqa: E402

DIMENSIONS = ("street", "community", "grid", "department", "category", "runway", "channel", "day", "week", "month")


def prepare_sqlite(url: str, seed: int) -> None:
    from zhili.auth.actor import system_actor
    from zhili.config import get_settings
    from zhili.db import make_engine, make_sessionmaker, transaction
    from zhili.demo.build import build_demo
    from zhili.kit import crypto
    from zhili.migrate import upgrade
    from zhili.taxonomy.seed import seed_default_rules

    crypto.configure(get_settings().secret_key, get_settings().var_dir)
    path = Path(url.removeprefix("sqlite:///"))
    path.unlink(missing_ok=True)
    engine = make_engine(url)
    upgrade(engine)
    with transaction(make_sessionmaker(engine), info={"actor": system_actor(), "ip": "bench"}) as session:
        build_demo(session, seed=seed)
        seed_default_rules(session)


def copy_sql(dialect: str, listed: str, templates: int, times: int, limit: int) -> str:
    """Copies of the first `templates` cases: copy number k (0-based) of the template with ordinal o gets the number
    'B' + (k * templates + o + 1) zero-padded, so `copy_facts_sql` can find each copy's template."""
    if dialect == "postgresql":
        return (f"INSERT INTO cases (number, {listed}) SELECT 'B' || lpad(((g - 1) * {templates} + t.o + 1)::text, "
                f"12, '0'), {listed} FROM (SELECT *, row_number() OVER (ORDER BY id) - 1 AS o FROM cases "
                f"ORDER BY id LIMIT {templates}) t CROSS JOIN generate_series(1, {times}) g "
                f"WHERE (g - 1) * {templates} + t.o < {limit}")
    return (f"WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < {times}) "
            f"INSERT INTO cases (number, {listed}) SELECT printf('B%012d', (x - 1) * {templates} + t.o + 1), "
            f"{listed} FROM (SELECT *, row_number() OVER (ORDER BY id) - 1 AS o FROM cases ORDER BY id "
            f"LIMIT {templates}) t CROSS JOIN g WHERE (x - 1) * {templates} + t.o < {limit}")


def copy_facts_sql(dialect: str, listed: str, templates: int) -> str:
    """The facts of every copy = its template's facts (same times and dimensions) under the copy's id."""
    as_int = "substr(c.number, 2)::bigint" if dialect == "postgresql" else "CAST(substr(c.number, 2) AS INTEGER)"
    return (f"INSERT INTO analysis_case_facts (case_id, {listed}) SELECT c.id, {', '.join('f.' + n for n in listed.split(', '))} "
            f"FROM cases c JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS o FROM cases "
            f"WHERE number NOT LIKE 'B%' ORDER BY id LIMIT {templates}) t ON t.o = ({as_int} - 1) % {templates} "
            f"JOIN analysis_case_facts f ON f.case_id = t.id WHERE c.number LIKE 'B%'")


def copy_facts_only_sql(listed: str, templates: int, times: int, limit: int) -> str:
    """`--facts-only`: copies of the templates' facts under new ids (from 100,000,000), without copying the cases
    (the indicators read only facts, rollup and slices). Copy x moves each fact to another grid (with its community
    and street) and another category, by a fixed rotation, so the rollups see the key spread of a real city rather
    than the templates' combinations repeated."""
    moved = {"grid_id": "COALESCE(g2.grid_id, f.grid_id)", "community_id": "COALESCE(g2.community_id, f.community_id)",
             "street_id": "COALESCE(g2.street_id, f.street_id)", "category_id": "COALESCE(c2.category_id, f.category_id)"}
    picked = ", ".join(moved.get(n, "f." + n) for n in listed.split(", "))
    return (f"WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {times}), "
            "gm AS (SELECT g.id AS grid_id, g.area_id AS community_id, a.parent_id AS street_id, "
            "row_number() OVER (ORDER BY g.id) - 1 AS o FROM grids g JOIN areas a ON a.id = g.area_id), "
            "cm AS (SELECT category_id, row_number() OVER (ORDER BY category_id) - 1 AS o FROM "
            "(SELECT DISTINCT category_id FROM analysis_case_facts) d), "
            f"t AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS o FROM cases ORDER BY id LIMIT {templates}) "
            f"INSERT INTO analysis_case_facts (case_id, {listed}) SELECT 100000000 + (x - 1) * {templates} + t.o + 1, "
            f"{picked} FROM t JOIN analysis_case_facts f ON f.case_id = t.id CROSS JOIN s "
            "LEFT JOIN gm g1 ON g1.grid_id = f.grid_id "
            "LEFT JOIN gm g2 ON g2.o = (g1.o + x * 37) % (SELECT count(*) FROM gm) "
            "LEFT JOIN cm c1 ON c1.category_id = f.category_id "
            "LEFT JOIN cm c2 ON c2.o = (c1.o + x * 11) % (SELECT count(*) FROM cm) "
            f"WHERE (x - 1) * {templates} + t.o < {limit}")


def fill(url: str, n: int, templates: int, seed: int, facts_only: bool = False) -> dict[str, Any]:
    """Templates through the generator and their facts through `refresh_after_bulk` (the real per-case cost, timed
    per template); copies of cases and of their facts in SQL; then every rollup (daily rollup, slices) rebuilt from
    the facts in SQL (`rollup.rebuild_range`, timed: the bulk cost at full size)."""
    from sqlalchemy import func, select, text

    from zhili.analysis import rollup
    from zhili.analysis.models import CaseFact
    from zhili.auth.actor import system_actor
    from zhili.cases.models import Case
    from zhili.config import get_settings
    from zhili.db import make_engine, make_sessionmaker, transaction
    from zhili.demo import history

    settings = get_settings()
    engine = make_engine(url)
    out: dict[str, Any] = {}
    t = time.perf_counter()
    with transaction(make_sessionmaker(engine), info={"actor": system_actor(), "ip": "bench"}) as session:
        have = int(session.scalar(select(func.count()).select_from(Case)) or 0)
        if have < min(n, templates):
            history.generate_cases(session, settings, min(n, templates) - have, seed=seed)
            have = int(session.scalar(select(func.count()).select_from(Case)) or 0)
    out["generate_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    with transaction(make_sessionmaker(engine), info={"actor": system_actor(), "ip": "bench"}) as session:
        span = session.execute(select(func.min(Case.received_at), func.max(Case.received_at))).one()
        first, last = span[0].date() - timedelta(days=1), span[1].date() + timedelta(days=1)
        out["template_facts"] = rollup.refresh_after_bulk(session, first, last, settings)
    out["template_refresh_after_bulk_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    if have < n:
        cols = [c.name for c in Case.__table__.columns if c.name not in ("id", "number", "master_id")]
        facts = [c.name for c in CaseFact.__table__.columns if c.name != "case_id"]
        if facts_only:
            with engine.begin() as conn:
                conn.execute(text(copy_facts_only_sql(", ".join(facts), templates, n // templates + 1,
                                                      n - have)))
        else:
            with engine.begin() as conn:
                conn.execute(text(copy_sql(engine.dialect.name, ", ".join(cols), templates, n // templates + 1,
                                           n - have)))
            out["copy_cases_s"] = round(time.perf_counter() - t, 1)
            t = time.perf_counter()
            with engine.begin() as conn:
                conn.execute(text(copy_facts_sql(engine.dialect.name, ", ".join(facts), templates)))
        out["copy_facts_s"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        with transaction(make_sessionmaker(engine), info={"actor": system_actor(), "ip": "bench"}) as session:
            rollup.rebuild_range(session, first, last)
        out["rebuild_rollups_s"] = round(time.perf_counter() - t, 1)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    out.update(sizes(engine))
    return out


def sizes(engine: Any) -> dict[str, Any]:
    """Rows: cases, facts, daily rollup, slices per grain and dimension (over the whole span, ~a year)."""
    from sqlalchemy import text

    with engine.connect() as conn:
        out: dict[str, Any] = {name: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() for name, table in
                               (("cases", "cases"), ("facts", "analysis_case_facts"), ("rollup_rows", "analysis_daily"))}
        out["slice_rows"] = {f"{g}:{d}": c for g, d, c in conn.execute(text(
            "SELECT grain, dim, count(*) FROM analysis_slices GROUP BY grain, dim ORDER BY grain, dim"))}
        out["rollup_days"] = conn.execute(text("SELECT count(DISTINCT day) FROM analysis_daily")).scalar()
    return out


def measure(url: str, repeats: int) -> dict[str, Any]:
    from sqlalchemy import func, select

    from zhili.analysis import service
    from zhili.analysis.models import CaseFact
    from zhili.auth.models import User
    from zhili.auth.repository import build_actor
    from zhili.db import make_engine, make_sessionmaker

    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with factory() as s:
        last = s.scalar(select(func.max(CaseFact.received_day)))
        user = s.scalars(select(User).where(User.username == "operator")).one()
        actor = build_actor(s, user, via="token")
    month_end = last.replace(day=1) - timedelta(days=1)
    periods = {"month": (month_end.replace(day=1), month_end), "year": (last - timedelta(days=364), last)}
    results: dict[str, Any] = {}
    for pname, (start, end) in periods.items():
        for by in (None, *DIMENSIONS):
            q = service.IndicatorQuery(start=start, end=end, by=by)
            times = []
            for i in range(repeats + 1):
                with factory() as s:
                    t = time.perf_counter()
                    service.indicators(s, actor, q)
                    if i:
                        times.append((time.perf_counter() - t) * 1000)
            times.sort()
            results[f"{pname}:{by or 'total'}"] = {"p50_ms": round(statistics.median(times), 1),
                                                   "p95_ms": round(times[min(len(times) - 1,
                                                                              int(0.95 * len(times)))], 1)}
    return {"periods": {k: [a.isoformat(), b.isoformat()] for k, (a, b) in periods.items()}, "queries": results,
            "worst_month_ms": max(v["p95_ms"] for k, v in results.items() if k.startswith("month")),
            "worst_year_ms": max(v["p95_ms"] for k, v in results.items() if k.startswith("year"))}


def sizes_of(url: str) -> dict[str, Any]:
    from zhili.db import make_engine

    return sizes(make_engine(url))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=bi.DEFAULT_URL)
    ap.add_argument("--cases", type=int, default=5_000_000)
    ap.add_argument("--templates", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--facts-only", action="store_true",
                    help="copy only the facts (not the cases) up to --cases: the indicators never read `cases`")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    var = Path(tempfile.mkdtemp(prefix="zhili-bench-ind-"))
    bi.configure_here(args.database_url, var)
    report: dict[str, Any] = {"database": args.database_url.split("@")[-1]}
    if not args.reuse:
        if args.database_url.startswith("sqlite"):
            prepare_sqlite(args.database_url, args.seed)
        else:
            bi.prepare_db(args.database_url, args.seed)
        report["load"] = fill(args.database_url, args.cases, args.templates, args.seed, args.facts_only)
    report["indicators"] = measure(args.database_url, args.repeats)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print(json.dumps(report.get("load") or sizes_of(args.database_url), ensure_ascii=False))
    for k, v in report["indicators"]["queries"].items():
        print(f"{k:<18} p50 {v['p50_ms']:>8.1f} ms   p95 {v['p95_ms']:>8.1f} ms")
    print(f"worst month p95 {report['indicators']['worst_month_ms']} ms, worst year p95 "
          f"{report['indicators']['worst_year_ms']} ms")


if __name__ == "__main__":
    main()
