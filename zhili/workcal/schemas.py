"""API shapes of the work calendar."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from zhili.workcal.models import DayKind


class DayWrite(BaseModel):
    kind: DayKind = Field(description="holiday: 放假（休）；workday: 调休上班（班）")
    name: str = Field(default="", max_length=32, examples=["春节"])


class DayRead(BaseModel):
    day: date
    weekday: str
    kind: DayKind
    kind_label: str
    name: str
    source: str
    source_label: str
    regular: bool = Field(description="true: the row only confirms the Monday-Friday rule (an administrator's "
                                      "override of built-in data)")


class YearRead(BaseModel):
    year: int
    covered: bool
    source: str | None
    source_label: str
    entered_at: datetime | None
    holidays: int
    workdays: int


class DeadlineRead(BaseModel):
    start: datetime
    value: float
    unit: str
    deadline: datetime
    deadline_local: str
    uncovered_years: list[int]
    warning: str | None
