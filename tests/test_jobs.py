"""Periodic jobs: run once per period however many workers race for them."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from zhili import jobs
from zhili.auth.models import AuditLog
from zhili.db import transaction
from zhili.kit import clock


def test_two_workers_at_once_run_each_job_once(db, engine, settings) -> None:
    results: list[list[str]] = []
    barrier = threading.Barrier(2)

    def worker(name: str) -> None:
        barrier.wait()
        results.append(jobs.run_due(engine, settings, name))

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ran = sorted(name for r in results for name in r)
    assert ran == sorted(j.name for j in jobs.JOBS)


def test_a_job_is_not_run_again_before_its_period(db, engine, settings) -> None:
    start = clock.now()
    with clock.frozen(start):
        assert "audit.purge" in jobs.run_due(engine, settings, "w1")
    with clock.frozen(start + timedelta(hours=2)):
        again = jobs.run_due(engine, settings, "w1")
        assert "audit.purge" not in again and "auth.purge_sessions" in again
    with clock.frozen(start + timedelta(days=1, minutes=1)):
        assert "audit.purge" in jobs.run_due(engine, settings, "w2")


def test_audit_purge_job_removes_rows_past_retention(db, engine, settings) -> None:
    from zhili.auth import audit

    with clock.frozen(clock.now() - timedelta(days=400)), transaction(db) as s:
        audit.record(s, "test.old")
    jobs.run_due(engine, settings, "w1")
    with transaction(db) as s:
        assert s.scalar(select(func.count()).where(AuditLog.action == "test.old")) == 0
        assert audit.verify(s).ok
