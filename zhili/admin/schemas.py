from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ScopeLabel(BaseModel):
    kind: str  # area / department / grid
    code: str
    name: str


class UserRead(BaseModel):
    id: int
    username: str
    display_name: str
    phone: str | None = Field(description="masked")
    roles: list[str]
    scopes: list[ScopeLabel]
    is_active: bool
    locked: bool
    last_login_at: datetime | None


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    display_name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    roles: list[str] = Field(min_length=1, max_length=10)
    area_codes: list[str] = Field(default_factory=list, max_length=20)
    department_codes: list[str] = Field(default_factory=list, max_length=20)
    grid_codes: list[str] = Field(default_factory=list, max_length=50)


class RoleRead(BaseModel):
    code: str
    name: str
    terminal: str
    requires_mfa: bool
