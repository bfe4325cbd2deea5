"""Login (password, then the second factor where the role requires it), logout. Pages in Chinese."""

from __future__ import annotations

import io
import secrets
from urllib.parse import urlparse

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhili.auth import repository, service
from zhili.auth.deps import LOGIN_CSRF_COOKIE, SESSION_COOKIE, CurrentActor
from zhili.auth.models import User
from zhili.kit.errors import Forbidden, ZhiliError
from zhili.web.deps import AppSettings, DbSession, client_ip
from zhili.web.nav import home_for
from zhili.web.templating import render

router = APIRouter(include_in_schema=False)


def _safe_next(value: str | None) -> str | None:
    if not value:
        return None
    parsed = urlparse(value)
    if parsed.scheme or parsed.netloc or not value.startswith("/") or value.startswith("//"):
        return None
    return value


def _login_page(request: Request, error: str | None = None, username: str = "", status: int = 200) -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    request.state.csrf_token = token
    response = render(request, "auth/login.html", {"error": error, "username": username,
                                                   "next": _safe_next(request.query_params.get("next")) or ""},
                      status_code=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
    return response


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    return _login_page(request)


def _check_login_csrf(request: Request, submitted: str) -> None:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not cookie or not secrets.compare_digest(cookie, submitted or ""):
        raise Forbidden("安全校验失败（CSRF 令牌无效），请刷新页面后重试", code="csrf", field="csrf_token")


@router.post("/login")
def login(
    request: Request, session: DbSession, settings: AppSettings, username: str = Form(""),
    password: str = Form(""), csrf_token: str = Form(""), next: str = Form(""),
) -> Response:
    try:
        _check_login_csrf(request, csrf_token)
    except Forbidden as exc:
        return _login_page(request, exc.message, username, status=403)
    try:
        user = service.authenticate(session, username, password, settings)
    except ZhiliError as exc:
        # The failure's own writes (counter, lockout, audit) must persist although the page is answered normally.
        session.rollback()
        if exc.on_rollback is not None:
            exc.on_rollback(session)
        return _login_page(request, exc.message, username, status=exc.status_code)
    mfa = service.needs_mfa(session, user)
    new = service.start_web_session(session, user, client_ip(request), mfa_verified=not mfa)
    target = "/login/totp" if mfa else (_safe_next(next) or home_for(repository.build_actor(session, user)))
    response = RedirectResponse(target + (f"?next={_safe_next(next)}" if mfa and _safe_next(next) else ""),
                                status_code=303)
    response.set_cookie(SESSION_COOKIE, new.cookie_token, httponly=True, samesite="lax",
                        secure=settings.session_cookie_secure, path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


def _pending_user(request: Request, session: DbSession, settings: AppSettings) -> tuple[User, str] | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    found = service.resolve_web_session(session, cookie, settings) if cookie else None
    if found is None:
        return None
    ws, user = found
    return user, ws.csrf_token


def _totp_page(request: Request, user: User, csrf: str, error: str | None = None, status: int = 200) -> HTMLResponse:
    request.state.csrf_token = csrf
    enrol = None
    if not user.totp_confirmed:
        secret = service.begin_totp_enrolment(user)
        uri = service.totp_provisioning(user)
        buf = io.BytesIO()
        segno.make(uri, error="m").save(buf, kind="svg", scale=5, xmldecl=False, svgns=True)
        enrol = {"secret": secret, "qr_svg": buf.getvalue().decode("utf-8")}
    return render(request, "auth/totp.html", {"enrol": enrol, "error": error, "user": user,
                                              "next": _safe_next(request.query_params.get("next")) or ""},
                  status_code=status)


@router.get("/login/totp")
def totp_form(request: Request, session: DbSession, settings: AppSettings) -> Response:
    pending = _pending_user(request, session, settings)
    if pending is None:
        return RedirectResponse("/login", status_code=303)
    return _totp_page(request, *pending)


@router.post("/login/totp")
def totp_verify(
    request: Request, session: DbSession, settings: AppSettings, code: str = Form(""), csrf_token: str = Form(""),
    next: str = Form(""),
) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    found = service.resolve_web_session(session, cookie, settings) if cookie else None
    if found is None:
        return RedirectResponse("/login", status_code=303)
    ws, user = found
    if not secrets.compare_digest(csrf_token or "", ws.csrf_token):
        return _totp_page(request, user, ws.csrf_token, "安全校验失败（CSRF 令牌无效），请刷新页面后重试", 403)
    try:
        service.check_totp(session, user, code)
    except ZhiliError as exc:
        session.rollback()
        if exc.on_rollback is not None:
            exc.on_rollback(session)
        session.refresh(user)
        return _totp_page(request, user, ws.csrf_token, exc.message, exc.status_code)
    service.mark_mfa_verified(session, ws)
    return RedirectResponse(_safe_next(next) or home_for(repository.build_actor(session, user)), status_code=303)


@router.post("/logout")
def logout(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings) -> Response:
    session_id = getattr(request.state, "web_session_id", None)
    ws = repository.web_session(session, session_id) if session_id else None
    if ws is not None:
        service.end_web_session(session, ws)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
