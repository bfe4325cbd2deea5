"""Stored analysis results: forecast runs, their series (one per category or street), the daily points with their
interval, each series' backtest errors beside the seasonal-naive baseline's, and anomaly alerts.

Every series and alert carries the `area_path` it describes (a district for category series, a street for street
series, a grid's community for grid alerts): readers see it only when that path lies in their jurisdiction.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhili.db import Base, UTCDateTime


class ForecastRun(Base):
    """One run of the daily forecast job: history up to `as_of` (the last complete day), `horizon` days ahead."""

    __tablename__ = "insight_forecast_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    horizon: Mapped[int] = mapped_column(Integer)
    level: Mapped[float] = mapped_column(Float)  # nominal interval coverage, e.g. 0.9
    history_days: Mapped[int] = mapped_column(Integer)
    series_count: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


class ForecastSeries(Base):
    __tablename__ = "insight_forecast_series"
    __table_args__ = (UniqueConstraint("run_id", "kind", "subject_key", name="uq_insight_series_subject"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("insight_forecast_runs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # category / street
    subject_key: Mapped[str] = mapped_column(String(64))  # "<district id>:<category id>" or the street's area id
    label: Mapped[str] = mapped_column(String(200))
    area_path: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), nullable=True)
    top_level: Mapped[bool] = mapped_column(default=True)  # a top-level category (or a street); False: a leaf
    method: Mapped[str] = mapped_column(String(32))
    history_total: Mapped[int] = mapped_column(Integer, default=0)
    # the last observed day, forecast by a fit that did not see it: what the anomaly rule judges
    check_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    check_actual: Mapped[int | None] = mapped_column(Integer, nullable=True)
    check_yhat: Mapped[float | None] = mapped_column(Float, nullable=True)
    check_lo: Mapped[float | None] = mapped_column(Float, nullable=True)
    check_hi: Mapped[float | None] = mapped_column(Float, nullable=True)


class ForecastPoint(Base):
    __tablename__ = "insight_forecast_points"
    __table_args__ = (UniqueConstraint("series_id", "day", name="uq_insight_points_series_day"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("insight_forecast_series.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    yhat: Mapped[float] = mapped_column(Float)
    lo: Mapped[float] = mapped_column(Float)
    hi: Mapped[float] = mapped_column(Float)


class BacktestError(Base):
    """A rolling-origin backtest's error for one series and one method ("model" or "seasonal_naive")."""

    __tablename__ = "insight_backtest_errors"
    __table_args__ = (UniqueConstraint("series_id", "method", name="uq_insight_backtest_series_method"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("insight_forecast_series.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(32))
    origins: Mapped[int] = mapped_column(Integer)
    horizon: Mapped[int] = mapped_column(Integer)
    mae: Mapped[float] = mapped_column(Float)
    smape: Mapped[float] = mapped_column(Float)
    mape: Mapped[float | None] = mapped_column(Float, nullable=True)
    coverage: Mapped[float | None] = mapped_column(Float, nullable=True)  # share inside the interval (model only)


class InsightAlert(Base):
    """An anomaly, raised once: the unique key (kind, subject, day) makes a second run, or a second worker at the
    same moment, insert nothing."""

    __tablename__ = "insight_alerts"
    __table_args__ = (UniqueConstraint("kind", "subject_key", "day", name="uq_insight_alerts_subject_day"),
                      Index("ix_insight_alerts_created_at", "created_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject_key: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    area_path: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))  # warning / critical
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(500))
    href: Mapped[str] = mapped_column(String(300))
    observed: Mapped[int] = mapped_column(Integer)
    projected: Mapped[float] = mapped_column(Float)
    lo: Mapped[float] = mapped_column(Float)
    hi: Mapped[float] = mapped_column(Float)
    partial: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notified: Mapped[int] = mapped_column(Integer, default=0)
