"""Indicators JSON routes: the table for a period and breakdown (or CSV), and the definitions."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from zhili.analysis import export, service
from zhili.analysis.schemas import IndicatorDef, TableRead
from zhili.auth.deps import CurrentActor
from zhili.web.deps import AppSettings, DbSession

router = APIRouter(prefix="/api/analysis", tags=["analysis"])


@router.get("/indicators", response_model=TableRead)
def indicators(actor: CurrentActor, session: DbSession, settings: AppSettings, start: date, end: date,
               by: str | None = Query(default=None, max_length=20),
               area_id: int | None = Query(default=None, ge=1, le=2**31 - 1),
               department_id: int | None = Query(default=None, ge=1, le=2**31 - 1),
               category_id: int | None = Query(default=None, ge=1, le=2**31 - 1),
               channel: str | None = Query(default=None, max_length=20),
               format: str = Query(default="json", pattern="^(json|csv)$")) -> Any:
    """Every indicator over [start, end] (local days, inclusive), per `by` with a total; `format=csv` downloads."""
    q = service.IndicatorQuery(start=start, end=end, by=by or None, area_id=area_id, department_id=department_id,
                               category_id=category_id, channel=channel or None)
    table = service.indicators(session, actor, q, settings)
    if format == "csv":
        return Response(export.as_csv(table), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{export.filename(table)}"'})
    return export.as_dict(table)


@router.get("/definitions", response_model=list[IndicatorDef])
def definitions(actor: CurrentActor) -> list[dict[str, Any]]:
    """The indicators' formulas (口径)."""
    actor.require("analysis.view")
    return export.definitions()
