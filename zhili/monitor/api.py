"""Monitoring JSON routes (/api/monitor): counters, the map's heat layer and points, charts (JSON and CSV),
alerts, and the live feed (SSE). Each is scoped to the caller's jurisdiction; `?area=` narrows to one area."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from zhili.auth.deps import CurrentActor
from zhili.db import transaction
from zhili.monitor import charts, service, stream
from zhili.monitor.schemas import Alert, AlertList, Chart, MapPoints, Snapshot
from zhili.web.deps import AppSettings, DbSession, client_ip

router = APIRouter(prefix="/api/monitor", tags=["monitor"])
AreaCode = Annotated[str | None, Query(pattern=r"^\d{12}$", description="只看此区划（12 位区划代码，须在辖区内）")]
Days = Annotated[int, Query(ge=7, le=366, description="统计最近多少天（含今天）")]
ChartName = Annotated[str, Path(pattern=r"^[a-z]{1,20}$", description="trend / categories / streets / grids")]


@router.get("/snapshot", response_model=Snapshot)
def snapshot(actor: CurrentActor, session: DbSession, settings: AppSettings, area: AreaCode = None) -> Snapshot:
    """Today received, open, yellow warning, red overdue, closed today (local day, merged duplicates excepted)."""
    return service.snapshot(session, actor, area, settings.timezone)


@router.get("/map/grids.geojson")
def grid_layer(actor: CurrentActor, session: DbSession, area: AreaCode = None,
               geometry: bool = Query(default=True, description="false：只返回有在办案件的网格计数，不含边界")
               ) -> dict[str, Any]:
    """The jurisdiction's grids with `open`, `yellow`, `red` counts of open cases (the heat layer)."""
    return service.grid_layer(session, actor, area, geometry)


@router.get("/map/points", response_model=MapPoints)
def map_points(actor: CurrentActor, session: DbSession,
               bbox: str = Query(max_length=100, description="最小经度,最小纬度,最大经度,最大纬度（不超过 0.3 度见方）"),
               area: AreaCode = None, limit: int = Query(default=service.POINT_LIMIT, ge=1, le=2000)) -> MapPoints:
    """Open cases inside the box, capped, the most urgent first (`truncated` tells when more exist)."""
    return service.points(session, actor, area, bbox, limit)


@router.get("/alerts", response_model=AlertList)
def alerts(actor: CurrentActor, session: DbSession, area: AreaCode = None,
           limit: int = Query(default=20, ge=1, le=100)) -> AlertList:
    """Latest alerts, newest first: cases turning yellow/red, supervision orders, anomaly alerts."""
    return AlertList(items=service.alerts(session, actor, area, limit))


@router.get("/charts/{name}.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with BOM"}})
def chart_csv(name: ChartName, actor: CurrentActor, session: DbSession, settings: AppSettings,
              area: AreaCode = None, days: Days = 30) -> Response:
    """The chart's rows as CSV (what its table view shows)."""
    c = charts.chart(session, actor, name, area, days, settings.timezone, settings.analysis_refresh_seconds)
    return Response(charts.to_csv(c), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{charts.csv_filename(c)}"'})


@router.get("/charts/{name}", response_model=Chart)
def chart(name: ChartName, actor: CurrentActor, session: DbSession, settings: AppSettings,
          area: AreaCode = None, days: Days = 30) -> Chart:
    """One chart's data as columns and rows: trend, categories, streets or grids."""
    return charts.chart(session, actor, name, area, days, settings.timezone, settings.analysis_refresh_seconds)


@router.get("/stream", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}})
def live(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings, area: AreaCode = None,
         timeout: int = Query(default=30, ge=1, le=120),
         last_event_id: Annotated[str | None, Header(max_length=40)] = None) -> StreamingResponse:
    """Server-sent events: `snapshot` (the counters, at start and on every change) and `alert` (each new one,
    id = cursor for `Last-Event-ID`); ends after `timeout` seconds with `retry:` and the browser reconnects."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    where, cursor = service.stream_start(session, actor, area, last_event_id)
    ip, tz = client_ip(request), settings.timezone

    def poll_once(c: service.Cursor) -> tuple[Snapshot, list[Alert], service.Cursor]:
        with transaction(factory, info={"ip": ip}) as poll_session:  # a short unit of work per poll
            return service.poll(poll_session, actor, where, c, tz)

    async def poll(c: service.Cursor) -> tuple[Snapshot, list[Alert], service.Cursor]:
        return await run_in_threadpool(poll_once, c)

    return StreamingResponse(stream.events(poll, cursor, timeout), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
