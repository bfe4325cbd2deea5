"""API shapes of the taxonomy. Enumerations arrive as text (value or Chinese label) and are checked in the service
so that a wrong value answers in Chinese naming the field."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CategoryRead(BaseModel):
    code: str = Field(examples=["SJ0102"])
    name: str
    full_name: str = Field(description="names from the top: 市容环境/暴露垃圾")
    parent_code: str | None
    depth: int
    leaf: bool
    kind: str
    kind_label: str
    runway: str
    runway_label: str
    register_criteria: str
    close_criteria: str
    default_priority: str
    priority_label: str
    limit_unit: str | None
    limit_unit_label: str | None
    limit_normal: float | None
    limit_urgent: float | None
    limit_text: str = Field(description="the effective limit, inherited when the category has none of its own")
    keywords: str
    active: bool
    sort: int
    public: bool = Field(default=False, description="residents may report it through public channels (Open311)")


class CategoryFields(BaseModel):
    name: str | None = Field(default=None, max_length=64)
    parent_code: str | None = Field(default=None, max_length=20)
    kind: str | None = Field(default=None, max_length=20)
    runway: str | None = Field(default=None, max_length=20)
    register_criteria: str | None = Field(default=None, max_length=2000)
    close_criteria: str | None = Field(default=None, max_length=2000)
    default_priority: str | None = Field(default=None, max_length=20)
    limit_unit: str | None = Field(default=None, max_length=20)
    limit_normal: float | None = None
    limit_urgent: float | None = None
    keywords: str | None = Field(default=None, max_length=500)
    active: bool | None = None
    sort: int | None = Field(default=None, ge=-1_000_000, le=1_000_000)
    public: bool | None = Field(default=None, description="对公众开放上报(Open311 服务目录)")


class CategoryCreate(CategoryFields):
    code: str = Field(max_length=20, examples=["SJ0112"])


class CategoryUpdate(CategoryFields):
    """Only the fields sent change; send `parent_code: null` to make a category top-level, or a limit as null
    to clear it."""


class RuleRead(BaseModel):
    id: int
    category_code: str
    category_name: str
    area_code: str
    area_name: str
    basis: str
    basis_label: str
    department_code: str | None
    department_name: str | None
    note: str


class RuleCreate(BaseModel):
    category_code: str = Field(max_length=20)
    area_code: str = Field(max_length=12)
    basis: str = Field(max_length=20, examples=["owner", "territory"])
    department_code: str | None = Field(default=None, max_length=32)
    note: str = Field(default="", max_length=200)


class RuleUpdate(BaseModel):
    basis: str | None = Field(default=None, max_length=20)
    department_code: str | None = Field(default=None, max_length=32)
    note: str | None = Field(default=None, max_length=200)


class RouteRead(BaseModel):
    found: bool
    category_code: str
    area_code: str
    department_code: str | None = None
    department_name: str | None = None
    basis: str | None = None
    basis_label: str | None = None
    rule_id: int | None = None
    explanation: str


class ReportItem(BaseModel):
    kind: str = Field(description="no_route / no_limit / owner_without_department / department_outside_area")
    message: str
    category_code: str | None = None
    area_codes: list[str] = Field(default_factory=list)
    rule_id: int | None = None


class ReportRead(BaseModel):
    summary: str
    leaves: int
    streets: int
    gaps: list[ReportItem]
    conflicts: list[ReportItem]


class ImportResult(BaseModel):
    categories_created: int
    categories_updated: int
    rules_created: int
    rules_updated: int
    message: str
