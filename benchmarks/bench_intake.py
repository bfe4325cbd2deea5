"""Benchmark: case intake over HTTP on PostgreSQL (`POST /api/cases`: locate + number + case + timeline event +
audit chain + the detail answer with its routing suggestion).

1. Prepares the database (drop and recreate the public schema, migrate, build the demo district, seed the
   default responsibility rules) unless ``--reuse``.
2. Starts the app under uvicorn with ``--workers N`` (default 2) in a subprocess, on PostgreSQL, with
   ``ZHILI_EMBEDDED_WORKER=false`` and no access log, and waits for ``/healthz``.
3. Takes bearer tokens for the intake personas (operator = 12345 hotline, street official, grid worker, resident).
4. A separate load-generator process (``multiprocessing``, spawn) drives ``POST /api/cases`` open-loop at fixed
   target rates, each for a fixed duration: requests are sent on a fixed schedule whatever the server's speed, over
   a pool of keep-alive connections (a small asyncio/uvloop HTTP/1.1 client, so the generator takes as little as
   possible of the 2 cores it shares with the server and PostgreSQL; at most --max-conns in flight). Latency is
   measured from the request's *scheduled* send time to the last byte of the answer, so a server that falls behind
   is charged for the queueing it causes (no coordinated omission).
   Each request has a random point inside a random micro-grid of a random grid of the demo district, a random
   active leaf category, a distinct ``Idempotency-Key``, and for hotline calls a caller name and phone.
5. Reports per rate: achieved throughput, p50/p95/p99/max latency, errors by status, CPU use of the machine, the
   server, the load generator, and (sampled from pg_stat_activity) backends waiting for locks; stops escalating
   after the first rate the server cannot keep up with (unless --keep-going); then checks that the number of 201
   answers equals the number of new cases.

    .venv/bin/python benchmarks/bench_intake.py [--rates 25,50,100,200,400,500,600] [--duration 20] [--workers 2]
        [--reuse] [--json] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/zhili_bench]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import random
import resource
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/zhili_bench"
BENCH_KEY = "5a" * 32  # a fixed key for the benchmark database, so every process can read what another wrote
PASSWORD = "Zhili@2026"
# Who files cases, and how often: 12345 operators take most; grid workers, street staff and residents the rest.
PERSONAS = (("operator", 0.6), ("grid_a", 0.2), ("street", 0.1), ("resident", 0.1))
BUDGET_RATE = 500.0
BUDGET_P99_MS = 100.0


# ---- environment, database, server -----------------------------------------------------------------------------

def bench_env(url: str, var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(ZHILI_DATABASE_URL=url, ZHILI_SECRET_KEY=BENCH_KEY, ZHILI_VAR_DIR=str(var_dir),
               ZHILI_EMBEDDED_WORKER="false", PYTHONPATH=str(ROOT))
    return env


def configure_here(url: str, var_dir: Path) -> None:
    """Make this process use the benchmark database and key (before anything reads the settings)."""
    os.environ.update({k: v for k, v in bench_env(url, var_dir).items() if k.startswith("ZHILI_")})
    from zhili.config import get_settings

    get_settings.cache_clear()


def prepare_db(url: str, seed: int = 2026) -> dict[str, float]:
    """Empty schema -> migrated -> demo district -> default responsibility rules. Returns stage timings (s)."""
    from sqlalchemy import text

    from zhili.auth.actor import system_actor
    from zhili.config import get_settings
    from zhili.db import make_engine, make_sessionmaker, transaction
    from zhili.demo.build import build_demo
    from zhili.kit import crypto
    from zhili.migrate import upgrade

    settings = get_settings()
    crypto.configure(settings.secret_key, settings.var_dir)
    engine = make_engine(url)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    timings["migrate_s"] = time.perf_counter() - t
    t = time.perf_counter()
    with transaction(make_sessionmaker(engine), info={"actor": system_actor(), "ip": "bench"}) as session:
        build_demo(session, seed=seed)
        with contextlib.suppress(ImportError):
            from zhili.taxonomy.seed import seed_default_rules

            seed_default_rules(session)  # idempotent; build_demo may already have done it
    timings["demo_s"] = time.perf_counter() - t
    engine.dispose()
    return timings


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the server's child process: get SIGTERM when the benchmark process dies, however it dies (Linux)."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


def experimental_app() -> Any:
    """`--experiment autonomous-number` (uvicorn --factory): the app, except that the day's case number is taken
    in its own short transaction on a separate small pool, committed at once, instead of inside the request's
    transaction (where the counter row stays locked until the request commits). Numbers may then have gaps when
    a request fails after taking one. Measures what the per-day counter lock costs; zhili/ itself is unchanged."""
    from sqlalchemy import create_engine
    from sqlalchemy.dialects import postgresql

    from zhili.app import create_app
    from zhili.cases import repository
    from zhili.cases.models import CaseCounter

    app = create_app()
    numbers = create_engine(app.state.engine.url, pool_size=2, max_overflow=4)

    def next_sequence(session: Any, day: str) -> int:
        stmt = postgresql.insert(CaseCounter).values(day=day, value=1).on_conflict_do_update(
            index_elements=[CaseCounter.day], set_={"value": CaseCounter.value + 1}).returning(CaseCounter.value)
        with numbers.begin() as conn:
            return int(conn.execute(stmt).scalar_one())

    repository.next_sequence = next_sequence
    return app


def start_server(url: str, var_dir: Path, workers: int, port: int, log: Path,
                 experiment: str | None = None) -> subprocess.Popen[bytes]:
    """uvicorn as `zhili serve` runs it (same app, proxy headers), minus the access log, N worker processes."""
    target = ["bench_intake:experimental_app", "--factory"] if experiment else ["zhili.asgi:app"]
    cmd = [sys.executable, "-m", "uvicorn", *target, "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--proxy-headers", "--no-access-log", "--log-level", "warning"]
    fh = log.open("wb")
    env = bench_env(url, var_dir)
    if experiment:
        env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{ROOT / 'benchmarks'}"
    proc = subprocess.Popen(cmd, cwd=str(ROOT), env=env, stdout=fh, stderr=subprocess.STDOUT,
                            start_new_session=True, preexec_fn=_die_with_parent)
    deadline = time.monotonic() + 90
    ready = 0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    ready += 1
                    if ready >= 3 * workers:  # a few answers, so that every worker has likely started
                        return proc
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError(f"server did not answer /healthz within 90 s; see {log}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def process_tree_cpu(pid: int) -> float:
    """User+system CPU seconds of a process and its live descendants (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                fields = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(d))
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
        todo += children.get(p, [])
    return total


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies from /proc/stat."""
    vals = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = vals[3] + vals[4]
    total = sum(vals[:8])
    return float(total - idle), float(total)


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def http_json(base: str, method: str, path: str, body: dict[str, Any] | None = None,
              token: str | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def wait_drained(base: str, limit_s: float = 180.0) -> float:
    """After a step: wait until the server answers /healthz (a sync route, so it queues behind any backlog of
    intake requests in the thread pool) within 50 ms, i.e. the backlog of an overloaded step is worked off."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=60) as r:
                r.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(1)
            continue
        if time.perf_counter() - t < 0.05:
            break
        time.sleep(0.5)
    return time.monotonic() - t0


def token_for(base: str, username: str) -> str:
    status, body = http_json(base, "POST", "/api/auth/token", {"username": username, "password": PASSWORD,
                                                               "name": "bench"})
    if status != 201:
        raise RuntimeError(f"token for {username}: {status} {body}")
    return str(body["access_token"])


# ---- request material -------------------------------------------------------------------------------------------

def sample_material(url: str, n_points: int, seed: int) -> tuple[list[tuple[float, float]], list[str]]:
    """Random points inside the demo's micro-grids (a random grid, then one of its micro-grids, then a point
    inside that micro-grid shrunk by ~1 m, so no point sits on a border) and the active leaf category codes."""
    import shapely
    from sqlalchemy import select

    from zhili.db import make_engine
    from zhili.kit.geojson import shape_from_geojson
    from zhili.org.models import MicroGrid
    from zhili.taxonomy.lookup import leaf_choices

    engine = make_engine(url)
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        micro: dict[int, list[Any]] = {}
        for grid_id, geom in session.execute(select(MicroGrid.grid_id, MicroGrid.geom)):
            micro.setdefault(grid_id, []).append(geom)
        leaves = [code for code, _, _ in leaf_choices(session)]
    engine.dispose()
    rng = random.Random(seed)
    grids = sorted(micro)
    shapes: dict[tuple[int, int], Any] = {}
    points: list[tuple[float, float]] = []
    while len(points) < n_points:
        g = rng.choice(grids)
        k = rng.randrange(len(micro[g]))
        poly = shapes.get((g, k))
        if poly is None:
            poly = shape_from_geojson(micro[g][k]).buffer(-1e-5)
            shapely.prepare(poly)
            shapes[(g, k)] = poly
        if poly.is_empty:
            continue
        x0, y0, x1, y1 = poly.bounds
        for _ in range(100):
            x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if shapely.intersects_xy(poly, x, y):
                points.append((round(x, 7), round(y, 7)))
                break
    return points, leaves


# ---- the load generator (its own process) ---------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
TITLES = ["小区门口垃圾堆放", "路灯不亮", "占道经营", "窨井盖破损", "噪声扰民", "共享单车乱停放", "绿化带损坏",
          "道路积水", "违章搭建", "油烟污染", "楼道杂物堆积", "广告牌破损"]


class HttpConn:
    """One keep-alive HTTP/1.1 connection; answers must carry Content-Length or be chunked."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def request(self, raw: bytes) -> tuple[int, bytes, bool]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        else:
            body = await self.reader.read()
            return status, body, False
        return status, body, headers.get("connection", "").lower() != "close"

    def close(self) -> None:
        self.writer.close()


def _raw_post(port: int, path: str, token: str, key: str, body: bytes) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nIdempotency-Key: {key}\r\nContent-Length: {len(body)}\r\n"
            f"Connection: keep-alive\r\n\r\n").encode() + body


def _intake_body(rng: random.Random, persona: str, point: tuple[float, float], category: str) -> bytes:
    doc: dict[str, Any] = {"title": rng.choice(TITLES), "description": "市民反映：" + rng.choice(TITLES) + "，请尽快处理。",
                           "category": category, "lon": point[0], "lat": point[1], "address": "鄞州区某路某号"}
    if persona == "operator":
        doc["caller_name"] = rng.choice(SURNAMES) + "先生"
        doc["caller_phone"] = f"13{rng.randrange(10**9):09d}"
    return json.dumps(doc, ensure_ascii=False).encode()


async def _drive(spec: dict[str, Any]) -> dict[str, Any]:
    port, rate, duration = spec["port"], float(spec["rate"]), float(spec["duration"])
    max_conns, timeout = int(spec["max_conns"]), float(spec["timeout"])
    rng = random.Random(spec["seed"])
    points, categories, tokens = spec["points"], spec["categories"], spec["tokens"]
    names = [p for p, _ in PERSONAS]
    weights = [w for _, w in PERSONAS]
    n = int(rate * duration)
    # Build every request up front, so the send loop does no JSON work.
    raws = []
    for _ in range(n):
        persona = rng.choices(names, weights)[0]
        body = _intake_body(rng, persona, points[rng.randrange(len(points))], rng.choice(categories))
        raws.append(_raw_post(port, "/api/cases", tokens[persona], uuid.uuid4().hex, body))
    return await send_schedule(port, rate, raws, max_conns, timeout)


async def send_schedule(port: int, rate: float, raws: list[bytes], max_conns: int, timeout: float) -> dict[str, Any]:
    """Send the prepared raw requests open-loop, request i at start + i/rate, over a pool of keep-alive connections.
    `results[i]` is (latency from the scheduled time, service time from the send, status) of request i."""
    n = len(raws)
    idle: list[tuple[HttpConn, float]] = []
    retries = {"n": 0}
    slots = asyncio.Semaphore(max_conns)  # at most max_conns requests (and so connections) in flight
    conns = {"open": 0, "peak": 0, "opened_total": 0}
    results: list[tuple[float, float, int]] = [(0.0, 0.0, 0)] * n  # by request index

    async def connect() -> HttpConn:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        conns["open"] += 1
        conns["opened_total"] += 1
        conns["peak"] = max(conns["peak"], conns["open"])
        return HttpConn(reader, writer)

    def discard(conn: HttpConn) -> None:
        conn.close()
        conns["open"] -= 1

    async def one(i: int, scheduled: float) -> None:
        status = 0
        sent = scheduled
        try:
            async with asyncio.timeout(timeout), slots:
                conn = None
                while idle:  # newest first; uvicorn drops keep-alive connections idle for 5 s
                    c, since = idle.pop()
                    if time.monotonic() - since < 3.0:
                        conn = c
                        break
                    discard(c)
                reused = conn is not None
                conn = conn or await connect()
                sent = time.perf_counter()
                try:
                    status, _, keep = await conn.request(raws[i])
                except (ConnectionError, asyncio.IncompleteReadError, OSError):
                    discard(conn)
                    if not reused:
                        raise
                    # The server closed a reused connection under us: resend once on a fresh one. Safe for a POST
                    # here, as it carries an Idempotency-Key (a retry of a request that did land answers 200).
                    retries["n"] += 1
                    conn = await connect()
                    status, _, keep = await conn.request(raws[i])
                if keep:
                    idle.append((conn, time.monotonic()))
                else:
                    discard(conn)
        except TimeoutError:
            status = -1  # no answer within the timeout
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            status = -2  # connection failure
        done = time.perf_counter()
        results[i] = (done - scheduled, done - sent, status)

    tasks = []
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter() + 0.2
    for i in range(n):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, scheduled)))
    send_end = time.perf_counter()
    await asyncio.gather(*tasks)
    end = time.perf_counter()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    for c, _ in idle:
        c.close()
    return {"retries": retries["n"], "results": results, "start": start, "send_end": send_end, "end": end, "peak_conns": conns["peak"],
            "opened_total": conns["opened_total"],
            "cpu_s": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
            "send_lag_ms": (send_end - (start + (n - 1) / rate)) * 1000 if n else 0.0}


def loadgen_main(spec: dict[str, Any], conn: Any) -> None:
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()
    conn.send(asyncio.run(_drive(spec) if "raws" not in spec else send_schedule(
        spec["port"], float(spec["rate"]), spec["raws"], int(spec["max_conns"]), float(spec["timeout"]))))
    conn.close()


class ActivitySampler:
    """Every 0.2 s during a step: how many of the benchmark database's backends are running a statement, and how
    many of those wait for a lock (the per-day case counter row and the audit chain head serialise intakes)."""

    def __init__(self, url: str) -> None:
        import threading

        self.dsn = url.replace("postgresql+psycopg://", "postgresql://")
        self.db = url.rsplit("/", 1)[1].split("?")[0]
        self.samples: list[tuple[int, int, int, Counter[str]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self._stop.wait(0.2):
                rows = conn.execute(
                    "SELECT state, wait_event_type, left(query, 60) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (self.db,)).fetchall()
                active = [(t, q) for st, t, q in rows if st == "active"]
                waits = Counter(" ".join((q or "").split()[:3]) for t, q in active if t == "Lock")
                idle_tx = sum(1 for st, _, _ in rows if st == "idle in transaction")
                self.samples.append((len(active), sum(1 for t, _ in active if t == "Lock"), idle_tx, waits))

    def __enter__(self) -> ActivitySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict[str, Any]:
        if not self.samples:
            return {}
        n = len(self.samples)
        waiting_on: Counter[str] = Counter()
        for *_, w in self.samples:
            waiting_on.update(w)
        return {"samples": n, "mean_active_backends": round(sum(s[0] for s in self.samples) / n, 1),
                "mean_lock_waiting": round(sum(s[1] for s in self.samples) / n, 1),
                "max_lock_waiting": max(s[1] for s in self.samples),
                "mean_idle_in_transaction": round(sum(s[2] for s in self.samples) / n, 1),
                "max_idle_in_transaction": max(s[2] for s in self.samples),
                "lock_waits_by_statement": dict(waiting_on.most_common(3))}


def run_loadgen(spec: dict[str, Any]) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=loadgen_main, args=(spec, child), name="zhili-loadgen")
    proc.start()
    child.close()
    out: dict[str, Any] = parent.recv()
    proc.join()
    return out


# ---- one step ---------------------------------------------------------------------------------------------------

def pct(sorted_vals: list[float], q: float) -> float:
    if not sorted_vals:
        return float("nan")
    k = min(len(sorted_vals) - 1, max(0, round(q / 100 * len(sorted_vals) + 0.5) - 1))
    return sorted_vals[k]


def summarise(rate: float, duration: float, out: dict[str, Any], server_cpu: float, busy: float,
              wall: float) -> dict[str, Any]:
    """`busy`/`wall` are /proc/stat jiffies (all CPUs): busy / wall is the machine's CPU use; busy minus the server's
    and the load generator's CPU is PostgreSQL plus anything else running on the machine."""
    results = out["results"]
    statuses = Counter(s for _, _, s in results)
    ok = sorted(lat for lat, _, s in results if s in (200, 201))
    svc = sorted(st for _, st, s in results if s in (200, 201))
    window = out["end"] - out["start"]
    errors = {str(k): v for k, v in sorted(statuses.items()) if k not in (200, 201)}
    tick = os.sysconf("SC_CLK_TCK")
    other_cpu = busy / tick - server_cpu - out["cpu_s"]
    done = max(1, statuses.get(201, 0))
    return {
        "target_rate": rate, "duration_s": duration, "sent": len(results), "created_201": statuses.get(201, 0),
        "replayed_200": statuses.get(200, 0), "retries_on_stale_connection": out["retries"],
        "errors": errors, "window_s": round(window, 3),
        "achieved_rate": round(statuses.get(201, 0) / window, 1) if window > 0 else 0.0,
        "p50_ms": round(pct(ok, 50) * 1000, 1), "p95_ms": round(pct(ok, 95) * 1000, 1),
        "p99_ms": round(pct(ok, 99) * 1000, 1), "max_ms": round(ok[-1] * 1000, 1) if ok else float("nan"),
        "service_p99_ms": round(pct(svc, 99) * 1000, 1),
        "peak_connections": out["peak_conns"], "send_lag_ms": round(out["send_lag_ms"], 1),
        "cpu_machine_pct": round(100 * busy / wall, 1) if wall else 0.0,
        "cpu_server_s": round(server_cpu, 2), "cpu_loadgen_s": round(out["cpu_s"], 2),
        "cpu_other_s": round(other_cpu, 2),
        "cpu_ms_per_case": {"server": round(1000 * server_cpu / done, 2),
                            "postgres_and_other": round(1000 * other_cpu / done, 2),
                            "loadgen": round(1000 * out["cpu_s"] / max(1, len(results)), 2)},
    }


def count_cases(url: str) -> int:
    from sqlalchemy import text

    from zhili.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        n = int(conn.execute(text("SELECT count(*) FROM cases")).scalar_one())
    engine.dispose()
    return n


def machine_info() -> dict[str, Any]:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    mem_kb = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
                  if ln.startswith("MemTotal"))
    try:
        pg = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"],
                            capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pg = "?"
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"], capture_output=True,
                              text=True, timeout=10).stdout.strip()[:90]
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "zhili"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        head, dirty = "?", ""
    return {"git_head": head + (" (+ uncommitted changes in zhili/)" if dirty else ""),
            "nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem_kb / 1024 / 1024, 1),
            "kernel": platform.release(), "python": platform.python_version(), "postgresql": pg}


def say(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", default=DEFAULT_URL)
    ap.add_argument("--rates", default="25,50,100,200,400,500,600", help="target rates (requests/s), comma-separated")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds per rate")
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds at 20/s before the measured steps")
    ap.add_argument("--pause", type=float, default=3.0, help="seconds of rest between steps")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--max-conns", type=int, default=64,
                    help="load generator's cap on requests in flight (so on server-side database connections: the "
                         "PostgreSQL server is shared, max_connections = 100)")
    ap.add_argument("--timeout", type=float, default=30.0, help="per-request timeout (s)")
    ap.add_argument("--points", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep-going", action="store_true",
                    help="run the higher rates even after a step saturated (>1%% unanswered or <90%% achieved)")
    ap.add_argument("--experiment", choices=["autonomous-number"], default=None,
                    help="measure a proposed change without editing zhili/ (see experimental_app)")
    ap.add_argument("--reuse", action="store_true", help="keep the database as it is (already prepared)")
    ap.add_argument("--var-dir", default="/tmp/zhili_bench_var")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    var_dir = Path(args.var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)
    configure_here(args.database_url, var_dir)
    report: dict[str, Any] = {"command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
                              "machine": machine_info(), "workers": args.workers, "experiment": args.experiment,
                              "started_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
                              "loadavg_start": loadavg()}
    if not args.reuse:
        say("preparing the database (migrate, demo district, rules) ...")
        report["prepare"] = {k: round(v, 1) for k, v in prepare_db(args.database_url).items()}
    points, categories = sample_material(args.database_url, args.points, args.seed)
    report["data"] = {"points": len(points), "leaf_categories": len(categories),
                      "cases_before": count_cases(args.database_url)}
    port = free_port()
    log = var_dir / f"server-{port}.log"
    say(f"starting uvicorn with {args.workers} workers on :{port} ...")
    server = start_server(args.database_url, var_dir, args.workers, port, log, args.experiment)
    base = f"http://127.0.0.1:{port}"
    try:
        tokens = {p: token_for(base, p) for p, _ in PERSONAS}
        created = unanswered = 0
        steps = []
        plan = ([("warmup", 20.0, args.warmup)] if args.warmup > 0 else []) + \
            [("step", float(r), args.duration) for r in args.rates.split(",") if r.strip()]
        for n, (kind, rate, duration) in enumerate(plan):
            spec = {"port": port, "rate": rate, "duration": duration, "max_conns": args.max_conns,
                    "timeout": args.timeout, "seed": args.seed * 1000 + n, "points": points,
                    "categories": categories, "tokens": tokens}
            s0, (b0, w0) = process_tree_cpu(server.pid), machine_cpu()
            la0 = loadavg()
            with ActivitySampler(args.database_url) as activity:
                out = run_loadgen(spec)
            s1, (b1, w1) = process_tree_cpu(server.pid), machine_cpu()
            row = summarise(rate, duration, out, s1 - s0, b1 - b0, w1 - w0)
            row["db_activity"] = activity.summary()
            row["loadavg_before"], row["loadavg_after"] = la0, loadavg()
            row["drain_s"] = round(wait_drained(base), 1)
            created += row["created_201"] + row["replayed_200"]
            unanswered += sum(v for k, v in row["errors"].items() if k in ("-1", "-2") or k.startswith("5"))
            if kind == "step":
                steps.append(row)
                (var_dir / "intake-steps.partial.json").write_text(json.dumps(steps, indent=1))
                say(f"{rate:>6.0f}/s: achieved {row['achieved_rate']:>6.1f}/s  p50 {row['p50_ms']:>7.1f}  "
                    f"p95 {row['p95_ms']:>7.1f}  p99 {row['p99_ms']:>7.1f}  max {row['max_ms']:>7.1f} ms  "
                    f"errors {row['errors']}  cpu {row['cpu_machine_pct']}%")
            else:
                say(f"warm-up: {row['created_201']} created, errors {row['errors']}")
            time.sleep(args.pause)
            bad = sum(v for k, v in row["errors"].items() if k in ("-1", "-2") or k.startswith("5"))
            if kind == "step" and not args.keep_going and (bad > 0.01 * row["sent"]
                                                            or row["achieved_rate"] < 0.9 * rate):
                skipped = [r for k, r, _ in plan[n + 1:] if k == "step"]
                if skipped:
                    say(f"saturated at {rate:.0f}/s: skipping {skipped} (use --keep-going to run them)")
                report["skipped_rates"] = skipped
                break
    finally:
        stop_server(server)
    after = count_cases(args.database_url)
    report["steps"] = steps
    new = after - report["data"]["cases_before"]
    # Without timeouts or 5xx the counts must be equal. A request the client gave up on (timeout) may still have
    # been committed by the server later, so then the new cases may exceed the 201s by at most that many.
    report["verify"] = {"created_201_or_replayed_200": created, "new_cases_in_db": new,
                        "unanswered_or_5xx": unanswered,
                        "ok": created == new if unanswered == 0 else created <= new <= created + unanswered}
    report["loadavg_end"] = loadavg()
    report["budget"] = {"rate": BUDGET_RATE, "p99_ms": BUDGET_P99_MS}
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    m = report["machine"]
    print(f"machine: {m['nproc']} CPU ({m['cpu']}), {m['ram_gib']} GiB, PostgreSQL {m['postgresql']}, "
          f"Python {m['python']}; uvicorn workers: {args.workers}")
    print(f"load average start {report['loadavg_start']} end {report['loadavg_end']}")
    print("| target/s | achieved/s | p50 ms | p95 ms | p99 ms | max ms | errors | machine CPU % | server / PG+other / "
          "loadgen CPU ms per case |")
    print("|---:|---:|---:|---:|---:|---:|---|---:|---|")
    for r in steps:
        c = r["cpu_ms_per_case"]
        print(f"| {r['target_rate']:.0f} | {r['achieved_rate']:.1f} | {r['p50_ms']} | {r['p95_ms']} | "
              f"{r['p99_ms']} | {r['max_ms']} | {r['errors'] or '-'} | {r['cpu_machine_pct']} | "
              f"{c['server']} / {c['postgres_and_other']} / {c['loadgen']} |")
    v = report["verify"]
    print(f"verify: {v['created_201_or_replayed_200']} answers 201 (or 200 for a resent request), "
          f"{v['new_cases_in_db']} new cases in the database -> "
          f"{'OK' if v['ok'] else 'MISMATCH'}")


if __name__ == "__main__":
    main()
