"""Case categories (the taxonomy, with time limits) and the responsibility list (权责清单)."""

from __future__ import annotations

import enum

from sqlalchemy import (
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhili.db import Base


def _enum(e: type[enum.StrEnum]) -> Enum:
    return Enum(e, native_enum=False, length=20, validate_strings=True)


class CategoryKind(enum.StrEnum):
    component = "component"  # 部件: owner first, then territory
    event = "event"  # 事件: territory first, then owner
    governance = "governance"  # 治理事项


CATEGORY_KIND_LABEL = {CategoryKind.component: "部件", CategoryKind.event: "事件", CategoryKind.governance: "治理事项"}


class Runway(enum.StrEnum):
    party = "party"
    economy = "economy"
    safety = "safety"
    service = "service"


RUNWAY_LABEL = {Runway.party: "党建引领", Runway.economy: "经济生态", Runway.safety: "平安法治",
                Runway.service: "公共服务"}


class LimitUnit(enum.StrEnum):
    work_hours = "work_hours"
    work_days = "work_days"
    hours = "hours"  # natural (wall-clock) hours, for emergencies


LIMIT_UNIT_LABEL = {LimitUnit.work_hours: "工作时", LimitUnit.work_days: "工作日", LimitUnit.hours: "自然小时"}


class Priority(enum.StrEnum):
    normal = "normal"
    urgent = "urgent"


PRIORITY_LABEL = {Priority.normal: "一般", Priority.urgent: "紧急"}


class Category(Base):
    __tablename__ = "categories"
    __audit__ = True
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), nullable=True, index=True)
    path: Mapped[str] = mapped_column(String(200), index=True)  # "/C01/C0101/" by code
    kind: Mapped[CategoryKind] = mapped_column(_enum(CategoryKind))
    runway: Mapped[Runway] = mapped_column(_enum(Runway))
    register_criteria: Mapped[str] = mapped_column(Text, default="")
    close_criteria: Mapped[str] = mapped_column(Text, default="")
    default_priority: Mapped[Priority] = mapped_column(_enum(Priority), default=Priority.normal)
    # Time limits for handling, counted from dispatch; null on a branch (its leaves carry them).
    limit_unit: Mapped[LimitUnit | None] = mapped_column(_enum(LimitUnit), nullable=True)
    limit_normal: Mapped[float | None] = mapped_column(Float, nullable=True)
    limit_urgent: Mapped[float | None] = mapped_column(Float, nullable=True)
    keywords: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort: Mapped[int] = mapped_column(Integer, default=0)
    # Residents may report it through public channels (Open311 services list); off by default, so an upgraded
    # deployment publishes nothing until an administrator (or the seed, for new leaves) says so.
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))  # valid SQL on both


class RuleBasis(enum.StrEnum):
    owner = "owner"  # 属主: the department that owns the thing
    territory = "territory"  # 属地: the street's center where it happened


RULE_BASIS_LABEL = {RuleBasis.owner: "属主", RuleBasis.territory: "属地"}


class ResponsibilityRule(Base):
    """(category subtree, area subtree) -> responsible department. A territory rule without a department means
    "the center of the street where the case is"."""

    __tablename__ = "responsibility_rules"
    __audit__ = True
    __table_args__ = (UniqueConstraint("category_id", "area_id", name="uq_responsibility_rules_category_area"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    area_path: Mapped[str] = mapped_column(String(200), index=True)
    basis: Mapped[RuleBasis] = mapped_column(_enum(RuleBasis))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True, index=True)
    note: Mapped[str] = mapped_column(String(200), default="")


class TaxonomyState(Base):
    """One row; `version` changes whenever a category or a responsibility rule changes, telling every process
    to rebuild its routing table. The first bump after the row is (re)created starts from a random number, so a
    rebuilt database never repeats a version a process has already cached."""

    __tablename__ = "taxonomy_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
