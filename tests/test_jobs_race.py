"""Workers racing for the periodic jobs on PostgreSQL: each job's *effect* happens once, not only its claim.

tests/test_jobs.py checks that each job is claimed by one worker; here three workers run every due job at the
same moment and we look at what a user would see: one audit purge (one "audit.purge" entry, the chain still
verifying), one retention run (one "retention.purge" entry that cleared the old caller's contact once), one
forecast run for the day. (Case warnings: tests/cases/test_concurrency.py; verification tasks: tests/registry.)
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.cases.helpers import make_case
from zhili import jobs
from zhili.auth import audit
from zhili.auth.models import AuditLog
from zhili.cases.models import Case
from zhili.db import transaction
from zhili.insight.models import ForecastRun
from zhili.insight.service import today
from zhili.kit import clock

WORKERS = 3


@pytest.fixture(autouse=True)
def _postgres_only(engine) -> None:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        pytest.skip("workers race through PostgreSQL row locks; SQLite serialises writers")


def test_racing_workers_make_each_jobs_effect_happen_once(engine, world, db, settings) -> None:  # type: ignore[no-untyped-def]
    with clock.frozen(clock.now() - timedelta(days=400)), transaction(db) as s:
        audit.record(s, "test.old")  # past the audit retention: the purge removes it and says so once
    number = make_case(db, world, "a_closed")
    with transaction(db) as s:  # closed more than a year ago: its caller's name and phone are due for erasure
        s.execute(update(Case).where(Case.number == number)
                  .values(closed_at=clock.now() - timedelta(days=settings.retention_case_contact_days + 5)))

    results: list[list[str]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(WORKERS)

    def worker(name: str) -> None:
        barrier.wait()
        try:
            results.append(jobs.run_due(engine, settings, name))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    ran = [name for r in results for name in r]
    assert sorted(ran) == sorted(j.name for j in jobs.JOBS), ran  # every job ran, each in one worker

    with transaction(db) as s:
        def entries(action: str) -> list[AuditLog]:
            return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))

        purges = entries("audit.purge")
        assert len(purges) == 1 and purges[0].detail["rows"] >= 1, [p.detail for p in purges]
        assert entries("test.old") == []
        retention = entries("retention.purge")
        assert len(retention) == 1, [r.detail for r in retention]
        assert retention[0].detail["case_contacts_cleared"] == 1
        case = s.scalars(select(Case).where(Case.number == number)).one()
        assert case.caller_phone is None and case.caller_name is None and case.caller_phone_bidx is None
        runs = s.scalar(select(func.count()).select_from(ForecastRun)
                        .where(ForecastRun.as_of == today() - timedelta(days=1)))
        assert runs == 1
        chain = audit.verify(s)
        assert chain.ok, chain
