"""Two people on one case, two workers on one job: the database decides, and nobody's change is half-applied."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.cases.helpers import make_case
from zhili.cases import service
from zhili.cases.models import Case, CaseEvent, SupervisionOrder
from zhili.db import transaction
from zhili.kit import clock


def _parallel(*calls):  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, fn):  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            results[i] = fn()
        except Exception as exc:  # reported to the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_concurrent_dispatch_one_wins_the_other_gets_409(app, world, db) -> None:  # type: ignore[no-untyped-def]
    tokens = [world.token(db, "operator"), world.token(db, "admin")]
    clients = [TestClient(app, headers={"Authorization": f"Bearer {t}"}) for t in tokens]
    for round_ in range(5):
        number = make_case(db, world, "a_registered")
        version = clients[0].get(f"/api/cases/{number}").json()["version"]
        depts = ["330212-CG", "330212-ZJ"]
        results = _parallel(*[
            (lambda c=c, d=d: c.post(f"/api/cases/{number}/actions/dispatch",
                                     json={"department": d, "version": version}))
            for c, d in zip(clients, depts, strict=True)])
        codes = sorted(r.status_code for r in results)  # type: ignore[union-attr]
        assert codes == [200, 409], (round_, [r.text for r in results])  # type: ignore[union-attr]
        loser = next(r for r in results if r.status_code == 409)  # type: ignore[union-attr]
        assert loser.json()["current"]["status"] == "dispatched"  # type: ignore[union-attr]
        detail = clients[0].get(f"/api/cases/{number}").json()
        assert [e["action"] for e in detail["events"]].count("dispatch") == 1
        assert len([p for p in detail["parts"] if p["status"] != "cancelled"]) == 1
    for c in clients:
        c.close()


def test_concurrent_retries_with_one_idempotency_key_make_one_case(app, world, db) -> None:  # type: ignore[no-untyped-def]
    from tests.cases.helpers import category_code
    from tests.factories import A_POINT

    with transaction(db) as s:
        cat = category_code(s, "暴露垃圾")
    token = world.token(db, "operator")
    clients = [TestClient(app, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "retry-42"})
               for _ in range(3)]
    body = {"title": "井盖缺失", "category": cat, "lon": A_POINT[0], "lat": A_POINT[1]}
    results = _parallel(*[(lambda c=c: c.post("/api/cases", json=body)) for c in clients])
    ok = [r for r in results if r.status_code in (200, 201)]  # type: ignore[union-attr]
    assert {r.json()["number"] for r in ok} and len({r.json()["number"] for r in ok}) == 1  # type: ignore[union-attr]
    assert all(r.status_code in (200, 201, 409) for r in results)  # type: ignore[union-attr]
    with transaction(db) as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 1
    for c in clients:
        c.close()


def test_two_workers_mark_each_overdue_case_once(engine, world, db, settings) -> None:  # type: ignore[no-untyped-def]
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Beijing
    with clock.frozen(start):
        numbers = [make_case(db, world, "a_dispatched_cg") for _ in range(6)]
        clock.advance(timedelta(hours=5))  # 14:00: 3.5 of 4 working hours used (yellow from 13:42, 80%)
        first = _parallel(*[(lambda: _run_job(db, settings)) for _ in range(2)])
        clock.advance(timedelta(hours=4))  # 18:00: past the 14:30 deadline: red
        second = _parallel(*[(lambda: _run_job(db, settings)) for _ in range(2)])
        third = _run_job(db, settings)
    assert not [r for r in first + second if isinstance(r, Exception)], first + second
    assert sum(r["yellow"] for r in first) == 6 and sum(r["red"] for r in first) == 0  # type: ignore[index]
    assert sum(r["red"] for r in second) == 6 and sum(r["yellow"] for r in second) == 0  # type: ignore[index]
    assert third == {"yellow": 0, "red": 0}
    with transaction(db) as s:
        ids = list(s.scalars(select(Case.id).where(Case.number.in_(numbers))))
        events = Counter(s.execute(select(CaseEvent.case_id, CaseEvent.action)
                                   .where(CaseEvent.case_id.in_(ids),
                                          CaseEvent.action.in_(("warning", "overdue", "supervise")))).tuples())
        orders = Counter(s.scalars(select(SupervisionOrder.case_id).where(SupervisionOrder.case_id.in_(ids))))
        levels = set(s.scalars(select(Case.warn_level).where(Case.id.in_(ids))))
    for i in ids:
        assert events[(i, "warning")] == 1 and events[(i, "overdue")] == 1 and events[(i, "supervise")] == 1
        assert orders[i] == 1
    assert {str(v) for v in levels} == {"red"}


def _run_job(db, settings) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        return service.mark_warnings(s, settings)


@pytest.fixture(autouse=True)
def _postgres_only(engine) -> None:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrency is decided by PostgreSQL row locks; SQLite serialises writers")
