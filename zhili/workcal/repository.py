"""Every query of the work calendar. The calendar is one district-wide table, not scoped by jurisdiction:
who may read or change it is decided by permissions in the service."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from zhili.workcal.models import CalendarDay, CalendarState, CalendarYear, DayKind


def version(session: Session) -> int:
    return int(session.scalar(select(CalendarState.version).where(CalendarState.id == 1)) or 0)


def bump_version(session: Session) -> None:
    """Every process reloads its calendar when it sees the new version."""
    result = session.execute(update(CalendarState).where(CalendarState.id == 1)
                             .values(version=CalendarState.version + 1))
    if not getattr(result, "rowcount", 0):
        # A new row starts at a random version, so a recreated database never reuses one a process has cached.
        session.add(CalendarState(id=1, version=secrets.randbelow(1 << 30) + 1))
        session.flush()


def exception_rows(session: Session) -> list[tuple[date, DayKind]]:
    return [(d, k) for d, k in session.execute(select(CalendarDay.day, CalendarDay.kind))]


def covered_years(session: Session) -> list[int]:
    return list(session.scalars(select(CalendarYear.year).order_by(CalendarYear.year)))


def all_days(session: Session) -> list[CalendarDay]:
    return list(session.scalars(select(CalendarDay).order_by(CalendarDay.day)))


def days_between(session: Session, first: date, last: date) -> list[CalendarDay]:
    return list(session.scalars(select(CalendarDay).where(CalendarDay.day >= first, CalendarDay.day <= last)
                                .order_by(CalendarDay.day)))


def all_years(session: Session) -> list[CalendarYear]:
    return list(session.scalars(select(CalendarYear).order_by(CalendarYear.year)))


def get_day(session: Session, day: date) -> CalendarDay | None:
    return session.get(CalendarDay, day)


def get_year(session: Session, year: int) -> CalendarYear | None:
    return session.get(CalendarYear, year)


def insert_days(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk insert (seeding): bypasses per-row change capture."""
    if rows:
        session.execute(insert(CalendarDay), rows)


def insert_years(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(CalendarYear), rows)


def update_seeded_day(session: Session, day: date, kind: DayKind, name: str) -> None:
    session.execute(update(CalendarDay).where(CalendarDay.day == day, CalendarDay.source != "admin")
                    .values(kind=kind, name=name))


def delete_seeded_days(session: Session, days: list[date]) -> None:
    if days:
        session.execute(delete(CalendarDay).where(CalendarDay.day.in_(days), CalendarDay.source != "admin"))
