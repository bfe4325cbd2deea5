"""Assessment JSON routes (/api/assessment): schemes, computing a period, rankings, a unit's history, and the
monthly report as xlsx or PDF. Thin: parse, call the service, shape the answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from zhili.assessment import service
from zhili.assessment.reports import monthly_file
from zhili.assessment.schemas import (
    HistoryPoint,
    HistoryRead,
    RankingRead,
    RunIn,
    RunRead,
    SchemeIn,
    SchemeRead,
    ScoreRead,
)
from zhili.auth.deps import CurrentActor
from zhili.web.deps import AppSettings, DbSession

router = APIRouter(prefix="/api/assessment", tags=["assessment"])
SchemeId = Annotated[int, Path(ge=1, le=2_000_000_000)]
UnitId = Annotated[int, Path(ge=1, le=2_000_000_000)]
Month = Annotated[str | None, Query(max_length=10, description="YYYY-MM")]


@router.get("/schemes", response_model=list[SchemeRead])
def schemes(actor: CurrentActor, session: DbSession) -> list[SchemeRead]:
    return [SchemeRead.model_validate(s) for s in service.list_schemes(session, actor)]


@router.post("/schemes", response_model=SchemeRead, status_code=201)
def create_scheme(body: SchemeIn, actor: CurrentActor, session: DbSession) -> SchemeRead:
    return SchemeRead.model_validate(service.create_scheme(session, actor, body))


@router.get("/schemes/{scheme_id}", response_model=SchemeRead)
def scheme(scheme_id: SchemeId, actor: CurrentActor, session: DbSession) -> SchemeRead:
    return SchemeRead.model_validate(service.get_scheme(session, actor, scheme_id))


@router.put("/schemes/{scheme_id}", response_model=SchemeRead)
def update_scheme(scheme_id: SchemeId, body: SchemeIn, actor: CurrentActor, session: DbSession) -> SchemeRead:
    return SchemeRead.model_validate(service.update_scheme(session, actor, scheme_id, body))


@router.post("/schemes/{scheme_id}/runs", response_model=RunRead)
def compute(scheme_id: SchemeId, body: RunIn, actor: CurrentActor, session: DbSession) -> RunRead:
    """Score the period (a month, or start..end) for every unit of the scheme's kind in your jurisdiction;
    computing the same period again replaces its scores."""
    p = service.period(body.month, body.start, body.end)
    run = service.compute(session, actor, scheme_id, p)
    return RunRead(scheme_id=run.scheme_id, label=run.label, period_start=run.period_start,
                   period_end=run.period_end, computed_at=run.computed_at, computed_by=run.computed_by,
                   unit_count=run.unit_count)


@router.get("/schemes/{scheme_id}/ranking", response_model=RankingRead)
def ranking(scheme_id: SchemeId, actor: CurrentActor, session: DbSession, month: Month = None,
            start: date | None = None, end: date | None = None) -> RankingRead:
    """Units ranked by total for the period (default: the last full month), with each score's breakdown and the
    rank change against the previous period. Only units in your jurisdiction are listed."""
    r = service.ranking(session, actor, scheme_id, service.period(month, start, end))
    return RankingRead(
        scheme=SchemeRead.model_validate(r.scheme), label=r.period.label, period_start=r.period.start,
        period_end=r.period.end, previous_label=r.previous.label,
        computed_at=r.run.computed_at if r.run else None,
        scores=[ScoreRead(unit_kind=x.score.unit_kind, unit_id=x.score.unit_id, unit_label=x.score.unit_label,
                          rank=x.score.rank, previous_rank=x.previous_rank, rank_change=x.change,
                          total=x.score.total, base=x.score.base, deduction=x.score.deduction,
                          breakdown=x.score.breakdown) for x in r.rows])


@router.get("/schemes/{scheme_id}/units/{unit_id}/history", response_model=HistoryRead)
def history(scheme_id: SchemeId, unit_id: UnitId, actor: CurrentActor, session: DbSession) -> HistoryRead:
    label, entries = service.history(session, actor, scheme_id, unit_id)
    return HistoryRead(scheme_id=scheme_id, unit_id=unit_id, unit_label=label, points=[
        HistoryPoint(label=e.run.label, period_start=e.run.period_start, period_end=e.run.period_end,
                     total=e.score.total, rank=e.score.rank, unit_count=e.run.unit_count) for e in entries])


def _download(content: bytes, filename: str, media_type: str) -> Response:
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


@router.get("/reports/monthly.xlsx", response_class=Response,
            responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
def monthly_xlsx(actor: CurrentActor, session: DbSession, settings: AppSettings, month: Month = None) -> Response:
    """The monthly report workbook for your jurisdiction (default: the last full month)."""
    content, name, media = monthly_file(session, actor, settings, month, "xlsx")
    return _download(content, name, media)


@router.get("/reports/monthly.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def monthly_pdf(actor: CurrentActor, session: DbSession, settings: AppSettings, month: Month = None) -> Response:
    content, name, media = monthly_file(session, actor, settings, month, "pdf")
    return _download(content, name, media)



