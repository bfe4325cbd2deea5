"""Auth use cases: log in (with lockout), web sessions with idle expiry, second factor, API tokens, users.

Services never commit. A failed login raises with `on_rollback` carrying the counter update and audit row, so the
request's transaction rolls back and exactly those writes persist.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp
from sqlalchemy.orm import Session

from zhili.auth import audit, repository
from zhili.auth.actor import Actor
from zhili.auth.models import (
    ApiToken,
    Permission,
    Role,
    RolePermission,
    User,
    UserRole,
    UserScope,
    WebSession,
)
from zhili.auth.passwords import check_rule, hash_password, verify_password
from zhili.auth.roles import PERMISSIONS, ROLES
from zhili.config import Settings
from zhili.kit import clock
from zhili.kit.crypto import sm3
from zhili.kit.errors import Locked, NotFound, Unauthenticated, ValidationFailed

BAD_LOGIN = "用户名或密码错误"


def _failed_login(username: str, user_id: int | None, settings: Settings, reason: str) -> Unauthenticated:
    def persist(session: Session) -> None:
        detail = {"username": username, "reason": reason}
        if user_id is None:
            audit.record(session, "auth.login_failed", detail=detail, actor_name=username)
            return
        user = session.get(User, user_id)
        assert user is not None
        user.failed_logins = (user.failed_logins or 0) + 1
        audit.record(session, "auth.login_failed", entity_type="users", entity_id=user.id, detail=detail,
                     actor_id=user.id, actor_name=username)
        if user.failed_logins >= settings.login_max_failures:
            user.locked_until = clock.now() + timedelta(minutes=settings.lockout_minutes)
            user.failed_logins = 0
            audit.record(session, "auth.lockout", entity_type="users", entity_id=user.id,
                         detail={"until": user.locked_until.isoformat()}, actor_id=user.id, actor_name=username)

    return Unauthenticated(BAD_LOGIN, field="password", code="bad_credentials", on_rollback=persist)


def authenticate(session: Session, username: str, password: str, settings: Settings) -> User:
    """Check the password. Five failures lock the account for 15 minutes; a locked account refuses even the
    right password until the time is up."""
    username = (username or "").strip()
    user = repository.user_by_username(session, username)
    if user is None or not user.is_active:
        verify_password(None, password)
        raise _failed_login(username, None, settings, "unknown_user" if user is None else "inactive")
    if user.locked_until is not None and user.locked_until > clock.now():
        minutes = max(1, int((user.locked_until - clock.now()).total_seconds() // 60) + 1)
        uid = user.id

        def persist(s: Session) -> None:
            audit.record(s, "auth.login_refused_locked", entity_type="users", entity_id=uid, actor_id=uid,
                         actor_name=username)

        raise Locked(f"账户已锁定，请 {minutes} 分钟后再试", field="username", on_rollback=persist)
    if not verify_password(user.password_hash, password):
        raise _failed_login(username, user.id, settings, "bad_password")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = clock.now()
    return user


def needs_mfa(session: Session, user: User) -> bool:
    return repository.build_actor(session, user).requires_mfa


# ---- web sessions -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewSession:
    cookie_token: str
    record: WebSession


def start_web_session(session: Session, user: User, ip: str | None, mfa_verified: bool) -> NewSession:
    token = secrets.token_urlsafe(32)
    now = clock.now()
    ws = WebSession(
        id=sm3(token.encode()),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(24),
        mfa_verified=mfa_verified,
        created_at=now,
        last_seen_at=now,
        ip=ip,
    )
    session.add(ws)
    audit.record(session, "auth.login", entity_type="users", entity_id=user.id, actor_id=user.id,
                 actor_name=user.username, detail={"via": "web", "mfa": mfa_verified})
    return NewSession(token, ws)


def resolve_web_session(session: Session, cookie_token: str, settings: Settings) -> tuple[WebSession, User] | None:
    """The live session behind a cookie, or None when unknown, revoked, idle past the limit or older than the
    absolute lifetime (then revoked)."""
    ws = repository.web_session(session, sm3(cookie_token.encode()))
    if ws is None or ws.revoked_at is not None:
        return None
    now = clock.now()
    if (now - ws.last_seen_at > timedelta(minutes=settings.session_idle_minutes)
            or now - ws.created_at > timedelta(hours=settings.session_max_hours)):
        ws.revoked_at = now
        audit.record(session, "auth.session_expired", entity_type="users", entity_id=ws.user_id,
                     actor_id=ws.user_id)
        return None
    user = repository.user_by_id(session, ws.user_id)
    if user is None or not user.is_active:
        return None
    if now - ws.last_seen_at > timedelta(seconds=30):
        repository.touch(session, WebSession, WebSession.id, ws.id, WebSession.last_seen_at, now,
                         now - timedelta(seconds=30))
    return ws, user


def end_web_session(session: Session, ws: WebSession) -> None:
    ws.revoked_at = clock.now()
    audit.record(session, "auth.logout", entity_type="users", entity_id=ws.user_id, actor_id=ws.user_id)


# ---- second factor (RFC 6238 TOTP) ---------------------------------------------------------------------------

def totp_provisioning(user: User, issuer: str = "zhili 治理") -> str:
    if not user.totp_secret:
        raise ValidationFailed("尚未生成动态口令密钥", field="totp")
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=issuer)


def begin_totp_enrolment(user: User) -> str:
    """The secret to enrol, created once; it stays the same across page reloads until confirmed by a code."""
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
        user.totp_confirmed = False
    return user.totp_secret


def check_totp(session: Session, user: User, code: str) -> None:
    """Accept a 6-digit code of the current 30 s step (±1 for clock drift), each step at most once."""
    code = (code or "").strip().replace(" ", "")
    if not user.totp_secret:
        raise ValidationFailed("尚未设置动态口令", field="totp")
    if not (len(code) == 6 and code.isdigit()):
        raise ValidationFailed("动态口令应为 6 位数字", field="totp")
    totp = pyotp.TOTP(user.totp_secret)
    now = clock.now()
    step_now = int(now.timestamp()) // 30
    for offset in (0, -1, 1):
        step = step_now + offset
        if secrets.compare_digest(totp.at(step * 30), code):
            if user.last_totp_step is not None and step <= user.last_totp_step:
                break
            user.last_totp_step = step
            user.totp_confirmed = True
            return
    uid, uname = user.id, user.username

    def persist(s: Session) -> None:
        audit.record(s, "auth.totp_failed", entity_type="users", entity_id=uid, actor_id=uid, actor_name=uname)

    raise ValidationFailed("动态口令错误或已使用", field="totp", on_rollback=persist)


def mark_mfa_verified(session: Session, ws: WebSession) -> None:
    ws.mfa_verified = True
    # A new CSRF token once privileges rise.
    ws.csrf_token = secrets.token_urlsafe(24)
    audit.record(session, "auth.mfa_verified", entity_type="users", entity_id=ws.user_id, actor_id=ws.user_id)


# ---- API tokens ----------------------------------------------------------------------------------------------

def issue_api_token(session: Session, user: User, settings: Settings, name: str = "api") -> tuple[str, ApiToken]:
    token = "zl_" + secrets.token_urlsafe(32)
    now = clock.now()
    row = ApiToken(user_id=user.id, token_hash=sm3(token.encode()), name=name[:64] or "api", created_at=now,
                   expires_at=now + timedelta(days=settings.api_token_days))
    session.add(row)
    session.flush()
    audit.record(session, "auth.token_issued", entity_type="users", entity_id=user.id, actor_id=user.id,
                 actor_name=user.username, detail={"token_id": row.id, "name": row.name})
    return token, row


def resolve_api_token(session: Session, token: str) -> User | None:
    found = repository.api_token_with_user(session, sm3(token.encode()))
    now = clock.now()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or row.expires_at <= now or not user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        repository.touch(session, ApiToken, ApiToken.id, row.id, ApiToken.last_used_at, now,
                         now - timedelta(minutes=1))
    return user


def revoke_api_token(session: Session, token: str) -> None:
    row = repository.api_token(session, sm3(token.encode()))
    if row is not None and row.revoked_at is None:
        row.revoked_at = clock.now()
        audit.record(session, "auth.token_revoked", entity_type="users", entity_id=row.user_id)


# ---- users, roles, scopes ------------------------------------------------------------------------------------

def seed_roles(session: Session) -> None:
    """Create or refresh the built-in permissions and roles (idempotent)."""
    existing = repository.all_permissions(session)
    for code, name in PERMISSIONS.items():
        if code not in existing:
            session.add(Permission(code=code, name=name))
    session.flush()
    for code, (name, terminal, mfa, perms) in ROLES.items():
        role = repository.role_by_code(session, code)
        if role is None:
            role = Role(code=code, name=name, terminal=terminal, requires_mfa=mfa)
            session.add(role)
            session.flush()
            have: set[str] = set()
        else:
            have = repository.role_permissions(session, role.id)
        for perm in set(perms) - have:
            session.add(RolePermission(role_id=role.id, permission_code=perm))
    session.flush()
    audit.ensure_head(session)


@dataclass(frozen=True)
class ScopeSpec:
    area_id: int | None = None
    area_path: str | None = None
    department_id: int | None = None
    grid_id: int | None = None


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    roles: list[str],
    scopes: list[ScopeSpec],
    phone: str | None = None,
    check_password: bool = True,
    password_hash: str | None = None,
) -> User:
    username = username.strip()
    if not username or len(username) > 64:
        raise ValidationFailed("用户名不能为空且不超过 64 个字符", field="username")
    if repository.user_by_username(session, username) is not None:
        raise ValidationFailed("用户名已存在", field="username")
    if check_password:
        check_rule(password, username)
    user = User(username=username, display_name=display_name, phone=phone,
                password_hash=password_hash or hash_password(password),
                is_active=True, failed_logins=0, created_at=clock.now())
    session.add(user)
    session.flush()
    for code in roles:
        role = repository.role_by_code(session, code)
        if role is None:
            raise ValidationFailed(f"角色不存在：{code}", field="roles")
        session.add(UserRole(user_id=user.id, role_id=role.id))
    for sc in scopes:
        session.add(UserScope(user_id=user.id, area_id=sc.area_id, area_path=sc.area_path,
                              department_id=sc.department_id, grid_id=sc.grid_id))
    session.flush()
    return user


def change_password(session: Session, user: User, old: str, new: str) -> None:
    if not verify_password(user.password_hash, old):
        raise ValidationFailed("原密码错误", field="old_password")
    check_rule(new, user.username)
    user.password_hash = hash_password(new)
    repository.revoke_sessions_of(session, user.id, clock.now())
    audit.record(session, "auth.password_changed", entity_type="users", entity_id=user.id)


def unlock_user(session: Session, actor: Actor, user_id: int) -> User:
    actor.require("users.manage")
    user = repository.readable_user(session, actor, user_id)
    if user is None:
        raise NotFound()
    user.locked_until = None
    user.failed_logins = 0
    audit.record(session, "auth.unlock", entity_type="users", entity_id=user.id)
    return user


def purge_sessions(session: Session, settings: Settings) -> int:
    cutoff = clock.now() - timedelta(days=7)
    return repository.delete_sessions_seen_before(session, cutoff)


# ---- recipients of notifications (other domains ask here, not in auth's tables) ------------------------------

def user_ids_for_departments(session: Session, department_ids: Any, permission: str | None = None) -> set[int]:
    return repository.user_ids_for_departments(session, department_ids, permission)


def user_ids_for_grids(session: Session, grid_ids: Any, permission: str | None = None) -> set[int]:
    return repository.user_ids_for_grids(session, grid_ids, permission)


def user_ids_with_permission_over(session: Session, permission: str, area_path: str,
                                  max_depth: int | None = None) -> set[int]:
    return repository.user_ids_over_area(session, permission, area_path, max_depth)
