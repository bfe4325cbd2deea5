"""Who is acting: the user, what they may do, and where (their jurisdiction). Built once per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from zhili.kit.errors import Forbidden

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    display_name: str
    roles: frozenset[str] = frozenset()
    permissions: frozenset[str] = frozenset()
    terminals: tuple[str, ...] = ()
    # Jurisdiction: area subtrees by materialized path, departments, single grids. Empty = sees nothing.
    area_paths: tuple[str, ...] = ()
    department_ids: frozenset[int] = frozenset()
    grid_ids: frozenset[int] = frozenset()
    requires_mfa: bool = False
    via: str = field(default="session")  # session / token / system

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        """Raise 403 when the permission is missing; the denial is audited even though the request rolls back."""
        if permission not in self.permissions:
            from zhili.auth import audit  # audit imports models only; kept local so Actor stays import-light

            def persist(session: Session) -> None:
                audit.record(session, "auth.denied", detail={"permission": permission},
                             actor_id=self.user_id, actor_name=self.username)

            raise Forbidden("您没有此操作的权限", code="forbidden", on_rollback=persist)

    def in_area(self, path: str | None) -> bool:
        """True when `path` lies in one of the actor's area subtrees."""
        return bool(path) and any(path.startswith(p) for p in self.area_paths)  # type: ignore[union-attr]


def system_actor() -> Actor:
    """The platform itself (CLI, jobs): every permission, the whole tree. Never bound to a web request."""
    from zhili.auth.roles import PERMISSIONS

    return Actor(user_id=0, username="system", display_name="系统", permissions=frozenset(PERMISSIONS),
                 area_paths=("/",), via="system")
