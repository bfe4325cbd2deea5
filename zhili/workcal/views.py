"""Work calendar pages: a year's holidays and make-up days (month grid and list, with edit forms for
administrators), coverage warnings, and a deadline calculator."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhili.auth.deps import CurrentActor
from zhili.kit.errors import ZhiliError
from zhili.web.deps import AppSettings, DbSession
from zhili.web.templating import render
from zhili.workcal import service
from zhili.workcal.models import DayKind
from zhili.workcal.schemas import DayWrite, DeadlineRead

router = APIRouter(include_in_schema=False)
Year = Annotated[int, Path(ge=service.MIN_YEAR, le=service.MAX_YEAR)]
DONE = {"saved": "已保存", "deleted": "已恢复为按周一至周五计算", "marked": "已标记该年安排录入完成",
        "unmarked": "已取消该年的录入标记"}


def _page(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings, year: int,
          error: str | None = None, form: dict[str, str] | None = None, status: int = 200,
          notice: str | None = None) -> HTMLResponse:
    today = service.local_today(settings)
    days = service.list_days(session, actor, year)
    years = service.list_years(session, actor, today)
    return render(request, "workcal/calendar.html", {
        "year": year, "days": days, "years": years, "months": service.month_grid(year, days),
        "covered": any(y.year == year and y.covered for y in years),
        "warnings": service.warnings(session, today) if actor.can("calendar.manage") else [],
        "can_manage": actor.can("calendar.manage"), "error": error, "form": form or {}, "notice": notice,
        "kinds": [(k.value, service.KIND_LABEL[k]) for k in DayKind], "periods": settings.work_periods,
    }, status_code=status)


@router.get("/gov/calendar")
def calendar_page(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
                  year: int | None = Query(default=None, ge=service.MIN_YEAR, le=service.MAX_YEAR),
                  done: str | None = Query(default=None, max_length=16)) -> HTMLResponse:
    service.require_read(actor)
    return _page(request, actor, session, settings, year or service.local_today(settings).year,
                 notice=DONE.get(done or ""))


def _back(year: int, done: str) -> RedirectResponse:
    return RedirectResponse(f"/gov/calendar?year={year}&done={done}", status_code=303)


@router.post("/gov/calendar/days")
def save_day(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
             day: str = Form(""), kind: str = Form(""), name: str = Form("")) -> Response:
    actor.require("calendar.manage")
    form = {"day": day, "kind": kind, "name": name}
    year = service.local_today(settings).year
    try:
        parsed = date.fromisoformat(day.strip())
    except ValueError:
        return _page(request, actor, session, settings, year, "日期格式错误，应为 2026-10-01", form, 422)
    year = parsed.year if service.MIN_YEAR <= parsed.year <= service.MAX_YEAR else year
    if kind not in DayKind.__members__:
        return _page(request, actor, session, settings, year, "请选择放假或调休上班", form, 422)
    if len(name.strip()) > 32:
        return _page(request, actor, session, settings, year, "名称不超过 32 个字", form, 422)
    try:
        service.put_day(session, actor, parsed, DayWrite(kind=DayKind(kind), name=name.strip()))
    except ZhiliError as exc:
        session.rollback()
        return _page(request, actor, session, settings, year, exc.message, form, exc.status_code)
    return _back(parsed.year, "saved")


@router.post("/gov/calendar/days/{day}/delete")
def delete_day(day: date, actor: CurrentActor, session: DbSession) -> Response:
    service.delete_day(session, actor, day)
    return _back(day.year, "deleted")


@router.post("/gov/calendar/years/{year}")
def mark_year(year: Year, actor: CurrentActor, session: DbSession) -> Response:
    service.mark_year(session, actor, year)
    return _back(year, "marked")


@router.post("/gov/calendar/years/{year}/delete")
def unmark_year(request: Request, year: Year, actor: CurrentActor, session: DbSession,
                settings: AppSettings) -> Response:
    actor.require("calendar.manage")
    try:
        service.unmark_year(session, actor, year)
    except ZhiliError as exc:
        session.rollback()
        return _page(request, actor, session, settings, year, exc.message, status=exc.status_code)
    return _back(year, "unmarked")


@router.get("/gov/calendar/deadline")
def deadline_page(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
                  start: str | None = Query(default=None, max_length=32),
                  value: str | None = Query(default=None, max_length=16),
                  unit: str = Query(default="work_hours", max_length=16)) -> HTMLResponse:
    service.require_read(actor)
    result: DeadlineRead | None = None
    error = None
    if start:
        try:
            parsed = datetime.fromisoformat(start.strip())
            amount = float(value or "")
        except ValueError:
            error = "请填写开始时间（如 2026-02-13 16:00）和数值"
        else:
            try:
                result = service.deadline(session, actor, settings, parsed, amount, unit)
            except ZhiliError as exc:
                error = exc.message
    return render(request, "workcal/deadline.html", {
        "start": start or "", "value": value or "", "unit": unit, "units": service.UNIT_LABEL,
        "result": result, "error": error,
    }, status_code=422 if error else 200)
