"""GeoReport v2 routes under /open311/v2, each resource with a `.xml` or `.json` suffix. Thin: read the
arguments, call one service function, render. Errors under /open311 are written in the specification's format
(see `install`), everything else of the app keeps its own structured errors."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhili.kit.errors import ZhiliError
from zhili.open311 import formats, rules, service
from zhili.web.deps import AppSettings, DbSession

PREFIX = "/open311/v2"
router = APIRouter(prefix=PREFIX, tags=["Open311 GeoReport v2"])
LIST_ARGS = ("service_request_id", "service_code", "start_date", "end_date", "status", "page", "page_size")


def _fmt(fmt: str) -> str:
    try:
        return rules.check_format(fmt)
    except rules.RuleError as exc:
        raise service.Open311Error(exc.description) from None


async def _form(request: Request) -> dict[str, list[str]]:
    """The POST body: application/x-www-form-urlencoded (or multipart) as the specification sends it."""
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise service.Open311Error("请以 application/x-www-form-urlencoded 表单提交")
    try:
        form = await request.form()
    except Exception:  # a malformed body: whatever the parser says, it is the client's input
        raise service.Open311Error("表单内容无法解析") from None
    out: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            out.setdefault(key, []).append(value)
    return out


Form = Annotated[dict[str, list[str]], Depends(_form)]


@router.get("/discovery.{fmt}")
def discovery(fmt: str, request: Request, settings: AppSettings) -> Response:
    fmt = _fmt(fmt)
    return formats.render(fmt, "discovery", service.discovery(settings, str(request.base_url)))


@router.get("/services.{fmt}")
def services(fmt: str, session: DbSession) -> Response:
    fmt = _fmt(fmt)
    return formats.render(fmt, "services", service.services(session))


@router.get("/services/{service_code}.{fmt}")
def definition(service_code: str, fmt: str, session: DbSession) -> Response:
    fmt = _fmt(fmt)
    return formats.render(fmt, "service_definition", service.definition(session, service_code))


@router.post("/requests.{fmt}")
def file_request(fmt: str, form: Form, session: DbSession, settings: AppSettings) -> Response:
    fmt = _fmt(fmt)
    return formats.render(fmt, "service_requests", service.file_request(session, settings, form))


@router.get("/requests.{fmt}")
def list_requests(fmt: str, request: Request, session: DbSession, settings: AppSettings) -> Response:
    fmt = _fmt(fmt)
    q = request.query_params
    args = {k: ",".join(q.getlist(k)) for k in LIST_ARGS if k in q}
    return formats.render(fmt, "service_requests", service.list_requests(session, settings, args))


@router.get("/requests/{service_request_id}.{fmt}")
def get_request(service_request_id: str, fmt: str, session: DbSession, settings: AppSettings) -> Response:
    fmt = _fmt(fmt)
    return formats.render(fmt, "service_requests", service.get_request(session, settings, service_request_id))


@router.get("/tokens/{token}.{fmt}")
def token(token: str, fmt: str, session: DbSession) -> Response:
    fmt = _fmt(fmt)
    return formats.render(fmt, "service_requests", service.token(session, token))


def _status(exc: Exception) -> tuple[int, str]:
    """The specification's statuses: 404 for what does not exist, 403 for the api key, 400 for the rest."""
    if isinstance(exc, ZhiliError):
        status = exc.status_code
        message = exc.message
    elif isinstance(exc, StarletteHTTPException):
        status = exc.status_code
        message = {404: "资源不存在", 405: "不支持该请求方法"}.get(status, "请求无效")
    else:
        status, message = 400, "请求无效"
    if status in (401, 403):
        return 403, message
    return (404, message) if status == 404 else (400, message)


def install(app: FastAPI) -> None:
    """Answer every error under /open311 in the specification's format, whichever handler would take it; other
    paths keep the app's own handlers."""
    for exc_class in (ZhiliError, RequestValidationError, DataError, StaleDataError, StarletteHTTPException):
        original = app.exception_handlers.get(exc_class)
        if original is None:
            continue

        def wrap(handler: Callable[[Request, Any], Response | Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
            async def handle(request: Request, exc: Exception) -> Response:
                if request.url.path.startswith("/open311/"):
                    status, message = _status(exc)
                    return formats.errors(formats.format_of_path(request.url.path), status, message)
                result = handler(request, exc)
                return await result if inspect.isawaitable(result) else result

            return handle

        app.add_exception_handler(exc_class, wrap(original))
