"""Assessment API shapes: schemes as typed in, scores with their breakdown, rankings, a unit's history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ItemIn(BaseModel):
    indicator: str = Field(max_length=40)
    weight: float
    target: float
    floor: float | None = None
    method: str = Field(default="linear", max_length=16)


class DeductionIn(BaseModel):
    kind: str = Field(max_length=40)
    points: float
    cap: float
    limit_hours: float = 24.0


class SchemeIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    unit_kind: str = Field(max_length=16)
    description: str = Field(default="", max_length=500)
    items: list[ItemIn] = Field(max_length=30)
    deductions: list[DeductionIn] = Field(default_factory=list, max_length=10)
    active: bool = True


class SchemeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    unit_kind: str
    description: str
    items: list[dict[str, Any]]
    deductions: list[dict[str, Any]]
    active: bool
    version: int
    updated_at: datetime
    updated_by: str


class RunIn(BaseModel):
    month: str | None = Field(default=None, max_length=10)  # "2026-10"; or start and end
    start: date | None = None
    end: date | None = None


class RunRead(BaseModel):
    scheme_id: int
    label: str
    period_start: date
    period_end: date
    computed_at: datetime
    computed_by: str
    unit_count: int


class ScoreRead(BaseModel):
    unit_kind: str
    unit_id: int
    unit_label: str
    rank: int
    previous_rank: int | None
    rank_change: int | None  # positive: moved up
    total: float
    base: float
    deduction: float
    breakdown: dict[str, Any]


class RankingRead(BaseModel):
    scheme: SchemeRead
    label: str
    period_start: date
    period_end: date
    previous_label: str
    computed_at: datetime | None
    scores: list[ScoreRead]


class HistoryPoint(BaseModel):
    label: str
    period_start: date
    period_end: date
    total: float
    rank: int
    unit_count: int


class HistoryRead(BaseModel):
    scheme_id: int
    unit_id: int
    unit_label: str
    points: list[HistoryPoint]
