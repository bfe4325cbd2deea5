"""Jinja2 templates from every domain's folder, with the actor, CSRF token and menus in every page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader

from zhili.web.nav import TERMINAL_HOME, TERMINAL_LABEL, menu_for

ROOT = Path(__file__).resolve().parent.parent
templates = Jinja2Templates(directory=str(ROOT / "web" / "templates"))
templates.env.loader = ChoiceLoader(
    [FileSystemLoader(str(ROOT / "web" / "templates"))]
    + [FileSystemLoader(str(p)) for p in sorted(ROOT.glob("*/templates")) if p.parent.name != "web"]
)


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200,
           terminal: str = "governance") -> HTMLResponse:
    actor = getattr(request.state, "actor", None)
    ctx: dict[str, Any] = {
        "actor": actor,
        "csrf_token": getattr(request.state, "csrf_token", "") or request.cookies.get("zhili_csrf", ""),
        "terminal": terminal,
        "terminal_label": TERMINAL_LABEL.get(terminal, ""),
        "menu": menu_for(actor, terminal) if actor else [],
        "terminals": [(t, TERMINAL_LABEL[t], TERMINAL_HOME[t]) for t in (actor.terminals if actor else ())],
        "path": request.url.path,
        "district_name": request.app.state.settings.district_name,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)
