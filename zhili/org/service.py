"""Org use cases: browse the tree, grids and teams; look up a point; import and export grids; keep teams.

Never commits. Every read goes through the repository's scoped statements; an out-of-scope code is NotFound.
"""

from __future__ import annotations

import re
from typing import Any

import shapely
from shapely.strtree import STRtree
from sqlalchemy.orm import Session

from zhili.auth import audit
from zhili.auth.actor import Actor
from zhili.kit import clock
from zhili.kit.errors import NotFound, ValidationFailed
from zhili.kit.geo import GeoError, geojson_from_shape, shape_from_geojson
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
    MicroGrid,
)
from zhili.org.schemas import (
    AreaDetail,
    AreaRead,
    AreaRef,
    DepartmentRead,
    GridDetail,
    GridRead,
    ImportResult,
    LookupRead,
    MicroGridRead,
    TeamMemberRead,
    TeamRead,
)

CORE_ROLES = (GridRole.full_time, GridRole.part_time, GridRole.guide)
N_ROLES = (GridRole.police, GridRole.specialist, GridRole.volunteer)
GRID_CODE = re.compile(r"^\d{14,16}$")
MICRO_CODE = re.compile(r"^\d{16,20}$")
OVERLAP_TOLERANCE = 1e-10  # square degrees, about 1 m²


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


def export_grids(session: Session, actor: Actor, area_code: str | None, with_micro: bool) -> dict[str, Any]:
    actor.require("org.read")
    area_path = None
    if area_code:
        area = repository.area_by_code(session, actor, area_code)
        if area is None:
            raise NotFound(field="area")
        area_path = area.path
    grids = repository.grids_in(session, actor, area_path)
    areas = repository.areas_by_ids(session, list({g.area_id for g in grids}))
    features: list[dict[str, Any]] = []
    for g in grids:
        features.append({"type": "Feature", "geometry": g.geom, "properties": {
            "level": "grid", "code": g.code, "name": g.name, "kind": g.kind.value,
            "special_type": g.special_type, "community_code": areas[g.area_id].code}})
        if with_micro:
            for m in repository.micro_grids_of(session, g.id):
                features.append({"type": "Feature", "geometry": m.geom, "properties": {
                    "level": "micro_grid", "code": m.code, "name": m.name, "grid_code": g.code}})
    audit.record(session, "org.export_grids", detail={"area": area_code, "grids": len(grids), "micro": with_micro})
    return {"type": "FeatureCollection", "features": features}


def _problem(problems: list[tuple[str, str]], field: str, message: str) -> None:
    problems.append((field, message))


def import_grids(session: Session, actor: Actor, data: Any) -> ImportResult:
    """Create or update grids and micro-grids from a GeoJSON FeatureCollection, all or nothing.

    Refused, with every problem named, when the file is malformed, a code or division code is unknown or
    outside the actor's jurisdiction, a polygon is invalid, or grids overlap each other or existing grids.
    """
    actor.require("org.manage")
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
        data.get("features"), list
    ):
        raise ValidationFailed("GeoJSON 格式错误：顶层应为 FeatureCollection 且含 features 数组", field="file")
    problems: list[tuple[str, str]] = []
    grid_rows: list[tuple[int, dict[str, Any], shapely.Polygon | shapely.MultiPolygon, Area]] = []
    micro_rows: list[tuple[int, dict[str, Any], shapely.Polygon | shapely.MultiPolygon]] = []
    community_cache: dict[str, Area | None] = {}
    seen: set[str] = set()
    for i, feature in enumerate(data["features"]):
        where = f"features[{i}]"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            _problem(problems, where, f"第 {i + 1} 个要素不是 Feature")
            continue
        props = feature.get("properties")
        if not isinstance(props, dict):
            _problem(problems, f"{where}.properties", f"第 {i + 1} 个要素缺少 properties")
            continue
        level = props.get("level", "grid")
        code = str(props.get("code") or "")
        name = str(props.get("name") or "").strip()
        try:
            shape = shape_from_geojson(feature.get("geometry"))  # type: ignore[arg-type]
        except GeoError as exc:
            _problem(problems, f"{where}.geometry", f"第 {i + 1} 个要素（{code or '无编码'}）：{exc.message}")
            continue
        if code in seen:
            _problem(problems, f"{where}.properties.code", f"编码 {code} 在文件中重复")
            continue
        seen.add(code)
        if not name:
            _problem(problems, f"{where}.properties.name", f"第 {i + 1} 个要素缺少名称")
            continue
        if level == "grid":
            ccode = str(props.get("community_code") or "")
            if ccode not in community_cache:
                area = repository.area_by_code_unscoped(session, ccode)
                community_cache[ccode] = area if area is not None and area.level == AreaLevel.community else None
            community = community_cache[ccode]
            if community is None:
                _problem(problems, f"{where}.properties.community_code", f"未知的社区区划代码：{ccode or '（空）'}")
                continue
            if not actor.in_area(community.path):
                _problem(problems, f"{where}.properties.community_code", f"区划 {ccode} 不在您的辖区内")
                continue
            if not GRID_CODE.match(code) or not code.startswith(ccode):
                _problem(problems, f"{where}.properties.code",
                         f"网格编码 {code} 无效：应为所属社区 12 位代码加 2-4 位顺序号")
                continue
            if props.get("kind", "urban") not in GridKind.__members__:
                _problem(problems, f"{where}.properties.kind", f"网格类型 {props.get('kind')} 无效")
                continue
            grid_rows.append((i, props, shape, community))
        elif level == "micro_grid":
            gcode = str(props.get("grid_code") or "")
            if not MICRO_CODE.match(code) or not code.startswith(gcode) or not gcode:
                _problem(problems, f"{where}.properties.code", f"微网格编码 {code} 无效：应以所属网格编码开头")
                continue
            micro_rows.append((i, props, shape))
        else:
            _problem(problems, f"{where}.properties.level", f"level 应为 grid 或 micro_grid，而不是 {level}")
    if not problems:
        _check_overlaps(session, grid_rows, problems)
    existing = repository.grids_by_codes_unscoped(session, [str(p["code"]) for _, p, _, _ in grid_rows])
    file_grids = {str(p["code"]) for _, p, _, _ in grid_rows}
    micro_parents = repository.grids_by_codes_unscoped(session, [str(p["grid_code"]) for _, p, _ in micro_rows])
    for i, props, _ in micro_rows:
        gcode = str(props["grid_code"])
        if gcode not in file_grids and gcode not in micro_parents:
            _problem(problems, f"features[{i}].properties.grid_code", f"微网格所属网格 {gcode} 不存在")
        elif gcode in micro_parents and gcode not in file_grids:
            parent = micro_parents[gcode]
            if not (actor.in_area(parent.area_path)):
                _problem(problems, f"features[{i}].properties.grid_code", f"网格 {gcode} 不在您的辖区内")
    for code, g in existing.items():
        if not actor.in_area(g.area_path):
            _problem(problems, "features", f"网格 {code} 不在您的辖区内")
    if not problems:
        _check_micro_grids(grid_rows, micro_rows, micro_parents, problems)
    if problems:
        shown = "；".join(m for _, m in problems[:10])
        more = f"（另有 {len(problems) - 10} 处问题）" if len(problems) > 10 else ""
        raise ValidationFailed(f"导入未执行，发现 {len(problems)} 处问题：{shown}{more}", field=problems[0][0])
    created = updated = 0
    now = clock.now()
    micro_parent_codes = {str(p["grid_code"]) for _, p, _ in micro_rows}
    for _, props, shape, community in grid_rows:
        code = str(props["code"])
        center = shape.representative_point()
        values = dict(name=str(props["name"]).strip(), kind=GridKind(props.get("kind", "urban")),
                      special_type=props.get("special_type"), area_id=community.id, area_path=community.path,
                      geom=geojson_from_shape(shape), center_lon=round(center.x, 6), center_lat=round(center.y, 6),
                      **bbox_values(shape), updated_at=now)
        grid = existing.get(code)
        if grid is None:
            session.add(Grid(code=code, **values))
            created += 1
        else:
            for k, v in values.items():
                setattr(grid, k, v)
            updated += 1
            if code not in micro_parent_codes:
                _clip_micro_grids(session, grid.id, shape)
    session.flush()
    parents = repository.grids_by_codes_unscoped(session, list({str(p["grid_code"]) for _, p, _ in micro_rows}))
    micro_existing = {m.code: m for g in parents.values() for m in repository.micro_grids_of(session, g.id)}
    for _, props, shape in micro_rows:
        code = str(props["code"])
        m = micro_existing.get(code)
        values = dict(name=str(props["name"]).strip(), grid_id=parents[str(props["grid_code"])].id,
                      geom=geojson_from_shape(shape))
        if m is None:
            session.add(MicroGrid(code=code, **values))
        else:
            for k, v in values.items():
                setattr(m, k, v)
    repository.bump_geo_version(session)
    audit.record(session, "org.import_grids", detail={"created": created, "updated": updated,
                                                      "micro_grids": len(micro_rows)})
    return ImportResult(created=created, updated=updated, micro_grids=len(micro_rows))


def _check_overlaps(
    session: Session,
    rows: list[tuple[int, dict[str, Any], shapely.Polygon | shapely.MultiPolygon, Area]],
    problems: list[tuple[str, str]],
) -> None:
    if not rows:
        return
    shapes = [s for _, _, s, _ in rows]
    codes = [str(p["code"]) for _, p, _, _ in rows]
    tree = STRtree(shapes)
    left, right = tree.query(shapes, predicate="intersects")
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        if a < b and shapes[a].intersection(shapes[b]).area > OVERLAP_TOLERANCE:
            _problem(problems, f"features[{rows[a][0]}].geometry", f"网格 {codes[a]} 与 {codes[b]} 重叠")
    replacing = set(codes)
    others = [(g.code, shape_from_geojson(g.geom)) for g in _grids_near(session, shapely.union_all(shapes).bounds)
              if g.code not in replacing]
    if not others:
        return
    other_tree = STRtree([s for _, s in others])
    left, right = other_tree.query(shapes, predicate="intersects")
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        if shapes[a].intersection(others[b][1]).area > OVERLAP_TOLERANCE:
            _problem(problems, f"features[{rows[a][0]}].geometry", f"网格 {codes[a]} 与已有网格 {others[b][0]} 重叠")


def bbox_values(shape: shapely.Polygon | shapely.MultiPolygon) -> dict[str, float]:
    minx, miny, maxx, maxy = shape.bounds
    return {"min_lon": minx, "min_lat": miny, "max_lon": maxx, "max_lat": maxy}


def _check_micro_grids(
    grid_rows: list[tuple[int, dict[str, Any], shapely.Polygon | shapely.MultiPolygon, Area]],
    micro_rows: list[tuple[int, dict[str, Any], shapely.Polygon | shapely.MultiPolygon]],
    existing_parents: dict[str, Grid],
    problems: list[tuple[str, str]],
) -> None:
    """Each micro-grid lies inside its grid (as it will be after the import) and micro-grids do not overlap."""
    outlines: dict[str, shapely.Polygon | shapely.MultiPolygon] = {str(p["code"]): s for _, p, s, _ in grid_rows}
    for code, grid in existing_parents.items():
        outlines.setdefault(code, shape_from_geojson(grid.geom))
    for i, props, shape in micro_rows:
        outline = outlines.get(str(props["grid_code"]))
        if outline is not None and shape.difference(outline).area > OVERLAP_TOLERANCE:
            _problem(problems, f"features[{i}].geometry", f"微网格 {props['code']} 超出所属网格 {props['grid_code']} 的范围")
    shapes = [s for _, _, s in micro_rows]
    if len(shapes) > 1:
        left, right = STRtree(shapes).query(shapes, predicate="intersects")
        for a, b in zip(left.tolist(), right.tolist(), strict=True):
            if a < b and shapes[a].intersection(shapes[b]).area > OVERLAP_TOLERANCE:
                _problem(problems, f"features[{micro_rows[a][0]}].geometry",
                         f"微网格 {micro_rows[a][1]['code']} 与 {micro_rows[b][1]['code']} 重叠")


def _clip_micro_grids(session: Session, grid_id: int, outline: shapely.Polygon | shapely.MultiPolygon) -> None:
    """A grid redrawn without its micro-grids: keep each old micro-grid's part inside the new outline, drop the
    rest, so no micro-grid points outside its grid (uncovered parts resolve to the grid itself)."""
    for micro in repository.micro_grids_of(session, grid_id):
        clipped = shape_from_geojson(micro.geom).intersection(outline)
        polygons = [g for g in getattr(clipped, "geoms", [clipped]) if g.geom_type == "Polygon" and g.area > 0]
        if not polygons or sum(p.area for p in polygons) <= OVERLAP_TOLERANCE:
            session.delete(micro)
            continue
        merged = polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)
        micro.geom = geojson_from_shape(merged)


def _grids_near(session: Session, bounds: tuple[float, float, float, float]) -> list[Grid]:
    return repository.grids_in_bbox_unscoped(session, bounds)


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
