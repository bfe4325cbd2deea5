"""Assessment pages (督查考核): the ranking of a scheme for a period with each score's breakdown, a unit's history
(SVG chart and table), computing a period, and the scheme editor (assessment.manage)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from zhili.analysis.indicators import INDICATORS
from zhili.assessment import charts, scoring, service
from zhili.assessment.schemas import SchemeIn
from zhili.auth.actor import Actor
from zhili.auth.deps import CurrentActor
from zhili.kit.errors import ZhiliError
from zhili.web.deps import DbSession
from zhili.web.templating import render

router = APIRouter(include_in_schema=False)
SchemeId = Annotated[int, Path(ge=1, le=2_000_000_000)]
UnitId = Annotated[int, Path(ge=1, le=2_000_000_000)]
BLANK_ITEMS, BLANK_DEDUCTIONS = 3, 2
PAGE_ROWS = 100


@router.get("/gov/assessment")
def ranking_page(request: Request, actor: CurrentActor, session: DbSession,
                 scheme: int | None = Query(default=None, ge=1, le=2_000_000_000),
                 month: str | None = Query(default=None, max_length=10),
                 done: int = Query(default=0, ge=0, le=1),
                 page: int = Query(default=1, ge=1, le=100_000)) -> HTMLResponse:
    schemes = service.list_schemes(session, actor)
    chosen = next((s for s in schemes if s.id == scheme), schemes[0] if schemes else None)
    if scheme is not None and chosen is not None and chosen.id != scheme:
        service.get_scheme(session, actor, scheme)  # 404 for an unknown one
    ranking = None
    if chosen is not None:
        p = service.period(month) if month else (service.latest_period(session, chosen.id) or service.period(None))
        ranking = service.ranking(session, actor, chosen.id, p)
    # A district's grid workers are thousands of rows, each with a breakdown: one page of PAGE_ROWS at a time.
    total_rows = len(ranking.rows) if ranking else 0
    pages = max(1, -(-total_rows // PAGE_ROWS))
    page = min(page, pages)
    shown = ranking.rows[(page - 1) * PAGE_ROWS:page * PAGE_ROWS] if ranking else []
    return render(request, "assessment/ranking.html", {
        "schemes": schemes, "chosen": chosen, "r": ranking, "kinds": scoring.UNIT_KINDS,
        "shown": shown, "page": page, "pages": pages,
        "can_manage": actor.can("assessment.manage"), "month": ranking.period.label if ranking else "",
        "notice": "已计算，排名已更新" if done else None})


@router.post("/gov/assessment/compute")
async def compute(request: Request, actor: CurrentActor, session: DbSession) -> Response:
    actor.require("assessment.manage")
    form = await request.form()
    try:
        scheme_id = int(str(form.get("scheme_id", "")))
    except ValueError:
        scheme_id = 0
    p = service.period(str(form.get("month", "")).strip() or None)
    service.compute(session, actor, scheme_id, p)
    return RedirectResponse(f"/gov/assessment?scheme={scheme_id}&month={p.label}&done=1", status_code=303)


@router.get("/gov/assessment/schemes/{scheme_id}/units/{unit_id}")
def unit_page(scheme_id: SchemeId, unit_id: UnitId, request: Request, actor: CurrentActor,
              session: DbSession) -> HTMLResponse:
    s = service.get_scheme(session, actor, scheme_id)
    label, entries = service.history(session, actor, scheme_id, unit_id)
    svg = charts.line([e.run.label for e in entries], [e.score.total for e in entries], title="总分走势",
                      fmt=lambda v: f"{v:.1f}")
    return render(request, "assessment/unit.html", {"s": s, "label": label, "entries": entries, "svg": svg})


# ---- scheme editor -----------------------------------------------------------------------------------------------


def _editor(request: Request, actor: Actor, session: DbSession, scheme_id: int | None, *,
            form: dict[str, Any] | None = None, error: str | None = None, notice: str | None = None,
            status: int = 200) -> HTMLResponse:
    actor.require("assessment.manage")
    s = service.get_scheme(session, actor, scheme_id) if scheme_id else None
    if form is None:
        form = {"name": s.name if s else "", "unit_kind": s.unit_kind if s else "department",
                "description": s.description if s else "", "active": s.active if s else True,
                "items": list(s.items) if s else [], "deductions": list(s.deductions) if s else []}
    items = list(form["items"]) + [{}] * BLANK_ITEMS
    deductions = list(form["deductions"]) + [{}] * BLANK_DEDUCTIONS
    measures: dict[str, tuple[str, str]] = {k: (i.label, i.unit) for k, i in INDICATORS.items()}
    measures.update({k: (m.label, m.unit) for k, m in scoring.WORKER_MEASURES.items()})
    return render(request, "assessment/schemes.html", {
        "schemes": service.list_schemes(session, actor), "s": s, "form": form, "items": items,
        "deductions": deductions, "measures": measures, "kinds": scoring.UNIT_KINDS, "methods": scoring.METHODS,
        "deduction_kinds": scoring.DEDUCTION_KINDS, "error": error, "notice": notice}, status_code=status)


async def _read_form(request: Request) -> dict[str, Any]:
    f = await request.form()

    def col(name: str) -> list[str]:
        return [str(v) for v in f.getlist(name)]

    items = [{"indicator": k, "weight": w, "target": t, "floor": fl or None, "method": m}
             for k, w, t, fl, m in zip(col("item_indicator"), col("item_weight"), col("item_target"),
                                       col("item_floor"), col("item_method"), strict=False) if k.strip()]
    deductions = [{"kind": k, "points": p, "cap": c, "limit_hours": h or 24}
                  for k, p, c, h in zip(col("ded_kind"), col("ded_points"), col("ded_cap"), col("ded_hours"),
                                        strict=False) if k.strip()]
    return {"name": str(f.get("name", "")), "unit_kind": str(f.get("unit_kind", "")),
            "description": str(f.get("description", "")), "active": f.get("active") == "1",
            "items": items, "deductions": deductions}


def _body(form: dict[str, Any]) -> SchemeIn:
    return SchemeIn.model_validate(form)


def _message(exc: Exception) -> tuple[str, int]:
    if isinstance(exc, ZhiliError):
        return exc.message, exc.status_code
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}：请填写有效的数字或内容", 422
    return str(exc), 422


@router.get("/gov/assessment/schemes")
def schemes_page(request: Request, actor: CurrentActor, session: DbSession) -> HTMLResponse:
    return _editor(request, actor, session, None)


@router.post("/gov/assessment/schemes")
async def create_scheme(request: Request, actor: CurrentActor, session: DbSession) -> Response:
    actor.require("assessment.manage")
    form = await _read_form(request)
    try:
        s = service.create_scheme(session, actor, _body(form))
    except (ZhiliError, ValidationError) as exc:
        session.rollback()
        message, status = _message(exc)
        return _editor(request, actor, session, None, form=form, error=message, status=status)
    return RedirectResponse(f"/gov/assessment/schemes/{s.id}?saved=1", status_code=303)


@router.get("/gov/assessment/schemes/{scheme_id}")
def scheme_page(scheme_id: SchemeId, request: Request, actor: CurrentActor, session: DbSession,
                saved: int = Query(default=0, ge=0, le=1)) -> HTMLResponse:
    return _editor(request, actor, session, scheme_id, notice="已保存" if saved else None)


@router.post("/gov/assessment/schemes/{scheme_id}")
async def update_scheme(scheme_id: SchemeId, request: Request, actor: CurrentActor, session: DbSession) -> Response:
    actor.require("assessment.manage")
    form = await _read_form(request)
    try:
        service.update_scheme(session, actor, scheme_id, _body(form))
    except (ZhiliError, ValidationError) as exc:
        session.rollback()
        message, status = _message(exc)
        if status == 404:
            raise
        return _editor(request, actor, session, scheme_id, form=form, error=message, status=status)
    return RedirectResponse(f"/gov/assessment/schemes/{scheme_id}?saved=1", status_code=303)
