"""The closed loop's tables: cases with their parts (joint handling), timeline events, attachments, idempotency
keys, the case-number counter, supervision orders and extension requests."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhili.cases import geocell
from zhili.db import Base, UTCDateTime
from zhili.kit.crypto import EncryptedString
from zhili.taxonomy.models import LimitUnit, Priority


def _enum(e: type[enum.StrEnum]) -> Enum:
    return Enum(e, native_enum=False, length=20, validate_strings=True)


class CaseStatus(enum.StrEnum):
    received = "received"
    registered = "registered"
    dispatched = "dispatched"
    in_progress = "in_progress"
    handled = "handled"
    closed = "closed"
    rejected = "rejected"
    merged = "merged"
    suspended = "suspended"


STATUS_LABEL = {
    CaseStatus.received: "待立案", CaseStatus.registered: "待派遣", CaseStatus.dispatched: "待签收",
    CaseStatus.in_progress: "处置中", CaseStatus.handled: "待核查", CaseStatus.closed: "已结案",
    CaseStatus.rejected: "不予立案", CaseStatus.merged: "已并案", CaseStatus.suspended: "已挂起",
}

OPEN_STATUSES = (CaseStatus.received, CaseStatus.registered, CaseStatus.dispatched, CaseStatus.in_progress,
                 CaseStatus.handled, CaseStatus.suspended)
# The same set as SQL, the predicate of the partial index of open cases by place: a query states it word for word
# so that the planner (PostgreSQL, SQLite) can prove the index applies.
OPEN_SQL = "status IN ('received', 'registered', 'dispatched', 'in_progress', 'handled', 'suspended')"
CLOSED_SQL = "status = 'closed'"


class Channel(enum.StrEnum):
    hotline = "hotline"  # 12345
    grid = "grid"  # 网格员上报
    resident = "resident"  # 居民上报
    api = "api"
    sensor = "sensor"
    open311 = "open311"


CHANNEL_LABEL = {Channel.hotline: "12345热线", Channel.grid: "网格员上报", Channel.resident: "居民上报",
                 Channel.api: "接口", Channel.sensor: "物联感知", Channel.open311: "Open311"}


class CaseLevel(enum.StrEnum):
    community = "community"
    street = "street"
    district = "district"


LEVEL_LABEL = {CaseLevel.community: "社区", CaseLevel.street: "街道", CaseLevel.district: "区中心"}


class WarnLevel(enum.StrEnum):
    none = "none"
    yellow = "yellow"
    red = "red"


WARN_LABEL = {WarnLevel.none: "正常", WarnLevel.yellow: "黄色预警", WarnLevel.red: "红色超期"}


class Satisfaction(enum.StrEnum):
    satisfied = "satisfied"
    basic = "basic"
    unsatisfied = "unsatisfied"


SATISFACTION_LABEL = {Satisfaction.satisfied: "满意", Satisfaction.basic: "基本满意",
                      Satisfaction.unsatisfied: "不满意"}


class Case(Base):
    __tablename__ = "cases"
    __audit__ = True
    __table_args__ = (
        Index("ix_cases_status_id", "status", "id"),
        Index("ix_cases_area_path_id", "area_path", "id"),
        Index("ix_cases_warn_open", "warn_level", "status", "yellow_at"),
        # Duplicate candidates (cases/dedup.py): open cases by place and category; recently closed ones by place
        # and closing time; any case by place and arrival (repeat complaints).
        Index("ix_cases_dedup_open", "geo_cell", "category_id", postgresql_where=text(OPEN_SQL),
              sqlite_where=text(OPEN_SQL)),
        Index("ix_cases_dedup_closed", "geo_cell", "closed_at", postgresql_where=text(CLOSED_SQL),
              sqlite_where=text(CLOSED_SQL)),
        Index("ix_cases_geo_cell_received", "geo_cell", "received_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[Channel] = mapped_column(_enum(Channel), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    priority: Mapped[Priority] = mapped_column(_enum(Priority), default=Priority.normal)
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus))
    status_before_suspend: Mapped[CaseStatus | None] = mapped_column(_enum(CaseStatus), nullable=True)
    level: Mapped[CaseLevel] = mapped_column(_enum(CaseLevel), default=CaseLevel.district)
    # Where: the point, and what it resolves to.
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(200), default="")
    # The ~250 m cell of (lon, lat) (cases/geocell.py), kept in step by the mapper hooks below. Null only for rows
    # written around the ORM (bulk loads) until `repository.fill_missing_cells` runs; such rows are not found
    # as duplicates.
    geo_cell: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    micro_grid_id: Mapped[int | None] = mapped_column(ForeignKey("micro_grids.id"), nullable=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), nullable=True, index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)  # the community
    # Byte order ("C" collation on PostgreSQL; SQLite's default) so a subtree is an index range (see repository).
    area_path: Mapped[str] = mapped_column(String(200).with_variant(String(200, collation="C"), "postgresql"))
    # Who reported it. Caller name and phone are personal data: encrypted, masked on display.
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    caller_name: Mapped[str | None] = mapped_column(EncryptedString(200), nullable=True)
    caller_phone: Mapped[str | None] = mapped_column(EncryptedString(200), nullable=True)
    caller_phone_bidx: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # Handling: the lead department, how often dispatched, whether the center designated the handler.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True, index=True)
    dispatch_count: Mapped[int] = mapped_column(Integer, default=0)
    designated: Mapped[bool] = mapped_column(Boolean, default=False)
    self_handled: Mapped[bool] = mapped_column(Boolean, default=False)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    send_back_count: Mapped[int] = mapped_column(Integer, default=0)
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    escalation_count: Mapped[int] = mapped_column(Integer, default=0)
    master_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True, index=True)
    reject_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # 重复投诉, assessed at intake (cases/dedup.py): the same place or the same caller about the same matter in
    # the last weeks. `repeat_count` is how many earlier cases matched. Null: not assessed (cases from before the
    # check existed, bulk loads).
    repeat_complaint: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    repeat_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The clock: limit from the category (or extended), the yellow point and the deadline, in UTC.
    limit_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    limit_unit: Mapped[LimitUnit | None] = mapped_column(_enum(LimitUnit), nullable=True)
    clock_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    yellow_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    remaining_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)  # while suspended
    warn_level: Mapped[WarnLevel] = mapped_column(_enum(WarnLevel), default=WarnLevel.none)
    # Milestones.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Follow-up (回访).
    satisfaction: Mapped[Satisfaction | None] = mapped_column(_enum(Satisfaction), nullable=True)
    satisfaction_comment: Mapped[str | None] = mapped_column(String(500), nullable=True)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - read once by the mapper


@event.listens_for(Case, "before_insert")
@event.listens_for(Case, "before_update")
def _keep_cell(_mapper: object, _connection: object, case: Case) -> None:
    """The place cell follows the point on every ORM write: intake, and any later correction of the location
    (relocate), whatever code moved it. Column changes made here go into the same INSERT/UPDATE."""
    if case.lon is not None and case.lat is not None:
        cell = geocell.cell_of(case.lon, case.lat)
        if case.geo_cell != cell:
            case.geo_cell = cell


class PartRole(enum.StrEnum):
    lead = "lead"
    co = "co"


class PartStatus(enum.StrEnum):
    dispatched = "dispatched"
    in_progress = "in_progress"
    handled = "handled"
    cancelled = "cancelled"


PART_STATUS_LABEL = {PartStatus.dispatched: "待签收", PartStatus.in_progress: "处置中",
                     PartStatus.handled: "已处置", PartStatus.cancelled: "已撤回"}


class CasePart(Base):
    """One department's share of a case: the lead, or a co-handler in joint handling (联合处置)."""

    __tablename__ = "case_parts"
    __audit__ = True
    __table_args__ = (Index("ix_case_parts_department_status", "department_id", "status"),
                      Index("ix_case_parts_department_case", "department_id", "case_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    role: Mapped[PartRole] = mapped_column(_enum(PartRole))
    status: Mapped[PartStatus] = mapped_column(_enum(PartStatus))
    task: Mapped[str] = mapped_column(String(500), default="")
    reply: Mapped[str | None] = mapped_column(Text, nullable=True)
    dispatch_no: Mapped[int] = mapped_column(Integer, default=1)
    dispatched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CaseEvent(Base):
    """The timeline: one row per transition, written in the same transaction as the change."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    attachment_ids: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)


class Attachment(Base):
    """A photo, stored once under var/files by its SHA-256; rows tie it to a case and the event that added it."""

    __tablename__ = "attachments"
    __audit__ = True
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200), default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), nullable=True,
                                                index=True)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdempotencyKey(Base):
    """`Idempotency-Key` of an intake request: a retry by the same user returns the case the first one made."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(100))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class CaseCounter(Base):
    """Per-day sequence behind case numbers like YZ20261128-000123."""

    __tablename__ = "case_counters"
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class OrderStatus(enum.StrEnum):
    open = "open"
    answered = "answered"
    closed = "closed"


ORDER_STATUS_LABEL = {OrderStatus.open: "待反馈", OrderStatus.answered: "已反馈", OrderStatus.closed: "已办结"}


class SupervisionOrder(Base):
    """督办: raised automatically when a case goes red, or by the center by hand; the department must answer."""

    __tablename__ = "supervision_orders"
    __audit__ = True
    __table_args__ = (Index("ix_supervision_orders_department_status", "department_id", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))  # overdue / manual
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus), default=OrderStatus.open)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answered_by: Mapped[int | None] = mapped_column(Integer, nullable=True)


class RequestStatus(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    denied = "denied"


REQUEST_STATUS_LABEL = {RequestStatus.pending: "待审批", RequestStatus.approved: "已批准",
                        RequestStatus.denied: "未批准"}


class ExtensionRequest(Base):
    """延期申请: a department asks for more time; the center approves (the deadline moves) or denies."""

    __tablename__ = "extension_requests"
    __audit__ = True
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    extra_value: Mapped[float] = mapped_column(Float)
    extra_unit: Mapped[LimitUnit] = mapped_column(_enum(LimitUnit))
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus), default=RequestStatus.pending)
    requested_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str | None] = mapped_column(String(500), nullable=True)


