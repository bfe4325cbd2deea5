"""Who is calling: a bearer token (API) or a web-session cookie (pages and the pages' own fetches).

Cookie-authenticated writes must carry the session's CSRF token (form field `csrf_token` or header
`X-CSRF-Token`); bearer calls need none (a browser never attaches them on its own). Users whose role requires a
second factor get nothing until the session has passed it.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from zhili.auth import audit, repository, service
from zhili.auth.actor import Actor
from zhili.kit.errors import Forbidden, Unauthenticated
from zhili.web.deps import AppSettings, DbSession

SESSION_COOKIE = "zhili_session"
LOGIN_CSRF_COOKIE = "zhili_csrf"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Declares the bearer scheme in the OpenAPI schema (clients and API fuzzers learn that these operations need a
# token); never rejects by itself: _actor reads the header, and a web-session cookie is just as valid.
BEARER = HTTPBearer(auto_error=False, scheme_name="bearer", description="API 令牌：Authorization: Bearer <令牌>")


async def submitted_csrf(request: Request) -> str | None:
    token = request.headers.get("x-csrf-token")
    if token is None and request.method not in SAFE_METHODS:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf_token")
            token = value if isinstance(value, str) else None
    return token


def _actor(
    request: Request, session: DbSession, settings: AppSettings,
    csrf: Annotated[str | None, Depends(submitted_csrf)],
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Actor:
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("Authorization 头应为 Bearer 令牌", field="authorization")
        user = service.resolve_api_token(session, token.strip())
        if user is None:
            raise Unauthenticated("令牌无效或已过期", field="authorization", code="invalid_token")
        actor = repository.build_actor(session, user, via="token")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise Unauthenticated("请先登录", code="login_required")
        found = service.resolve_web_session(session, cookie, settings)
        if found is None:
            raise Unauthenticated("登录已过期，请重新登录", code="session_expired")
        ws, user = found
        actor = repository.build_actor(session, user, via="session")
        if actor.requires_mfa and not ws.mfa_verified:
            raise Unauthenticated("请先完成动态口令验证", code="mfa_required")
        request.state.csrf_token = ws.csrf_token
        request.state.web_session_id = ws.id
        if request.method not in SAFE_METHODS and not (csrf and secrets.compare_digest(csrf, ws.csrf_token)):
            uid, uname = actor.user_id, actor.username

            def persist(s: object) -> None:
                audit.record(s, "auth.csrf_rejected", detail={"path": request.url.path},  # type: ignore[arg-type]
                             actor_id=uid, actor_name=uname)

            raise Forbidden("安全校验失败（CSRF 令牌无效），请刷新页面后重试", code="csrf", field="csrf_token",
                            on_rollback=persist)
    session.info["actor"] = actor
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(_actor)]
