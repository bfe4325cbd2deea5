"""The server process dies (SIGKILL) in the middle of a burst of intakes, on PostgreSQL.

A real `zhili serve` process is started against the test database holding the test world; several clients post
cases as fast as they can, each request with its own Idempotency-Key; after about 1.5 s the serving process is
killed with SIGKILL (no shutdown hook, no rollback from Python: only PostgreSQL's own recovery of the dropped
connections). Then the server is started again on the same database and we check what a user would rely on:

- every case answered 201 is there, with its title, category, place and its intake event (an acknowledged case
  is never lost: the commit happens before the response is sent);
- no case is half-written: each has exactly one intake event, its number, its idempotency key, its audit row, and
  the same set of filled columns as a case made cleanly after the restart; the audit hash chain still verifies;
- numbers are unique, and the day's counter is past every number handed out (no number is given twice);
- a request that got no answer may or may not have made its case; retried with its Idempotency-Key it answers
  the one case (200) or makes it now (201), never a duplicate, never "still in progress";
- intake after the restart works.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.cases.helpers import category_code
from tests.factories import A_POINT, B_POINT, C_POINT, TEST_KEY
from tests.live import free_port
from zhili.auth import audit
from zhili.auth.models import AuditLog
from zhili.cases.models import Case, CaseCounter, CaseEvent, IdempotencyKey
from zhili.db import transaction

CLIENTS = 6
KILL_AFTER = 1.5  # seconds of load before the kill (and at least MIN_ACKED answered cases)
MIN_ACKED = 5
POINTS = [A_POINT, B_POINT, C_POINT]
NUMBER = re.compile(r"^YZ(\d{8})-(\d{6})$")


@dataclass
class Sent:
    key: str
    body: dict[str, object]
    status: int | None = None  # None: no answer (the server died first)
    number: str | None = None


@pytest.fixture(autouse=True)
def _postgres_only(engine) -> None:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        pytest.skip("crash recovery is PostgreSQL's (production database); SQLite runs in-process only")


class Server:
    """`zhili serve` in its own process (one uvicorn worker: the process we kill is the one serving)."""

    def __init__(self, database_url: str, var_dir: Path, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "ZHILI_DATABASE_URL": database_url, "ZHILI_SECRET_KEY": TEST_KEY,
                    "ZHILI_VAR_DIR": str(var_dir), "ZHILI_EMBEDDED_WORKER": "false",
                    "ZHILI_GEO_REFRESH_SECONDS": "0"}
        self.var_dir = var_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = open(self.var_dir / f"server-{self.starts}.log", "wb")  # noqa: SIM115 - kept for the process's life
        zhili = Path(sys.executable).with_name("zhili")
        self.proc = subprocess.Popen([str(zhili), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                     env=self.env, cwd=self.var_dir, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60  # a loaded machine imports slowly
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}: {self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server did not start: {self.log()}")

    def children(self) -> list[int]:
        assert self.proc is not None
        out: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            out += [int(p) for p in (task / "children").read_text().split()]
        return out

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        assert self.proc.wait(10) == -signal.SIGKILL

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # the ordinary shutdown this time
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.var_dir.glob("server-*.log")))


def _body(cat: str, thread: int, seq: int) -> dict[str, object]:
    lon, lat = POINTS[(thread + seq) % len(POINTS)]
    return {"title": f"井盖缺失 第{thread}路第{seq}件", "description": "来电人称夜间有行人绊倒", "category": cat,
            "lon": lon, "lat": lat, "address": f"测试路{thread}号{seq}幢", "caller_name": "王小明",
            "caller_phone": "13800138000"}


def test_sigkill_during_intake_loses_no_acknowledged_case_and_leaves_none_half_written(
        engine, world, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        cats = [category_code(s, "暴露垃圾"), category_code(s, "井盖")]
    token = world.token(db, "operator")
    headers = {"Authorization": f"Bearer {token}"}
    server = Server(engine.url.render_as_string(hide_password=False), tmp_path, free_port())
    try:
        server.start()
        assert server.children() == [], "one uvicorn process serves: the kill must hit the worker itself"
        sent: list[Sent] = []
        lock = threading.Lock()
        go = threading.Barrier(CLIENTS + 1)

        def client(i: int) -> None:
            with httpx.Client(base_url=server.url, headers=headers, timeout=15) as c:
                go.wait()
                seq = 0
                while True:
                    item = Sent(key=f"crash-{i}-{seq}", body=_body(cats[seq % 2], i, seq))
                    with lock:
                        sent.append(item)
                    try:
                        r = c.post("/api/cases", json=item.body, headers={"Idempotency-Key": item.key})
                    except httpx.TransportError:
                        return  # the server is gone: this request got no answer
                    item.status = r.status_code
                    if r.status_code == 201:
                        item.number = r.json()["number"]
                    seq += 1

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        go.wait()
        began = time.monotonic()
        while time.monotonic() - began < KILL_AFTER or sum(x.status == 201 for x in sent) < MIN_ACKED:
            assert time.monotonic() - began < 15, f"too few cases answered: {[x.status for x in sent]}"
            time.sleep(0.05)
        server.kill()
        for t in threads:
            t.join(20)
        assert not any(t.is_alive() for t in threads)

        acked = [x for x in sent if x.status == 201]
        unanswered = [x for x in sent if x.status is None]
        assert {x.status for x in sent} <= {201, None}, Counter(x.status for x in sent)
        assert unanswered, "the kill should catch requests in flight"
        numbers = [x.number for x in acked]
        assert len(set(numbers)) == len(numbers), "a number was handed out twice"
        with pytest.raises(httpx.TransportError):  # nobody else is serving on the port
            httpx.get(f"{server.url}/healthz", timeout=2)

        server.start()
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as c:
            # every acknowledged case is there, whole, as it was submitted
            for x in acked:
                r = c.get(f"/api/cases/{x.number}")
                assert r.status_code == 200, (x.number, r.text)
                case = r.json()
                assert (case["title"], case["category"]["code"], case["lon"], case["lat"], case["address"]) == (
                    x.body["title"], x.body["category"], x.body["lon"], x.body["lat"], x.body["address"])
                assert case["status"] == "received" and case["events"], case
                first = case["events"][0]
                assert (first["action"], first["to_status"]) == ("intake", "received"), case["events"]
                assert [e["action"] for e in case["events"]].count("intake") == 1
            # a retry of an answered request returns its case, not a new one
            again = c.post("/api/cases", json=acked[0].body, headers={"Idempotency-Key": acked[0].key})
            assert again.status_code == 200 and again.json()["number"] == acked[0].number, again.text
            # the unanswered ones: made whole or not at all; the retry settles which, without a duplicate
            with transaction(db) as s:
                existed = set(s.scalars(select(IdempotencyKey.key).where(
                    IdempotencyKey.key.in_([x.key for x in unanswered]))))
            for x in unanswered:
                r = c.post("/api/cases", json=x.body, headers={"Idempotency-Key": x.key})
                assert r.status_code == (200 if x.key in existed else 201), (x.key, r.status_code, r.text)
                assert r.json()["title"] == x.body["title"]
                x.number = r.json()["number"]
            fresh = c.post("/api/cases", json=_body(cats[0], 99, 0), headers={"Idempotency-Key": "after-restart"})
            assert fresh.status_code == 201, fresh.text
            reference = fresh.json()["number"]
    finally:
        server.stop()

    every = {x.number for x in acked + unanswered} | {reference}
    with transaction(db) as s:
        cases = list(s.scalars(select(Case)))
        assert {c.number for c in cases} == every  # nothing else was made, nothing acknowledged is missing
        assert len(cases) == len(every)
        intakes = Counter(s.scalars(select(CaseEvent.case_id).where(CaseEvent.action == "intake")))
        firsts = select(func.min(CaseEvent.id)).group_by(CaseEvent.case_id)
        first_events = {e.case_id: e.action for e in s.scalars(select(CaseEvent).where(CaseEvent.id.in_(firsts)))}
        keys = Counter(s.scalars(select(IdempotencyKey.case_id)))
        created = Counter(s.scalars(select(AuditLog.entity_id).where(AuditLog.action == "data.create",
                                                                     AuditLog.entity_type == "cases")))
        counters = {c.day: c.value for c in s.scalars(select(CaseCounter))}
        chain = audit.verify(s)
        columns = [col.key for col in Case.__mapper__.column_attrs]
        filled = {c.number: frozenset(k for k in columns if getattr(c, k) is not None) for c in cases}
        for c in cases:
            assert intakes[c.id] == 1 and first_events[c.id] == "intake", c.number
            assert keys[c.id] == 1, f"{c.number}: its idempotency key"
            assert created[str(c.id)] == 1, f"{c.number}: its audit row"
            m = NUMBER.match(c.number)
            assert m and int(m.group(2)) <= counters[m.group(1)], (c.number, counters)
            assert filled[c.number] == filled[reference], (c.number, filled[c.number] ^ filled[reference])
            assert c.status.value == "received" and c.received_at is not None and c.area_path and c.grid_id
        assert keys[None] == 0, "an idempotency key left claimed by a request that never finished"
        assert chain.ok, chain
    print(f"\n{len(sent)} requests: {len(acked)} answered 201, {len(unanswered)} unanswered "
          f"({len(existed)} of them committed before the kill); {len(cases)} cases")
