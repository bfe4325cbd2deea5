"""What the registry's browsing API answers: lists, entity and address pages, reveals and data quality.

Every value in these is a display value, masked on the server (registry/present.py): an unmasked ID or phone
number only ever leaves through `RevealRead`, after the audited reveal.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from zhili.cases.schemas import CaseSummary


class RefRead(BaseModel):
    code: str
    name: str


class BrowseQuery(BaseModel):
    """Filters of a registry list. Codes are the org tree's (12-digit area code, grid code)."""

    area: str | None = Field(default=None, description="镇街或社区代码（须在辖区内）")
    grid: str | None = Field(default=None, description="网格编码")
    residency: str | None = Field(default=None, description="registered / floating（人口）")
    tag: str | None = Field(default=None, description="人群标签代码（人口）或场所标签")
    status: str | None = Field(default=None, description="active / moved_out / deceased / anonymised（人口）")
    name: str | None = Field(default=None, description="姓名或名称前缀")
    kind: str | None = Field(default=None, description="场所类型（场所）")
    use: str | None = Field(default=None, description="房屋用途（房屋）")
    plate: str | None = Field(default=None, description="号牌号码前缀（车辆）")
    id_number: str | None = Field(default=None, description="完整身份证号：按盲索引精确查找")
    phone: str | None = Field(default=None, description="完整电话号码：按盲索引精确查找")
    before: int | None = Field(default=None, description="翻页：上一页最后一条的 id")
    limit: int = 50


class FieldRead(BaseModel):
    field: str
    label: str
    value: str = Field(description="显示值（个人信息已脱敏）")
    masked: bool
    revealable: bool = Field(description="可申请查看完整值（须 pii.reveal 与理由，记入审计）")
    source: str | None = Field(description="当前值的数据来源")
    at: str | None = Field(description="来源提供该值的时间")
    confirmed: str | None = Field(description="最近一次现场核实日期")
    fresh: bool = Field(description="在保鲜期内核实过")
    note: str = ""


class EntityRow(BaseModel):
    id: int
    kind: str
    title: str
    minor: bool
    grid: RefRead | None
    values: dict[str, str] = Field(description="列表显示的字段（已脱敏），仅含可见字段")
    hidden_tags: int = 0


class EntityPage(BaseModel):
    items: list[EntityRow]
    total: int
    total_capped: bool
    limit: int
    next_before: int | None
    fields: dict[str, str] = Field(description="列表各列：字段 -> 标签")


class LinkRead(BaseModel):
    """Another entity or address shown on a page: linked when the viewer may open it."""

    kind: str
    id: int
    title: str
    note: str = ""
    href: str | None = None


class ConflictValue(BaseModel):
    source: str
    value: str
    at: str | None = None


class ConflictRead(BaseModel):
    field: str
    label: str
    values: list[ConflictValue]
    since: datetime


class SourceRead(BaseModel):
    source: str
    imported_at: datetime


class CorrectionRead(BaseModel):
    field: str
    label: str
    old_value: str
    new_value: str
    reason: str
    by_name: str
    at: datetime


class EntityDetail(BaseModel):
    id: int
    kind: str
    kind_label: str
    title: str
    minor: bool
    hidden_tags: int
    grid: RefRead | None
    street: RefRead | None
    community: RefRead | None
    address: LinkRead | None
    fields: list[FieldRead]
    conflicts: list[ConflictRead]
    owner: LinkRead | None = None
    members: list[LinkRead] = Field(default_factory=list, description="同户成员")
    rooms: list[LinkRead] = Field(default_factory=list, description="居住、产权、租住的房屋")
    vehicles: list[LinkRead] = Field(default_factory=list)
    houses: list[LinkRead] = Field(default_factory=list)
    residents: list[LinkRead] = Field(default_factory=list, description="房屋内居住的人")
    sources: list[SourceRead]
    corrections: list[CorrectionRead]
    cases: list[CaseSummary]


class AddressDetail(BaseModel):
    id: int
    full_text: str
    level: str
    level_label: str
    parent: LinkRead | None
    street: RefRead | None
    community: RefRead | None
    grid: RefRead | None
    below: list[LinkRead]
    people: list[LinkRead]
    houses: list[LinkRead]
    places: list[LinkRead]
    cases: list[CaseSummary]


class RevealIn(BaseModel):
    field: str = Field(min_length=1, max_length=32, description="要查看的字段，如 id_number、phone")
    reason: str = Field(min_length=4, max_length=200, description="查看原因（记入审计）")


class RevealRead(BaseModel):
    field: str
    label: str
    value: str | None


class QualityFigures(BaseModel):
    total: int = 0
    complete: int = 0
    valid: int = 0
    matched: int = 0
    multi_source: int = 0
    conflicts: int = 0
    fresh: int = 0

    def rate(self, name: str) -> float | None:
        return round(getattr(self, name) / self.total, 4) if self.total else None


class QualityRow(QualityFigures):
    code: str | None = Field(description="区划代码或网格编码；未落图的记录为空")
    name: str
    level: str = Field(description="street / community / grid / none")
    drill: bool = Field(description="可下钻")
    complete_rate: float | None = None
    valid_rate: float | None = None
    matched_rate: float | None = None
    multi_source_rate: float | None = None
    fresh_rate: float | None = None


class QualityPoint(BaseModel):
    day: date
    total: int
    complete_rate: float | None
    valid_rate: float | None
    matched_rate: float | None
    fresh_rate: float | None
    conflicts: int


class QualityPage(BaseModel):
    day: date
    kind: str
    kind_label: str
    area: RefRead | None
    trail: list[RefRead] = Field(description="从辖区顶层到当前区域的路径")
    rows: list[QualityRow]
    overall: QualityRow
    trend: list[QualityPoint]
    computed_now: bool = Field(description="今日快照由本次请求计算（定时任务尚未运行）")
