"""Periodic background work. Any number of processes may run it: a job runs only in the process that wins its
lease, taken by a compare-and-set UPDATE (`0 rows` = another worker holds it)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, String, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from zhili.config import Settings
from zhili.db import Base, UTCDateTime, make_sessionmaker, transaction
from zhili.kit import clock

log = logging.getLogger("zhili.jobs")


class JobLease(Base):
    __tablename__ = "job_leases"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[Session, Settings], object]


def _purge_audit(session: Session, settings: Settings) -> object:
    from zhili.auth import audit

    return audit.purge(session, settings.audit_retention_days)


def _purge_sessions(session: Session, settings: Settings) -> object:
    from zhili.auth import service

    return service.purge_sessions(session, settings)


def _retrain_classifier(session: Session, settings: Settings) -> object:
    from zhili.brain import service

    return service.retrain_job(session, settings)


def _assessment_last_month(session: Session, settings: Settings) -> object:
    from zhili.assessment import jobs

    return jobs.score_last_month(session, settings)


def _case_warnings(session: Session, settings: Settings) -> object:
    from zhili.cases import service

    return service.mark_warnings(session, settings)


def _analysis_refresh(session: Session, settings: Settings) -> object:
    from zhili.analysis import rollup

    return rollup.refresh(session, settings)


def _insight_forecast(session: Session, settings: Settings) -> object:
    from zhili.insight import jobs

    return jobs.forecast_job(session, settings)


def _insight_anomalies(session: Session, settings: Settings) -> object:
    from zhili.insight import jobs

    return jobs.anomalies_job(session, settings)


def _registry_tasks(session: Session, settings: Settings) -> object:
    from zhili.registry import verify

    return verify.generate_job(session, settings)


def _registry_link_cases(session: Session, settings: Settings) -> object:
    from zhili.registry import links

    return links.link_new_cases(session, settings)


def _registry_retention(session: Session, settings: Settings) -> object:
    from zhili.registry import retention

    return retention.purge(session, settings)


def _registry_quality(session: Session, settings: Settings) -> object:
    from zhili.registry import quality

    return quality.job(session, settings)


JOBS: list[Job] = [
    Job("cases.warnings", timedelta(minutes=1), _case_warnings),
    Job("audit.purge", timedelta(days=1), _purge_audit),
    Job("auth.purge_sessions", timedelta(hours=1), _purge_sessions),
    Job("brain.retrain_classifier", timedelta(days=1), _retrain_classifier),
    Job("assessment.score_last_month", timedelta(hours=6), _assessment_last_month),
    Job("analysis.refresh", timedelta(minutes=1), _analysis_refresh),
    Job("insight.forecast", timedelta(days=1), _insight_forecast),
    Job("insight.anomalies", timedelta(hours=1), _insight_anomalies),
    Job("registry.link_cases", timedelta(minutes=5), _registry_link_cases),
    Job("registry.quality", timedelta(days=1), _registry_quality),
    Job("registry.tasks", timedelta(days=1), _registry_tasks),
    Job("registry.retention", timedelta(days=1), _registry_retention),
]


def try_acquire(session: Session, job: Job, holder: str) -> bool:
    """Take the job's lease if it is due and free. Exactly one concurrent caller gets True."""
    now = clock.now()
    if session.get(JobLease, job.name) is None:
        try:
            with session.begin_nested():
                session.execute(insert(JobLease).values(name=job.name))
        except IntegrityError:
            pass
    result = session.execute(
        update(JobLease)
        .where(JobLease.name == job.name,
               or_(JobLease.lease_until.is_(None), JobLease.lease_until < now),
               or_(JobLease.last_run_at.is_(None), JobLease.last_run_at <= now - job.every))
        .values(holder=holder, lease_until=now + timedelta(minutes=10))
    )
    return bool(getattr(result, "rowcount", 0))


def run_due(engine: Engine, settings: Settings, holder: str) -> list[str]:
    factory = make_sessionmaker(engine)
    ran = []
    for job in JOBS:
        with transaction(factory, info={"ip": "worker"}) as session:
            if not try_acquire(session, job, holder):
                continue
        try:
            with transaction(factory, info={"ip": "worker"}) as session:
                result = job.run(session, settings)
                session.execute(update(JobLease).where(JobLease.name == job.name)
                                .values(last_run_at=clock.now(), lease_until=None))
            log.info("job %s done: %s", job.name, result)
            ran.append(job.name)
        except Exception:
            log.exception("job %s failed", job.name)
            with transaction(factory) as session:
                session.execute(update(JobLease).where(JobLease.name == job.name).values(lease_until=None))
    return ran


def run_worker(engine: Engine, settings: Settings, once: bool = False, stop: threading.Event | None = None) -> None:
    holder = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    stop = stop or threading.Event()
    while not stop.is_set():
        run_due(engine, settings, holder)
        if once:
            return
        stop.wait(30)


def lease_names(session: Session) -> list[str]:
    return list(session.scalars(select(JobLease.name)))


