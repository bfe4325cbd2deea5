"""数据反哺 pages: the batches and the corrections waiting per department, making batches (registry.manage), and a
batch's page where its department acknowledges it and applies all or some of its corrections.

Thin: parse, call the service, render. A refused action renders the page again with the Chinese message; success
redirects (303) with `?ok=<what>`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.auth.deps import CurrentActor
from zhili.config import Settings
from zhili.kit.errors import ZhiliError
from zhili.registry import feedback
from zhili.registry.feedback_read import batch_detail
from zhili.registry.models import BatchStatus
from zhili.web.deps import AppSettings, DbSession
from zhili.web.templating import render

router = APIRouter(include_in_schema=False)
BatchId = Annotated[int, Path(ge=1, le=2_000_000_000)]
OK_TEXT = {"created": "已生成反哺批次并推送给主管部门", "none": "暂无待反哺的更正", "ack": "已签收",
           "applied": "已采纳，未勾选的更正将随下一批次再次推送"}


def _undo(session: Session, exc: ZhiliError) -> None:
    session.rollback()
    if exc.on_rollback is not None:
        exc.on_rollback(session)


def _list_page(request: Request, session: Session, actor: Actor, *, ok: str | None = None,
               error: str | None = None, status: int = 200) -> HTMLResponse:
    found, pending = feedback.listing(session, actor)
    applied = feedback.applied_counts(session, [b.id for b, _ in found])
    return render(request, "feedback_list.html", {
        "batches": found, "pending": pending, "applied": applied, "labels": feedback.STATUS_LABEL,
        "ok": OK_TEXT.get(ok or ""), "error": error, "can_make": actor.can("registry.manage"),
        "mine": actor.department_ids if actor.can("registry.feedback") else frozenset()}, status_code=status)


@router.get("/gov/registry/feedback")
def feedback_page(request: Request, actor: CurrentActor, session: DbSession,
                  ok: str | None = Query(default=None, max_length=16)) -> HTMLResponse:
    return _list_page(request, session, actor, ok=ok)


@router.post("/gov/registry/feedback")
def make_batches(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings) -> Response:
    try:
        made = feedback.create_batches(session, actor, settings)
    except ZhiliError as exc:
        _undo(session, exc)
        return _list_page(request, session, actor, error=exc.message, status=exc.status_code)
    return RedirectResponse(f"/gov/registry/feedback?ok={'created' if made else 'none'}", status_code=303)


def _batch_page(request: Request, session: Session, actor: Actor, settings: Settings, batch_id: int, *,
                ok: str | None = None, error: str | None = None, status: int = 200) -> HTMLResponse:
    d = batch_detail(session, actor, settings, batch_id)
    batch = feedback.get(session, actor, batch_id)
    own = feedback.owns(actor, batch)
    return render(request, "feedback_batch.html", {
        "d": d, "ok": OK_TEXT.get(ok or ""), "error": error, "own": own,
        "can_ack": own and batch.status == BatchStatus.sent,
        "can_apply": own and batch.status == BatchStatus.acknowledged}, status_code=status)


@router.get("/gov/registry/feedback/{batch_id}")
def batch_page(request: Request, batch_id: BatchId, actor: CurrentActor, session: DbSession,
               settings: AppSettings, ok: str | None = Query(default=None, max_length=16)) -> HTMLResponse:
    return _batch_page(request, session, actor, settings, batch_id, ok=ok)


@router.post("/gov/registry/feedback/{batch_id}/acknowledge")
def acknowledge(request: Request, batch_id: BatchId, actor: CurrentActor, session: DbSession,
                settings: AppSettings) -> Response:
    try:
        feedback.acknowledge(session, actor, batch_id)
    except ZhiliError as exc:
        _undo(session, exc)
        return _batch_page(request, session, actor, settings, batch_id, error=exc.message, status=exc.status_code)
    return RedirectResponse(f"/gov/registry/feedback/{batch_id}?ok=ack", status_code=303)


@router.post("/gov/registry/feedback/{batch_id}/apply")
def apply(request: Request, batch_id: BatchId, actor: CurrentActor, session: DbSession, settings: AppSettings,
          item_ids: Annotated[list[int], Form()] = [],  # noqa: B006 - nothing ticked: nothing applied
          note: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        feedback.apply(session, actor, batch_id, item_ids, note)
    except ZhiliError as exc:
        _undo(session, exc)
        return _batch_page(request, session, actor, settings, batch_id, error=exc.message, status=exc.status_code)
    return RedirectResponse(f"/gov/registry/feedback/{batch_id}?ok=applied", status_code=303)
