"""批量导出 pages: my requests and the ones I may approve, the request form (registry.export), and approve /
reject forms (registry.approve). Files are downloaded through /api/registry/exports/{id}/download (the session
cookie authenticates it).

Thin: parse, call the service, render. A refused action renders the page again with the Chinese message and the
status; success redirects (303) with `?ok=<what>`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.auth.deps import CurrentActor
from zhili.kit.errors import ValidationFailed, ZhiliError
from zhili.registry import exports
from zhili.registry.fields import TAGS
from zhili.registry.schemas_exports import ExportCreate
from zhili.web.deps import AppSettings, DbSession
from zhili.web.templating import render

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2_000_000_000)]
OK_TEXT = {"requested": "已提交导出申请，待他人审批", "approved": "已批准，申请人可在有效期内下载",
           "rejected": "已驳回该导出申请"}
KINDS = {"person": "人口", "house": "房屋", "vehicle": "车辆", "place": "场所"}
FIELD_TEXT = {"kind": "导出类型", "area_code": "区域代码", "grid_code": "网格编码", "residency": "户籍类型",
              "tag": "标签", "reason": "申请理由"}


def _page(request: Request, session: Session, actor: Actor, *, ok: str | None = None, error: str | None = None,
          form: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    page = exports.listing(session, actor)
    return render(request, "exports.html", {
        "page": page, "ok": OK_TEXT.get(ok or ""), "error": error, "form": form or {}, "kinds": KINDS,
        "tags": TAGS}, status_code=status)


def _undo(session: Session, exc: ZhiliError) -> None:
    session.rollback()
    if exc.on_rollback is not None:
        exc.on_rollback(session)


@router.get("/gov/registry/exports")
def exports_page(request: Request, actor: CurrentActor, session: DbSession,
                 ok: str | None = Query(default=None, max_length=16)) -> HTMLResponse:
    return _page(request, session, actor, ok=ok)


@router.post("/gov/registry/exports")
def ask(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
        kind: Annotated[str, Form(max_length=16)] = "", area_code: Annotated[str, Form(max_length=12)] = "",
        grid_code: Annotated[str, Form(max_length=20)] = "", residency: Annotated[str, Form(max_length=16)] = "",
        tag: Annotated[str, Form(max_length=32)] = "", reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    form = {"kind": kind, "area_code": area_code, "grid_code": grid_code, "residency": residency, "tag": tag,
            "reason": reason}
    try:
        try:
            body = ExportCreate(**{k: v.strip() or None for k, v in form.items()})
        except ValidationError as exc:
            name = str(exc.errors()[0]["loc"][0]) if exc.errors() and exc.errors()[0]["loc"] else "reason"
            hint = "至少 4 个字" if name == "reason" else "格式不正确或未选择"
            raise ValidationFailed(f"{FIELD_TEXT.get(name, name)}：{hint}", field=name) from None
        exports.request_export(session, actor, settings, body)
    except ZhiliError as exc:
        _undo(session, exc)
        return _page(request, session, actor, error=exc.message, form=form, status=exc.status_code)
    return RedirectResponse("/gov/registry/exports?ok=requested", status_code=303)


@router.post("/gov/registry/exports/{request_id}/approve")
def approve(request: Request, request_id: Id, actor: CurrentActor, session: DbSession, settings: AppSettings,
            note: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        exports.approve(session, actor, settings, request_id, note)
    except ZhiliError as exc:
        _undo(session, exc)
        return _page(request, session, actor, error=exc.message, status=exc.status_code)
    return RedirectResponse("/gov/registry/exports?ok=approved", status_code=303)


@router.post("/gov/registry/exports/{request_id}/reject")
def reject(request: Request, request_id: Id, actor: CurrentActor, session: DbSession,
           note: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        exports.reject(session, actor, request_id, note)
    except ZhiliError as exc:
        _undo(session, exc)
        return _page(request, session, actor, error=exc.message, status=exc.status_code)
    return RedirectResponse("/gov/registry/exports?ok=rejected", status_code=303)
