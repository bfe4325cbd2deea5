"""API shapes of org. Never ORM objects out of the API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AreaRef(BaseModel):
    code: str
    name: str


class AreaRead(BaseModel):
    code: str = Field(examples=["330212001005"])
    name: str
    short_name: str
    level: str
    level_label: str
    parent_code: str | None
    children: int = 0
    grids: int = 0


class AreaDetail(AreaRead):
    ancestors: list[AreaRef]


class MicroGridRead(BaseModel):
    code: str
    name: str


class GridRead(BaseModel):
    code: str
    name: str
    kind: str
    kind_label: str
    special_type: str | None
    community: AreaRef
    center: tuple[float, float]


class GridDetail(GridRead):
    street: AreaRef | None
    micro_grids: list[MicroGridRead]


class TeamMemberRead(BaseModel):
    id: int
    role: str
    role_label: str
    name: str
    title: str | None
    phone: str | None = Field(description="masked unless the viewer holds pii.reveal and asked to reveal")


class TeamRead(BaseModel):
    grid: str
    members: list[TeamMemberRead]
    complete: bool = Field(description="1+3+N: one leader, the three core roles, at least one of the N")
    missing: list[str]


class LookupRead(BaseModel):
    lon: float
    lat: float
    micro_grid: MicroGridRead | None
    grid: GridRead
    community: AreaRef
    street: AreaRef | None


class DepartmentRead(BaseModel):
    code: str
    name: str
    short_name: str
    kind: str
    area: AreaRef


class ImportResult(BaseModel):
    created: int
    updated: int
    micro_grids: int


class TeamMemberCreate(BaseModel):
    staff_id: int = Field(gt=0, le=2**31 - 1)
    role: str


class RevealRequest(BaseModel):
    reason: str = Field(min_length=4, max_length=200)
