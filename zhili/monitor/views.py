"""The leaders' cockpit (大屏, full screen, dark) and the center's monitoring page (normal layout). Both render
the counters server-side, so the first paint already shows today's figures; charts, map and alerts load after
and the live feed keeps them current."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from zhili.auth.deps import CurrentActor
from zhili.monitor import charts, service
from zhili.web.deps import AppSettings, DbSession
from zhili.web.templating import render

router = APIRouter(include_in_schema=False)
AREA = Query(default=None, pattern=r"^\d{12}$")


def _context(request: Request, session: DbSession, actor: CurrentActor, settings: AppSettings,
             area: str | None) -> dict[str, object]:
    where = service.resolve(session, actor, area)
    return {"snap": service.snapshot_of(session, where, settings.timezone), "area": area or "",
            "charts": charts.CHARTS, "days": 30, "tile_url": settings.map_tile_url,
            "tile_attribution": settings.map_tile_attribution}


@router.get("/gov/cockpit")
def cockpit(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
            area: str | None = AREA) -> HTMLResponse:
    actor.require("cockpit.view")
    return render(request, "monitor/cockpit.html", _context(request, session, actor, settings, area))


@router.get("/gov/monitor")
def monitor(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
            area: str | None = AREA) -> HTMLResponse:
    actor.require("analysis.view")
    return render(request, "monitor/monitor.html", _context(request, session, actor, settings, area))
