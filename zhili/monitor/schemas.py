"""What the monitoring API answers: a counter snapshot, alerts, map points, and charts as plain tables."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Snapshot(BaseModel):
    """The live counters of a jurisdiction at one moment (today = the local calendar day)."""

    at: datetime
    day: str = Field(examples=["2026-11-29"])
    scope: str = Field(description="辖区名称", examples=["鄞州区"])
    received_today: int = Field(description="今日受理（并案不计）")
    open: int = Field(description="在办（未结案、未驳回、未并案）")
    yellow: int = Field(description="黄色预警（计时中）")
    red: int = Field(description="红色超期（计时中）")
    closed_today: int = Field(description="今日结案")


class Alert(BaseModel):
    id: str = Field(description="e<事件id> / o<督办单id> / i<序号>", examples=["e1024"])
    at: datetime
    kind: str = Field(description="warning / overdue / supervise / anomaly")
    level: str = Field(description="yellow / red / info")
    title: str
    body: str = ""
    href: str | None = None


class AlertList(BaseModel):
    items: list[Alert]


class MapPoint(BaseModel):
    number: str
    title: str
    lon: float
    lat: float
    status: str
    status_label: str
    warn_level: str
    received_at: datetime


class MapPoints(BaseModel):
    items: list[MapPoint]
    truncated: bool = Field(description="框内在办案件多于上限，只返回最紧急、最新的部分")
    limit: int


class Column(BaseModel):
    key: str
    label: str
    unit: str = Field(default="text", description="text / count / rate / day")


class Chart(BaseModel):
    """One chart's data as a table: the same rows feed the chart, its table view and its CSV."""

    name: str
    title: str
    start: str
    end: str
    scope: str
    columns: list[Column]
    rows: list[list[str | int | float | None]]
