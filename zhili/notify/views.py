"""The notifications page, for every terminal: one's own notices, mark read, links to the case."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhili.auth.deps import CurrentActor
from zhili.kit.pagination import MAX_ID
from zhili.notify import service
from zhili.web.deps import AppSettings, DbSession
from zhili.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
CASE_LINK = {"governance": "/gov/cases/", "service": "/service/cases/"}  # operations users follow no cases


def _terminal(actor: CurrentActor) -> str:
    return actor.terminals[0] if actor.terminals else "service"


@router.get("/notifications")
def notifications_page(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
                       unread: bool = False,
                       offset: int = Query(default=0, ge=0, le=10_000_000)) -> HTMLResponse:
    items, total = service.list_for(session, actor, unread, offset, PAGE_SIZE)
    terminal = _terminal(actor)
    return render(request, "notify/list.html", {
        "items": items, "total": total, "unread": unread, "offset": offset, "page_size": PAGE_SIZE,
        "unread_count": service.unread_count(session, actor).count, "case_link": CASE_LINK.get(terminal),
        "tz": ZoneInfo(settings.timezone),
    }, terminal=terminal)


@router.post("/notifications/{notification_id}/read")
def read_one(notification_id: Annotated[int, Path(ge=1, le=MAX_ID)], actor: CurrentActor,
             session: DbSession) -> Response:
    service.mark_read(session, actor, notification_id)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/read-all")
def read_all(actor: CurrentActor, session: DbSession) -> Response:
    service.mark_all_read(session, actor)
    return RedirectResponse("/notifications", status_code=303)
