"""Org use cases: browse the tree, grids and teams; look up a point; import and export grids; keep teams.

Never commits. Every read goes through the repository's scoped statements; an out-of-scope code is NotFound.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhili.auth import audit
from zhili.auth.actor import Actor
from zhili.kit.errors import NotFound, ValidationFailed
from zhili.kit.masking import mask_phone
from zhili.org import repository, spatial
from zhili.org.models import (
    GRID_KIND_LABEL,
    GRID_ROLE_LABEL,
    LEVEL_LABEL,
    Area,
    AreaLevel,
    Grid,
    GridKind,
    GridMember,
    GridRole,
)
from zhili.org.schemas import (
    AreaDetail,
    AreaRead,
    AreaRef,
    DepartmentRead,
    GridDetail,
    GridRead,
    LookupRead,
    MicroGridRead,
    TeamMemberRead,
    TeamRead,
)

CORE_ROLES = (GridRole.full_time, GridRole.part_time, GridRole.guide)
N_ROLES = (GridRole.police, GridRole.specialist, GridRole.volunteer)


def _area_read(area: Area, children: int = 0, grids: int = 0) -> AreaRead:
    parent_code = area.path.strip("/").split("/")[-2] if area.parent_id else None
    return AreaRead(code=area.code, name=area.name, short_name=area.short_name, level=area.level.value,
                    level_label=LEVEL_LABEL[area.level], parent_code=parent_code, children=children, grids=grids)


def list_areas(session: Session, actor: Actor, parent_code: str | None) -> list[AreaRead]:
    actor.require("org.read")
    if parent_code:
        parent = repository.area_by_code(session, actor, parent_code)
        if parent is None:
            raise NotFound(field="parent")
        areas = repository.child_areas(session, actor, parent.id)
    else:
        areas = repository.top_areas(session, actor)
    counts = repository.count_children(session, [a.id for a in areas])
    return [_area_read(a, counts.get(a.id, 0), repository.count_grids_under(session, actor, a)) for a in areas]


def area_detail(session: Session, actor: Actor, code: str) -> AreaDetail:
    actor.require("org.read")
    area = repository.area_by_code(session, actor, code)
    if area is None:
        raise NotFound()
    base = _area_read(area, repository.count_children(session, [area.id]).get(area.id, 0),
                      repository.count_grids_under(session, actor, area))
    ancestors = [AreaRef(code=a.code, name=a.name) for a in repository.ancestors(session, area)]
    return AreaDetail(**base.model_dump(), ancestors=ancestors)


def _grid_read(grid: Grid, community: Area) -> GridRead:
    return GridRead(code=grid.code, name=grid.name, kind=grid.kind.value, kind_label=GRID_KIND_LABEL[grid.kind],
                    special_type=grid.special_type, community=AreaRef(code=community.code, name=community.name),
                    center=(grid.center_lon, grid.center_lat))


def list_grids(
    session: Session, actor: Actor, *, area_code: str | None, kind: str | None, q: str | None, offset: int,
    limit: int,
) -> tuple[list[GridRead], int]:
    actor.require("org.read")
    area_path = None
    if area_code:
        area = repository.area_by_code(session, actor, area_code)
        if area is None:
            raise NotFound(field="area")
        area_path = area.path
    if kind is not None and kind not in GridKind.__members__:
        raise ValidationFailed("网格类型应为 urban、rural 或 special", field="kind")
    grids, total = repository.grids_page(session, actor, area_path=area_path, kind=kind, q=q, offset=offset,
                                         limit=limit)
    areas = repository.areas_by_ids(session, list({g.area_id for g in grids}))
    return [_grid_read(g, areas[g.area_id]) for g in grids], total


def _readable_grid(session: Session, actor: Actor, code: str) -> Grid:
    actor.require("org.read")
    grid = repository.grid_by_code(session, actor, code)
    if grid is None:
        raise NotFound()
    return grid


def grid_detail(session: Session, actor: Actor, code: str) -> GridDetail:
    grid = _readable_grid(session, actor, code)
    path_areas = {a.level: a for a in repository.areas_on_path(session, grid.area_path)}
    community = path_areas[AreaLevel.community]
    street = path_areas.get(AreaLevel.street)
    micro = [MicroGridRead(code=m.code, name=m.name) for m in repository.micro_grids_of(session, grid.id)]
    return GridDetail(**_grid_read(grid, community).model_dump(), micro_grids=micro,
                      street=AreaRef(code=street.code, name=street.name) if street else None)


def grid_team(session: Session, actor: Actor, code: str) -> TeamRead:
    grid = _readable_grid(session, actor, code)
    actor.require("staff.read")
    rows = repository.team_of(session, grid.id)
    members = [
        TeamMemberRead(id=m.id, role=m.role.value, role_label=GRID_ROLE_LABEL[m.role], name=s.name, title=s.title,
                       phone=mask_phone(s.phone))
        for m, s in rows
    ]
    roles = [m.role for m, _ in rows]
    missing = []
    if roles.count(GridRole.leader) != 1:
        missing.append(GRID_ROLE_LABEL[GridRole.leader])
    missing += [GRID_ROLE_LABEL[r] for r in CORE_ROLES if r not in roles]
    if not any(r in roles for r in N_ROLES):
        missing.append("专业力量或志愿者")
    return TeamRead(grid=grid.code, members=members, complete=not missing, missing=missing)


def reveal_member_phone(session: Session, actor: Actor, code: str, member_id: int, reason: str) -> str | None:
    """The unmasked phone of a team member, for holders of pii.reveal, with the reason written to the audit log."""
    grid = _readable_grid(session, actor, code)
    actor.require("pii.reveal")
    m = repository.member(session, grid.id, member_id)
    if m is None:
        raise NotFound()
    staff = repository.staff_by_id(session, m.staff_id)
    assert staff is not None
    audit.record(session, "pii.reveal", entity_type="staff", entity_id=staff.id,
                 detail={"field": "phone", "reason": reason, "grid": grid.code})
    return staff.phone


def add_member(session: Session, actor: Actor, code: str, staff_id: int, role: str) -> TeamMemberRead:
    grid = _readable_grid(session, actor, code)
    actor.require("org.manage")
    if role not in GridRole.__members__:
        raise ValidationFailed("网格角色无效", field="role")
    staff = repository.staff_by_id(session, staff_id)
    if staff is None:
        raise ValidationFailed("人员不存在", field="staff_id")
    grid_role = GridRole(role)
    existing = repository.team_of(session, grid.id)
    if any(m.staff_id == staff_id and m.role == grid_role for m, _ in existing):
        raise ValidationFailed("该人员已担任此角色", field="staff_id")
    if grid_role == GridRole.leader and any(m.role == GridRole.leader for m, _ in existing):
        raise ValidationFailed("每个网格只有一名网格长，请先移除现任网格长", field="role")
    member = GridMember(grid_id=grid.id, staff_id=staff_id, role=grid_role)
    session.add(member)
    session.flush()
    return TeamMemberRead(id=member.id, role=role, role_label=GRID_ROLE_LABEL[grid_role], name=staff.name,
                          title=staff.title, phone=mask_phone(staff.phone))


def remove_member(session: Session, actor: Actor, code: str, member_id: int) -> None:
    grid = _readable_grid(session, actor, code)
    actor.require("org.manage")
    member = repository.member(session, grid.id, member_id)
    if member is None:
        raise NotFound()
    session.delete(member)
    session.flush()


def lookup(session: Session, actor: Actor, lon: float, lat: float, refresh_seconds: float = 5.0) -> LookupRead:
    """The micro-grid, grid, community and street at a point, if the point lies inside the actor's jurisdiction."""
    actor.require("org.read")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationFailed("经纬度超出范围", field="lon")
    loc = spatial.current_index(session, refresh_seconds).locate(lon, lat)
    if loc is None:
        raise NotFound("该位置不在任何网格内", field="lon")
    grid = repository.grid_by_id(session, actor, loc.grid_id)
    if grid is None:
        raise NotFound("该位置不在您的辖区内", field="lon")
    path_areas = {a.level: a for a in repository.areas_on_path(session, grid.area_path)}
    community = path_areas[AreaLevel.community]
    street = path_areas.get(AreaLevel.street)
    micro = None
    if loc.micro_grid_id is not None:
        names = repository.micro_grid_names(session, [loc.micro_grid_id])
        code, name = names[loc.micro_grid_id]
        micro = MicroGridRead(code=code, name=name)
    return LookupRead(lon=lon, lat=lat, micro_grid=micro, grid=_grid_read(grid, community),
                      community=AreaRef(code=community.code, name=community.name),
                      street=AreaRef(code=street.code, name=street.name) if street else None)


def list_departments(session: Session, actor: Actor) -> list[DepartmentRead]:
    actor.require("org.read")
    depts = repository.departments(session, actor)
    areas = repository.areas_by_ids(session, list({d.area_id for d in depts}))
    return [
        DepartmentRead(code=d.code, name=d.name, short_name=d.short_name, kind=d.kind.value,
                       area=AreaRef(code=areas[d.area_id].code, name=areas[d.area_id].name))
        for d in depts
    ]


# ---- GeoJSON -------------------------------------------------------------------------------------------------

def map_layer(session: Session, actor: Actor, area_code: str | None, level: str) -> dict[str, Any]:
    """A FeatureCollection for the map: areas of one level, or grids, inside the actor's jurisdiction."""
    actor.require("map.view")
    area_path = None
    if area_code:
        area = repository.area_by_code(session, actor, area_code)
        if area is None:
            raise NotFound(field="area")
        area_path = area.path
    features: list[dict[str, Any]] = []
    if level == "grid":
        for g in repository.grids_in(session, actor, area_path):
            features.append({"type": "Feature", "geometry": g.geom,
                             "properties": {"code": g.code, "name": g.name, "kind": g.kind.value,
                                            "kind_label": GRID_KIND_LABEL[g.kind]}})
    elif level in ("street", "community", "district"):
        for a in repository.areas_at_level(session, actor, AreaLevel(level)):
            if a.geom and (area_path is None or a.path.startswith(area_path)):
                features.append({"type": "Feature", "geometry": a.geom,
                                 "properties": {"code": a.code, "name": a.name, "level": a.level.value}})
    else:
        raise ValidationFailed("图层应为 district、street、community 或 grid", field="level")
    return {"type": "FeatureCollection", "features": features}


def resident_grid_team(session: Session, actor: Actor) -> list[tuple[GridRead, list[TeamMemberRead]]]:
    """A resident's own grid(s) and who serves them: names and roles, phones masked. Only the actor's grids."""
    actor.require("service.use")
    out: list[tuple[GridRead, list[TeamMemberRead]]] = []
    for grid_id in sorted(actor.grid_ids):
        grid = repository.grid_by_id_unscoped(session, grid_id)
        if grid is None:
            continue
        community = repository.areas_by_ids(session, [grid.area_id])[grid.area_id]
        members = [
            TeamMemberRead(id=m.id, role=m.role.value, role_label=GRID_ROLE_LABEL[m.role], name=s.name,
                           title=s.title, phone=mask_phone(s.phone))
            for m, s in repository.team_of(session, grid.id)
        ]
        out.append((_grid_read(grid, community), members))
    return out


# ---- for other domains: locating points and naming things by id ------------------------------------------------

def locate(session: Session, lon: float, lat: float, refresh_seconds: float = 5.0) -> spatial.Location | None:
    """The micro-grid, grid and community at a point (no jurisdiction check: intake places any point)."""
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return spatial.current_index(session, refresh_seconds).locate(lon, lat)


def grid_refs(session: Session, ids: set[int] | list[int]) -> dict[int, tuple[str, str]]:
    return repository.grid_refs(session, list(ids))


def area_refs_on_paths(session: Session, paths: set[str]) -> dict[str, tuple[str, str]]:
    """(code, name) of every area on the given materialized paths, keyed by code."""
    codes = {c for p in paths for c in p.strip("/").split("/") if c}
    return repository.area_refs_by_codes(session, sorted(codes))


def department_refs(session: Session, ids: set[int] | list[int]) -> dict[int, tuple[str, str]]:
    return repository.department_refs(session, [i for i in ids if i is not None])


def department_id_by_code(session: Session, code: str) -> int | None:
    return repository.department_id_by_code(session, code)


def micro_grid_ref(session: Session, micro_id: int) -> tuple[str, str] | None:
    return repository.micro_grid_ref(session, micro_id)


def area_path_for(session: Session, actor: Actor, code: str) -> str | None:
    """The path of an area the actor may see (area scope), else None."""
    area = repository.area_by_code_unscoped(session, code)
    if area is None or not (actor.in_area(area.path) or any(p.startswith(area.path) for p in actor.area_paths)):
        return None
    return area.path
