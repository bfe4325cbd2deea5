"""Work calendar JSON routes: coverage, a year's exceptions, administrators' edits, and a deadline calculator."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from zhili.auth.deps import CurrentActor
from zhili.web.deps import AppSettings, DbSession
from zhili.workcal import service
from zhili.workcal.schemas import DayRead, DayWrite, DeadlineRead, YearRead

router = APIRouter(prefix="/api/calendar", tags=["workcal"])
Year = Annotated[int, Path(ge=service.MIN_YEAR, le=service.MAX_YEAR)]


@router.get("/years", response_model=list[YearRead])
def years(actor: CurrentActor, session: DbSession, settings: AppSettings) -> list[YearRead]:
    """Which years' official schedules are entered (others count Monday-Friday)."""
    return service.list_years(session, actor, service.local_today(settings))


@router.get("/days", response_model=list[DayRead])
def days(actor: CurrentActor, session: DbSession, settings: AppSettings,
         year: int | None = Query(default=None, ge=service.MIN_YEAR, le=service.MAX_YEAR)) -> list[DayRead]:
    """A year's exceptions to Monday-Friday (default: this year)."""
    return service.list_days(session, actor, year or service.local_today(settings).year)


@router.put("/days/{day}", response_model=DayRead)
def put_day(day: date, body: DayWrite, actor: CurrentActor, session: DbSession) -> DayRead:
    return service.put_day(session, actor, day, body)


@router.delete("/days/{day}", status_code=204)
def delete_day(day: date, actor: CurrentActor, session: DbSession) -> Response:
    """Return the day to the Monday-Friday rule (idempotent)."""
    service.delete_day(session, actor, day)
    return Response(status_code=204)


@router.post("/years/{year}", response_model=YearRead)
def mark_year(year: Year, actor: CurrentActor, session: DbSession) -> YearRead:
    """Mark a year entered once its holidays and make-up days are typed (idempotent)."""
    return service.mark_year(session, actor, year)


@router.delete("/years/{year}", status_code=204)
def unmark_year(year: Year, actor: CurrentActor, session: DbSession) -> Response:
    """Undo marking a year entered (idempotent); built-in years answer 409."""
    service.unmark_year(session, actor, year)
    return Response(status_code=204)


@router.get("/deadline", response_model=DeadlineRead)
def deadline(actor: CurrentActor, session: DbSession, settings: AppSettings, start: datetime,
             value: float = Query(ge=0, le=10_000),
             unit: Literal["work_hours", "work_days", "hours"] = "work_hours") -> DeadlineRead:
    """When a limit runs out on the official calendar; a start without a zone is local time."""
    return service.deadline(session, actor, settings, start, value, unit)
