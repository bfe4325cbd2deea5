from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    totp_code: str | None = Field(default=None, max_length=10, description="required for roles with a second factor")
    name: str = Field(default="api", max_length=64)


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_at: datetime


class ScopeRead(BaseModel):
    area_path: str | None
    department_id: int | None
    grid_id: int | None


class MeRead(BaseModel):
    id: int
    username: str
    display_name: str
    roles: list[str]
    permissions: list[str]
    terminals: list[str]
    scopes: list[ScopeRead]


class AuditRead(BaseModel):
    seq: int
    at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    entity_type: str | None
    entity_id: str | None
    detail: dict[str, Any]
    ip: str | None
    hash: str


class AuditVerifyRead(BaseModel):
    ok: bool
    checked: int
    bad_seq: int | None
    reason: str
