"""Periodic insight work (registered in zhili/jobs.py): the daily forecast run, then the anomaly check; and the
anomaly check alone every hour (today's count so far, and yesterday's once its forecast exists)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from zhili.config import Settings
from zhili.insight import repository, runs, service


def forecast_job(session: Session, settings: Settings) -> object:
    """Once a day: skip when today's run (history up to yesterday) already exists."""
    if repository.run_for_day(session, service.today() - timedelta(days=1)) is None:
        runs.run_forecasts(session)
    return runs.detect_anomalies(session)


def anomalies_job(session: Session, settings: Settings) -> object:
    return runs.detect_anomalies(session)
