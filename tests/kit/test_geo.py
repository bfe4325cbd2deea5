"""zhili.kit.geo: the point -> polygon index must agree exactly with brute-force GEOS tests."""

from __future__ import annotations

import json
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from zhili.kit import geo
from zhili.kit.geo import PolygonIndex
from zhili.kit.geojson import GeoError, check_tiling, geojson_from_shape, shape_from_geojson

CENTER = (121.55, 29.8)


def voronoi_tiling(n: int, seed: int, *, dense_core: bool = True) -> list[Polygon]:
    """Clipped Voronoi cells around Ningbo-ish coordinates, denser in the middle."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = CENTER[0] - 0.05, CENTER[1] - 0.04, CENTER[0] + 0.05, CENTER[1] + 0.04
    pts = rng.uniform([x0, y0], [x1, y1], (n, 2))
    if dense_core:
        core = rng.normal(CENTER, 0.008, (n // 2, 2))
        pts = np.concatenate([pts[: n - n // 2], np.clip(core, [x0, y0], [x1, y1])])
    frame = box(x0, y0, x1, y1)
    cells = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame)
    out = shapely.intersection(np.asarray(shapely.get_parts(cells)), frame)
    return [g for g in out if isinstance(g, Polygon) and not g.is_empty]


def brute_force(
    items: list[tuple[int, Polygon | MultiPolygon]], xs: np.ndarray, ys: np.ndarray
) -> np.ndarray:
    """Lowest id among polygons that intersect the point (boundary counts), -1 if none."""
    ids = np.array([i for i, _ in items])
    geoms = np.array([g for _, g in items], dtype=object)
    out = np.full(len(xs), -1, dtype=np.int64)
    for k, (x, y) in enumerate(zip(xs.tolist(), ys.tolist(), strict=True)):
        hit = shapely.intersects(geoms, shapely.Point(x, y))
        if hit.any():
            out[k] = ids[hit].min()
    return out


def border_points(geoms: list[Polygon | MultiPolygon], rng: np.random.Generator, count: int) -> np.ndarray:
    """Vertices (shared by 2-3 polygons) and points interpolated along edges (on them or an ulp away)."""
    coords = shapely.get_coordinates(shapely.boundary(np.array(geoms, dtype=object)))
    pick = rng.choice(len(coords) - 1, count, replace=False)
    t = rng.uniform(0, 1, (count, 1))
    along = coords[pick] + (coords[pick + 1] - coords[pick]) * t
    return np.concatenate([coords[pick], along])


def assert_index_matches(
    items: list[tuple[int, Polygon | MultiPolygon]], pts: np.ndarray, **kw: float
) -> None:
    index = PolygonIndex(items, **kw)
    expected = brute_force(items, pts[:, 0], pts[:, 1])
    got_many = index.locate_many(pts[:, 0], pts[:, 1])
    got_single = np.array([-1 if (r := index.locate(x, y)) is None else r for x, y in pts.tolist()])
    np.testing.assert_array_equal(got_many, expected)
    np.testing.assert_array_equal(got_single, expected)


# -- exactness ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cells_per_polygon", [0.5, 8, 96, 400])
def test_random_border_and_outside_points_match_brute_force(cells_per_polygon: float) -> None:
    rng = np.random.default_rng(7)
    geoms = voronoi_tiling(250, seed=3)
    ids = rng.permutation(len(geoms)) * 5 + 11  # unordered, sparse ids
    items = list(zip(ids.tolist(), geoms, strict=True))
    x0, y0, x1, y1 = shapely.total_bounds(np.array(geoms, dtype=object))
    w, h = x1 - x0, y1 - y0
    random_inside = rng.uniform([x0, y0], [x1, y1], (1500, 2))
    around = rng.uniform([x0 - w / 5, y0 - h / 5], [x1 + w / 5, y1 + h / 5], (500, 2))
    corners = np.array([[x0, y0], [x1, y1], [x0, y1], [x1, y0], [(x0 + x1) / 2, y0], [x0 - 1e-12, y0]])
    pts = np.concatenate([random_inside, around, border_points(geoms, rng, 600), corners])
    assert_index_matches(items, pts, cells_per_polygon=cells_per_polygon)


def test_exact_shared_borders_return_lowest_id() -> None:
    # 4x3 unit squares with integer coordinates: border points are exactly representable
    items = [(100 - (3 * i + j), box(121 + i, 29 + j, 122 + i, 30 + j)) for i in range(4) for j in range(3)]
    index = PolygonIndex(items)
    xs, ys = np.meshgrid(np.arange(121, 125.01, 0.25), np.arange(29, 32.01, 0.25))
    pts = np.column_stack([xs.ravel(), ys.ravel()])
    assert_index_matches(items, pts)
    assert_index_matches(items, pts, cells_per_polygon=2000)
    # the corner shared by four squares belongs to the lowest of their ids
    four = [100 - (3 * i + j) for i in (0, 1) for j in (0, 1)]
    assert index.locate(122.0, 30.0) == min(four)
    assert index.locate(121.5, 29.5) == 100
    assert index.locate(125.0, 32.0) == 100 - (3 * 3 + 2)
    assert index.locate(125.0 + 1e-9, 32.0) is None


@pytest.mark.parametrize("cells_per_polygon", [1, 4, 16, 64])
def test_borders_on_bucket_edges_with_rounding(cells_per_polygon: float) -> None:
    # 0.1° squares: their borders fall on bucket edges, where (x - x0) / cell_width rounds either way
    xs = [121.0 + 0.1 * i for i in range(11)]
    ys = [29.0 + 0.1 * j for j in range(11)]
    rng = np.random.default_rng(4)
    ids = (rng.permutation(100) * 2 + 1).reshape(10, 10)
    items = [(int(ids[i, j]), box(xs[i], ys[j], xs[i + 1], ys[j + 1])) for i in range(10) for j in range(10)]
    index = PolygonIndex(items, cells_per_polygon=cells_per_polygon)
    nx, ny = index.stats()["grid_nx"], index.stats()["grid_ny"]
    assert nx % 10 == 0 and ny % 10 == 0  # bucket edges do fall on the borders
    vx, vy = np.array(xs * 30), rng.uniform(29.0, 30.0, 330)
    hx, hy = rng.uniform(121.0, 122.0, 330), np.array(ys * 30)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    base = np.column_stack([np.concatenate([vx, hx, gx]), np.concatenate([vy, hy, gy])])
    pts = np.concatenate([base, np.nextafter(base, -np.inf), np.nextafter(base, np.inf)])
    assert_index_matches(items, pts, cells_per_polygon=cells_per_polygon)
    # on a border: the lowest id of the squares sharing it
    for i in range(1, 10):
        assert index.locate(xs[i], 29.05) == min(ids[i - 1, 0], ids[i, 0])
    for j in range(1, 10):
        assert index.locate(121.05, ys[j]) == min(ids[0, j - 1], ids[0, j])


def test_build_in_small_batches_gives_same_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    geoms = voronoi_tiling(150, seed=8)
    whole = PolygonIndex(enumerate(geoms))
    monkeypatch.setattr(geo, "_BATCH", 7)
    batched = PolygonIndex(enumerate(geoms))
    np.testing.assert_array_equal(whole._owner, batched._owner)
    np.testing.assert_array_equal(whole._starts, batched._starts)
    np.testing.assert_array_equal(whole._cands, batched._cands)
    rng = np.random.default_rng(8)
    pts = np.concatenate(
        [rng.uniform(whole.bounds()[:2], whole.bounds()[2:], (500, 2)), border_points(geoms, rng, 100)]
    )
    assert_index_matches(list(enumerate(geoms)), pts)


def test_outside_and_nan_points() -> None:
    items = [(1, box(0, 0, 1, 1)), (2, box(2, 0, 3, 1))]
    index = PolygonIndex(items)
    assert index.locate(1.5, 0.5) is None  # inside the bounds, between the squares
    assert index.locate(-1, 0.5) is None
    assert index.locate(math.nan, 0.5) is None
    got = index.locate_many(np.array([0.5, 1.5, 2.5, math.nan, 9.0]), np.array([0.5, 0.5, 0.5, 0.5, 0.5]))
    assert got.dtype == np.int64
    assert got.tolist() == [1, -1, 2, -1, -1]
    assert index.bounds() == (0.0, 0.0, 3.0, 1.0)
    assert len(index) == 2


def test_multipolygons_holes_and_islands() -> None:
    rng = np.random.default_rng(11)
    ring = Polygon(
        [(0, 0), (10, 0), (10, 10), (0, 10)], [[(3, 3), (7, 3), (7, 7), (3, 7)]]
    )  # square with a hole
    island = box(3, 3, 7, 7)  # fills the hole exactly
    archipelago = MultiPolygon([box(12, 0, 14, 2), box(12, 5, 14, 7), box(16, 0, 18, 10)])
    items: list[tuple[int, Polygon | MultiPolygon]] = [(5, ring), (2, island), (9, archipelago)]
    index = PolygonIndex(items)
    assert index.locate(5, 5) == 2
    assert index.locate(1, 1) == 5
    assert index.locate(3, 5) == 2  # on the hole's edge: shared by 2 and 5
    assert index.locate(13, 6) == 9
    assert index.locate(13, 3.5) is None  # between two parts of the multipolygon
    assert index.locate(17, 9) == 9
    pts = np.concatenate(
        [rng.uniform([-1, -1], [19, 11], (2000, 2)), border_points([g for _, g in items], rng, 20)]
    )
    for cells in (1, 50, 3000):
        assert_index_matches(items, pts, cells_per_polygon=cells)


def test_overlapping_polygons_still_answer_lowest_id() -> None:
    # not a tiling (callers should not do this), but the answer stays well defined
    items = [(7, box(0, 0, 10, 10)), (3, box(4, 4, 5, 5)), (5, box(8, 8, 12, 12))]
    rng = np.random.default_rng(2)
    pts = rng.uniform([-1, -1], [13, 13], (3000, 2))
    assert_index_matches(items, pts, cells_per_polygon=40)
    assert PolygonIndex(items).locate(4.5, 4.5) == 3


def test_locate_many_equals_locate_and_keeps_shape() -> None:
    geoms = voronoi_tiling(120, seed=5)
    index = PolygonIndex(enumerate(geoms))
    rng = np.random.default_rng(5)
    x0, y0, x1, y1 = index.bounds()
    xs = rng.uniform(x0 - 0.01, x1 + 0.01, (40, 25))
    ys = rng.uniform(y0 - 0.01, y1 + 0.01, (40, 25))
    many = index.locate_many(xs, ys)
    assert many.shape == (40, 25)
    single = [index.locate(x, y) for x, y in zip(xs.ravel().tolist(), ys.ravel().tolist(), strict=True)]
    assert many.ravel().tolist() == [-1 if s is None else s for s in single]
    assert index.locate_many([], []).shape == (0,)


def test_concurrent_lookups_agree() -> None:
    geoms = voronoi_tiling(200, seed=9)
    index = PolygonIndex(enumerate(geoms))
    rng = np.random.default_rng(9)
    x0, y0, x1, y1 = index.bounds()
    pts = rng.uniform([x0, y0], [x1, y1], (4000, 2))
    expected = index.locate_many(pts[:, 0], pts[:, 1])

    def work(chunk: np.ndarray) -> list[int]:
        return [-1 if (r := index.locate(x, y)) is None else r for x, y in chunk.tolist()]

    with ThreadPoolExecutor(4) as pool:
        got = [r for part in pool.map(work, np.array_split(pts, 8)) for r in part]
    assert got == expected.tolist()


def test_empty_index_and_bad_input() -> None:
    empty = PolygonIndex([])
    assert len(empty) == 0
    assert empty.locate(1, 1) is None
    assert empty.locate_many(np.array([1.0]), np.array([1.0])).tolist() == [-1]
    assert all(math.isnan(b) for b in empty.bounds())
    with pytest.raises(ValueError, match="duplicate"):
        PolygonIndex([(1, box(0, 0, 1, 1)), (1, box(1, 0, 2, 1))])
    with pytest.raises(TypeError):
        PolygonIndex([(1, shapely.Point(0, 0))])  # type: ignore[list-item]


# -- GeoJSON --------------------------------------------------------------------------------------------

SQUARE = [[121.5, 29.8], [121.6, 29.8], [121.6, 29.9], [121.5, 29.9], [121.5, 29.8]]


def test_geojson_round_trip() -> None:
    poly = shape_from_geojson({"type": "Polygon", "coordinates": [SQUARE]})
    assert isinstance(poly, Polygon)
    assert poly.area == pytest.approx(0.01)
    multi = shape_from_geojson(
        {"type": "MultiPolygon", "coordinates": [[SQUARE], [[[p[0] + 0.2, p[1]] for p in SQUARE]]]}
    )
    assert isinstance(multi, MultiPolygon)
    assert len(multi.geoms) == 2
    with_hole = Polygon(
        [(0, 0), (0, 10), (10, 10), (10, 0)], [[(2, 2), (4, 2), (4, 4), (2, 4)]]
    )  # clockwise shell, counter-clockwise hole
    for shape in (poly, multi, with_hole):
        gj = geojson_from_shape(shape)
        json.dumps(gj)  # plain lists, JSON-ready
        back = shape_from_geojson(gj)
        assert back.equals(shape)
    gj = geojson_from_shape(with_hole)
    assert Polygon(gj["coordinates"][0]).exterior.is_ccw  # RFC 7946 orientation
    assert not shapely.LinearRing(gj["coordinates"][1]).is_ccw
    # altitude is accepted and dropped
    with_z = shape_from_geojson({"type": "Polygon", "coordinates": [[[*p, 5.0] for p in SQUARE]]})
    assert not with_z.has_z


@pytest.mark.parametrize(
    ("geometry", "field", "words"),
    [
        ("not a dict", "geometry", "GeoJSON"),
        ({"coordinates": [SQUARE]}, "type", "type"),
        ({"type": "Point", "coordinates": [121.5, 29.8]}, "type", "Point"),
        ({"type": "Feature", "geometry": {}}, "type", "geometry"),
        ({"type": "Polygon"}, "coordinates", "coordinates"),
        ({"type": "Polygon", "coordinates": "x"}, "coordinates", "数组"),
        ({"type": "Polygon", "coordinates": []}, "coordinates", "外环"),
        ({"type": "Polygon", "coordinates": [SQUARE[:-1]]}, "coordinates[0]", "未闭合"),
        (
            {"type": "Polygon", "coordinates": [[SQUARE[0], SQUARE[1], SQUARE[0]]]},
            "coordinates[0]",
            "至少需要 4",
        ),
        ({"type": "Polygon", "coordinates": [[[121.5, "29.8"], *SQUARE[1:]]]}, "coordinates[0][0]", "数字"),
        ({"type": "Polygon", "coordinates": [[[29.8, 121.5], *SQUARE[1:]]]}, "coordinates[0][0]", "纬度"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[121.5, 29.8], [121.6, 29.9], [121.6, 29.8], [121.5, 29.9], [121.5, 29.8]]],
            },
            "coordinates",
            "自相交",
        ),
        ({"type": "MultiPolygon", "coordinates": []}, "coordinates", "至少需要一个多边形"),
        ({"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE[:-1]]]}, "coordinates[1][0]", "未闭合"),
        ({"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]}, "coordinates", "重叠"),
    ],
)
def test_geojson_validation_errors(geometry: object, field: str, words: str) -> None:
    with pytest.raises(GeoError) as info:
        shape_from_geojson(geometry)  # type: ignore[arg-type]
    assert info.value.field == field
    assert words in info.value.message
    assert isinstance(info.value, ValueError)


# -- tiling check ---------------------------------------------------------------------------------------


def test_check_tiling_clean() -> None:
    grid = [
        (f"网格{i}-{j}", box(121.5 + i * 0.01, 29.8 + j * 0.01, 121.51 + i * 0.01, 29.81 + j * 0.01))
        for i in range(5)
        for j in range(5)
    ]
    assert check_tiling(grid) == []
    voronoi = [(f"微网格{k}", g) for k, g in enumerate(voronoi_tiling(200, seed=1))]
    assert check_tiling(voronoi) == []


def test_check_tiling_reports_overlap_and_self_intersection() -> None:
    bow_tie = Polygon([(121.5, 29.8), (121.6, 29.9), (121.6, 29.8), (121.5, 29.9), (121.5, 29.8)])
    items = [
        ("东社区", box(121.0, 29.0, 121.2, 29.2)),
        ("西社区", box(121.1, 29.1, 121.3, 29.3)),  # overlaps 东社区
        ("南社区", box(121.3, 29.0, 121.4, 29.1)),  # only touches nothing
        ("蝴蝶", bow_tie),
        ("北社区", box(121.4, 29.0, 121.45, 29.1)),  # shares a border with 南社区
    ]
    problems = check_tiling(items)
    assert len(problems) == 2
    assert "蝴蝶" in problems[0]
    assert "自相交" in problems[0]
    assert "东社区" in problems[1]
    assert "西社区" in problems[1]
    assert "重叠" in problems[1]
    assert "25.00%" in problems[1]


def test_check_tiling_ignores_negligible_overlap() -> None:
    a = box(121.0, 29.0, 121.01, 29.01)
    b = box(121.01 - 1e-12, 29.0, 121.02, 29.01)  # sliver of 1e-14 deg²
    assert check_tiling([("a", a), ("b", b)]) == []
    assert len(check_tiling([("a", a), ("b", b)], min_overlap_ratio=0)) == 1
