"""Benchmark: the governance center's everyday mix on PostgreSQL (budget on 2 cores: 300 requests/s, p95 < 200 ms,
zero errors).

1. Prepares the database unless ``--reuse``: migrate + demo district + default rules (bench_intake.prepare_db), then
   ``--cases`` historical cases (default 100,000; bench_case_pages.fill, COPY) and the indicators' rollups
   (bench_cockpit.rebuild_rollups).
2. Starts the app under uvicorn with ``--workers N`` (default 2) as ``zhili serve`` runs it, no access log, no
   embedded job worker; issues bearer tokens in-process (the leader's role needs no one-time code for a token).
3. Makes the cases the transitions will move, through the API before the clock starts: for each measured request of
   kind "transition" one case, received (to be registered), registered (to be dispatched) or dispatched to 城管 (to
   be acknowledged by its handler), so every transition is allowed and none waits on another.
4. A separate load-generator process sends the mix open-loop at a fixed rate (bench_intake.send_schedule: request i
   at start + i/rate, whatever the server's speed; latency counted from the scheduled time, so queueing is charged):

   ========== ====== =====================================================================================
   intake      15 %  POST /api/cases (12345 operator 60 %, grid worker, street official, resident)
   list        25 %  GET /api/cases: operator (district), street official, grid worker, department inbox,
                     with and without a status queue
   detail      30 %  GET /api/cases/{number} of a random case, as the operator
   transition  10 %  POST /api/cases/{number}/actions/register | dispatch | acknowledge
   cockpit     20 %  the cockpit's data calls as the leader: snapshot (2 in 8), alerts, the heat layer's
                     counts, trend, categories, streets, the grid boundaries (1 in 8)
   ========== ====== =====================================================================================

5. Reports per rate: achieved throughput, p50/p95/p99/max overall and per kind, errors by status and kind, CPU of
   the machine, the server and the load generator; then checks that every 201 is a case in the database.

    .venv/bin/python benchmarks/bench_mix.py [--rates 40,60,80,100] [--duration 30] [--workers 2] [--cases 100000]
        [--reuse] [--json] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/zhili_bench]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import random
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "benchmarks")):
    if p not in sys.path:
        sys.path.insert(0, p)

import bench_intake as bi  # noqa: E402

MIX = (("intake", 0.15), ("list", 0.25), ("detail", 0.30), ("transition", 0.10), ("cockpit", 0.20))
TRANSITIONS = ("register", "dispatch", "acknowledge")
USERS = ("operator", "grid_a", "street", "resident", "leader", "cg")
LISTS = (("operator", "/api/cases?limit=20"), ("operator", "/api/cases?queue=open&limit=20"),
         ("street", "/api/cases?limit=20"), ("street", "/api/cases?queue=in_progress&limit=20"),
         ("grid_a", "/api/cases?limit=20"), ("cg", "/api/cases?inbox=true&limit=20"))
# What an open cockpit asks for: the page's first load fetches every chart and the grid boundaries once; then it
# refreshes the counters, alerts and the heat layer's counts (geometry=false) while it stays open.
COCKPIT = ("/api/monitor/snapshot", "/api/monitor/snapshot", "/api/monitor/alerts?limit=20",
           "/api/monitor/map/grids.geojson?geometry=false", "/api/monitor/charts/trend?days=30",
           "/api/monitor/charts/categories?days=30", "/api/monitor/charts/streets?days=30",
           "/api/monitor/map/grids.geojson")
BUDGET = {"rate": 300.0, "p95_ms": 200.0, "errors": 0}


def raw_get(port: int, path: str, token: str) -> bytes:
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Connection: keep-alive\r\n\r\n").encode()


def raw_post(port: int, path: str, token: str, doc: dict[str, Any]) -> bytes:
    return bi._raw_post(port, path, token, uuid.uuid4().hex, json.dumps(doc, ensure_ascii=False).encode())


def plan_kinds(rng: random.Random, n: int) -> list[str]:
    names, weights = [k for k, _ in MIX], [w for _, w in MIX]
    return [rng.choices(names, weights)[0] for _ in range(n)]


def department_code(url: str, suffix: str) -> str:
    from sqlalchemy import select

    from zhili.db import make_engine
    from zhili.org.models import Department

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            code = conn.execute(select(Department.code).where(Department.code.like(f"%-{suffix}"))).scalar()
    finally:
        engine.dispose()
    if code is None:
        raise SystemExit(f"no department *-{suffix} in the database")
    return str(code)


def case_numbers(url: str, n: int, seed: int) -> list[str]:
    from sqlalchemy import text

    from zhili.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            total = int(conn.execute(text("SELECT count(*) FROM cases")).scalar_one())
            pct = min(100.0, max(0.01, 100.0 * 3 * n / max(1, total)))
            rows = [r[0] for r in conn.execute(text(f"SELECT number FROM cases TABLESAMPLE SYSTEM ({pct})"))]
    finally:
        engine.dispose()
    random.Random(seed).shuffle(rows)
    return rows[:n]


def prepare_pool(base: str, tokens: dict[str, str], points: list[tuple[float, float]], categories: list[str],
                 dept: str, counts: Counter[str], seed: int) -> dict[str, list[str]]:
    """Cases in the state each transition needs, made through the API (4 at a time)."""
    import httpx

    rng = random.Random(seed)
    op = {"Authorization": f"Bearer {tokens['operator']}"}

    def make(target: str) -> str:
        with httpx.Client(base_url=base, headers=op, timeout=60) as c:
            doc = json.loads(bi._intake_body(rng, "operator", rng.choice(points), rng.choice(categories)))
            r = c.post("/api/cases", json=doc)
            r.raise_for_status()
            number = str(r.json()["number"])
            if target in ("dispatch", "acknowledge"):
                c.post(f"/api/cases/{number}/actions/register", json={}).raise_for_status()
            if target == "acknowledge":
                c.post(f"/api/cases/{number}/actions/dispatch", json={"department": dept}).raise_for_status()
            return number

    pool: dict[str, list[str]] = {t: [] for t in TRANSITIONS}
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        for t in TRANSITIONS:
            pool[t] = list(ex.map(make, [t] * counts[t]))
    return pool


def build_requests(port: int, kinds: list[str], rng: random.Random, tokens: dict[str, str],
                   points: list[tuple[float, float]], categories: list[str], numbers: list[str],
                   pool: dict[str, list[str]], dept: str) -> tuple[list[bytes], list[str]]:
    raws, labels = [], []
    personas = [p for p, _ in bi.PERSONAS]
    weights = [w for _, w in bi.PERSONAS]
    turn = 0
    for kind in kinds:
        if kind == "intake":
            who = rng.choices(personas, weights)[0]
            body = bi._intake_body(rng, who, rng.choice(points), rng.choice(categories))
            raws.append(bi._raw_post(port, "/api/cases", tokens[who], uuid.uuid4().hex, body))
            labels.append(kind)
        elif kind == "list":
            who, path = rng.choice(LISTS)
            raws.append(raw_get(port, path, tokens[who]))
            labels.append(kind)
        elif kind == "detail":
            raws.append(raw_get(port, f"/api/cases/{rng.choice(numbers)}", tokens["operator"]))
            labels.append(kind)
        elif kind == "transition":
            action = TRANSITIONS[turn % len(TRANSITIONS)]
            turn += 1
            number = pool[action].pop()
            doc = {"department": dept} if action == "dispatch" else {}
            who = "cg" if action == "acknowledge" else "operator"
            raws.append(raw_post(port, f"/api/cases/{number}/actions/{action}", tokens[who], doc))
            labels.append(f"transition:{action}")
        else:
            raws.append(raw_get(port, rng.choice(COCKPIT), tokens["leader"]))
            labels.append(kind)
    return raws, labels


def stats(values: list[float]) -> dict[str, float]:
    s = sorted(values)
    if not s:
        return {"n": 0}
    return {"n": len(s), "p50_ms": round(bi.pct(s, 50) * 1000, 1), "p95_ms": round(bi.pct(s, 95) * 1000, 1),
            "p99_ms": round(bi.pct(s, 99) * 1000, 1), "max_ms": round(s[-1] * 1000, 1)}


def summarise(rate: float, out: dict[str, Any], labels: list[str], server_cpu: float, busy: float,
              wall: float) -> dict[str, Any]:
    import os

    results = out["results"]
    ok = [(lat, labels[i]) for i, (lat, _, s) in enumerate(results) if s in (200, 201)]
    errors = Counter(f"{labels[i]} {s}" for i, (_, _, s) in enumerate(results) if s not in (200, 201))
    window = out["end"] - out["start"]
    by_kind: dict[str, list[float]] = {}
    for lat, label in ok:
        by_kind.setdefault(label.split(":")[0], []).append(lat)
    tick = os.sysconf("SC_CLK_TCK")
    row = {"target_rate": rate, "sent": len(results), "window_s": round(window, 2),
           "achieved_rate": round(len(ok) / window, 1) if window > 0 else 0.0,
           "errors": dict(errors.most_common()), "all": stats([lat for lat, _ in ok]),
           "by_kind": {k: stats(v) for k, v in sorted(by_kind.items())},
           "created_201": sum(1 for i, (_, _, s) in enumerate(results) if s == 201 and labels[i] == "intake"),
           "cpu_machine_pct": round(100 * busy / wall, 1) if wall else 0.0,
           "cpu_server_s": round(server_cpu, 1), "cpu_loadgen_s": round(out["cpu_s"], 1),
           "cpu_postgres_and_other_s": round(busy / tick - server_cpu - out["cpu_s"], 1),
           "send_lag_ms": round(out["send_lag_ms"], 1)}
    row["meets_budget"] = (rate >= BUDGET["rate"] and not errors and row["achieved_rate"] >= 0.98 * rate
                           and row["all"].get("p95_ms", 1e9) < BUDGET["p95_ms"])
    return row


def main() -> None:
    import bench_case_pages as bcp
    import bench_cockpit as bc

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", default=bi.DEFAULT_URL)
    ap.add_argument("--rates", default="40,60,80,100", help="target rates (requests/s), comma-separated")
    ap.add_argument("--duration", type=float, default=30.0, help="seconds per rate")
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds at 50/s before the measured steps")
    ap.add_argument("--pause", type=float, default=3.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-conns", type=int, default=64)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--cases", type=int, default=100_000, help="historical cases to fill (unless --reuse)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--var-dir", default="/tmp/zhili_bench_var")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    var_dir = Path(args.var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)
    bi.configure_here(args.database_url, var_dir)
    report: dict[str, Any] = {"command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
                              "machine": bi.machine_info(), "workers": args.workers, "mix": dict(MIX),
                              "started_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
                              "loadavg_start": bi.loadavg()}
    if not args.reuse:
        bi.say("preparing the database (migrate, demo district, rules) ...")
        bi.prepare_db(args.database_url)
        bi.say(f"filling {args.cases:,} cases ...")
        bcp.fill(args.database_url, args.cases, args.seed, bi.say)
        bc.rebuild_rollups(args.database_url)
    points, categories = bi.sample_material(args.database_url, 5000, args.seed)
    numbers = case_numbers(args.database_url, 5000, args.seed)
    dept = department_code(args.database_url, "CG")
    report["data"] = {"cases_before": bi.count_cases(args.database_url), "detail_numbers": len(numbers)}
    rng = random.Random(args.seed)
    plan = ([("warmup", 50.0, args.warmup)] if args.warmup > 0 else []) + \
        [("step", float(r), args.duration) for r in args.rates.split(",") if r.strip()]
    kinds_by_step = [plan_kinds(rng, int(rate * d)) for _, rate, d in plan]
    counts: Counter[str] = Counter()  # build_requests takes the transitions in turn within each step
    for kinds in kinds_by_step:
        counts.update(TRANSITIONS[j % len(TRANSITIONS)] for j in range(kinds.count("transition")))

    port = bi.free_port()
    bi.say(f"starting uvicorn with {args.workers} workers on :{port} ...")
    server = bi.start_server(args.database_url, var_dir, args.workers, port, var_dir / f"server-{port}.log")
    base = f"http://127.0.0.1:{port}"
    steps = []
    try:
        tokens = bc.tokens(args.database_url, list(USERS))
        t = time.perf_counter()
        pool = prepare_pool(base, tokens, points, categories, dept, counts, args.seed)
        bi.say(f"made {sum(counts.values())} cases for the transitions in {time.perf_counter() - t:.0f} s")
        before = bi.count_cases(args.database_url)
        created = unanswered = 0
        for (kind, rate, _), kinds in zip(plan, kinds_by_step, strict=True):
            raws, labels = build_requests(port, kinds, rng, tokens, points, categories, numbers, pool, dept)
            spec = {"port": port, "rate": rate, "raws": raws, "max_conns": args.max_conns, "timeout": args.timeout}
            s0, (b0, w0), la0 = bi.process_tree_cpu(server.pid), bi.machine_cpu(), bi.loadavg()
            out = bi.run_loadgen(spec)
            s1, (b1, w1) = bi.process_tree_cpu(server.pid), bi.machine_cpu()
            row = summarise(rate, out, labels, s1 - s0, b1 - b0, w1 - w0)
            row["loadavg_before"], row["loadavg_after"] = la0, bi.loadavg()
            created += row["created_201"]
            unanswered += sum(v for k, v in row["errors"].items()
                              if k.startswith("intake ") and k.split()[-1] in ("-1", "-2", "500", "502", "503"))
            if kind == "step":
                steps.append(row)
                a = row["all"]
                bi.say(f"{rate:>5.0f}/s: achieved {row['achieved_rate']:>6.1f}/s  p50 {a.get('p50_ms')}  "
                       f"p95 {a.get('p95_ms')}  p99 {a.get('p99_ms')} ms  errors {row['errors'] or 0}  "
                       f"cpu {row['cpu_machine_pct']}%")
            time.sleep(args.pause)
        new = bi.count_cases(args.database_url) - before
    finally:
        bi.stop_server(server)
    report["steps"] = steps
    # A request the client gave up on (timeout) may still have been committed later: then the new cases may exceed
    # the 201s by at most that many.
    report["verify"] = {"intake_201": created, "new_cases_in_db": new, "unanswered_intake": unanswered,
                        "ok": created == new if not unanswered else created <= new <= created + unanswered}
    report["loadavg_end"] = bi.loadavg()
    report["budget"] = BUDGET
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    m = report["machine"]
    print(f"machine: {m['nproc']} CPU ({m['cpu']}), {m['ram_gib']} GiB, PostgreSQL {m['postgresql']}, "
          f"Python {m['python']}; uvicorn workers: {args.workers}; {report['data']['cases_before']:,} cases")
    print(f"load average start {report['loadavg_start']} end {report['loadavg_end']}")
    kinds = ["intake", "list", "detail", "transition", "cockpit"]
    print("| target/s | achieved/s | p50 | p95 | p99 | max | " + " | ".join(f"{k} p95" for k in kinds)
          + " | errors | machine CPU % |")
    print("|" + "---:|" * (6 + len(kinds)) + "---|---:|")
    for r in steps:
        a = r["all"]
        per = " | ".join(str(r["by_kind"].get(k, {}).get("p95_ms", "-")) for k in kinds)
        print(f"| {r['target_rate']:.0f} | {r['achieved_rate']} | {a.get('p50_ms')} | {a.get('p95_ms')} | "
              f"{a.get('p99_ms')} | {a.get('max_ms')} | {per} | {r['errors'] or '-'} | {r['cpu_machine_pct']} |")
    v = report["verify"]
    print(f"verify: {v['intake_201']} intake answers 201, {v['unanswered_intake']} unanswered, "
          f"{v['new_cases_in_db']} new cases -> "
          f"{'OK' if v['ok'] else 'MISMATCH'}")


if __name__ == "__main__":
    main()
