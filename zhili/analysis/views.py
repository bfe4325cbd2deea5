"""指标分析 and 指标口径 pages of the governance terminal."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from zhili.analysis import export, service
from zhili.analysis.indicators import INDICATORS
from zhili.analysis.periods import PERIODS, parse_day, period
from zhili.auth.deps import CurrentActor
from zhili.cases.models import CHANNEL_LABEL
from zhili.kit import clock
from zhili.kit.errors import NotFound, ValidationFailed
from zhili.web.deps import AppSettings, DbSession
from zhili.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/gov/indicators")
def indicators_page(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
                    period_kind: str = Query(default="month", alias="period", max_length=10), day: str = Query(default="", max_length=20),
                    start: str = Query(default="", max_length=20), end: str = Query(default="", max_length=20),
                    by: str = Query(default="", max_length=20), channel: str = Query(default="", max_length=20)) -> HTMLResponse:
    actor.require("analysis.view")
    form = {"period": period_kind, "day": day, "start": start, "end": end, "by": by, "channel": channel}
    table, error, status = None, None, 200
    try:
        anchor = parse_day(day, "day") or service.local_day(clock.now())
        s, e = period(period_kind, anchor, parse_day(start, "start"), parse_day(end, "end"))
        q = service.IndicatorQuery(start=s, end=e, by=by or None, channel=channel or None)
        table = service.indicators(session, actor, q, settings)
        form.update(start=s.isoformat(), end=e.isoformat(), day=anchor.isoformat())
    except (ValidationFailed, NotFound) as exc:
        error, status = exc.message, 422 if isinstance(exc, ValidationFailed) else 404
    csv_url = None
    if table is not None:
        params = {"start": form["start"], "end": form["end"], "format": "csv",
                  **{k: v for k, v in (("by", by), ("channel", channel)) if v}}
        csv_url = "/api/analysis/indicators?" + urlencode(params)
    return render(request, "analysis/indicators.html", {
        "form": form, "table": table, "error": error, "periods": PERIODS, "dimensions": service.DIMENSION_LABEL,
        "channels": {k.value: v for k, v in CHANNEL_LABEL.items()}, "header": export.header(table) if table else [],
        "cells": export.cells, "csv_url": csv_url}, status_code=status)


@router.get("/gov/indicators/definitions")
def definitions_page(request: Request, actor: CurrentActor) -> HTMLResponse:
    actor.require("analysis.view")
    return render(request, "analysis/definitions.html", {"indicators": list(INDICATORS.values())})
