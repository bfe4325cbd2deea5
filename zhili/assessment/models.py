"""督查考核: scoring schemes (data, edited on a page), the runs that applied one to a period, and each unit's score
with its breakdown. A run is unique per (scheme, period): computing the period again replaces its scores."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhili.db import Base, UTCDateTime


class AssessmentScheme(Base):
    """A scheme for one kind of unit. `items`: [{indicator, weight, target, floor, method}], weights adding up to
    100; `deductions`: [{kind, points, cap, limit_hours}]. Both are checked by scoring.parse_scheme on save."""

    __tablename__ = "assessment_schemes"
    __audit__ = True
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    unit_kind: Mapped[str] = mapped_column(String(16))  # department / street / community / grid / grid_worker
    description: Mapped[str] = mapped_column(String(500), default="")
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    deductions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64), default="system")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class AssessmentRun(Base):
    """One application of a scheme to a period. `scheme_snapshot` keeps the items and deductions as they were."""

    __tablename__ = "assessment_runs"
    __audit__ = True
    __audit_exclude__ = frozenset({"scheme_snapshot"})
    __table_args__ = (UniqueConstraint("scheme_id", "period_start", "period_end", name="uq_assessment_runs_period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scheme_id: Mapped[int] = mapped_column(ForeignKey("assessment_schemes.id", ondelete="CASCADE"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(32))  # "2026-10" or "2026-10-01~2026-10-15"
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    computed_by: Mapped[str] = mapped_column(String(64))
    scheme_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    unit_count: Mapped[int] = mapped_column(Integer, default=0)


class AssessmentScore(Base):
    """A unit's score in a run. The scope columns (area_path, department_id, grid_id) decide who may read it:
    an area unit by its path, a department by its own id and path, a grid or grid worker by the grid."""

    __tablename__ = "assessment_scores"
    __table_args__ = (Index("ix_assessment_scores_run_rank", "run_id", "rank"),
                      Index("ix_assessment_scores_unit", "unit_kind", "unit_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("assessment_runs.id", ondelete="CASCADE"))
    unit_kind: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int] = mapped_column(Integer)  # area / department / grid / grid_members.id
    unit_label: Mapped[str] = mapped_column(String(200))
    area_path: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    grid_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    total: Mapped[float] = mapped_column(Float)
    base: Mapped[float] = mapped_column(Float)
    deduction: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(Integer)
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
