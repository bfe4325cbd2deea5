"""The administration page of Open311 client applications (治理端 → Open311 接入): register an application and
issue its api key (shown once), deactivate one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhili.auth.deps import CurrentActor
from zhili.kit.errors import ZhiliError
from zhili.kit.pagination import MAX_ID
from zhili.open311 import service
from zhili.web.deps import DbSession
from zhili.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(request: Request, actor: CurrentActor, session: DbSession, *, status: int = 200, error: str | None = None,
          form: dict[str, str] | None = None, issued: dict[str, str] | None = None) -> HTMLResponse:
    return render(request, "open311/clients.html", {"clients": service.list_clients(session, actor),
                                                    "error": error, "form": form or {}, "issued": issued},
                  status_code=status)


@router.get("/gov/open311")
def clients_page(request: Request, actor: CurrentActor, session: DbSession) -> HTMLResponse:
    return _page(request, actor, session)


@router.post("/gov/open311")
def create_or_deactivate(request: Request, actor: CurrentActor, session: DbSession,
                         name: Annotated[str, Form(max_length=200)] = "",
                         contact: Annotated[str, Form(max_length=400)] = "",
                         deactivate: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None) -> Response:
    """One form target: `deactivate=<id>` stops a client's key; otherwise register a client and show its key."""
    if deactivate is not None:
        service.deactivate_client(session, actor, deactivate)
        return RedirectResponse("/gov/open311?ok=deactivated", status_code=303)
    try:
        client, key = service.create_client(session, actor, name, contact)
    except ZhiliError as exc:
        if exc.status_code in (401, 403):
            raise
        session.rollback()
        return _page(request, actor, session, status=exc.status_code, error=exc.message,
                     form={"name": name, "contact": contact})
    return _page(request, actor, session, status=201, issued={"name": client.name, "key": key})
