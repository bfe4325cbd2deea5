"""Benchmark: the leaders' cockpit at scale (budget: first paint < 1 s at 5 M cases, PostgreSQL).

Against a given database (already migrated and filled, e.g. by bench_case_pages.py or `zhili demo --cases N`;
``--prepare`` rebuilds it as migrate + demo district, ``--cases N`` fills up to N with bench_case_pages.py's
generator first and then rebuilds the indicators' rollups, which a fill around the ORM leaves stale), it:
1. issues API tokens in-process for the viewers (``--users``, default leader and street: the whole district and
   one street), so no one-time code is needed;
2. starts uvicorn (``--workers``, default 2) unless ``--base-url`` names a running server;
3. measures, sequentially (``--samples`` each after 2 unmeasured warm-ups), p50/p95/max of
   - the cockpit page itself (HTML with the counters rendered server-side: this is the first paint's request),
   - each data call the page makes: snapshot, the four charts, the grid heat layer, alerts, one zoomed-in
     points box, and one CSV;
   - "complete": the page, then all its data calls at once on 6 connections (as a browser does), wall time;
4. prints a Markdown table (and the machine, with its load average: figures taken on a busy machine say so).

    .venv/bin/python benchmarks/bench_cockpit.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/zhili_bench
        [--prepare] [--cases 5000000] [--samples 20] [--users leader,street] [--base-url http://127.0.0.1:8000] [--json]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "benchmarks")):
    if p not in sys.path:
        sys.path.insert(0, p)

import bench_intake as bi  # noqa: E402

BUDGET_FIRST_PAINT_MS = 1000.0


def tokens(url: str, usernames: list[str]) -> dict[str, str]:
    from sqlalchemy import select

    from zhili.auth import service as auth_service
    from zhili.auth.models import User
    from zhili.config import get_settings
    from zhili.db import make_engine, make_sessionmaker, transaction
    from zhili.kit import crypto

    settings = get_settings()
    crypto.configure(settings.secret_key, settings.var_dir)  # users carry encrypted phones
    engine = make_engine(url)
    out: dict[str, str] = {}
    try:
        with transaction(make_sessionmaker(engine), info={"ip": "bench"}) as session:
            for name in usernames:
                user = session.scalar(select(User).where(User.username == name))
                if user is None:
                    raise SystemExit(f"no user {name!r} in the database (the demo district creates leader, street)")
                out[name], _ = auth_service.issue_api_token(session, user, settings, "bench-cockpit")
    finally:
        engine.dispose()
    return out


def rebuild_rollups(url: str) -> float:
    """The indicators' facts and rollups from scratch: bulk fills write cases around the ORM, so the charts
    (which read the indicators engine) see them only after this. Returns seconds."""
    from zhili.analysis import rollup
    from zhili.config import get_settings
    from zhili.db import make_engine, make_sessionmaker, transaction
    from zhili.kit import crypto

    settings = get_settings()
    crypto.configure(settings.secret_key, settings.var_dir)
    engine = make_engine(url)
    t = time.perf_counter()
    try:
        with transaction(make_sessionmaker(engine), info={"ip": "bench"}) as session:
            rollup.rebuild_all(session, settings)
    finally:
        engine.dispose()
    return time.perf_counter() - t


def district_box(url: str) -> str:
    """A zoomed-in box (~1.5 km) around the centre of the busiest grid: what the map asks for at street zoom."""
    from sqlalchemy import func, select, text

    from zhili.cases.models import OPEN_SQL, Case
    from zhili.db import make_engine
    from zhili.org.models import Grid

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            busiest = conn.execute(select(Case.grid_id).where(text(f"cases.{OPEN_SQL}"))
                                   .group_by(Case.grid_id).order_by(func.count().desc()).limit(1)).scalar()
            row = conn.execute(select(Grid.center_lon, Grid.center_lat).where(Grid.id == busiest)).first() \
                if busiest else conn.execute(select(Grid.center_lon, Grid.center_lat).limit(1)).first()
    finally:
        engine.dispose()
    lon, lat = (row[0], row[1]) if row else (121.55, 29.82)
    return f"{lon - 0.008:.5f},{lat - 0.007:.5f},{lon + 0.008:.5f},{lat + 0.007:.5f}"


def calls(box: str) -> list[tuple[str, str]]:
    return [("snapshot", "/api/monitor/snapshot"), ("chart trend (30 d)", "/api/monitor/charts/trend?days=30"),
            ("chart categories", "/api/monitor/charts/categories?days=30"),
            ("chart streets", "/api/monitor/charts/streets?days=30"), ("chart grids", "/api/monitor/charts/grids"),
            ("map grids.geojson", "/api/monitor/map/grids.geojson"), ("alerts", "/api/monitor/alerts?limit=20"),
            ("map points (zoomed)", f"/api/monitor/map/points?bbox={box}"),
            ("csv trend", "/api/monitor/charts/trend.csv?days=30")]


def _stats(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    return {"n": len(s), "p50_ms": round(bi.pct(s, 50), 1), "p95_ms": round(bi.pct(s, 95), 1),
            "max_ms": round(s[-1], 1)}


def measure(base: str, token: str, box: str, samples: int) -> list[dict[str, Any]]:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    rows: list[dict[str, Any]] = []
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        def timed(path: str) -> float:
            t = time.perf_counter()
            r = client.get(path)
            elapsed = (time.perf_counter() - t) * 1000
            if r.status_code != 200:
                raise RuntimeError(f"{path}: {r.status_code} {r.text[:200]}")
            return elapsed

        for name, path in [("page /gov/cockpit (first paint)", "/gov/cockpit"), *calls(box)]:
            for _ in range(2):
                timed(path)
            rows.append({"call": name, **_stats([timed(path) for _ in range(samples)])})

    def complete() -> float:
        t = time.perf_counter()
        with httpx.Client(base_url=base, headers=headers, timeout=120) as page_client:
            page_client.get("/gov/cockpit").raise_for_status()
        with concurrent.futures.ThreadPoolExecutor(6) as pool, \
                httpx.Client(base_url=base, headers=headers, timeout=120,
                             limits=httpx.Limits(max_connections=6)) as c:
            for r in pool.map(c.get, [p for _n, p in calls(box)[:-2]]):  # the page loads all but points and CSV
                r.raise_for_status()
        return (time.perf_counter() - t) * 1000

    complete()
    rows.append({"call": "complete: page + its data calls, 6 connections", **_stats([complete()
                                                                                       for _ in range(samples)])})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", default=bi.DEFAULT_URL)
    ap.add_argument("--prepare", action="store_true", help="rebuild the database first: migrate + demo district")
    ap.add_argument("--cases", type=int, default=0, help="fill up to this many cases first (bench_case_pages)")
    ap.add_argument("--rebuild-rollups", action="store_true",
                    help="rebuild the indicators' rollups (done after a fill anyway)")
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--users", default="leader,street")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--base-url", default=None, help="a running server; otherwise uvicorn is started")
    ap.add_argument("--var-dir", default="/tmp/zhili_bench_var")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    var_dir = Path(args.var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)
    bi.configure_here(args.database_url, var_dir)
    report: dict[str, Any] = {"machine": bi.machine_info(), "loadavg_start": bi.loadavg(),
                              "started_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")}
    if args.prepare:
        bi.say("preparing the database (migrate, demo district, rules) ...")
        report["prepare"] = {k: round(v, 1) for k, v in bi.prepare_db(args.database_url).items()}
    if args.cases:
        have = bi.count_cases(args.database_url)
        if have < args.cases:
            import bench_case_pages as bcp

            bi.say(f"filling {args.cases - have:,} cases ...")
            report["fill"] = bcp.fill(args.database_url, args.cases - have, 7, bi.say)
            args.rebuild_rollups = True
    if args.rebuild_rollups:
        bi.say("rebuilding the indicators' facts and rollups ...")
        report["rebuild_rollups_s"] = round(rebuild_rollups(args.database_url), 1)
    report["cases_in_db"] = bi.count_cases(args.database_url)
    users = [u for u in args.users.split(",") if u]
    toks = tokens(args.database_url, users)
    box = district_box(args.database_url)
    server = None
    base = args.base_url
    if base is None:
        port = bi.free_port()
        bi.say(f"starting uvicorn with {args.workers} workers on :{port} ...")
        server = bi.start_server(args.database_url, var_dir, args.workers, port, var_dir / f"server-{port}.log")
        base = f"http://127.0.0.1:{port}"
    try:
        report["viewers"] = {u: measure(base, toks[u], box, args.samples) for u in users}
    finally:
        if server is not None:
            bi.stop_server(server)
    report["loadavg_end"] = bi.loadavg()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return
    m = report["machine"]
    print(f"machine: {m['nproc']} CPU ({m['cpu']}), {m['ram_gib']} GiB, PostgreSQL {m['postgresql']}; "
          f"load average start {report['loadavg_start']} end {report['loadavg_end']}")
    print(f"cases in the database: {report['cases_in_db']:,}; budget: first paint < {BUDGET_FIRST_PAINT_MS:.0f} ms")
    print("| viewer | call | n | p50 ms | p95 ms | max ms |")
    print("|---|---|---:|---:|---:|---:|")
    for user, rows in report["viewers"].items():
        for r in rows:
            flag = " **over**" if r["call"].startswith("page") and r["p95_ms"] >= BUDGET_FIRST_PAINT_MS else ""
            print(f"| {user} | {r['call']} | {r['n']} | {r['p50_ms']} | {r['p95_ms']}{flag} | {r['max_ms']} |")


if __name__ == "__main__":
    main()
