"""Brain API shapes: a suggestion request and answer, model versions (never their bytes), acceptance figures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SuggestIn(BaseModel):
    title: str = Field(default="", max_length=100)
    description: str = Field(default="", max_length=5000)


class SuggestionRead(BaseModel):
    category: str
    name: str
    confidence: float


class SuggestRead(BaseModel):
    model_version: str  # "v3", or "keywords" when no model is active
    method: str
    suggestions: list[SuggestionRead]


class ModelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    version: int
    method: str
    created_at: datetime
    created_by: str
    active: bool
    activated_at: datetime | None
    size: int
    params: dict[str, Any]
    trained_on: dict[str, Any]
    scores: dict[str, Any]
    note: str


class ActiveRead(BaseModel):
    active_version: int | None  # None: no model active, the keyword fallback suggests
    method: str


class AcceptanceRead(BaseModel):
    model_version: str
    total: int
    accepted: int
    changed: int
    in_top3: int
    accepted_rate: float
    top3_rate: float


class AcceptancePage(BaseModel):
    days: int
    rows: list[AcceptanceRead]
