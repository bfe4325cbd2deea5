"""The working-day calendar: China's official holidays and make-up working days, editable by administrators."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Date,
    Enum,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhili.db import Base, UTCDateTime


def _enum(e: type[enum.StrEnum]) -> Enum:
    return Enum(e, native_enum=False, length=20, validate_strings=True)


class DayKind(enum.StrEnum):
    holiday = "holiday"  # a day off that would otherwise be a working day (or any statutory holiday)
    workday = "workday"  # a make-up working day on a weekend (调休上班)


class CalendarDay(Base):
    """Exceptions to Monday-Friday. Seeded from `chinesecalendar`, editable by administrators."""

    __tablename__ = "calendar_days"
    __audit__ = True
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[DayKind] = mapped_column(_enum(DayKind))
    name: Mapped[str] = mapped_column(String(32), default="")
    source: Mapped[str] = mapped_column(String(32), default="admin")


class CalendarYear(Base):
    """A year whose official schedule has been entered; for other years working days fall back to Monday-Friday."""

    __tablename__ = "calendar_years"
    __audit__ = True
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32), default="admin")
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CalendarState(Base):
    """One row; `version` rises whenever the calendar changes, so every process reloads its copy."""

    __tablename__ = "calendar_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
