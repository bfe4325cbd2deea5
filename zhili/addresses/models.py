"""Roads and standard addresses (标准地址): road + door number (门牌) + building (幢) + unit (单元) + room (室).

One table holds every level: a door-plate row has empty building/unit/room; a building row under it repeats the
road and number and names its building, and so on down. `parent_id` links a row to the level above, so the registry
(houses, rooms, people) can hang its records on any level. Every row carries its own point and the community and
micro-grid that point lies in (checked when written), so a standard address places a case or a household without
any geometry at read time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhili.db import Base, UTCDateTime

road_areas = Table(
    "road_areas",
    Base.metadata,
    Column("road_id", ForeignKey("roads.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True, index=True),
)
"""The streets and communities a road runs through (the matcher checks a named street against it)."""


class Road(Base):
    __tablename__ = "roads"
    __audit__ = True
    __table_args__ = (UniqueConstraint("district_id", "name", name="uq_roads_district_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    # Other names people use: a former name, a common short form. Matched like the name itself.
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    district_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Address(Base):
    """A standard address at one level; `building`, `unit`, `room` are "" above their level (so that the unique
    key holds on both databases, where NULLs would never collide)."""

    __tablename__ = "addresses"
    __audit__ = True
    __table_args__ = (
        UniqueConstraint("road_id", "number", "number_suffix", "building", "unit", "room",
                         name="uq_addresses_road_number_levels"),
        Index("ix_addresses_area_path", "area_path"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id", ondelete="CASCADE"), nullable=True,
                                                  index=True)
    road_id: Mapped[int] = mapped_column(ForeignKey("roads.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 588号 -> 588
    number_suffix: Mapped[str] = mapped_column(String(8), default="")  # 588-1号 -> "-1"
    building: Mapped[str] = mapped_column(String(16), default="")  # 3幢 -> "3", A座 -> "A"
    unit: Mapped[str] = mapped_column(String(8), default="")  # 2单元 -> "2"
    room: Mapped[str] = mapped_column(String(16), default="")  # 301室 -> "301"
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)  # the community the point lies in
    area_path: Mapped[str] = mapped_column(String(200))  # the community's path, for jurisdiction filters
    micro_grid_id: Mapped[int | None] = mapped_column(ForeignKey("micro_grids.id", ondelete="SET NULL"),
                                                      nullable=True, index=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    full_text: Mapped[str] = mapped_column(String(200))  # 宁波市鄞州区首南街道天童南路588号3幢
    source: Mapped[str] = mapped_column(String(32))  # demo / import / survey / manual
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def level(self) -> str:
        """room / unit / building / number: the smallest level this row names."""
        return "room" if self.room else "unit" if self.unit else "building" if self.building else "number"


def address_label(number: int, number_suffix: str, building: str = "", unit: str = "", room: str = "") -> str:
    """The part after the road: 588-1号3幢2单元301室."""
    text = f"{number}{number_suffix}号"
    if building:
        text += f"{building}幢"
    if unit:
        text += f"{unit}单元"
    if room:
        text += f"{room}室"
    return text
