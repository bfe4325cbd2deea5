"""The demo district generator: real divisions, plausible counts, exact tiling, numbering, determinism."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

import numpy as np
import pytest
import shapely
from shapely import STRtree
from shapely.geometry import Polygon

from zhili.demo.geography import (
    SPECIAL_TYPES,
    Geography,
    build_geography,
    expected_grid_count,
    load_district_outline,
    load_divisions,
)

SEED = 2026
_progress_calls: list[int] = []


@pytest.fixture(scope="module")
def geo() -> Geography:
    _progress_calls.clear()
    return build_geography(SEED, "district", progress=_progress_calls.append)


def _by_level(geo: Geography, level: str) -> dict[str, Polygon]:
    return {a.code: a.geom for a in geo.areas if a.level == level}


# ------------------------------------------------------------------------------------------------ real data


def test_packaged_outline_is_yinzhou() -> None:
    outline = load_district_outline()
    assert outline.is_valid and isinstance(outline, Polygon)
    minx, miny, maxx, maxy = outline.bounds
    assert 121.4 < minx < maxx < 121.95 and 29.6 < miny < maxy < 29.95
    km2 = outline.area * 111.32 * math.cos(math.radians(29.76)) * 110.57
    assert 700 < km2 < 950  # 鄞州区 is about 814 km²


def test_divisions_file() -> None:
    rows = load_divisions()
    levels = Counter(r[3] for r in rows)
    assert levels == {"district": 1, "street": 25, "community": 407}
    by_code = {r[0]: r for r in rows}
    assert by_code["330212000000"][1:] == ("鄞州区", "鄞州区", "district", "330200000000")
    assert by_code["330212001005"][1:] == ("东兴社区居委会", "东兴社区", "community", "330212001000")
    assert by_code["330212102207"][1:3] == ("管江村村委会", "管江村")
    assert by_code["330212103001"][2] == "莫枝社区"  # "莫枝居委会": a residents' committee keeps 社区
    assert all(re.fullmatch(r"\d{12}", code) for code in by_code)


def test_real_streets_and_communities_present(geo: Geography) -> None:
    streets = {a.code: a for a in geo.areas if a.level == "street"}
    communities = {a.code: a for a in geo.areas if a.level == "community"}
    assert len(streets) == 25 and len(communities) == 407
    assert streets["330212001000"].name == "下应街道"
    assert streets["330212103000"].name == "东钱湖镇"
    assert streets["330212110000"].name == "姜山镇"
    assert communities["330212001005"].name == "东兴社区居委会"
    assert communities["330212001005"].short_name == "东兴社区"
    assert {a.code for a in geo.areas} == {r[0] for r in load_divisions()}
    district = [a for a in geo.areas if a.level == "district"]
    assert len(district) == 1 and district[0].code == "330212000000"
    for c in communities.values():
        assert c.parent_code in streets and c.code[:9] == c.parent_code[:9]
    assert all(s.parent_code == "330212000000" for s in streets.values())
    assert Counter(c.parent_code for c in communities.values())["330212110000"] == 58  # 姜山镇


def test_urban_core_streets_small_and_north(geo: Geography) -> None:
    streets = [a for a in geo.areas if a.level == "street"]
    jiedao = [s for s in streets if s.name.endswith("街道")]
    towns = [s for s in streets if s.name.endswith("镇")]
    assert len(jiedao) == 15 and len(towns) == 10
    assert np.median([s.geom.area for s in jiedao]) * 4 < np.median([s.geom.area for s in towns])
    assert np.mean([s.geom.centroid.y for s in jiedao]) > np.mean([s.geom.centroid.y for s in towns])
    core = shapely.Point(121.56, 29.86)
    assert next(s.name for s in streets if s.geom.contains(core)).endswith("街道")


# ------------------------------------------------------------------------------------------------ grids


def test_counts_and_kinds(geo: Geography) -> None:
    assert 900 <= len(geo.grids) <= 1200
    assert 4000 <= len(geo.micro_grids) <= 6500
    assert expected_grid_count(SEED, "district") == len(geo.grids)
    kinds = Counter(g.kind for g in geo.grids)
    assert set(kinds) == {"urban", "rural", "special"}
    assert 30 <= kinds["special"] <= 50
    specials = [g for g in geo.grids if g.kind == "special"]
    assert {g.special_type for g in specials} == set(SPECIAL_TYPES)
    assert all(g.name.endswith("专属网格") for g in specials)
    assert all(g.special_type is None for g in geo.grids if g.kind != "special")


def test_grid_kind_follows_community(geo: Geography) -> None:
    names = {a.code: a.name for a in geo.areas}
    per_community: dict[str, Counter[str]] = defaultdict(Counter)
    for g in geo.grids:
        per_community[g.community_code][g.kind] += 1
    assert set(per_community) == {a.code for a in geo.areas if a.level == "community"}
    for code, kinds in per_community.items():
        if names[code].endswith("村委会"):
            assert set(kinds) == {"rural"} and 1 <= kinds["rural"] <= 2, code
        else:
            assert "rural" not in kinds and 3 <= kinds["urban"] <= 4, code


def test_codes_and_names(geo: Geography) -> None:
    short = {a.code: a.short_name for a in geo.areas}
    grid_codes = [g.code for g in geo.grids]
    assert len(set(grid_codes)) == len(grid_codes)
    seqs: dict[str, list[int]] = defaultdict(list)
    for g in geo.grids:
        assert re.fullmatch(r"\d{15}", g.code) and g.code.startswith(g.community_code)
        seq = int(g.code[12:])
        seqs[g.community_code].append(seq)
        if g.kind != "special":
            assert g.name == f"{short[g.community_code]}第{seq}网格"
    assert all(sorted(s) == list(range(1, len(s) + 1)) for s in seqs.values())
    grid_by_code = {g.code: g for g in geo.grids}
    micro_codes = [m.code for m in geo.micro_grids]
    assert len(set(micro_codes)) == len(micro_codes)
    mseqs: dict[str, list[int]] = defaultdict(list)
    for m in geo.micro_grids:
        assert re.fullmatch(r"\d{17}", m.code) and m.code.startswith(m.grid_code)
        mseq = int(m.code[15:])
        mseqs[m.grid_code].append(mseq)
        assert m.name == f"{grid_by_code[m.grid_code].name}第{mseq}微网格"
    assert set(mseqs) == set(grid_by_code)
    assert all(sorted(s) == list(range(1, len(s) + 1)) for s in mseqs.values())
    assert geo.grids[0].code == "330212001005001"  # 东兴社区第1网格
    assert geo.grids[0].name == "东兴社区第1网格"


def _raster_sorted(children: list[tuple[str, Polygon]], parent: Polygon) -> list[str]:
    """Expected numbering order: bands of height sqrt(parent area / n) from the parent's northern edge,
    north to south; west to east within a band (by centroid)."""
    h = math.sqrt(parent.area / len(children))
    top = parent.bounds[3]
    return [code for code, g in sorted(children, key=lambda cg: (math.floor((top - cg[1].centroid.y) / h),
                                                                 cg[1].centroid.x))]


def test_numbering_is_raster_order(geo: Geography) -> None:
    communities = _by_level(geo, "community")
    by_comm: dict[str, list[tuple[str, Polygon]]] = defaultdict(list)
    for g in geo.grids:
        by_comm[g.community_code].append((g.code, g.geom))
    for code, children in by_comm.items():
        assert _raster_sorted(children, communities[code]) == sorted(c for c, _ in children), code
    # Grid 001 is the north-westernmost: in the top band, and the westernmost there.
    for code, children in by_comm.items():
        first = dict(children)[code + "001"]
        assert first.centroid.y >= max(g.centroid.y for _, g in children) - math.sqrt(
            communities[code].area / len(children))
    grid_geom = {g.code: g.geom for g in geo.grids}
    by_grid: dict[str, list[tuple[str, Polygon]]] = defaultdict(list)
    for m in geo.micro_grids:
        by_grid[m.grid_code].append((m.code, m.geom))
    for code, children in by_grid.items():
        assert _raster_sorted(children, grid_geom[code]) == sorted(c for c, _ in children), code


# ------------------------------------------------------------------------------------------------ geometry


def _all_geoms(geo: Geography) -> list[Polygon]:
    return [a.geom for a in geo.areas] + [g.geom for g in geo.grids] + [m.geom for m in geo.micro_grids]


def test_polygons_valid_and_rounded(geo: Geography) -> None:
    geoms = np.array(_all_geoms(geo), dtype=object)
    assert all(type(g) is Polygon for g in geoms)
    assert shapely.is_valid(geoms).all() and not shapely.is_empty(geoms).any()
    assert (shapely.area(geoms) > 0).all()
    coords = shapely.get_coordinates(geoms)
    assert np.array_equal(np.round(coords, 6), coords)
    assert (coords[:, 0] > 121.4).all() and (coords[:, 0] < 121.95).all()
    assert (coords[:, 1] > 29.6).all() and (coords[:, 1] < 29.95).all()
    assert shapely.is_ccw(shapely.get_exterior_ring(geoms)).all()  # RFC 7946 winding


def _assert_tiles(parent: Polygon, children: list[Polygon], what: str) -> None:
    union = shapely.union_all(np.array(children, dtype=object))
    assert abs(union.area - parent.area) <= 1e-9 * parent.area, what
    assert shapely.symmetric_difference(union, parent).area <= 1e-9 * parent.area, what


def _assert_no_overlaps(geoms: list[Polygon], what: str) -> None:
    arr = np.array(geoms, dtype=object)
    tree = STRtree(arr)
    left, right = tree.query(arr, predicate="intersects")
    keep = left < right
    areas = shapely.area(shapely.intersection(arr[left[keep]], arr[right[keep]]))
    assert keep.sum() > 0
    assert areas.max() < 1e-12, (what, float(areas.max()))


def test_tiling_at_every_level(geo: Geography) -> None:
    district = _by_level(geo, "district")["330212000000"]
    streets = _by_level(geo, "street")
    communities = _by_level(geo, "community")
    parent_of = {a.code: a.parent_code for a in geo.areas}
    outline = load_district_outline()
    assert shapely.symmetric_difference(district, outline).area < 1e-4 * outline.area

    _assert_tiles(district, list(streets.values()), "district")
    _assert_no_overlaps(list(streets.values()), "streets")
    kids: dict[str, list[Polygon]] = defaultdict(list)
    for code, g in communities.items():
        kids[parent_of[code]].append(g)
    for code, g in streets.items():
        _assert_tiles(g, kids[code], code)
    _assert_no_overlaps(list(communities.values()), "communities")

    grids_of: dict[str, list[Polygon]] = defaultdict(list)
    for grid in geo.grids:
        grids_of[grid.community_code].append(grid.geom)
    for code, g in communities.items():
        _assert_tiles(g, grids_of[code], code)
    _assert_no_overlaps([grid.geom for grid in geo.grids], "grids")

    micros_of: dict[str, list[Polygon]] = defaultdict(list)
    for m in geo.micro_grids:
        micros_of[m.grid_code].append(m.geom)
    for grid in geo.grids:
        _assert_tiles(grid.geom, micros_of[grid.code], grid.code)
    _assert_no_overlaps([m.geom for m in geo.micro_grids], "micro-grids")


def _fingerprint(geo: Geography) -> list[tuple[str, str, bytes]]:
    rows = [(a.code, a.name, shapely.to_wkb(a.geom)) for a in geo.areas]
    rows += [(g.code, g.name + g.kind + str(g.special_type), shapely.to_wkb(g.geom)) for g in geo.grids]
    rows += [(m.code, m.name, shapely.to_wkb(m.geom)) for m in geo.micro_grids]
    return rows


def test_deterministic_per_seed(geo: Geography) -> None:
    again = build_geography(SEED, "district")
    assert _fingerprint(again) == _fingerprint(geo)
    other = build_geography(SEED + 1, "district")
    assert _fingerprint(other) != _fingerprint(geo)
    assert [a.code for a in other.areas] == [a.code for a in geo.areas]
    assert {g.geom.wkb for g in other.grids}.isdisjoint({g.geom.wkb for g in geo.grids})


def test_progress_reports_grids(geo: Geography) -> None:
    assert len(_progress_calls) == 407  # once per community
    assert _progress_calls == sorted(_progress_calls) and _progress_calls[-1] == len(geo.grids)


def test_unknown_scale_rejected() -> None:
    with pytest.raises(ValueError):
        build_geography(1, "province")
