"""The brain page of the governance terminal (智能分类): the active model, its scores, every version with an
activate button, and how often operators kept the first suggestion over the last 30 days."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from zhili.auth.deps import CurrentActor
from zhili.brain import service
from zhili.web.deps import DbSession
from zhili.web.templating import render

router = APIRouter(include_in_schema=False)
Version = Annotated[int, Path(ge=0, le=1_000_000)]


@router.get("/gov/brain")
def brain_page(request: Request, actor: CurrentActor, session: DbSession,
               days: int = Query(default=30, ge=1, le=3660),
               done: int | None = Query(default=None, ge=0, le=1_000_000)) -> HTMLResponse:
    models = service.list_models(session, actor)
    return render(request, "brain/index.html", {
        "models": models, "active": next((m for m in models if m.active), None),
        "acceptance": service.acceptance(session, actor, days), "days": days,
        "notice": _notice(done), "refresh": service.REFRESH_SECONDS,
    })


def _notice(done: int | None) -> str | None:
    if done is None:
        return None
    what = f"已启用 v{done}" if done else "已停用模型，改按分类名称与关键词建议"
    return f"{what}，各进程将在 {service.REFRESH_SECONDS:.0f} 秒内切换"


@router.post("/gov/brain/models/{version}/activate")
def activate(version: Version, actor: CurrentActor, session: DbSession) -> RedirectResponse:
    service.activate(session, actor, version)
    return RedirectResponse(f"/gov/brain?done={version}", status_code=303)
