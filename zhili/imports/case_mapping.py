"""The mapping file of `zhili import cases`: which source column holds what, and how the source's words map to
ours. Validated on load (unknown keys, bad zone, bad values are errors before anything is read or written); the
category and department tables are checked against the database by the importer. See examples/cases_mapping.yaml.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zhili.cases.models import Channel, Satisfaction
from zhili.imports.mapping import zone

# The statuses an imported case may have: closed, rejected, or one of the open states of the closed loop.
ImportStatus = Literal["received", "registered", "dispatched", "in_progress", "handled", "closed", "rejected"]

DEFAULT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"]
DEFAULT_SATISFACTION = {"满意": Satisfaction.satisfied, "非常满意": Satisfaction.satisfied,
                        "基本满意": Satisfaction.basic, "一般": Satisfaction.basic, "不满意": Satisfaction.unsatisfied}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CaseColumns(_Strict):
    """Source column names. Required: id, opened, status, category, and a place (lon + lat, or address)."""

    id: str = Field(min_length=1)
    opened: str = Field(min_length=1)
    status: str = Field(min_length=1)
    category: str = Field(min_length=1)
    deadline: str | None = None
    registered: str | None = None
    dispatched: str | None = None
    acknowledged: str | None = None
    handled: str | None = None
    closed: str | None = None
    department: str | None = None
    lon: str | None = None
    lat: str | None = None
    address: str | None = None
    channel: str | None = None
    title: str | None = None
    description: str | None = None
    satisfaction: str | None = None

    @model_validator(mode="after")
    def _place(self) -> CaseColumns:
        if (self.lon is None) != (self.lat is None):
            raise ValueError("经度(lon)和纬度(lat)应同时给出")
        if self.lon is None and self.address is None:
            raise ValueError("应给出位置：经纬度列(lon, lat)或地址列(address)")
        return self

    def mapped(self) -> dict[str, str]:
        """field -> source column, for the fields that are mapped."""
        return {k: v for k, v in self.model_dump().items() if v}


class CaseMapping(_Strict):
    source: str | None = Field(default=None, max_length=64, description="来源系统名（幂等键的一部分）")
    timezone: str = "Asia/Shanghai"
    date_formats: list[str] = Field(default_factory=lambda: list(DEFAULT_FORMATS), min_length=1)
    columns: CaseColumns
    status: dict[str, ImportStatus] = Field(min_length=1)
    category: dict[str, str] = Field(default_factory=dict)  # source text -> our category code or name
    unknown_category: Literal["import", "reject"] = "import"
    imported_category: str = Field(default="历史导入", min_length=1, max_length=64)
    department: dict[str, str] = Field(default_factory=dict)  # source text -> our department code / name / short name
    unknown_department: Literal["unassigned", "reject"] = "unassigned"
    channel: dict[str, Channel] = Field(default_factory=dict)
    default_channel: Channel = Channel.hotline
    satisfaction: dict[str, Satisfaction] = Field(default_factory=lambda: dict(DEFAULT_SATISFACTION))

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        zone(v)
        return v

    @field_validator("date_formats")
    @classmethod
    def _formats(cls, v: list[str]) -> list[str]:
        bad = [f for f in v if "%" not in f]
        if bad:
            raise ValueError(f"日期格式应使用 strptime 写法（如 %Y-%m-%d %H:%M:%S）：{'、'.join(bad)}")
        return v

    @field_validator("status", "category", "department", "channel", "satisfaction", mode="before")
    @classmethod
    def _keys_as_text(cls, v: object) -> object:
        """YAML reads `12345: hotline` with an integer key: source texts are compared as text."""
        return {str(k).strip(): val for k, val in v.items()} if isinstance(v, dict) else v
