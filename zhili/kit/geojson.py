"""GeoJSON polygons in and out, validated with errors named in Chinese, and tiling checks. Pure: no database."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping

__all__ = ["GeoError", "check_tiling", "geojson_from_shape", "shape_from_geojson"]


class GeoError(ValueError):
    """Invalid geometry input: ``message`` is Chinese, user-facing; ``field`` is the GeoJSON path at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --------------------------------------------------------------------------------------------------------
# GeoJSON
# --------------------------------------------------------------------------------------------------------

_REASONS = (
    ("Ring Self-intersection", "环自相交"),
    ("Self-intersection", "边界自相交"),
    ("Hole lies outside shell", "内环（洞）位于外环之外"),
    ("Holes are nested", "内环相互嵌套"),
    ("Interior is disconnected", "内部不连通（内环把多边形分割开了）"),
    ("Nested shells", "多个外环相互嵌套或重叠"),
    ("Duplicate Rings", "存在重复的环"),
    ("Too few points", "点数过少，无法构成多边形"),
    ("Invalid Coordinate", "坐标无效"),
    ("Ring is not closed", "环未闭合"),
)


def _reason_zh(reason: str) -> str:
    """Translate a GEOS ``is_valid_reason`` such as 'Self-intersection[121.5 29.8]' into Chinese."""
    text, where = reason, ""
    if "[" in reason and reason.endswith("]"):
        text, _, loc = reason[:-1].partition("[")
        nums = loc.split()
        if len(nums) >= 2:
            where = f"（位置约 {nums[0]}, {nums[1]}）"
    for en, zh in _REASONS:
        if text.strip().startswith(en):
            return zh + where
    return f"几何无效：{reason}"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _ring(ring: object, field: str) -> list[tuple[float, float]]:
    if not isinstance(ring, list | tuple):
        raise GeoError("环必须是坐标点数组", field)
    points: list[tuple[float, float]] = []
    for k, pos in enumerate(ring):
        where = f"{field}[{k}]"
        if not isinstance(pos, list | tuple) or len(pos) not in (2, 3) or not all(_is_number(c) for c in pos):
            raise GeoError("坐标点必须是 [经度, 纬度] 形式的数字数组", where)
        lon, lat = float(pos[0]), float(pos[1])
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise GeoError("坐标不能是无穷大或 NaN", where)
        if not -180.0 <= lon <= 180.0:
            raise GeoError(f"经度 {lon} 超出范围 [-180, 180]（坐标顺序应为 [经度, 纬度]）", where)
        if not -90.0 <= lat <= 90.0:
            raise GeoError(f"纬度 {lat} 超出范围 [-90, 90]（坐标顺序应为 [经度, 纬度]）", where)
        points.append((lon, lat))
    if len(points) < 4:
        raise GeoError(f"环至少需要 4 个点（首尾为同一点的闭合环），实际只有 {len(points)} 个", field)
    if points[0] != points[-1]:
        raise GeoError(f"环未闭合：首点 {list(points[0])} 与末点 {list(points[-1])} 不同", field)
    return points


def _polygon(rings: object, field: str) -> Polygon:
    if not isinstance(rings, list | tuple):
        raise GeoError("多边形坐标必须是环的数组", field)
    if not rings:
        raise GeoError("多边形至少需要一个外环", field)
    parsed = [_ring(r, f"{field}[{k}]") for k, r in enumerate(rings)]
    poly = Polygon(parsed[0], parsed[1:])
    if not poly.is_valid:
        raise GeoError(_reason_zh(shapely.is_valid_reason(poly)), field)
    if poly.area <= 0:
        raise GeoError("多边形面积为零（所有点共线）", field)
    return poly


def shape_from_geojson(geometry: dict[str, Any]) -> Polygon | MultiPolygon:
    """Parse and validate a GeoJSON Polygon / MultiPolygon geometry (lon/lat WGS84).

    Raises GeoError naming the problem (Chinese) and the field at fault, e.g. ``coordinates[0]``.
    """
    if not isinstance(geometry, dict):
        raise GeoError("几何必须是 GeoJSON 对象（包含 type 与 coordinates）", "geometry")
    gtype = geometry.get("type")
    if gtype is None:
        raise GeoError("缺少 type 字段", "type")
    if gtype in ("Feature", "FeatureCollection"):
        raise GeoError(f"需要几何对象而不是 {gtype}：请传入 Feature 的 geometry 部分", "type")
    if gtype not in ("Polygon", "MultiPolygon"):
        raise GeoError(f"不支持的几何类型「{gtype}」，只接受 Polygon 或 MultiPolygon", "type")
    if "coordinates" not in geometry:
        raise GeoError("缺少 coordinates 字段", "coordinates")
    coordinates = geometry["coordinates"]
    if not isinstance(coordinates, list | tuple):
        raise GeoError("coordinates 必须是数组", "coordinates")
    if gtype == "Polygon":
        return _polygon(coordinates, "coordinates")
    if not coordinates:
        raise GeoError("MultiPolygon 至少需要一个多边形", "coordinates")
    multi = MultiPolygon([_polygon(p, f"coordinates[{k}]") for k, p in enumerate(coordinates)])
    if not multi.is_valid:
        raise GeoError(_reason_zh(shapely.is_valid_reason(multi)) + "（各部分不能重叠）", "coordinates")
    return multi


def _listify(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_listify(v) for v in value]
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    return value


def geojson_from_shape(shape: Any) -> dict[str, Any]:
    """GeoJSON geometry dict (lists, JSON-ready).  Polygons follow RFC 7946: exterior counter-clockwise."""
    if isinstance(shape, Polygon | MultiPolygon):
        shape = shapely.orient_polygons(shape)
    result: dict[str, Any] = _listify(mapping(shape))
    return result


# --------------------------------------------------------------------------------------------------------
# Tiling check (used by the GeoJSON grid importer)
# --------------------------------------------------------------------------------------------------------

_M_PER_DEG = 111_320.0


def _approx_m2(geom: Any) -> float:
    """Area of a lon/lat geometry in square metres (local equirectangular approximation)."""
    if geom.is_empty:
        return 0.0
    lat = (geom.bounds[1] + geom.bounds[3]) / 2.0
    return float(geom.area) * _M_PER_DEG * _M_PER_DEG * math.cos(math.radians(lat))


def check_tiling(
    items: Sequence[tuple[str, Polygon | MultiPolygon]], *, min_overlap_ratio: float = 1e-6
) -> list[str]:
    """Problems (Chinese, human-readable) that stop ``items`` from being a tiling; empty list when clean.

    Reports, in input order: shapes that are not polygons, empty, or invalid (self-intersecting...), then
    every pair of valid polygons whose overlap exceeds ``min_overlap_ratio`` of the smaller one's area.
    Polygons that only share borders are fine.  Gaps are not checked.
    """
    problems: list[str] = []
    names = [name for name, _ in items]
    ok: list[int] = []
    for k, (name, geom) in enumerate(items):
        if not isinstance(geom, Polygon | MultiPolygon):
            problems.append(f"「{name}」不是多边形（类型为 {type(geom).__name__}）")
        elif geom.is_empty:
            problems.append(f"「{name}」是空几何")
        elif not geom.is_valid:
            problems.append(f"「{name}」几何无效：{_reason_zh(shapely.is_valid_reason(geom))}")
        else:
            ok.append(k)
    if len(ok) < 2:
        return problems
    geoms = np.empty(len(ok), dtype=object)
    geoms[:] = [items[k][1] for k in ok]
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    interiors_meet = shapely.relate_pattern(geoms[left], geoms[right], "T********")
    left, right = left[interiors_meet], right[interiors_meet]
    if not len(left):
        return problems
    overlaps = shapely.intersection(geoms[left], geoms[right])
    areas = shapely.area(overlaps)
    smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
    for a, b, ov, area, small in sorted(
        zip(left.tolist(), right.tolist(), overlaps, areas.tolist(), smaller.tolist(), strict=True),
        key=lambda r: (r[0], r[1]),
    ):
        if area > min_overlap_ratio * small:
            share = 100.0 * area / small if small > 0 else 100.0
            problems.append(
                f"「{names[ok[a]]}」与「{names[ok[b]]}」重叠，重叠面积约 {_approx_m2(ov):,.1f} 平方米"
                f"（占较小者面积的 {share:.2f}%）"
            )
    return problems
