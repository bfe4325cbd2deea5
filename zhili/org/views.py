"""Org pages of the governance terminal: the grid map, the area tree, a grid with its team, departments."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from zhili.auth.deps import CurrentActor
from zhili.org import service
from zhili.org.schemas import GridRead
from zhili.web.deps import AppSettings, DbSession
from zhili.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/gov/map")
def map_page(request: Request, actor: CurrentActor, settings: AppSettings) -> HTMLResponse:
    actor.require("map.view")
    return render(request, "org/map.html", {"tile_url": settings.map_tile_url,
                                            "tile_attribution": settings.map_tile_attribution})


@router.get("/gov/org")
def org_page(request: Request, actor: CurrentActor, session: DbSession,
             area: str | None = Query(default=None, max_length=12, pattern=r"^\d{12}$"),
             offset: int = Query(default=0, ge=0)) -> HTMLResponse:
    detail = service.area_detail(session, actor, area) if area else None
    children = service.list_areas(session, actor, area)
    grids: list[GridRead] = []
    total = 0
    if detail is not None and detail.level == "community":
        grids, total = service.list_grids(session, actor, area_code=area, kind=None, q=None, offset=offset, limit=100)
    return render(request, "org/tree.html", {"area": detail, "children": children, "grids": grids,
                                             "grid_total": total})


@router.get("/gov/grids/{code}")
def grid_page(code: str, request: Request, actor: CurrentActor, session: DbSession) -> HTMLResponse:
    grid = service.grid_detail(session, actor, code)
    team = service.grid_team(session, actor, code) if actor.can("staff.read") else None
    return render(request, "org/grid.html", {"grid": grid, "team": team})


@router.get("/gov/departments")
def departments_page(request: Request, actor: CurrentActor, session: DbSession) -> HTMLResponse:
    return render(request, "org/departments.html", {"departments": service.list_departments(session, actor)})
