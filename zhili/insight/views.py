"""Insight pages of the governance terminal (分析研判): hotspots (map + tables), trends, forecasts, alerts."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from zhili.auth.deps import CurrentActor
from zhili.insight import service, svg
from zhili.web.deps import DbSession
from zhili.web.templating import render

router = APIRouter(include_in_schema=False)
AreaId = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


@router.get("/gov/insight/hotspots")
def hotspots_page(request: Request, actor: CurrentActor, session: DbSession, area_id: AreaId = None,
                  days: int = Query(default=30, ge=1, le=90), min_samples: int = Query(default=5, ge=2, le=1000),
                  min_cases: int = Query(default=3, ge=2, le=10_000)) -> HTMLResponse:
    grids = service.grid_hotspots(session, actor, area_id=area_id)
    clusters = service.point_clusters(session, actor, days=days, min_samples=min_samples, area_id=area_id)
    addresses = service.repeat_addresses(session, actor, days=days, min_cases=min_cases, area_id=area_id)
    layer = {"grids": [g.model_dump() for g in grids.rows if g.lon is not None],
             "clusters": [{"lon": c.lon, "lat": c.lat, "size": c.size, "radius_m": c.radius_m,
                           "top": c.top_categories} for c in clusters.clusters]}
    return render(request, "insight/hotspots.html", {
        "grids": grids, "clusters": clusters, "addresses": addresses, "streets": service.streets(session, actor),
        "area_id": area_id, "days": days, "min_samples": min_samples, "min_cases": min_cases,
        "layer_json": json.dumps(layer, ensure_ascii=False)})


@router.get("/gov/insight/trends")
def trends_page(request: Request, actor: CurrentActor, session: DbSession, area_id: AreaId = None,
                category_id: int | None = Query(default=None, ge=1, le=2**31 - 1),
                days: int = Query(default=365, ge=14, le=1096)) -> HTMLResponse:
    t = service.trend(session, actor, days, category_id, area_id)
    day_list = [d.day for d in t.days]
    chart = svg.line_chart(day_list, [("每日受理", "#4a5568", [d.observed for d in t.days]),
                                      ("趋势（STL）", "#c53030", [d.trend for d in t.days])])
    return render(request, "insight/trends.html", {
        "t": t, "chart": chart, "streets": service.streets(session, actor),
        "categories": service.categories(session, actor), "area_id": area_id, "category_id": category_id,
        "days": days, "weekdays": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]})


@router.get("/gov/insight/forecasts")
def forecasts_page(request: Request, actor: CurrentActor, session: DbSession,
                   series: int | None = Query(default=None, ge=1, le=2**31 - 1),
                   kind: str | None = Query(default=None, pattern="^(category|street)$"),
                   key: str | None = Query(default=None, max_length=64)) -> HTMLResponse:
    page = service.forecasts(session, actor)
    if series is None and kind and key:
        series = service.find_series(session, actor, kind, key)
    if series is None and page.series:
        series = page.series[0].id
    detail = service.series_detail(session, actor, series) if series is not None else None
    chart = None
    if detail is not None:
        days = [d for d, _n in detail.history] + [p.day for p in detail.points]
        hist = [float(n) for _d, n in detail.history]
        pad = [None] * len(detail.history)
        chart = svg.line_chart(
            days, [("实际", "#4a5568", hist + [None] * len(detail.points)),
                   ("预测", "#2b6cb0", pad + [p.yhat for p in detail.points])],
            band=(pad + [p.lo for p in detail.points], pad + [p.hi for p in detail.points]),
            divider=detail.run.as_of + timedelta(days=1))
    return render(request, "insight/forecasts.html", {"page": page, "detail": detail, "chart": chart})


@router.get("/gov/insight/alerts")
def alerts_page(request: Request, actor: CurrentActor, session: DbSession) -> HTMLResponse:
    return render(request, "insight/alerts.html", {"alerts": service.alerts(session, actor, 100)})
