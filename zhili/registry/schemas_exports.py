"""Pydantic schemas of bulk export requests. No personal value travels here: the full values are only in the
approved file, downloaded by its requester (audited)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class ExportCreate(BaseModel):
    kind: Literal["person", "house", "vehicle", "place"]
    area_code: str | None = Field(default=None, max_length=12, pattern=r"^\d{12}$")
    grid_code: str | None = Field(default=None, max_length=20, pattern=r"^\d{6,20}$")
    residency: Literal["registered", "floating"] | None = None  # people only
    tag: str | None = Field(default=None, min_length=1, max_length=32)  # people and places
    reason: str = Field(min_length=4, max_length=500)


class DecisionIn(BaseModel):
    note: str = Field(default="", max_length=500)


class ExportRead(BaseModel):
    id: int
    kind: str
    kind_label: str
    filters: dict[str, str]  # shown as chosen: 区域, 网格, 户籍类型, 标签
    reason: str
    status: str
    status_label: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str
    row_count: int | None
    minors_left_out: int | None  # people under 14, never exported
    expires_at: datetime | None
    mine: bool  # the viewer asked for it (only the requester downloads)
    can_decide: bool  # pending, the viewer may approve or reject (registry.approve over its area, not the requester)
    downloadable: bool  # approved, not expired, and the viewer is the requester


class ExportList(BaseModel):
    items: list[ExportRead]
    can_request: bool
    can_approve: bool
