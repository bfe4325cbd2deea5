"""create_app(): settings, database, error handlers, static assets, and each domain's api and views."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from zhili.config import Settings, get_settings
from zhili.db import make_engine, make_sessionmaker
from zhili.kit import crypto
from zhili.kit.errors import Unauthenticated, ZhiliError

STATIC = Path(__file__).resolve().parent / "web" / "static"

FIELD_NAMES = {"missing": "缺少必填项", "int_parsing": "应为整数", "float_parsing": "应为数字",
               "string_too_short": "内容过短", "string_too_long": "内容过长", "json_invalid": "JSON 格式错误",
               "greater_than_equal": "数值过小", "less_than_equal": "数值过大", "greater_than": "数值过小",
               "less_than": "数值过大", "model_attributes_type": "格式错误", "dict_type": "应为对象",
               "list_type": "应为数组", "string_type": "应为文本", "bool_parsing": "应为布尔值"}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api")


class SecurityHeaders:
    """Headers on every answer. Plain ASGI rather than `@app.middleware("http")` (Starlette's BaseHTTPMiddleware),
    which runs each request through an extra task and memory stream: measurable at hundreds of requests a second."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _error_headers(request: Request, exc: StarletteHTTPException) -> dict[str, str]:
    """The exception's headers, and on a 405 an Allow naming every method of the path (RFC 9110): Starlette's
    names only those of the first route it tried, and FastAPI makes one route per method."""
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        methods = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE")
                   if any(route.matches({**request.scope, "method": m})[0] == Match.FULL
                          for route in request.app.router.routes)]
        if methods:
            headers["Allow"] = ", ".join(methods)
    return headers


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    crypto.configure_from(settings)  # no key: KeyConfigError, the app does not start (never plaintext)
    engine = engine or make_engine(settings.database_url)
    app = FastAPI(title="zhili 治理 API", version="0.1.0", docs_url="/api/docs", openapi_url="/api/openapi.json",
                  redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    from zhili.notify.service import sms_sender

    app.state.sms = sms_sender(settings)  # a misconfigured sender fails at start, not at the first message

    @app.exception_handler(ZhiliError)
    async def zhili_error(request: Request, exc: ZhiliError) -> Response:
        if _wants_html(request):
            if isinstance(exc, Unauthenticated):
                target = "/login/totp" if exc.code == "mfa_required" else "/login"
                nxt = request.url.path if request.method == "GET" else "/"
                return RedirectResponse(f"{target}?next={nxt}", status_code=303)
            from zhili.web.templating import render

            return render(request, "error.html", {"message": exc.message, "status": exc.status_code},
                          status_code=exc.status_code)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse(exc.as_dict(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "form")]
        field = ".".join(loc) or None
        reason = FIELD_NAMES.get(first.get("type", ""), first.get("msg", "格式错误"))
        message = f"{field}：{reason}" if field else reason
        body = {"code": "invalid", "message": message, "field": field}
        if _wants_html(request):
            from zhili.web.templating import render

            return render(request, "error.html", {"message": message, "status": 422}, status_code=422)
        return JSONResponse(body, status_code=422)

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        """A value the database cannot hold (an out-of-range number): the transaction already rolled back."""
        message = "输入的数值或内容超出允许范围"
        if _wants_html(request):
            from zhili.web.templating import render

            return render(request, "error.html", {"message": message, "status": 422}, status_code=422)
        return JSONResponse({"code": "invalid", "message": message, "field": None}, status_code=422)

    @app.exception_handler(StaleDataError)
    async def stale(request: Request, exc: StaleDataError) -> Response:
        """Someone changed the same record at the same moment (optimistic version check): nothing was saved."""
        message = "记录已被他人同时修改，本次操作未生效，请刷新后重试"
        if _wants_html(request):
            from zhili.web.templating import render

            return render(request, "error.html", {"message": message, "status": 409}, status_code=409)
        return JSONResponse({"code": "stale", "message": message, "field": "version"}, status_code=409)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: "页面或记录不存在", 405: "不支持该请求方法"}
        message = messages.get(exc.status_code, str(exc.detail))
        if _wants_html(request):
            from zhili.web.templating import render

            page = render(request, "error.html", {"message": message, "status": exc.status_code},
                          status_code=exc.status_code)
            page.headers.update(_error_headers(request, exc))
            return page
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse({"code": code, "message": message, "field": None}, status_code=exc.status_code,
                            headers=_error_headers(request, exc))

    app.add_middleware(SecurityHeaders)

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    from zhili.addresses import api as addresses_api
    from zhili.admin import api as admin_api
    from zhili.admin import views as admin_views
    from zhili.auth import api as auth_api
    from zhili.auth import views as auth_views
    from zhili.brain import api as brain_api
    from zhili.brain import views as brain_views
    from zhili.cases import api as cases_api
    from zhili.cases import views as cases_views
    from zhili.notify import api as notify_api
    from zhili.notify import views as notify_views
    from zhili.org import api as org_api
    from zhili.org import views as org_views
    from zhili.taxonomy import api as taxonomy_api
    from zhili.taxonomy import views as taxonomy_views
    from zhili.web import views as web_views
    from zhili.workcal import api as workcal_api
    from zhili.workcal import views as workcal_views

    for router in (auth_api.router, org_api.router, admin_api.router, cases_api.router, taxonomy_api.router,
                   workcal_api.router, notify_api.router, auth_views.router, org_views.router, admin_views.router,
                   cases_views.router, taxonomy_views.router, workcal_views.router, notify_views.router,
                   web_views.router):
        app.include_router(router)
    app.include_router(addresses_api.router)
    app.include_router(brain_api.router)
    app.include_router(brain_views.router)
    from zhili.analysis import api as analysis_api
    from zhili.analysis import views as analysis_views

    app.include_router(analysis_api.router)
    app.include_router(analysis_views.router)
    from zhili.open311 import api as open311_api
    from zhili.open311 import views as open311_views

    app.include_router(open311_api.router)
    app.include_router(open311_views.router)
    open311_api.install(app)  # errors under /open311 in the GeoReport v2 format
    from zhili.assessment import api as assessment_api
    from zhili.assessment import views as assessment_views

    app.include_router(assessment_api.router)
    app.include_router(assessment_views.router)
    from zhili.monitor import api as monitor_api
    from zhili.monitor import views as monitor_views

    app.include_router(monitor_api.router)
    app.include_router(monitor_views.router)
    from zhili.insight import api as insight_api
    from zhili.insight import views as insight_views

    app.include_router(insight_api.router)
    app.include_router(insight_views.router)
    from zhili.registry import api as registry_api
    from zhili.registry import views as registry_views

    app.include_router(registry_api.router)
    app.include_router(registry_views.router)
    from zhili.registry import api_verify as registry_verify_api
    from zhili.registry import views_verify as registry_verify_views

    app.include_router(registry_verify_api.router)
    app.include_router(registry_verify_views.router)
    from zhili.registry import api_feedback as registry_feedback_api
    from zhili.registry import views_feedback as registry_feedback_views

    app.include_router(registry_feedback_api.router)
    app.include_router(registry_feedback_views.router)
    from zhili.registry import api_exports as registry_exports_api
    from zhili.registry import views_exports as registry_exports_views

    app.include_router(registry_exports_api.router)
    app.include_router(registry_exports_views.router)
    from zhili.registry import api_reviews as registry_reviews_api
    from zhili.registry import views_reviews as registry_reviews_views

    app.include_router(registry_reviews_api.router)
    app.include_router(registry_reviews_views.router)
    from zhili.kit.openapi import document_errors

    document_errors(app)  # the schema documents the 4xx answers above with their real body
    return app
