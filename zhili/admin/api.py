"""User administration JSON routes."""

from __future__ import annotations

from fastapi import APIRouter, Query

from zhili.admin import service
from zhili.admin.schemas import RoleRead, UserCreate, UserRead
from zhili.auth.deps import CurrentActor
from zhili.kit.pagination import Page
from zhili.web.deps import DbSession

router = APIRouter(prefix="/api/admin", tags=["admin"])


@router.get("/users", response_model=Page[UserRead])
def users(actor: CurrentActor, session: DbSession, q: str | None = Query(default=None, max_length=64),
          offset: int = Query(default=0, ge=0, le=10_000_000), limit: int = Query(default=50, ge=1, le=500),
          ) -> Page[UserRead]:
    items, total = service.list_users(session, actor, q=q, offset=offset, limit=limit)
    return Page[UserRead](items=items, total=total, offset=offset, limit=limit)


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(body: UserCreate, actor: CurrentActor, session: DbSession) -> UserRead:
    return service.create_user(session, actor, body)


@router.get("/roles", response_model=list[RoleRead])
def roles(actor: CurrentActor, session: DbSession) -> list[RoleRead]:
    """The roles this administrator may grant."""
    return service.assignable_roles(session, actor)
