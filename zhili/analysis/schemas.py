"""API shapes of the indicators."""

from __future__ import annotations

from pydantic import BaseModel


class IndicatorDef(BaseModel):
    key: str
    label: str
    unit: str
    formula: str
    higher_is_better: bool
    basis: str


class RowRead(BaseModel):
    key: str | int | None
    label: str
    values: dict[str, int | float | None]


class TableRead(BaseModel):
    start: str
    end: str
    by: str | None
    indicators: list[IndicatorDef]
    rows: list[RowRead]
    total: RowRead
