"""Pydantic schemas of the match review queue (/api/registry/reviews). Personal values are masked."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class ReviewSide(BaseModel):
    """What the record says, or what the candidate entity holds, as shown (masked where personal)."""

    name: str
    id_number: str
    birth_date: str
    phone: str
    address: str
    source: str  # the record's source, or the candidate's "#id"


class ReviewRead(BaseModel):
    id: int
    kind: str
    kind_label: str
    status: str
    score: float
    reasons: dict[str, float]
    record_id: int
    candidate_id: int
    record: ReviewSide
    candidate: ReviewSide
    created_at: datetime
    decided_at: datetime | None
    entity_id: int | None  # after the decision: the entity the record joined or became


class ReviewPage(BaseModel):
    items: list[ReviewRead]
    total: int


class DecisionIn(BaseModel):
    decision: Literal["linked", "separate"]
