"""What the cases API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Text100 = Field(min_length=1, max_length=100)
Reason = Field(default=None, max_length=500)


class IntakeIn(BaseModel):
    title: str = Field(min_length=2, max_length=100, description="诉求标题")
    description: str = Field(default="", max_length=4000)
    category: str = Field(min_length=1, max_length=20, description="事项分类编码")
    priority: Literal["normal", "urgent"] | None = None
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    address: str = Field(default="", max_length=200)
    channel: Literal["hotline", "grid", "resident", "api", "sensor", "open311"] | None = Field(
        default=None, description="缺省时按受理人推定：受理员=12345，网格员=网格上报，居民=居民上报")
    caller_name: str | None = Field(default=None, max_length=32)
    caller_phone: str | None = Field(default=None, max_length=20, pattern=r"^[0-9+\-() ]{5,20}$")
    self_handled: bool = Field(default=False, description="网格员就地处置(小事不出网格)，需附处置说明")
    self_handle_note: str | None = Field(default=None, max_length=2000)
    attachment_ids: list[int] = Field(default_factory=list, max_length=9)


class ActionIn(BaseModel):
    """A transition. `version` is the case version the user saw; a stale one answers 409 with the current state."""

    version: int | None = Field(default=None, ge=1, le=2**31 - 1)
    reason: str | None = Reason
    department: str | None = Field(default=None, max_length=32, description="派遣的主办部门编码")
    co_departments: list[str] = Field(default_factory=list, max_length=10, description="协办部门编码(联合处置)")
    task: str | None = Field(default=None, max_length=500)
    text: str | None = Field(default=None, max_length=4000, description="处置说明/核查说明")
    attachment_ids: list[int] = Field(default_factory=list, max_length=9)
    master: str | None = Field(default=None, max_length=24, description="并入的主案件编号")
    part_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class LocationIn(BaseModel):
    version: int | None = Field(default=None, ge=1, le=2**31 - 1)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    address: str | None = Field(default=None, max_length=200)


class ExtensionIn(BaseModel):
    extra_value: float = Field(gt=0, le=1000)
    extra_unit: Literal["work_hours", "work_days", "hours"]
    reason: str = Field(min_length=2, max_length=500)


class DecisionIn(BaseModel):
    approve: bool
    note: str | None = Field(default=None, max_length=500)


class SupervisionIn(BaseModel):
    reason: str = Field(min_length=2, max_length=500)


class RevealIn(BaseModel):
    reason: str = Field(min_length=4, max_length=200, description="查看原因(记入审计)")


class CallerRead(BaseModel):
    caller_name: str | None
    caller_phone: str | None


class AnswerIn(BaseModel):
    answer: str = Field(min_length=2, max_length=4000)


class RatingIn(BaseModel):
    satisfaction: Literal["satisfied", "basic", "unsatisfied"]
    comment: str | None = Field(default=None, max_length=500)
    reopen: bool = Field(default=False, description="不满意时是否重新办理(须系统设置允许)")


class Ref(BaseModel):
    code: str
    name: str


class PartRead(BaseModel):
    id: int
    department: Ref
    role: str
    status: str
    status_label: str
    task: str
    reply: str | None
    dispatched_at: datetime
    acknowledged_at: datetime | None
    handled_at: datetime | None


class EventRead(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    action_label: str
    from_status: str | None
    to_status: str | None
    reason: str | None
    detail: dict[str, object] | None
    attachment_ids: list[int]


class AttachmentRead(BaseModel):
    id: int
    mime: str
    size: int
    width: int
    height: int
    filename: str
    url: str
    thumb_url: str


class OrderRead(BaseModel):
    id: int
    kind: str
    reason: str
    status: str
    status_label: str
    issued_at: datetime
    answer: str | None
    answered_at: datetime | None
    department: Ref | None


class ExtensionRead(BaseModel):
    id: int
    extra_value: float
    extra_unit: str
    reason: str
    status: str
    status_label: str
    requested_at: datetime
    decided_at: datetime | None
    decision_note: str | None
    department: Ref


class CaseSummary(BaseModel):
    number: str
    version: int
    title: str
    channel: str
    channel_label: str
    category: Ref
    priority: str
    status: str
    status_label: str
    level: str
    warn_level: str
    warn_label: str
    address: str
    lon: float
    lat: float
    grid: Ref | None
    community: Ref | None
    street: Ref | None
    department: Ref | None
    received_at: datetime
    deadline_at: datetime | None
    repeat_complaint: bool = Field(default=False, description="重复投诉：同一地点或同一来电人近期反复反映")
    repeat_count: int = Field(default=0, description="受理时匹配到的近期同地点/同来电人案件数")


class Suggestion(BaseModel):
    department: Ref | None
    basis: str | None
    explanation: str


class CaseDetail(CaseSummary):
    description: str
    caller_name: str | None
    caller_phone: str | None
    reporter: str | None
    dispatch_count: int
    designated: bool
    self_handled: bool
    rework_count: int
    send_back_count: int
    extension_count: int
    reopen_count: int
    master: str | None
    merged: list[str]
    reject_reason: str | None
    limit: str | None
    yellow_at: datetime | None
    registered_at: datetime | None
    dispatched_at: datetime | None
    acknowledged_at: datetime | None
    handled_at: datetime | None
    closed_at: datetime | None
    suspended_at: datetime | None
    satisfaction: str | None
    satisfaction_comment: str | None
    micro_grid: Ref | None
    parts: list[PartRead]
    events: list[EventRead]
    attachments: list[AttachmentRead]
    orders: list[OrderRead]
    extensions: list[ExtensionRead]
    actions: list[str] = Field(description="当前用户此刻可做的操作")
    suggestion: Suggestion | None
    calendar_warnings: list[str]


class CasePage(BaseModel):
    items: list[CaseSummary]
    total: int
    total_capped: bool
    offset: int
    limit: int
    next_before: int | None = Field(default=None, description="下一页的游标(before)")


class IntakeResult(BaseModel):
    case: CaseDetail
    created: bool


class DuplicatesIn(BaseModel):
    """What the intake form has so far: the candidates are looked up while the operator types."""

    title: str = Field(default="", max_length=100)
    description: str = Field(default="", max_length=4000)
    category: str = Field(min_length=1, max_length=20, description="事项分类编码")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    radius_m: float | None = Field(default=None, allow_inf_nan=False,
                                   description="查找半径(米)，缺省 250，最大 1000")


class DuplicateCandidate(BaseModel):
    number: str
    title: str
    status: str
    status_label: str
    category: Ref
    same_category: bool = Field(description="同一事项分类(否则为同一大类下的相近分类)")
    address: str
    received_at: datetime
    closed_at: datetime | None
    distance_m: int
    similarity: float = Field(description="描述相似度 0-1")
    score: float = Field(description="排序得分 0-1：相似度、距离与分类的加权")
    why: str
    mergeable: bool = Field(description="可作为并案的主案件(未办结、未并案)")


class DuplicatesOut(BaseModel):
    radius_m: float
    candidates: list[DuplicateCandidate]
