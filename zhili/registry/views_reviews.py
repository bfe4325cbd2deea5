"""The match review page (/gov/registry/reviews): each uncertain match side by side (masked), with the two
decisions for registry.manage. Thin: parse, call the service, render; a decision redirects (303) back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhili.auth.deps import CurrentActor
from zhili.kit.errors import ZhiliError
from zhili.registry import reviews
from zhili.web.deps import DbSession
from zhili.web.templating import render

router = APIRouter(include_in_schema=False)
ReviewId = Annotated[int, Path(ge=1, le=2_000_000_000)]
OK_TEXT = {"linked": "已确认为同一对象，记录已合并（不一致的字段已列为冲突）", "separate": "已确认为不同对象，已新建档案"}
REASON_LABEL = {"name": "姓名", "birth_date": "出生日期", "address": "地址", "identity": "身份号码"}


@router.get("/gov/registry/reviews")
def review_page(request: Request, actor: CurrentActor, session: DbSession,
                ok: str | None = Query(default=None, max_length=16),
                offset: int = Query(default=0, ge=0, le=100_000)) -> HTMLResponse:
    page = reviews.list_reviews(session, actor, "open", offset)
    return render(request, "reviews.html", {
        "page": page, "ok": OK_TEXT.get(ok or ""), "offset": offset, "reason_label": REASON_LABEL,
        "can_decide": actor.can("registry.manage"), "more": offset + len(page.items) < page.total})


@router.post("/gov/registry/reviews/{review_id}")
def review_decide_form(request: Request, review_id: ReviewId, actor: CurrentActor, session: DbSession,
                       decision: Annotated[str, Form(max_length=16)]) -> Response:
    try:
        reviews.decide(session, actor, review_id, decision)
    except ZhiliError as exc:
        if exc.status_code in (401, 403, 404):
            raise
        session.rollback()
        page = reviews.list_reviews(session, actor, "open", 0)
        return render(request, "reviews.html", {
            "page": page, "error": exc.message, "offset": 0, "reason_label": REASON_LABEL,
            "can_decide": actor.can("registry.manage"), "more": len(page.items) < page.total},
            status_code=exc.status_code)
    return RedirectResponse(f"/gov/registry/reviews?ok={decision}", status_code=303)
