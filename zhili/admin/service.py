"""User administration: list the users of one's jurisdiction, create users with roles and scopes, unlock.

An administrator can grant only what they hold: scopes inside their own jurisdiction, and roles whose
permissions are all theirs. Never commits.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from zhili.admin.schemas import RoleRead, ScopeLabel, UserCreate, UserRead
from zhili.auth import repository as auth_repository
from zhili.auth import service as auth_service
from zhili.auth.actor import Actor
from zhili.auth.models import User
from zhili.auth.service import ScopeSpec
from zhili.kit import clock
from zhili.kit.errors import ValidationFailed
from zhili.kit.masking import mask_phone
from zhili.org import repository as org_repository

MOBILE = re.compile(r"^1[3-9]\d{9}$")


def _read(session: Session, user: User) -> UserRead:
    scopes = auth_repository.user_scopes(session, user.id)
    areas = org_repository.areas_by_ids(session, [s.area_id for s in scopes if s.area_id])
    grids = org_repository.grid_names(session, [s.grid_id for s in scopes if s.grid_id])
    depts = org_repository.department_names(session, [s.department_id for s in scopes if s.department_id])
    labels: list[ScopeLabel] = []
    for s in scopes:
        if s.area_id and s.area_id in areas:
            labels.append(ScopeLabel(kind="area", code=areas[s.area_id].code, name=areas[s.area_id].name))
        if s.department_id and s.department_id in depts:
            code, name = depts[s.department_id]
            labels.append(ScopeLabel(kind="department", code=code, name=name))
        if s.grid_id and s.grid_id in grids:
            code, name, _ = grids[s.grid_id]
            labels.append(ScopeLabel(kind="grid", code=code, name=name))
    locked = user.locked_until is not None and user.locked_until > clock.now()
    return UserRead(id=user.id, username=user.username, display_name=user.display_name, phone=mask_phone(user.phone),
                    roles=auth_repository.user_role_codes(session, user.id), scopes=labels,
                    is_active=user.is_active, locked=locked, last_login_at=user.last_login_at)


def list_users(session: Session, actor: Actor, *, q: str | None, offset: int, limit: int) -> tuple[list[UserRead], int]:
    actor.require("users.manage")
    users, total = auth_repository.users_page(session, actor, q=q, offset=offset, limit=limit)
    return [_read(session, u) for u in users], total


def assignable_roles(session: Session, actor: Actor) -> list[RoleRead]:
    actor.require("users.manage")
    out = []
    for role in auth_repository.roles(session):
        if auth_repository.role_permissions(session, role.id) <= actor.permissions:
            out.append(RoleRead(code=role.code, name=role.name, terminal=role.terminal, requires_mfa=role.requires_mfa))
    return out


def create_user(session: Session, actor: Actor, body: UserCreate) -> UserRead:
    actor.require("users.manage")
    for code in body.roles:
        role = auth_repository.role_by_code(session, code)
        if role is None:
            raise ValidationFailed(f"角色不存在：{code}", field="roles")
        if not auth_repository.role_permissions(session, role.id) <= actor.permissions:
            raise ValidationFailed(f"不能授予超出您自身权限的角色：{role.name}", field="roles")
    scopes: list[ScopeSpec] = []
    for code in body.area_codes:
        area = org_repository.area_by_code(session, actor, code.strip())
        if area is None or not actor.in_area(area.path):
            raise ValidationFailed(f"区划 {code} 不存在或不在您的辖区内", field="area_codes")
        scopes.append(ScopeSpec(area_id=area.id, area_path=area.path))
    for code in body.department_codes:
        dept = org_repository.department_by_code(session, actor, code.strip())
        if dept is None or not actor.in_area(dept.area_path):
            raise ValidationFailed(f"部门 {code} 不存在或不在您的辖区内", field="department_codes")
        scopes.append(ScopeSpec(department_id=dept.id))
    for code in body.grid_codes:
        grid = org_repository.grid_by_code(session, actor, code.strip())
        if grid is None or not actor.in_area(grid.area_path):
            raise ValidationFailed(f"网格 {code} 不存在或不在您的辖区内", field="grid_codes")
        scopes.append(ScopeSpec(grid_id=grid.id))
    if not scopes:
        raise ValidationFailed("至少指定一个辖区（区划、部门或网格）", field="area_codes")
    phone = (body.phone or "").strip() or None
    if phone is not None and not MOBILE.match(phone):
        raise ValidationFailed("手机号码应为 11 位，以 1 开头", field="phone")
    user = auth_service.create_user(session, username=body.username, display_name=body.display_name.strip(),
                                    password=body.password, roles=body.roles, scopes=scopes, phone=phone)
    return _read(session, user)
