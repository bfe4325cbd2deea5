"""Areas (city > district > street > community), grids, micro-grids, departments, staff and 1+3+N grid teams."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhili.db import Base, UTCDateTime
from zhili.kit.crypto import EncryptedString


class AreaLevel(enum.StrEnum):
    city = "city"
    district = "district"
    street = "street"
    community = "community"


LEVEL_DEPTH = {AreaLevel.city: 0, AreaLevel.district: 1, AreaLevel.street: 2, AreaLevel.community: 3}
LEVEL_LABEL = {AreaLevel.city: "市", AreaLevel.district: "区县", AreaLevel.street: "镇街", AreaLevel.community: "社区(村)"}


class GridKind(enum.StrEnum):
    urban = "urban"
    rural = "rural"
    special = "special"


GRID_KIND_LABEL = {GridKind.urban: "城市网格", GridKind.rural: "农村网格", GridKind.special: "专属网格"}


class GridRole(enum.StrEnum):
    leader = "leader"
    full_time = "full_time"
    part_time = "part_time"
    guide = "guide"
    police = "police"
    specialist = "specialist"
    volunteer = "volunteer"


GRID_ROLE_LABEL = {
    GridRole.leader: "网格长",
    GridRole.full_time: "专职网格员",
    GridRole.part_time: "兼职网格员",
    GridRole.guide: "网格指导员",
    GridRole.police: "社区民警",
    GridRole.specialist: "专业力量",
    GridRole.volunteer: "志愿者",
}


class DepartmentKind(enum.StrEnum):
    functional = "functional"
    center = "center"  # type: ignore[assignment]  # StrEnum.center is str.center; the member wins


def _enum(e: type[enum.StrEnum]) -> Enum:
    return Enum(e, native_enum=False, length=20, validate_strings=True)


class Area(Base):
    __tablename__ = "areas"
    __audit__ = True
    __audit_summarize__ = frozenset({"geom"})
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    short_name: Mapped[str] = mapped_column(String(64))
    level: Mapped[AreaLevel] = mapped_column(_enum(AreaLevel))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), nullable=True, index=True)
    # "/330200000000/330212000000/330212001000/": a subtree is `path LIKE prefix || '%'`.
    path: Mapped[str] = mapped_column(String(200), index=True)
    geom: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Grid(Base):
    __tablename__ = "grids"
    __audit__ = True
    __audit_summarize__ = frozenset({"geom"})
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[GridKind] = mapped_column(_enum(GridKind))
    special_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)  # the community
    area_path: Mapped[str] = mapped_column(String(200), index=True)  # the community's path, for scope filters
    geom: Mapped[dict[str, Any]] = mapped_column(JSON)
    center_lon: Mapped[float] = mapped_column(Float)
    center_lat: Mapped[float] = mapped_column(Float)
    # Bounding box, so that overlap checks find every grid near a new one whatever its size.
    min_lon: Mapped[float] = mapped_column(Float, index=True)
    min_lat: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float, index=True)
    max_lat: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MicroGrid(Base):
    __tablename__ = "micro_grids"
    __audit__ = True
    __audit_summarize__ = frozenset({"geom"})
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="CASCADE"), index=True)
    geom: Mapped[dict[str, Any]] = mapped_column(JSON)


class Department(Base):
    __tablename__ = "departments"
    __audit__ = True
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    short_name: Mapped[str] = mapped_column(String(32))
    kind: Mapped[DepartmentKind] = mapped_column(_enum(DepartmentKind))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)  # the area it serves
    area_path: Mapped[str] = mapped_column(String(200), index=True)


class Staff(Base):
    __tablename__ = "staff"
    __audit__ = True
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(EncryptedString(200), nullable=True)
    phone_bidx: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    title: Mapped[str | None] = mapped_column(String(64), nullable=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True, index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), nullable=True, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, unique=True)


class GridMember(Base):
    __tablename__ = "grid_members"
    __audit__ = True
    __table_args__ = (UniqueConstraint("grid_id", "staff_id", "role", name="uq_grid_members_grid_staff_role"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    role: Mapped[GridRole] = mapped_column(_enum(GridRole))


class GeoState(Base):
    """One row; `version` rises whenever grids or micro-grids change, telling every process to rebuild its index."""

    __tablename__ = "geo_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
