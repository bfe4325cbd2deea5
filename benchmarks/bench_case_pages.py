"""Benchmark: case list and detail with 1,000,000 cases in PostgreSQL (budget: p95 < 200 ms).

1. Prepares the database like bench_intake.py (migrate, demo district, default rules) unless ``--reuse``.
2. Fills it with ``--cases`` cases (default 1,000,000) unless it already holds that many: psycopg ``COPY`` into
   ``cases``, ``case_parts`` and ``case_events``, with realistic distributions over the demo's grids (so over its
   communities and streets), categories (a skewed, Zipf-like mix of the active leaves), channels, departments and
   twelve months of dates (daytime-weighted); the status depends on the age (almost every case older than a month
   is closed, rejected or merged; recent ones are still open, some yellow or red past their deadline). Every case
   has its timeline (intake, register, dispatch, acknowledge, reply, verify; reject or merge; rating) and, once
   dispatched, its lead part (10 % also a co-handler). Numbers are unique per local day: YZyyyymmdd-nnnnnn (each
   day continues after the day's counter, so cases made by bench_intake.py do not collide; the counters are
   moved on). Hotline cases carry an encrypted caller name and phone. No audit rows are written for the fill.
   Then ANALYZE.
3. Starts uvicorn (``--workers``, default 2) and measures, with sequential requests (one at a time, keep-alive,
   ``--samples`` each, default 200, after 5 unmeasured warm-up requests), p50/p95/p99/max of the JSON list in
   several scopes and filters, keyset pages 2..5, the detail of random cases, the queue badges (`/stats`), and the
   HTML pages ``/gov/cases`` and ``/gov/cases/{number}`` (cookie login) when they exist.
4. ``--explain``: EXPLAIN (ANALYZE, BUFFERS) of the list queries of the slowest scenarios, as the server builds
   them (the same SQLAlchemy statements, compiled for PostgreSQL).

    .venv/bin/python benchmarks/bench_case_pages.py [--cases 1000000] [--samples 200] [--reuse] [--json]
        [--explain] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/zhili_bench]
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "benchmarks")):
    if p not in sys.path:
        sys.path.insert(0, p)

import bench_intake as bi  # noqa: E402

BUDGET_P95_MS = 200.0
TZ = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC

TITLES = ["小区门口垃圾堆放", "路灯不亮", "占道经营", "窨井盖破损", "噪声扰民", "共享单车乱停放", "绿化带损坏", "道路积水",
          "违章搭建", "油烟污染", "楼道杂物堆积", "广告牌破损", "下水道堵塞", "电动车违规充电", "宠物扰民", "施工扬尘",
          "消防通道堵塞", "小区路面破损", "公交站台破损", "河道漂浮物"]
CHANNELS = [("hotline", 55), ("grid", 25), ("resident", 8), ("api", 7), ("sensor", 3), ("open311", 2)]

# Status mix by age of the case (days since received).
MIX_BY_AGE = [
    (1, {"received": 15, "registered": 10, "dispatched": 20, "in_progress": 35, "handled": 10, "closed": 10}),
    (7, {"received": 1, "registered": 1, "dispatched": 5, "in_progress": 25, "handled": 10, "suspended": 1,
         "closed": 52, "rejected": 3, "merged": 2}),
    (30, {"dispatched": 1, "in_progress": 6, "handled": 3, "suspended": 1, "closed": 83, "rejected": 4,
          "merged": 2}),
    (10**6, {"in_progress": 0.5, "handled": 0.2, "suspended": 0.3, "closed": 94, "rejected": 3, "merged": 2}),
]
LIMITS_WORK_DAYS = [1, 2, 3, 5, 5, 5, 7, 10, 15]


def _v(x: Any) -> str:
    if x is None:
        return "\\N"
    if isinstance(x, bool):
        return "t" if x else "f"
    if isinstance(x, dt.datetime):
        return x.isoformat()
    return str(x)


class Material:
    """What the fill draws from: the demo's grids, micro-grids, areas, departments, categories and users."""

    def __init__(self, session: Any) -> None:
        from sqlalchemy import select

        from zhili.auth.models import User
        from zhili.org.models import Department, DepartmentKind, Grid, MicroGrid
        from zhili.taxonomy.lookup import leaf_choices
        from zhili.taxonomy.models import Category

        self.grids = [tuple(r) for r in session.execute(
            select(Grid.id, Grid.area_id, Grid.area_path, Grid.center_lon, Grid.center_lat, Grid.name)
            .order_by(Grid.id))]
        self.micro: dict[int, list[int]] = {}
        for mid, gid in session.execute(select(MicroGrid.id, MicroGrid.grid_id)):
            self.micro.setdefault(gid, []).append(mid)
        depts = list(session.execute(select(Department.id, Department.code, Department.kind, Department.area_path)))
        self.functional = [d.id for d in depts if d.kind == DepartmentKind.functional]
        self.street_center = {d.area_path: d.id for d in depts if d.kind == DepartmentKind.center}
        leaves = {code for code, _, _ in leaf_choices(session)}
        cats = [c for c in session.scalars(select(Category)) if c.code in leaves]
        cats.sort(key=lambda c: c.code)
        self.categories = [(c.id, c.code, c.default_priority.value) for c in cats]
        self.users = {u: i for u, i in session.execute(select(User.username, User.id))}


def _cum(weights: list[float]) -> list[float]:
    out, s = [], 0.0
    for w in weights:
        s += w
        out.append(s)
    return out


def _pick(rng: random.Random, items: list[Any], cum: list[float]) -> Any:
    return items[bisect.bisect_right(cum, rng.random() * cum[-1])]


def fill(url: str, n_cases: int, seed: int, say: Any) -> dict[str, Any]:
    """COPY n_cases cases (plus parts and events) into the prepared database. Returns counts and timings."""
    import psycopg
    from sqlalchemy.orm import Session

    from zhili.cases.models import Case, CaseEvent, CasePart
    from zhili.config import get_settings
    from zhili.db import make_engine
    from zhili.kit import crypto

    settings = get_settings()
    crypto.configure(settings.secret_key, settings.var_dir)
    engine = make_engine(url)
    with Session(engine) as session:
        m = Material(session)
    engine.dispose()
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    rng = random.Random(seed)
    t0 = time.perf_counter()
    now = dt.datetime.now(UTC).replace(microsecond=0)
    start = now - dt.timedelta(days=365)

    # Arrival times: uniform days, daytime-weighted hours; sorted, so ids follow time.
    hour_w = [1, 0.5, 0.3, 0.3, 0.3, 0.5, 1, 3, 6, 8, 8, 7, 5, 6, 7, 7, 7, 6, 5, 4, 3, 2, 1.5, 1]
    hour_cum = _cum(hour_w)
    hours = list(range(24))
    span_days = 366  # day 0 is a year ago today, the last is today (times are kept before now)
    times: list[dt.datetime] = []
    for _ in range(n_cases):
        day = start.astimezone(TZ).replace(hour=0, minute=0, second=0) + dt.timedelta(days=rng.randrange(span_days))
        t = day + dt.timedelta(hours=_pick(rng, hours, hour_cum), seconds=rng.randrange(3600))
        t = t.astimezone(UTC)
        if t > now - dt.timedelta(minutes=10):
            t = now - dt.timedelta(minutes=10 + rng.randrange(600))
        times.append(t)
    times.sort()

    conn = psycopg.connect(dsn, autocommit=False)
    cur = conn.cursor()
    cur.execute("SELECT coalesce(max(id), 0) FROM cases")
    first_id = int(cur.fetchone()[0]) + 1  # type: ignore[index]
    cur.execute("SELECT coalesce(max(id), 0) FROM case_events")
    ev_id = int(cur.fetchone()[0])  # type: ignore[index]
    cur.execute("SELECT coalesce(max(id), 0) FROM case_parts")
    part_id = int(cur.fetchone()[0])  # type: ignore[index]
    cur.execute("SELECT day, value FROM case_counters")
    counters: dict[str, int] = {d: int(v) for d, v in cur.fetchall()}

    grid_w = [rng.lognormvariate(0, 0.8) for _ in m.grids]  # some grids are much busier than others
    grid_cum = _cum(grid_w)
    cat_w = [1.0 / (i + 1) ** 0.9 for i in range(len(m.categories))]
    rng.shuffle(cat_w)
    cat_cum = _cum(cat_w)
    ch_items, ch_cum = [c for c, _ in CHANNELS], _cum([float(w) for _, w in CHANNELS])
    mixes = [(age, list(mix), _cum(list(mix.values()))) for age, mix in MIX_BY_AGE]
    callers = []
    for i in range(400):
        name = TITLES[i % 7][:1] + "先生" if i % 2 else "李女士"
        phone = f"13{rng.randrange(10**9):09d}"
        callers.append((crypto.encrypt(name), crypto.encrypt(phone), crypto.blind_index(phone)))
    operator, grid_a, resident = m.users.get("operator"), m.users.get("grid_a"), m.users.get("resident")
    grid_a_grid = None
    from sqlalchemy import select

    from zhili.auth.models import UserScope

    engine = make_engine(url)
    with Session(engine) as session:
        if grid_a is not None:
            grid_a_grid = session.scalar(select(UserScope.grid_id).where(UserScope.user_id == grid_a))
    engine.dispose()

    case_cols = [c.name for c in Case.__table__.columns]
    part_cols = [c.name for c in CasePart.__table__.columns]
    event_cols = [c.name for c in CaseEvent.__table__.columns]
    required = {t.name: {c.name for c in t.columns if not c.nullable} for t in
                (Case.__table__, CasePart.__table__, CaseEvent.__table__)}

    stats: Counter[str] = Counter()
    case_buf: list[str] = []
    part_buf: list[str] = []
    event_buf: list[str] = []
    merged_pool: list[int] = []

    def row(cols: list[str], table: str, values: dict[str, Any]) -> str:
        missing = required[table] - {k for k, v in values.items() if v is not None}
        if missing:
            raise RuntimeError(f"fill: no value for NOT NULL {table}.{sorted(missing)} (the model changed?)")
        return "\t".join(_v(values.get(c)) for c in cols) + "\n"

    def event(case_id: int, at: dt.datetime, actor: str, action: str, frm: str | None, to: str | None,
              reason: str | None = None, detail: str | None = None) -> None:
        nonlocal ev_id
        ev_id += 1
        event_buf.append(row(event_cols, "case_events", {
            "id": ev_id, "case_id": case_id, "at": at, "actor_id": None, "actor_name": actor, "action": action,
            "from_status": frm, "to_status": to, "reason": reason, "detail": detail, "attachment_ids": None}))

    def part(case_id: int, dept: int, role: str, status: str, at: dt.datetime, ack: dt.datetime | None,
             done: dt.datetime | None, reply: str | None) -> None:
        nonlocal part_id
        part_id += 1
        part_buf.append(row(part_cols, "case_parts", {
            "id": part_id, "case_id": case_id, "department_id": dept, "role": role, "status": status,
            "task": "请按期处置并反馈", "reply": reply, "dispatch_no": 1, "dispatched_at": at,
            "acknowledged_at": ack, "handled_at": done}))

    def flush(final: bool = False) -> None:
        for table, cols, buf in (("cases", case_cols, case_buf), ("case_parts", part_cols, part_buf),
                                 ("case_events", event_cols, event_buf)):
            if buf and (final or len(buf) >= 50_000):
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
                    cp.write("".join(buf).encode())
                stats[f"{table}_rows"] += len(buf)
                buf.clear()

    hour = dt.timedelta(hours=1)
    for k, received in enumerate(times):
        cid = first_id + k
        local_day = received.astimezone(TZ).strftime("%Y%m%d")
        seq = counters.get(local_day, 0) + 1
        counters[local_day] = seq
        g = _pick(rng, m.grids, grid_cum)
        grid_id, area_id, area_path, clon, clat, _gname = g
        cat_id, _cat_code, prio = _pick(rng, m.categories, cat_cum)
        channel = _pick(rng, ch_items, ch_cum)
        age_days = (now - received).total_seconds() / 86400
        mix = next(x for x in mixes if age_days < x[0])
        status = _pick(rng, mix[1], mix[2])
        stats[status] += 1
        level = "community" if channel in ("grid", "resident") else "district"
        if rng.random() < 0.05:
            level = "street"
        reporter = None
        if channel == "grid" and grid_id == grid_a_grid:
            reporter = grid_a
        elif channel == "resident" and grid_id == grid_a_grid:
            reporter = resident
        caller = callers[rng.randrange(len(callers))] if channel == "hotline" else (None, None, None)
        street_path = "/".join(area_path.split("/")[:4]) + "/"
        dept = (m.street_center.get(street_path) if rng.random() < 0.4 else None) or rng.choice(m.functional)
        limit_days = rng.choice(LIMITS_WORK_DAYS)
        c: dict[str, Any] = {
            "id": cid, "number": f"YZ{local_day}-{seq:06d}", "version": 1, "title": rng.choice(TITLES),
            "description": "市民反映：" + rng.choice(TITLES) + "，请尽快处理。", "channel": channel,
            "category_id": cat_id, "priority": "urgent" if rng.random() < 0.03 else prio, "status": status,
            "level": level, "lon": round(clon + rng.uniform(-8e-4, 8e-4), 6),
            "lat": round(clat + rng.uniform(-6e-4, 6e-4), 6), "address": "鄞州区某路某号",
            "micro_grid_id": rng.choice(m.micro[grid_id]) if m.micro.get(grid_id) else None,
            "grid_id": grid_id, "area_id": area_id, "area_path": area_path, "reporter_user_id": reporter,
            "caller_name": caller[0], "caller_phone": caller[1], "caller_phone_bidx": caller[2],
            "created_by": operator if channel == "hotline" else None, "dispatch_count": 0, "designated": False,
            "self_handled": False, "rework_count": 0, "send_back_count": 0, "extension_count": 0,
            "reopen_count": 0, "escalation_count": 0, "warn_level": "none", "received_at": received,
            "updated_at": received,
        }
        actor = "12345受理员" if channel == "hotline" else "系统"
        event(cid, received, actor, "intake", None, "received", detail=json.dumps({"channel": channel}))
        t = received
        if status == "rejected":
            t += dt.timedelta(minutes=rng.randrange(10, 600))
            c.update(reject_reason="不属于受理范围", registered_at=None, updated_at=t)
            event(cid, t, actor, "reject", "received", "rejected", reason="不属于受理范围")
        elif status == "merged":
            t += dt.timedelta(minutes=rng.randrange(10, 600))
            master = merged_pool[-rng.randrange(1, len(merged_pool) + 1)] if merged_pool else None
            c.update(master_id=master, updated_at=t)
            event(cid, t, actor, "merge", "received", "merged", reason="重复诉求")
        elif status != "received":
            t += dt.timedelta(minutes=rng.randrange(5, 240))
            c["registered_at"] = t
            event(cid, t, actor, "register", "received", "registered")
            if status != "registered":
                t += dt.timedelta(minutes=rng.randrange(5, 240))
                deadline = t + dt.timedelta(days=limit_days * 1.4)
                yellow = t + (deadline - t) * 0.8
                c.update(dispatched_at=t, dispatch_count=1, department_id=dept, limit_value=float(limit_days),
                         limit_unit="work_days", clock_started_at=t, deadline_at=deadline, yellow_at=yellow)
                event(cid, t, actor, "dispatch", "registered", "dispatched",
                      detail=json.dumps({"department": dept}))
                dispatched_at = t
                ack = done = None
                reply = None
                if status in ("in_progress", "handled", "closed", "suspended"):
                    t += dt.timedelta(minutes=rng.randrange(5, 600))
                    ack = t
                    c["acknowledged_at"] = t
                    event(cid, t, "部门办理人", "acknowledge", "dispatched", "in_progress")
                if status in ("handled", "closed"):
                    t += hour * rng.uniform(2, limit_days * 24 * 1.3)
                    done = t
                    reply = "已现场处置完毕"
                    c["handled_at"] = t
                    event(cid, t, "部门办理人", "reply", "in_progress", "handled", reason=reply)
                if status == "closed":
                    t += hour * rng.uniform(1, 48)
                    c["closed_at"] = t
                    event(cid, t, "网格员", "verify_ok", "handled", "closed", reason="现场核查属实")
                    if rng.random() < 0.6:
                        t += hour * rng.uniform(1, 72)
                        sat = rng.choices(["satisfied", "basic", "unsatisfied"], [80, 15, 5])[0]
                        c.update(satisfaction=sat, rated_at=t)
                        event(cid, t, "回访员", "rate", None, None, detail=json.dumps({"satisfaction": sat}))
                if status == "suspended":
                    t += hour * rng.uniform(1, 48)
                    c.update(suspended_at=t, status_before_suspend="in_progress",
                             remaining_seconds=max(0.0, (deadline - t).total_seconds()))
                    event(cid, t, actor, "suspend", "in_progress", "suspended", reason="等待天气好转")
                if status in ("dispatched", "in_progress"):
                    if now >= deadline:
                        c["warn_level"] = "red"
                    elif now >= yellow:
                        c["warn_level"] = "yellow"
                    stats[f"warn_{c['warn_level']}"] += 1
                pstat = {"dispatched": "dispatched", "in_progress": "in_progress", "suspended": "in_progress",
                         "handled": "handled", "closed": "handled"}[status]
                part(cid, dept, "lead", pstat, dispatched_at, ack, done, reply)
                if rng.random() < 0.1:
                    co = rng.choice([d for d in m.functional if d != dept] or [dept])
                    part(cid, co, "co", pstat, dispatched_at, ack, done, reply)
                c["updated_at"] = t
        if status == "closed" and rng.random() < 0.05:
            merged_pool.append(cid)
        case_buf.append(row(case_cols, "cases", c))
        if len(case_buf) >= 50_000:
            flush()
            say(f"  {k + 1:,} cases ...")
    flush(final=True)
    for table in ("cases", "case_parts", "case_events"):
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    cur.execute("CREATE TEMP TABLE bench_counters (day varchar(8), value int) ON COMMIT DROP")
    with cur.copy("COPY bench_counters (day, value) FROM STDIN") as cp:
        cp.write("".join(f"{d}\t{v}\n" for d, v in counters.items()).encode())
    cur.execute("INSERT INTO case_counters (day, value) SELECT day, value FROM bench_counters "
                "ON CONFLICT (day) DO UPDATE SET value = greatest(case_counters.value, excluded.value)")
    conn.commit()
    t_copy = time.perf_counter() - t0
    t1 = time.perf_counter()
    conn.autocommit = True
    for table in ("cases", "case_parts", "case_events", "case_counters"):
        cur.execute(f"VACUUM ANALYZE {table}")
    t_analyze = time.perf_counter() - t1
    sizes = {}
    for table in ("cases", "case_parts", "case_events"):
        cur.execute(f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}")
        n, size = cur.fetchone()  # type: ignore[misc]
        sizes[table] = {"rows": int(n), "total_mb": round(int(size) / 2**20)}
    conn.close()
    return {"fill_s": round(t_copy, 1), "vacuum_analyze_s": round(t_analyze, 1), "tables": sizes,
            "status_mix": {k: v for k, v in sorted(stats.items()) if not k.endswith("_rows")}}


# ---- measuring ----------------------------------------------------------------------------------------------------

def _stats_ms(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    return {"n": len(s), "p50_ms": round(bi.pct(s, 50) * 1000, 1), "p95_ms": round(bi.pct(s, 95) * 1000, 1),
            "p99_ms": round(bi.pct(s, 99) * 1000, 1), "max_ms": round(s[-1] * 1000, 1) if s else float("nan")}


def _timed(client: Any, path: str, expect: int = 200) -> tuple[float, Any]:
    t = time.perf_counter()
    r = client.get(path)
    body = r.content
    elapsed = time.perf_counter() - t
    if r.status_code != expect:
        raise RuntimeError(f"GET {path}: {r.status_code} {body[:300]!r}")
    return elapsed, r


def measure(base: str, url: str, samples: int, seed: int, say: Any) -> dict[str, Any]:
    import httpx
    from sqlalchemy import text

    from zhili.db import make_engine

    rng = random.Random(seed)
    engine = make_engine(url)
    with engine.connect() as conn:
        max_id = int(conn.execute(text("SELECT max(id) FROM cases")).scalar_one())
        n_rows = int(conn.execute(text("SELECT count(*) FROM cases")).scalar_one())
        ids = rng.sample(range(1, max_id + 1), min(samples * 2, max_id))
        numbers = [r[0] for r in conn.execute(text("SELECT number FROM cases WHERE id = ANY(:ids)"),
                                              {"ids": ids})][:samples]
        street_code = conn.execute(text(
            "SELECT a.code FROM user_scopes s JOIN users u ON u.id = s.user_id JOIN areas a ON a.id = s.area_id "
            "WHERE u.username = 'street'")).scalar_one()
        other_street = conn.execute(text(
            "SELECT code FROM areas WHERE level = 'street' AND code <> :c ORDER BY code LIMIT 1"),
            {"c": street_code}).scalar_one()
        # A popular leaf and a major category (all its leaves), by case count.
        leaf = conn.execute(text(
            "SELECT c.code FROM cases x JOIN categories c ON c.id = x.category_id WHERE x.id > :lo "
            "GROUP BY c.code ORDER BY count(*) DESC LIMIT 1 OFFSET 3"), {"lo": max_id - 50_000}).scalar_one()
        major = conn.execute(text("SELECT code FROM categories WHERE parent_id IS NULL ORDER BY code LIMIT 1 "
                                  "OFFSET 2")).scalar_one()
        street_numbers = [r[0] for r in conn.execute(text(
            "SELECT number FROM cases WHERE area_path LIKE :p AND id = ANY(:ids)"),
            {"p": f"%/{street_code}/%", "ids": rng.sample(range(1, max_id + 1), min(200_000, max_id))})][:samples]
    engine.dispose()
    out: dict[str, Any] = {"cases_in_db": n_rows, "street": street_code, "leaf_category": leaf,
                           "major_category": major, "scenarios": []}
    clients: dict[str, httpx.Client] = {}

    def api_client(user: str) -> httpx.Client:
        if user not in clients:
            token = bi.token_for(base, user)
            clients[user] = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        return clients[user]

    def run(name: str, user: str, paths: list[str], client: httpx.Client | None = None) -> dict[str, Any]:
        cl = client or api_client(user)
        for p in paths[:5]:
            _timed(cl, p)
        times = []
        last: Any = None
        for p in paths:
            e, last = _timed(cl, p)
            times.append(e)
        row = {"scenario": name, "user": user, **_stats_ms(times), "example": paths[0]}
        if last is not None and last.headers.get("content-type", "").startswith("application/json"):
            doc = last.json()
            if isinstance(doc, dict) and "total" in doc:
                row["total"] = f"{doc['total']}{'+' if doc.get('total_capped') else ''}"
        out["scenarios"].append(row)
        say(f"  {name:<46} p50 {row['p50_ms']:>7.1f}  p95 {row['p95_ms']:>7.1f}  p99 {row['p99_ms']:>7.1f}  "
            f"max {row['max_ms']:>7.1f} ms")
        return row

    rep = [f"/api/cases?limit=50&_={i}" for i in range(samples)]
    run("list, district (operator)", "operator", rep)
    run("list, one street (street official)", "street", rep)
    run("list, one grid (grid worker)", "grid_a", rep)
    run("list, department (cg, handler)", "cg", rep)
    run("list, department inbox (cg, inbox=true)", "cg", [p + "&inbox=true" for p in rep])
    for label, q in (("queue=red", "queue=red"), ("queue=yellow", "queue=yellow"), ("queue=open", "queue=open"),
                     ("status=handled", "status=handled"), (f"category={leaf} (leaf)", f"category={leaf}"),
                     (f"category={major} (major)", f"category={major}"),
                     (f"area={other_street} (a street)", f"area={other_street}"),
                     ("channel=sensor", "channel=sensor")):
        run(f"list, district, {label}", "operator", [p + "&" + q for p in rep])
    run("list, street, queue=red", "street", [p + "&queue=red" for p in rep])
    run("list, street, status=handled", "street", [p + "&status=handled" for p in rep])
    run("list, grid worker tasks (tasks=true)", "grid_a", [p + "&tasks=true" for p in rep])

    # Keyset pages 2..5: walk from page 1, timing pages 2..5, as many walks as needed.
    for user, label in (("operator", "district"), ("street", "one street")):
        cl = api_client(user)
        times = []
        while len(times) < samples:
            page = cl.get("/api/cases?limit=50").json()
            for _ in range(4):
                e, r = _timed(cl, f"/api/cases?limit=50&before={page['next_before']}")
                times.append(e)
                page = r.json()
        row = {"scenario": f"list, {label}, keyset pages 2-5 (before=)", "user": user, **_stats_ms(times),
               "example": "/api/cases?limit=50&before=<next_before>"}
        out["scenarios"].append(row)
        say(f"  {row['scenario']:<46} p50 {row['p50_ms']:>7.1f}  p95 {row['p95_ms']:>7.1f}  "
            f"p99 {row['p99_ms']:>7.1f}  max {row['max_ms']:>7.1f} ms")
    deep = [f"/api/cases?limit=50&before={rng.randrange(1000, max_id)}" for _ in range(samples)]
    run("list, district, deep page (random before=)", "operator", deep)
    run("list, one street, deep page (random before=)", "street", deep)
    run("list, district, q=<case number>", "operator",
        [f"/api/cases?limit=50&q={n}" for n in numbers])
    run("queue badges GET /api/cases/stats, district", "operator", ["/api/cases/stats"] * samples)
    run("queue badges GET /api/cases/stats, one street", "street", ["/api/cases/stats"] * samples)
    run("detail GET /api/cases/{number}, operator", "operator", [f"/api/cases/{n}" for n in numbers])
    run("detail GET /api/cases/{number}, street", "street", [f"/api/cases/{n}" for n in street_numbers])

    # HTML pages (cookie login), if the workbench exists.
    web = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    web.get("/login")
    csrf = web.cookies.get("zhili_csrf")
    r = web.post("/login", data={"username": "operator", "password": bi.PASSWORD, "csrf_token": csrf or "",
                                 "next": ""})
    if r.status_code != 303:
        out["html"] = f"login failed: {r.status_code}"
    elif web.get("/gov/cases").status_code == 404:
        out["html"] = "no /gov/cases page"
    else:
        run("page /gov/cases (workbench), operator", "operator", [f"/gov/cases?_={i}" for i in range(samples)], web)
        run("page /gov/cases?queue=red, operator", "operator",
            [f"/gov/cases?queue=red&_={i}" for i in range(samples)], web)
        run("page /gov/cases/{number}, operator", "operator", [f"/gov/cases/{n}" for n in numbers], web)
    for c in clients.values():
        c.close()
    web.close()
    return out


# ---- EXPLAIN --------------------------------------------------------------------------------------------------

def explain(url: str, usernames: list[str], queries: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """EXPLAIN (ANALYZE, BUFFERS) of case_list's two statements, built by the app's own repository code."""
    from sqlalchemy import func, select, text
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.orm import Session

    from zhili.auth import repository as auth_repo
    from zhili.auth.models import User
    from zhili.cases import repository as repo
    from zhili.cases.models import Case

    engine = make_engine_any(url)
    found = []
    with Session(engine) as session:
        for username in usernames:
            user = session.scalar(select(User).where(User.username == username))
            actor = auth_repo.build_actor(session, user)  # type: ignore[arg-type]
            for label, kw in queries:
                filters = list(kw.get("filters", []))
                where = [repo.visible(actor), *filters]
                stmts = {"page": select(Case.id).where(*where).order_by(Case.id.desc()).limit(50),
                         "count": select(func.count()).select_from(
                             select(Case.id).where(*where).limit(repo.COUNT_CAP + 1).subquery())}
                if kw.get("counts"):
                    stmts = {"status_counts": select(Case.status, func.count()).where(repo.visible(actor))
                             .group_by(Case.status)}
                for part, stmt in stmts.items():
                    sql = str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
                    plan = session.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql)).scalars().all()
                    found.append({"user": username, "query": label, "part": part, "sql": sql, "plan": plan})
    engine.dispose()
    return found


def make_engine_any(url: str) -> Any:
    from zhili.db import make_engine

    return make_engine(url)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", default=bi.DEFAULT_URL)
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--reuse", action="store_true", help="do not rebuild the demo; fill only up to --cases")
    ap.add_argument("--no-measure", action="store_true", help="prepare and fill only")
    ap.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the list queries")
    ap.add_argument("--var-dir", default="/tmp/zhili_bench_var")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    say = bi.say
    var_dir = Path(args.var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)
    bi.configure_here(args.database_url, var_dir)
    report: dict[str, Any] = {"command": " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
                              "machine": bi.machine_info(), "workers": args.workers,
                              "started_utc": dt.datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
                              "loadavg_start": bi.loadavg()}
    if not args.reuse:
        say("preparing the database (migrate, demo district, rules) ...")
        report["prepare"] = {k: round(v, 1) for k, v in bi.prepare_db(args.database_url).items()}
    have = bi.count_cases(args.database_url)
    if have < args.cases:
        say(f"filling {args.cases - have:,} cases ...")
        report["fill"] = fill(args.database_url, args.cases - have, args.seed, say)
        say(f"  filled in {report['fill']['fill_s']} s, vacuum analyze {report['fill']['vacuum_analyze_s']} s")
    if args.explain:
        from zhili.cases.models import Case, CaseStatus, WarnLevel

        red = [Case.warn_level == WarnLevel.red, Case.status.in_((CaseStatus.dispatched, CaseStatus.in_progress))]
        plans = explain(args.database_url, ["operator", "street"],
                        [("first page", {}), ("queue=red", {"filters": red}),
                         ("status=handled", {"filters": [Case.status == CaseStatus.handled]}),
                         ("badges", {"counts": True})])
        for p in plans if not args.json else []:
            print(f"\n-- {p['user']} / {p['query']} / {p['part']}\n{p['sql']}\n" + "\n".join(p["plan"]))
        report["explain"] = plans
    if not args.no_measure:
        port = bi.free_port()
        say(f"starting uvicorn with {args.workers} workers on :{port} ...")
        server = bi.start_server(args.database_url, var_dir, args.workers, port, var_dir / f"server-{port}.log")
        try:
            report["pages"] = measure(f"http://127.0.0.1:{port}", args.database_url, args.samples, args.seed, say)
        finally:
            bi.stop_server(server)
    report["loadavg_end"] = bi.loadavg()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return
    m = report["machine"]
    print(f"machine: {m['nproc']} CPU ({m['cpu']}), {m['ram_gib']} GiB, PostgreSQL {m['postgresql']}; "
          f"load average start {report['loadavg_start']} end {report['loadavg_end']}")
    if "pages" in report:
        print(f"cases in the database: {report['pages']['cases_in_db']:,}; budget p95 < {BUDGET_P95_MS:.0f} ms")
        print("| scenario | n | p50 ms | p95 ms | p99 ms | max ms | total |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for r in report["pages"]["scenarios"]:
            flag = " **over**" if r["p95_ms"] >= BUDGET_P95_MS else ""
            print(f"| {r['scenario']} | {r['n']} | {r['p50_ms']} | {r['p95_ms']}{flag} | {r['p99_ms']} | "
                  f"{r['max_ms']} | {r.get('total', '')} |")
        if isinstance(report["pages"].get("html"), str):
            print(f"HTML pages: {report['pages']['html']}")


if __name__ == "__main__":
    main()
