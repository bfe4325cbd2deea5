"""The thematic database (主题数据库): people, households, houses, vehicles and places; the source records they were
built from; match reviews, conflicts, verification tasks (核查), corrections and the feedback batches (数据反哺) that
carry them back to the owning departments; export approvals and data-quality snapshots.

Invariants
- An entity row holds the *current* value of each field. Where each value came from is in `provenance`
  ({field: [source, iso time]}), when it was last confirmed on site in `confirmed` ({field: iso date}).
- Every imported row is a `SourceRecord`, unique by (kind, source, source_key): re-running an import finds it and
  writes nothing (same `row_hash`) or updates it. Its values are kept whole (encrypted), so what two sources say
  about one entity stays side by side; a disagreement on a field is a `Conflict`, never a silent overwrite.
- ID numbers and phone numbers are `EncryptedString` (SM4-GCM) with a keyed SM3 blind index (`*_bidx`, 32 hex)
  for exact search; the identity key of a person is `id_number_bidx` (unique). Nothing stores them in clear.
- Every entity carries the place it belongs to (`area_path` of its community, `grid_id`, `micro_grid_id`), taken
  from its standard address, so the jurisdiction filter needs no join (registry/repository.py).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhili.db import Base, UTCDateTime
from zhili.kit.crypto import EncryptedJSON, EncryptedString

PATH = String(200).with_variant(String(200, collation="C"), "postgresql")  # byte order: a subtree is a range


def _enum(e: type[enum.StrEnum]) -> Enum:
    return Enum(e, native_enum=False, length=20, validate_strings=True)


class EntityKind(enum.StrEnum):
    person = "person"
    house = "house"
    vehicle = "vehicle"
    place = "place"


KIND_LABEL = {EntityKind.person: "人口", EntityKind.house: "房屋", EntityKind.vehicle: "车辆", EntityKind.place: "场所"}


class Residency(enum.StrEnum):
    registered = "registered"  # 户籍人口
    floating = "floating"  # 流动人口


class PersonStatus(enum.StrEnum):
    active = "active"
    moved_out = "moved_out"  # 已迁出 / 离开: kept until its retention period ends
    deceased = "deceased"
    anonymised = "anonymised"  # retention expired: name, ID, phone removed; counts still add up


class RoomRelation(enum.StrEnum):
    lives = "lives"  # 居住
    owns = "owns"  # 产权
    rents = "rents"  # 租住


class HouseUse(enum.StrEnum):
    residential = "residential"  # 住宅
    rental = "rental"  # 出租房
    commercial = "commercial"  # 商铺
    office = "office"  # 办公
    industrial = "industrial"  # 厂房
    other = "other"


class PlaceKind(enum.StrEnum):
    shop = "shop"  # 沿街商铺
    enterprise = "enterprise"  # 企业
    rental_house = "rental_house"  # 出租房屋(群租)
    school = "school"  # 学校、幼儿园
    construction_site = "construction_site"  # 建筑工地
    hospital = "hospital"  # 医疗机构
    restaurant = "restaurant"  # 餐饮
    public_venue = "public_venue"  # 公共场所(文体、养老)
    hazardous = "hazardous"  # 危化品、燃气站点
    other = "other"


class Household(Base):
    """户: the people registered or living together at one address; `number` is the source's household number."""

    __tablename__ = "households"
    __audit__ = True
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id", ondelete="SET NULL"), nullable=True,
                                                   index=True)
    head_person_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # people.id (no FK: a cycle)
    area_path: Mapped[str | None] = mapped_column(PATH, nullable=True, index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="SET NULL"), nullable=True,
                                                index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class _Located:
    """Where an entity belongs, copied from its standard address when written (see the module docstring)."""

    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id", ondelete="SET NULL"), nullable=True,
                                                   index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), nullable=True)  # the community
    area_path: Mapped[str | None] = mapped_column(PATH, nullable=True, index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="SET NULL"), nullable=True,
                                                index=True)
    micro_grid_id: Mapped[int | None] = mapped_column(ForeignKey("micro_grids.id", ondelete="SET NULL"),
                                                      nullable=True)
    # Free address text as the source wrote it, when it did not match a standard address (a data-quality issue).
    address_text: Mapped[str] = mapped_column(String(200), default="")


class _Kept:
    """Provenance and freshness, per field (see the module docstring)."""

    provenance: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {field: [source, iso time]}
    confirmed: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {field: iso date confirmed on site}
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)  # last 核查
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Person(_Located, _Kept, Base):
    __tablename__ = "people"
    __audit__ = True
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    id_number: Mapped[str | None] = mapped_column(EncryptedString(200), nullable=True)
    id_number_bidx: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True)  # identity key
    sex: Mapped[str] = mapped_column(String(1), default="")  # "M" / "F" (from the ID number) / "" unknown
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    phone: Mapped[str | None] = mapped_column(EncryptedString(200), nullable=True)
    phone_bidx: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    residency: Mapped[Residency] = mapped_column(_enum(Residency), default=Residency.registered)
    status: Mapped[PersonStatus] = mapped_column(_enum(PersonStatus), default=PersonStatus.active, index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id", ondelete="SET NULL"),
                                                     nullable=True, index=True)
    household_relation: Mapped[str] = mapped_column(String(16), default="")  # 户主 / 配偶 / 子女 / ...
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)  # registry/fields.py TAGS
    ethnicity: Mapped[str] = mapped_column(String(16), default="")
    work_place: Mapped[str] = mapped_column(String(100), default="")
    moved_out_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PersonRoom(Base):
    """A person's relation to a house or room: lives / owns / rents, since, until (null: still)."""

    __tablename__ = "person_rooms"
    __audit__ = True
    __table_args__ = (UniqueConstraint("person_id", "address_id", "relation", name="uq_person_rooms"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("addresses.id", ondelete="CASCADE"), index=True)
    relation: Mapped[RoomRelation] = mapped_column(_enum(RoomRelation))
    since: Mapped[date | None] = mapped_column(Date, nullable=True)
    until: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(String(64), default="")


class House(_Located, _Kept, Base):
    """A house (房屋) is a standard address at room level (or building level for a whole-building use)."""

    __tablename__ = "houses"
    __audit__ = True
    __table_args__ = (UniqueConstraint("address_id", name="uq_houses_address"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use: Mapped[HouseUse] = mapped_column(_enum(HouseUse), default=HouseUse.residential)
    floor_area: Mapped[float | None] = mapped_column(Float, nullable=True)  # m²
    property_cert: Mapped[str | None] = mapped_column(String(40), nullable=True, unique=True)  # 不动产权证号
    owner_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True,
                                                        index=True)
    rented: Mapped[bool] = mapped_column(Boolean, default=False)


class Vehicle(_Located, _Kept, Base):
    """A vehicle; located at its owner's address (or the address the source gave)."""

    __tablename__ = "vehicles"
    __audit__ = True
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plate: Mapped[str] = mapped_column(String(16), unique=True)  # normalised: 浙B12345, 浙BD12345 (new energy)
    plate_kind: Mapped[str] = mapped_column(String(16), default="")  # small / large / new_energy / ...
    owner_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True,
                                                        index=True)
    brand: Mapped[str] = mapped_column(String(40), default="")
    color: Mapped[str] = mapped_column(String(16), default="")


class Place(_Located, _Kept, Base):
    """A place (场所): shop, enterprise, school, construction site ...; identity key is the unified social credit
    code (统一社会信用代码) when it has one, else name + standard address."""

    __tablename__ = "places"
    __audit__ = True
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[PlaceKind] = mapped_column(_enum(PlaceKind), default=PlaceKind.other)
    credit_code: Mapped[str | None] = mapped_column(String(18), nullable=True, unique=True)
    contact_name: Mapped[str] = mapped_column(String(64), default="")
    contact_phone: Mapped[str | None] = mapped_column(EncryptedString(200), nullable=True)
    contact_phone_bidx: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)  # 九小场所, 重点场所, ...


class ImportRun(Base):
    """One `zhili import people|houses|vehicles|places` run, with its counts (read, created, updated, unchanged,
    matched, review, rejected)."""

    __tablename__ = "registry_imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[EntityKind] = mapped_column(_enum(EntityKind))
    source: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    by: Mapped[str] = mapped_column(String(64), default="")


class SourceRecord(Base):
    """One row of one source (公安, 民政, 网格采集 ...) as it came; `entity_id` null while its match is in review."""

    __tablename__ = "registry_records"
    __table_args__ = (
        UniqueConstraint("kind", "source", "source_key", name="uq_registry_records_kind_source_key"),
        Index("ix_registry_records_kind_entity", "kind", "entity_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[EntityKind] = mapped_column(_enum(EntityKind))
    source: Mapped[str] = mapped_column(String(64))
    # The source's own id of the row, or (when it has none) the identity key's blind index; never a plain ID.
    source_key: Mapped[str] = mapped_column(String(100))
    entity_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    values: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)  # {field: value} as the source gave them
    row_hash: Mapped[str] = mapped_column(String(32))  # keyed digest of `values`: unchanged rows are skipped
    import_id: Mapped[int | None] = mapped_column(ForeignKey("registry_imports.id", ondelete="SET NULL"),
                                                  nullable=True, index=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReviewStatus(enum.StrEnum):
    open = "open"
    linked = "linked"  # the reviewer said: same entity
    separate = "separate"  # the reviewer said: a different one (a new entity was made)


class MatchReview(Base):
    """An uncertain match (fuzzy on name + address + birth date) waiting for a person to decide."""

    __tablename__ = "registry_match_reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[EntityKind] = mapped_column(_enum(EntityKind))
    record_id: Mapped[int] = mapped_column(ForeignKey("registry_records.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(Integer)  # the entity it may be
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # per-feature similarity
    status: Mapped[ReviewStatus] = mapped_column(_enum(ReviewStatus), default=ReviewStatus.open, index=True)
    area_path: Mapped[str | None] = mapped_column(PATH, nullable=True, index=True)  # the candidate's
    grid_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Conflict(Base):
    """Sources disagree on a field: every value with its source and time, side by side, until resolved (by a
    verification on site, or by the owning department's value)."""

    __tablename__ = "registry_conflicts"
    __table_args__ = (UniqueConstraint("kind", "entity_id", "field", name="uq_registry_conflicts_entity_field"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[EntityKind] = mapped_column(_enum(EntityKind))
    entity_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(32))
    values: Mapped[list[Any]] = mapped_column(EncryptedJSON)  # [{"source", "value", "at"}, ...]
    open: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    area_path: Mapped[str | None] = mapped_column(PATH, nullable=True, index=True)
    grid_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class TaskStatus(enum.StrEnum):
    open = "open"
    done = "done"
    cancelled = "cancelled"


class VerifyTask(Base):
    """核查任务: check one entity on site, because it is stale, conflicting or incomplete (`reasons`). At most one
    open task per entity (partial unique index)."""

    __tablename__ = "registry_tasks"
    __table_args__ = (
        Index("ux_registry_tasks_open_entity", "kind", "entity_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("ix_registry_tasks_grid_status", "grid_id", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[EntityKind] = mapped_column(_enum(EntityKind))
    entity_id: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # stale / conflict / incomplete / invalid
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)  # the fields to look at first
    status: Mapped[TaskStatus] = mapped_column(_enum(TaskStatus), default=TaskStatus.open)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="SET NULL"), nullable=True)
    area_path: Mapped[str | None] = mapped_column(PATH, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")


class BatchStatus(enum.StrEnum):
    sent = "sent"  # 已推送
    acknowledged = "acknowledged"  # 已签收
    applied = "applied"  # 已采纳(更新到部门系统)


class FeedbackBatch(Base):
    """数据反哺: a batch of confirmed corrections sent to the department that owns the fields."""

    __tablename__ = "registry_feedback_batches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # FK-GA-20261129-001
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    status: Mapped[BatchStatus] = mapped_column(_enum(BatchStatus), default=BatchStatus.sent, index=True)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    applied_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    note: Mapped[str] = mapped_column(String(500), default="")


class Correction(Base):
    """A value corrected on site: the old and the new value (encrypted: they may be personal data), why, the
    evidence, who and when; which department owns the field, and the feedback batch that carried it."""

    __tablename__ = "registry_corrections"
    __table_args__ = (Index("ix_registry_corrections_owner_pending", "owner_department_id", "applied_at"),
                      Index("ix_registry_corrections_entity", "kind", "entity_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[EntityKind] = mapped_column(_enum(EntityKind))
    entity_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(EncryptedString(1000), nullable=True)
    new_value: Mapped[str | None] = mapped_column(EncryptedString(1000), nullable=True)
    reason: Mapped[str] = mapped_column(String(500))
    evidence: Mapped[str | None] = mapped_column(String(200), nullable=True)  # a stored file's key (photo)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("registry_tasks.id", ondelete="SET NULL"), nullable=True)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    by_name: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    area_path: Mapped[str | None] = mapped_column(PATH, nullable=True, index=True)
    owner_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("registry_feedback_batches.id", ondelete="SET NULL"),
                                                 nullable=True, index=True)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ExportStatus(enum.StrEnum):
    pending = "pending"  # 待审批
    approved = "approved"
    rejected = "rejected"
    downloaded = "downloaded"
    expired = "expired"


class ExportRequest(Base):
    """A bulk export containing personal data: asked for with a reason, approved by a second person (never the
    requester), downloadable by the requester until `expires_at`; every step is audited."""

    __tablename__ = "registry_export_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # person / house / vehicle / place / feedback
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # filters (area, grid, tags ...)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[ExportStatus] = mapped_column(_enum(ExportStatus), default=ExportStatus.pending, index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    area_path: Mapped[str | None] = mapped_column(PATH, nullable=True)  # the requester's scope, for approvers
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision_note: Mapped[str] = mapped_column(String(500), default="")
    file_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    row_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class QualitySnapshot(Base):
    """Data quality of one kind in one grid on one day (grid null: entities without a grid, per community), summed
    up the area tree by `area_path` for the quality page and its trend."""

    __tablename__ = "registry_quality"
    __table_args__ = (UniqueConstraint("day", "kind", "area_id", "grid_id", name="uq_registry_quality"),
                      Index("ix_registry_quality_path_day", "area_path", "day"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[EntityKind] = mapped_column(_enum(EntityKind))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), nullable=True)
    area_path: Mapped[str | None] = mapped_column(PATH, nullable=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id", ondelete="CASCADE"), nullable=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    complete: Mapped[int] = mapped_column(Integer, default=0)  # every required field filled
    valid: Mapped[int] = mapped_column(Integer, default=0)  # every filled field passes its check
    matched: Mapped[int] = mapped_column(Integer, default=0)  # on a standard address and linked across sources
    multi_source: Mapped[int] = mapped_column(Integer, default=0)  # confirmed by two or more sources
    conflicts: Mapped[int] = mapped_column(Integer, default=0)  # open conflicts
    fresh: Mapped[int] = mapped_column(Integer, default=0)  # verified within the freshness period
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CaseLink(Base):
    """A case concerns a person, a standard address or a place (by the caller's phone, the resolved address, or a
    member of staff's link); the entity's page lists its cases."""

    __tablename__ = "registry_case_links"
    __table_args__ = (UniqueConstraint("case_id", "kind", "entity_id", name="uq_registry_case_links"),
                      Index("ix_registry_case_links_entity", "kind", "entity_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # person / address / place
    entity_id: Mapped[int] = mapped_column(Integer)
    how: Mapped[str] = mapped_column(String(16))  # caller_phone / address / manual
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[Any] = mapped_column(Text, default="")


class Watermark(Base):
    """How far a periodic registry job has got through an append-only table (e.g. `registry.link_cases`: the last
    case id it looked at), so each run starts where the last one stopped."""

    __tablename__ = "registry_watermarks"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
