"""Insight JSON routes (分析研判): hotspots, trends, forecasts (+ CSV), anomaly alerts. All scoped, analysis.view."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from zhili.auth.deps import CurrentActor
from zhili.insight import service
from zhili.insight.csv import all_csv, series_csv
from zhili.insight.schemas import (
    AlertRead,
    ClusterPage,
    ForecastPage,
    GridHotspotPage,
    RepeatAddressPage,
    TrendRead,
)
from zhili.web.deps import DbSession

router = APIRouter(prefix="/api/insight", tags=["insight"])
AreaId = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="只看该街道（须在辖区内）")]
SeriesId = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="预测序列 id")]


@router.get("/hotspots/grids", response_model=GridHotspotPage)
def grid_hotspots(actor: CurrentActor, session: DbSession, area_id: AreaId = None,
                  days: int = Query(default=7, ge=1, le=90), weeks: int = Query(default=8, ge=1, le=52),
                  min_count: int = Query(default=3, ge=1, le=10_000)) -> GridHotspotPage:
    """Grids ranked by their last `days` days against their own previous `weeks` weeks (Poisson score)."""
    return service.grid_hotspots(session, actor, days, weeks, area_id, min_count)


@router.get("/hotspots/clusters", response_model=ClusterPage)
def clusters(actor: CurrentActor, session: DbSession, area_id: AreaId = None,
             days: int = Query(default=30, ge=1, le=90), eps_m: float = Query(default=100.0, ge=10, le=1000),
             min_samples: int = Query(default=5, ge=2, le=1000)) -> ClusterPage:
    """Recurring point clusters (DBSCAN, haversine, `eps_m` metres) among the last `days` days' cases."""
    return service.point_clusters(session, actor, days, eps_m, min_samples, area_id)


@router.get("/hotspots/addresses", response_model=RepeatAddressPage)
def addresses(actor: CurrentActor, session: DbSession, area_id: AreaId = None,
              days: int = Query(default=30, ge=1, le=366),
              min_cases: int = Query(default=3, ge=2, le=10_000)) -> RepeatAddressPage:
    """Addresses with at least `min_cases` cases in the last `days` days."""
    return service.repeat_addresses(session, actor, days, min_cases, area_id)


@router.get("/trends", response_model=TrendRead)
def trends(actor: CurrentActor, session: DbSession, area_id: AreaId = None,
           category_id: int | None = Query(default=None, ge=1, le=2**31 - 1),
           days: int = Query(default=365, ge=14, le=1096)) -> TrendRead:
    """Daily volume with its STL decomposition (weekly season), weekday and month-of-year profiles."""
    return service.trend(session, actor, days, category_id, area_id)


@router.get("/forecasts", response_model=ForecastPage)
def forecasts(actor: CurrentActor, session: DbSession, series: SeriesId = None) -> ForecastPage:
    """The latest run's series the actor may see, with next 7/30 days and backtest errors beside seasonal-naive;
    with `series`, that series' recent history and daily forecast with its interval (`detail`)."""
    page = service.forecasts(session, actor)
    if series is not None:
        page.detail = service.series_detail(session, actor, series)
    return page


@router.get("/forecasts.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with BOM"}})
def forecasts_csv(actor: CurrentActor, session: DbSession, series: SeriesId = None) -> Response:
    """One series (history and forecast), or every visible series' forecast of the latest run."""
    if series is not None:
        text, name = series_csv(service.series_detail(session, actor, series)), f"forecast-{series}.csv"
    else:
        text, name = all_csv(service.forecast_points(session, actor)), "forecasts.csv"
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/alerts", response_model=list[AlertRead])
def alerts(actor: CurrentActor, session: DbSession, limit: int = Query(default=50, ge=1, le=200),
           offset: int = Query(default=0, ge=0, le=100_000)) -> list[AlertRead]:
    """Anomaly alerts in the actor's jurisdiction, newest first."""
    return service.alerts(session, actor, limit, offset)
