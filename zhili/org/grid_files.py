"""Grid files: GeoJSON export, and import of grids and micro-grids, all or nothing.

Never commits. Everything a file could get wrong is gathered and reported at once (up to ten, with the field of
the first), before anything is written.
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
from zhili.kit.geojson import GeoError, geojson_from_shape, shape_from_geojson
from zhili.org import repository
from zhili.org.models import Area, AreaLevel, Grid, GridKind, MicroGrid
from zhili.org.schemas import ImportResult

GRID_CODE = re.compile(r"^\d{14,16}$")
MICRO_CODE = re.compile(r"^\d{16,20}$")
OVERLAP_TOLERANCE = 1e-10  # square degrees, about 1 m²


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
