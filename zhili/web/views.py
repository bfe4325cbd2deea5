"""The three terminals' home pages, the audit page, and the root redirect."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhili.auth import repository as auth_repository
from zhili.auth.deps import SESSION_COOKIE, CurrentActor
from zhili.kit.errors import NotFound
from zhili.org import service as org_service
from zhili.web.deps import AppSettings, DbSession
from zhili.web.nav import home_for, menu_for
from zhili.web.templating import render
from zhili.workcal import service as workcal_service

router = APIRouter(include_in_schema=False)


@router.get("/")
def root(request: Request) -> Response:
    if not request.cookies.get(SESSION_COOKIE):
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/home", status_code=303)


@router.get("/home")
def home(actor: CurrentActor) -> Response:
    return RedirectResponse(home_for(actor), status_code=303)


@router.get("/healthz")
def healthz(session: DbSession) -> dict[str, str]:
    session.execute(auth_repository.select_one())
    return {"status": "ok"}


def _terminal(actor: CurrentActor, terminal: str) -> None:
    if terminal not in actor.terminals or not menu_for(actor, terminal):
        raise NotFound()


@router.get("/gov")
def gov_home(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings) -> HTMLResponse:
    _terminal(actor, "governance")
    tops = org_service.list_areas(session, actor, None)
    warnings = (workcal_service.warnings(session, workcal_service.local_today(settings))
                if actor.can("calendar.manage") else [])
    return render(request, "web/gov_home.html", {"tops": tops, "calendar_warnings": warnings})


@router.get("/ops")
def ops_home(request: Request, actor: CurrentActor, session: DbSession) -> HTMLResponse:
    _terminal(actor, "operations")
    tops = org_service.list_areas(session, actor, None) if actor.can("org.read") else []
    return render(request, "web/ops_home.html", {"tops": tops}, terminal="operations")


@router.get("/ops/community")
def ops_community(request: Request, actor: CurrentActor, session: DbSession) -> HTMLResponse:
    _terminal(actor, "operations")
    tops = org_service.list_areas(session, actor, None)
    grids, total = org_service.list_grids(session, actor, area_code=None, kind=None, q=None, offset=0, limit=200)
    return render(request, "web/ops_community.html", {"tops": tops, "grids": grids, "total": total},
                  terminal="operations")


@router.get("/service")
def service_home(request: Request, actor: CurrentActor) -> HTMLResponse:
    _terminal(actor, "service")
    return render(request, "web/service_home.html", {}, terminal="service")


@router.get("/service/my-grid")
def service_my_grid(request: Request, actor: CurrentActor, session: DbSession) -> HTMLResponse:
    _terminal(actor, "service")
    team = org_service.resident_grid_team(session, actor)
    return render(request, "web/service_my_grid.html", {"team": team}, terminal="service")


@router.get("/gov/audit")
def audit_page(request: Request, actor: CurrentActor, session: DbSession,
               before: int | None = Query(default=None, ge=1, le=2**63 - 1),
               action: str | None = Query(default=None, max_length=64)) -> HTMLResponse:
    actor.require("audit.read")
    rows = auth_repository.audit_page(session, before_seq=before, limit=50, action=action)
    return render(request, "web/audit.html", {"rows": rows, "action": action or ""})


@router.get("/account")
def account(request: Request, actor: CurrentActor) -> HTMLResponse:
    return render(request, "web/account.html", {}, terminal=actor.terminals[0] if actor.terminals else "service")
