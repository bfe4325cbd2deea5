"""Pydantic schemas of the feedback batches (数据反哺). Personal values here are always masked: the full values only
travel in the owning department's own downloads (xlsx / csv), which are audited."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class BatchRead(BaseModel):
    id: int
    number: str
    department_code: str
    department_name: str
    status: str
    status_label: str
    item_count: int  # corrections sent
    applied_count: int  # of them applied by the department
    created_at: datetime
    acknowledged_at: datetime | None
    applied_at: datetime | None
    note: str


class ItemRead(BaseModel):
    id: int
    kind: str
    kind_label: str
    entity_id: int
    entity: str  # masked where personal
    field: str
    label: str
    old_value: str
    new_value: str
    reason: str
    evidence_url: str | None
    by: str
    at: datetime
    applied: bool


class BatchDetail(BatchRead):
    items: list[ItemRead]


class PendingRead(BaseModel):
    department_code: str
    department_name: str
    count: int


class BatchList(BaseModel):
    batches: list[BatchRead]
    pending: list[PendingRead]


class ApplyIn(BaseModel):
    """The corrections the department applied; omitted: all of the batch. The others return to the pool and are
    sent again with the next batch."""

    item_ids: list[int] | None = Field(default=None, max_length=10_000)
    note: str = Field(default="", max_length=500)
