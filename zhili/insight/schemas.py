"""Insight API shapes: hotspots, trends, forecasts with their backtest, alerts."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class GridHotspotRead(BaseModel):
    grid_id: int | None
    name: str
    recent: int  # cases in the recent window
    baseline: int  # cases in the baseline window
    expected: float  # the baseline rate over the recent window's length
    ratio: float
    score: float  # -log10 P(X >= recent) under the baseline rate
    lon: float | None
    lat: float | None


class GridHotspotPage(BaseModel):
    start: date
    end: date
    baseline_start: date
    baseline_end: date
    rows: list[GridHotspotRead]


class ClusterRead(BaseModel):
    size: int
    lon: float
    lat: float
    radius_m: float
    top_categories: list[tuple[str, int]]
    case_numbers: list[str]  # the newest 100 at most (`size` counts them all)


class ClusterPage(BaseModel):
    start: date
    end: date
    eps_m: float
    min_samples: int
    cases: int  # how many cases were clustered
    truncated: bool  # the period had more cases than the clustering takes (newest kept)
    total_clusters: int  # how many were found; `clusters` holds the 50 largest
    clusters: list[ClusterRead]


class RepeatAddressRead(BaseModel):
    address: str
    cases: int
    categories: int
    latest: datetime
    case_numbers: list[str]


class RepeatAddressPage(BaseModel):
    start: date
    end: date
    min_cases: int
    rows: list[RepeatAddressRead]


class TrendDay(BaseModel):
    day: date
    observed: int
    trend: float | None
    seasonal: float | None
    resid: float | None


class TrendRead(BaseModel):
    start: date
    end: date
    label: str
    total: int
    weekday_profile: list[float]  # Monday..Sunday: mean cases per day
    month_profile: list[float] | None  # January..December: mean cases per day / overall mean (a full year only)
    weekly: list[tuple[date, int]]  # (Monday, cases that week)
    days: list[TrendDay]


class ErrorRead(BaseModel):
    method: str  # model / seasonal_naive
    origins: int
    horizon: int
    mae: float
    smape: float
    mape: float | None
    coverage: float | None


class SeriesRead(BaseModel):
    id: int
    kind: str
    subject_key: str
    label: str
    top_level: bool
    method: str
    history_total: int
    next7: float
    next30: float
    model: ErrorRead | None
    naive: ErrorRead | None


class PointRead(BaseModel):
    day: date
    yhat: float
    lo: float
    hi: float


class RunRead(BaseModel):
    id: int
    as_of: date
    finished_at: datetime | None
    horizon: int
    level: float
    history_days: int
    series_count: int
    seconds: float


class SeriesDetail(BaseModel):
    run: RunRead
    series: SeriesRead
    history: list[tuple[date, int]]
    points: list[PointRead]


class ForecastPage(BaseModel):
    run: RunRead | None
    series: list[SeriesRead]
    detail: SeriesDetail | None = None


class AlertRead(BaseModel):
    id: int
    at: datetime
    kind: str
    day: date
    title: str
    body: str
    level: str  # warning / critical
    href: str
    observed: int
    lo: float
    hi: float
