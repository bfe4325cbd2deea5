"""Pydantic schemas of verification tasks (核查): the list, one task with its entity, completing it, generating."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field


class TaskRead(BaseModel):
    id: int
    kind: str
    kind_label: str
    entity_id: int
    title: str  # masked for a minor
    address: str
    reasons: list[str]
    reason_labels: list[str]
    fields: list[str]
    field_labels: list[str]
    status: str
    due_on: date | None
    overdue: bool
    created_at: datetime


class TaskPage(BaseModel):
    items: list[TaskRead]
    total: int


class ConflictValue(BaseModel):
    source: str
    value: str  # masked where personal
    at: str | None


class TaskField(BaseModel):
    field: str
    label: str
    value: str  # masked where personal
    masked: bool
    source: str | None
    at: str | None
    confirmed: str | None
    fresh: bool
    flagged: bool  # one of the fields the task asks to look at first
    conflict: list[ConflictValue]
    owner: str | None  # the department that receives a correction of this field (None: grassroots-owned)
    note: str = ""


class TaskDetail(TaskRead):
    minor: bool
    entity_fields: list[TaskField]
    done_at: datetime | None
    note: str


class ItemIn(BaseModel):
    field: str = Field(min_length=1, max_length=32)
    action: Literal["confirm", "correct"]
    value: str | None = Field(default=None, max_length=200)
    reason: str = Field(default="", max_length=500)
    moved_out_on: date | None = None  # with a correction of status to 已迁出


class CompleteIn(BaseModel):
    items: list[ItemIn] = Field(min_length=1, max_length=40)
    note: str = Field(default="", max_length=500)


class CorrectionRead(BaseModel):
    id: int
    field: str
    label: str
    old_value: str  # masked where personal
    new_value: str
    reason: str
    owner: str | None
    has_evidence: bool


class CompleteRead(BaseModel):
    task_id: int
    status: str
    confirmed: list[str]
    corrections: list[CorrectionRead]
    conflicts_resolved: int


class GenerateRead(BaseModel):
    created: int
    updated: int
    cancelled: int
    skipped: int
