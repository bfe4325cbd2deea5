"""The read side's tables: a narrow fact row per countable case, the daily rollup, and the dirty-case queue.

- `analysis_case_facts`: one row per case that counts (not merged), with its local received day, its closed day
  (when closed now), its dimensions and what it adds (indicators.case_measures), working time computed once with
  the work calendar. Medians are computed from it (index on the closed day).
- `analysis_daily`: additive measures per (local day, community, grid, lead department, category, channel): a case
  adds its intake measures to its received day's row and its closure measures to its closed day's row. Rebuilt
  per day from the facts.
- `analysis_slices`: the same sums (plus duration histograms, median.py) per (grain, period, dimension, key): one
  dimension at a time, per day (grain "d") and per calendar month (grain "m"). The daily rollup keys every dimension
  at once and barely compresses at city scale (a year of 5 M cases is millions of rows); a slice keyed by one
  dimension is a few hundred thousand rows a year per day and ~12 x keys per month. District-wide queries without
  filters read slices (service.py); scoped or filtered ones read the daily rollup.
- `analysis_dirty`: case ids changed since the last refresh, written by the Case mapper hooks in the same
  transaction as the change; readers refresh them first, so figures are always current.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, Date, Float, Index, Integer, SmallInteger, String, event, insert
from sqlalchemy.orm import Mapped, mapped_column

from zhili.analysis.median import BUCKETS
from zhili.cases.models import Case
from zhili.db import Base


class CaseFact(Base):
    __tablename__ = "analysis_case_facts"
    __table_args__ = (Index("ix_analysis_case_facts_received_day", "received_day"),
                      Index("ix_analysis_case_facts_closed_day", "closed_day", "work_seconds"),
                      *(Index(f"ix_analysis_case_facts_{kind}_bucket", f"{kind}_bucket", "closed_day",
                              f"{kind}_seconds") for kind in ("work", "wall")),
                      # the medians' second pass: "facts of group g in bucket b", one per breakdown and duration
                      *(Index(f"ix_analysis_case_facts_{col.removesuffix('_id')}_{kind}", col, f"{kind}_bucket",
                              "closed_day", f"{kind}_seconds")
                        for col in ("street_id", "community_id", "grid_id", "department_id", "category_id",
                                    "channel") for kind in ("work", "wall")))
    case_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    received_day: Mapped[date] = mapped_column(Date)
    closed_day: Mapped[date | None] = mapped_column(Date, nullable=True)
    street_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    community_id: Mapped[int] = mapped_column(Integer)
    grid_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    department_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    category_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(20))
    registered: Mapped[int] = mapped_column(SmallInteger, default=0)
    rejected: Mapped[int] = mapped_column(SmallInteger, default=0)
    dispatched: Mapped[int] = mapped_column(SmallInteger, default=0)
    sent_back: Mapped[int] = mapped_column(SmallInteger, default=0)
    intake_closed: Mapped[int] = mapped_column(SmallInteger, default=0)
    repeat: Mapped[int] = mapped_column(SmallInteger, default=0)
    grid_reported: Mapped[int] = mapped_column(SmallInteger, default=0)
    self_handled: Mapped[int] = mapped_column(SmallInteger, default=0)
    with_deadline: Mapped[int] = mapped_column(SmallInteger, default=0)
    ontime: Mapped[int] = mapped_column(SmallInteger, default=0)
    overdue: Mapped[int] = mapped_column(SmallInteger, default=0)
    reworked: Mapped[int] = mapped_column(SmallInteger, default=0)
    extended: Mapped[int] = mapped_column(SmallInteger, default=0)
    rated: Mapped[int] = mapped_column(SmallInteger, default=0)
    satisfied: Mapped[int] = mapped_column(SmallInteger, default=0)
    wall_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    work_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    work_bucket: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)  # median.bucket_of
    wall_bucket: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)


class SummedMeasures:
    """The additive measures (indicators.MEASURE_FIELDS) that the rollup and the slices both hold."""

    received: Mapped[int] = mapped_column(Integer, default=0)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    dispatched: Mapped[int] = mapped_column(Integer, default=0)
    sent_back: Mapped[int] = mapped_column(Integer, default=0)
    intake_closed: Mapped[int] = mapped_column(Integer, default=0)
    repeat: Mapped[int] = mapped_column(Integer, default=0)
    grid_reported: Mapped[int] = mapped_column(Integer, default=0)
    self_handled: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[int] = mapped_column(Integer, default=0)
    with_deadline: Mapped[int] = mapped_column(Integer, default=0)
    ontime: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[int] = mapped_column(Integer, default=0)
    reworked: Mapped[int] = mapped_column(Integer, default=0)
    extended: Mapped[int] = mapped_column(Integer, default=0)
    rated: Mapped[int] = mapped_column(Integer, default=0)
    satisfied: Mapped[int] = mapped_column(Integer, default=0)
    wall_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    work_seconds: Mapped[float] = mapped_column(Float, default=0.0)


class DailyRollup(SummedMeasures, Base):
    __tablename__ = "analysis_daily"
    # A district-wide reader scans days; a street, community or department reader its own keys' days.
    __table_args__ = (Index("ix_analysis_daily_day", "day"),
                      Index("ix_analysis_daily_community_day", "community_id", "day"),
                      Index("ix_analysis_daily_department_day", "department_id", "day"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    street_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    community_id: Mapped[int] = mapped_column(Integer)
    grid_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    department_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    category_id: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(20))


SLICE_DIMS = ("all", "community", "grid", "department", "category", "channel")
WORK_HIST = tuple(f"hw{k:02d}" for k in range(BUCKETS))  # closures per working-duration bucket
WALL_HIST = tuple(f"hx{k:02d}" for k in range(BUCKETS))  # closures per wall-duration bucket


class Slice(SummedMeasures, Base):
    """Sums of one dimension's key over a day ("d") or a calendar month ("m", period = its first day)."""

    __tablename__ = "analysis_slices"
    __table_args__ = (Index("ix_analysis_slices_lookup", "grain", "dim", "period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grain: Mapped[str] = mapped_column(String(1))
    period: Mapped[date] = mapped_column(Date)
    dim: Mapped[str] = mapped_column(String(12))  # SLICE_DIMS
    key: Mapped[str | None] = mapped_column(String(24), nullable=True)  # the id or channel as text; None: unset
    for _name in (*WORK_HIST, *WALL_HIST):
        vars()[_name] = mapped_column(_name, Integer, default=0)
    del _name


class DirtyCase(Base):
    __tablename__ = "analysis_dirty"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)


@event.listens_for(Case, "after_insert")
@event.listens_for(Case, "after_update")
@event.listens_for(Case, "after_delete")
def _queue(_mapper: object, connection: Connection, case: Case) -> None:
    """Any ORM write of a case queues it for the read side, in the same transaction (rollup.refresh)."""
    connection.execute(insert(DirtyCase), {"case_id": case.id})
