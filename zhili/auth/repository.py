"""Every auth query. Reads of users go through `readable_users`, scoped to the actor's area subtrees."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, column, delete, exists, false, func, literal, or_, select, table, update
from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.auth.models import (
    ApiToken,
    AuditLog,
    Permission,
    Role,
    RolePermission,
    User,
    UserRole,
    UserScope,
    WebSession,
)


def user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def user_by_id(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def web_session(session: Session, session_id: str) -> WebSession | None:
    return session.get(WebSession, session_id)


def api_token(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))


def api_token_with_user(session: Session, token_hash: str) -> tuple[ApiToken, User] | None:
    """The token and its user in one round trip (every API request starts here)."""
    row = session.execute(select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                          .where(ApiToken.token_hash == token_hash)).first()
    return (row[0], row[1]) if row else None


def role_by_code(session: Session, code: str) -> Role | None:
    return session.scalar(select(Role).where(Role.code == code))


def all_permissions(session: Session) -> set[str]:
    return set(session.scalars(select(Permission.code)))


def role_permissions(session: Session, role_id: int) -> set[str]:
    return set(session.scalars(select(RolePermission.permission_code).where(RolePermission.role_id == role_id)))


def build_actor(session: Session, user: User, via: str = "session") -> Actor:
    rows = session.execute(  # roles and their permissions in one round trip (once per request)
        select(Role.id, Role.code, Role.terminal, Role.requires_mfa, RolePermission.permission_code)
        .join(UserRole, UserRole.role_id == Role.id)
        .outerjoin(RolePermission, RolePermission.role_id == Role.id)
        .where(UserRole.user_id == user.id)
        .order_by(Role.id)
    ).all()
    roles = list({r.id: r for r in rows}.values())
    perms = {r.permission_code for r in rows if r.permission_code is not None}
    scopes = session.scalars(select(UserScope).where(UserScope.user_id == user.id)).all()
    terminals: list[str] = []
    for r in roles:
        if r.terminal not in terminals:
            terminals.append(r.terminal)
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=frozenset(r.code for r in roles),
        permissions=frozenset(perms),
        terminals=tuple(terminals),
        area_paths=tuple(sorted({s.area_path for s in scopes if s.area_path})),
        department_ids=frozenset(s.department_id for s in scopes if s.department_id is not None),
        grid_ids=frozenset(s.grid_id for s in scopes if s.grid_id is not None),
        requires_mfa=any(r.requires_mfa for r in roles),
        via=via,
    )


# org's tables by name only (auth does not import org): enough to place grid and department scopes in the tree.
_grids = table("grids", column("id"), column("area_path"))
_departments = table("departments", column("id"), column("area_path"))


def readable_users(actor: Actor) -> Select[tuple[User]]:
    """Users with at least one scope inside the actor's area subtrees (an area there, or a grid or department
    whose area is there); nothing when the actor has no area scope."""
    if not actor.area_paths:
        return select(User).where(false())

    def inside(col: Any) -> Any:
        return or_(*[col.startswith(p) for p in actor.area_paths])

    in_grid = UserScope.grid_id.in_(select(_grids.c.id).where(inside(_grids.c.area_path)))
    in_dept = UserScope.department_id.in_(select(_departments.c.id).where(inside(_departments.c.area_path)))
    return select(User).where(
        exists().where(UserScope.user_id == User.id, or_(inside(UserScope.area_path), in_grid, in_dept))
    )


def user_scopes(session: Session, user_id: int) -> list[UserScope]:
    return list(session.scalars(select(UserScope).where(UserScope.user_id == user_id)))


def user_role_codes(session: Session, user_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Role.code).join(UserRole, UserRole.role_id == Role.id).where(UserRole.user_id == user_id)
        )
    )


def audit_page(session: Session, *, before_seq: int | None, limit: int, action: str | None) -> list[AuditLog]:
    stmt = select(AuditLog).order_by(AuditLog.seq.desc()).limit(limit)
    if before_seq is not None:
        stmt = stmt.where(AuditLog.seq < before_seq)
    if action:
        stmt = stmt.where(AuditLog.action.startswith(action))
    return list(session.scalars(stmt))


def select_one() -> Select[tuple[int]]:
    return select(literal(1))


def readable_user(session: Session, actor: Actor, user_id: int) -> User | None:
    return session.scalar(readable_users(actor).where(User.id == user_id))


def revoke_sessions_of(session: Session, user_id: int, at: datetime) -> None:
    session.execute(
        update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None)).values(revoked_at=at)
    )


def delete_sessions_seen_before(session: Session, cutoff: datetime) -> int:
    result = session.execute(delete(WebSession).where(WebSession.last_seen_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def users_page(session: Session, actor: Actor, *, q: str | None, offset: int, limit: int) -> tuple[list[User], int]:
    stmt = readable_users(actor)
    if q:
        stmt = stmt.where(or_(User.username.contains(q), User.display_name.contains(q)))
    total = int(session.scalar(stmt.with_only_columns(func.count()).order_by(None)) or 0)
    return list(session.scalars(stmt.order_by(User.id).offset(offset).limit(limit))), total


def roles(session: Session) -> list[Role]:
    return list(session.scalars(select(Role).order_by(Role.id)))


def _holding(permission: str) -> Any:
    """Users holding `permission` through one of their roles."""
    return (select(UserRole.user_id).join(RolePermission, RolePermission.role_id == UserRole.role_id)
            .where(RolePermission.permission_code == permission))


def user_ids_for_departments(session: Session, department_ids: Any, permission: str | None = None) -> set[int]:
    if not department_ids:
        return set()
    stmt = select(UserScope.user_id).where(UserScope.department_id.in_(list(department_ids)))
    if permission:
        stmt = stmt.where(UserScope.user_id.in_(_holding(permission)))
    return set(session.scalars(stmt))


def user_ids_for_grids(session: Session, grid_ids: Any, permission: str | None = None) -> set[int]:
    if not grid_ids:
        return set()
    stmt = select(UserScope.user_id).where(UserScope.grid_id.in_(list(grid_ids)))
    if permission:
        stmt = stmt.where(UserScope.user_id.in_(_holding(permission)))
    return set(session.scalars(stmt))


def user_ids_over_area(session: Session, permission: str, area_path: str, max_depth: int | None) -> set[int]:
    """Users holding `permission` with an area scope containing `area_path` (its prefixes), no deeper than
    `max_depth` path segments (2 = district level) when given."""
    segments = area_path.strip("/").split("/")
    prefixes = ["/" + "/".join(segments[:i]) + "/" for i in range(1, len(segments) + 1)]
    if max_depth is not None:
        prefixes = prefixes[:max_depth]
    stmt = select(UserScope.user_id).where(UserScope.area_path.in_(prefixes),
                                           UserScope.user_id.in_(_holding(permission)))
    return set(session.scalars(stmt))


def touch(session: Session, model: Any, key_col: Any, key: Any, col: Any, now: datetime, older_than: datetime) -> None:
    """Stamp a last-used time without ever waiting: on PostgreSQL the row is taken with SKIP LOCKED, so when a
    concurrent request of the same token or session is already stamping it, this one skips (the stamp is
    approximate by design). The ORM object is not modified, so nothing is flushed later while locks are held."""
    target = select(key_col).where(key_col == key, or_(col.is_(None), col < older_than))
    if session.get_bind().dialect.name == "postgresql":
        target = target.with_for_update(skip_locked=True)
    session.execute(update(model).where(key_col.in_(target.scalar_subquery())).values({col.key: now})
                    .execution_options(synchronize_session=False))
