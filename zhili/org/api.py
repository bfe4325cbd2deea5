"""Org JSON routes: the area tree, grids and teams, point lookup, departments, GeoJSON import/export."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, Response, UploadFile

from zhili.auth.deps import CurrentActor
from zhili.kit.errors import ValidationFailed
from zhili.kit.pagination import MAX_ID, Page
from zhili.org import grid_files, service
from zhili.org.schemas import (
    AreaDetail,
    AreaRead,
    DepartmentRead,
    GridDetail,
    GridRead,
    ImportResult,
    LookupRead,
    RevealRequest,
    TeamMemberCreate,
    TeamMemberRead,
    TeamRead,
)
from zhili.web.deps import AppSettings, DbSession

router = APIRouter(prefix="/api/org", tags=["org"])
MemberId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _code() -> Any:
    """A fresh Query per parameter: FastAPI binds a Query object to the first parameter that uses it."""
    return Query(default=None, max_length=20, pattern=r"^\d{1,20}$")


MAX_UPLOAD = 50 * 1024 * 1024


@router.get("/areas", response_model=list[AreaRead])
def areas(actor: CurrentActor, session: DbSession, parent: str | None = _code()) -> list[AreaRead]:
    """Children of `parent`, or the actor's top areas."""
    return service.list_areas(session, actor, parent)


@router.get("/areas/{code}", response_model=AreaDetail)
def area(code: str, actor: CurrentActor, session: DbSession) -> AreaDetail:
    return service.area_detail(session, actor, code)


@router.get("/grids", response_model=Page[GridRead])
def grids(
    actor: CurrentActor, session: DbSession, area: str | None = _code(),
    kind: str | None = Query(default=None, max_length=10), q: str | None = Query(default=None, max_length=50),
    offset: int = Query(default=0, ge=0, le=10_000_000), limit: int = Query(default=50, ge=1, le=500),
) -> Page[GridRead]:
    items, total = service.list_grids(session, actor, area_code=area, kind=kind, q=q, offset=offset, limit=limit)
    return Page[GridRead](items=items, total=total, offset=offset, limit=limit)


@router.get("/grids/{code}", response_model=GridDetail)
def grid(code: str, actor: CurrentActor, session: DbSession) -> GridDetail:
    return service.grid_detail(session, actor, code)


@router.get("/grids/{code}/team", response_model=TeamRead)
def team(code: str, actor: CurrentActor, session: DbSession) -> TeamRead:
    return service.grid_team(session, actor, code)


@router.post("/grids/{code}/team", response_model=TeamMemberRead, status_code=201)
def add_member(code: str, body: TeamMemberCreate, actor: CurrentActor, session: DbSession) -> TeamMemberRead:
    return service.add_member(session, actor, code, body.staff_id, body.role)


@router.delete("/grids/{code}/team/{member_id}", status_code=204)
def remove_member(code: str, member_id: MemberId, actor: CurrentActor, session: DbSession) -> Response:
    service.remove_member(session, actor, code, member_id)
    return Response(status_code=204)


@router.post("/grids/{code}/team/{member_id}/reveal", response_model=dict[str, str | None])
def reveal(code: str, member_id: MemberId, body: RevealRequest, actor: CurrentActor,
           session: DbSession) -> dict[str, str | None]:
    """The unmasked phone number; needs pii.reveal and a reason, and is written to the audit log."""
    return {"phone": service.reveal_member_phone(session, actor, code, member_id, body.reason)}


@router.get("/lookup", response_model=LookupRead)
def lookup(actor: CurrentActor, session: DbSession, settings: AppSettings,
           lon: float = Query(ge=-180, le=180), lat: float = Query(ge=-90, le=90)) -> LookupRead:
    return service.lookup(session, actor, lon, lat, settings.geo_refresh_seconds)


@router.get("/departments", response_model=list[DepartmentRead])
def departments(actor: CurrentActor, session: DbSession) -> list[DepartmentRead]:
    return service.list_departments(session, actor)


@router.get("/map/{level}.geojson")
def map_layer(level: str, actor: CurrentActor, session: DbSession, area: str | None = _code()) -> dict[str, Any]:
    return service.map_layer(session, actor, area, level)


@router.get("/export/grids.geojson", response_class=Response,
            responses={200: {"content": {"application/geo+json": {}}}})
def export(actor: CurrentActor, session: DbSession, area: str | None = _code(),
           micro: bool = Query(default=False)) -> Response:
    data = grid_files.export_grids(session, actor, area, micro)
    return Response(json.dumps(data, ensure_ascii=False), media_type="application/geo+json",
                    headers={"Content-Disposition": 'attachment; filename="grids.geojson"'})


@router.post("/import/grids", response_model=ImportResult)
def import_grids(actor: CurrentActor, session: DbSession, file: UploadFile = File(...)) -> ImportResult:
    raw = file.file.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise ValidationFailed("文件超过 50 MB", field="file")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(f"GeoJSON 无法解析：{exc}", field="file") from exc
    return grid_files.import_grids(session, actor, data)
