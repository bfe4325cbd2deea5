"""Pure generator of the demo district's geography: 鄞州区 (Ningbo, 330212) and its grids.

The district outline and the 25 streets/towns and 407 communities/villages (names and 12-digit codes) are
real (see ``zhili/demo/data/README.md``). Everything below the district outline is generated: streets,
communities, grids and micro-grids are nested clipped-Voronoi partitions of their parent.

Invariants of :func:`build_geography` (checked by ``tests/demo/test_geography.py``):

* every geometry is a valid, non-empty shapely ``Polygon`` (never a MultiPolygon), WGS84 lon/lat with every
  coordinate on the 1e-6 degree grid (i.e. rounded to 6 decimals), exterior rings counter-clockwise;
* each level tiles its parent exactly: the children of a parent share their borders vertex for vertex,
  their union *is* the parent and they do not overlap (district -> streets -> communities -> grids ->
  micro-grids). The district geometry is the union of the streets; it equals the packaged outline up to
  the 1e-6 snapping of the internal borders that meet it (relative area difference ~1e-6);
* codes are unique: areas keep their real 12-digit codes, a grid code is its community code + a 3-digit
  sequence, a micro-grid code is its grid code + a 2-digit sequence; sequences start at 1 and follow the
  raster order of :func:`raster_order`;
* the output is a pure function of ``(seed, scale)``: the same arguments give identical output, down to the
  float coordinates.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon, shape
from shapely.ops import nearest_points

from zhili.demo import tiling

GRID_SIZE = tiling.GRID_SIZE
"""Coordinate precision of every output geometry (degrees): coordinates are rounded to 6 decimals."""

DISTRICT_CODE = "330212000000"
SCALES = ("district", "city")
SPECIAL_TYPES = ("school", "park", "enterprise", "market", "hospital", "transport_hub")

# Facility names used for special ("专属") grids: "<community root><facility>专属网格".
_FACILITIES: dict[str, tuple[str, ...]] = {
    "school": ("小学", "中学", "实验学校", "幼儿园"),
    "park": ("公园", "湿地公园", "体育公园"),
    "enterprise": ("产业园", "科创园", "工业园"),
    "market": ("农贸市场", "商贸城"),
    "hospital": ("医院", "社区卫生服务中心"),
    "transport_hub": ("公交枢纽", "地铁站"),
}
_SPECIAL_SHARE = {"school": 0.3, "enterprise": 0.2, "park": 0.15, "market": 0.15, "hospital": 0.1,
                  "transport_hub": 0.1}

# Approximate locations (WGS84, hand-placed from general knowledge, NOT survey data) of each street's or
# town's centre. They only steer the generated layout: the 街道 of the northern urban core get small cells
# close together, the 镇 to the south and east get large ones, each roughly where it really is.
_STREET_ANCHORS: dict[str, tuple[float, float]] = {
    "330212001000": (121.585, 29.820),  # 下应街道
    "330212002000": (121.525, 29.830),  # 钟公庙街道
    "330212004000": (121.660, 29.880),  # 梅墟街道
    "330212005000": (121.545, 29.825),  # 中河街道
    "330212006000": (121.545, 29.805),  # 首南街道
    "330212007000": (121.590, 29.842),  # 潘火街道
    "330212008000": (121.565, 29.873),  # 百丈街道
    "330212009000": (121.572, 29.866),  # 东胜街道
    "330212010000": (121.575, 29.858),  # 明楼街道
    "330212011000": (121.558, 29.860),  # 白鹤街道
    "330212012000": (121.585, 29.875),  # 东柳街道
    "330212013000": (121.600, 29.868),  # 东郊街道
    "330212014000": (121.605, 29.882),  # 福明街道
    "330212015000": (121.585, 29.886),  # 新明街道
    "330212016000": (121.630, 29.890),  # 聚贤街道
    "330212100000": (121.790, 29.750),  # 瞻岐镇
    "330212101000": (121.800, 29.690),  # 咸祥镇
    "330212102000": (121.700, 29.705),  # 塘溪镇
    "330212103000": (121.650, 29.770),  # 东钱湖镇
    "330212104000": (121.740, 29.800),  # 东吴镇
    "330212105000": (121.700, 29.860),  # 五乡镇
    "330212106000": (121.630, 29.845),  # 邱隘镇
    "330212108000": (121.605, 29.780),  # 云龙镇
    "330212109000": (121.620, 29.705),  # 横溪镇
    "330212110000": (121.530, 29.740),  # 姜山镇
}


@dataclass(frozen=True)
class AreaSpec:
    """An administrative area: the district, a street/town (镇街) or a community/village (社区/村).

    ``code`` is the real 12-digit statistical code; ``parent_code`` is the enclosing area's code (the
    district's parent is the city, 330200000000, which has no geometry here). ``short_name`` drops the
    committee suffix ("东兴社区居委会" -> "东兴社区"; streets and the district keep their name)."""

    code: str
    name: str
    level: str  # "district" | "street" | "community"
    parent_code: str | None
    geom: Polygon
    short_name: str = ""


@dataclass(frozen=True)
class GridSpec:
    """A grid (网格) inside one community. ``kind`` is "urban" (社区), "rural" (村) or "special" (专属网格,
    carved from an urban community, with ``special_type`` one of :data:`SPECIAL_TYPES`)."""

    code: str  # community code + 3-digit sequence, 15 digits
    name: str
    kind: str
    special_type: str | None
    community_code: str
    geom: Polygon


@dataclass(frozen=True)
class MicroGridSpec:
    """A micro-grid (微网格) inside one grid."""

    code: str  # grid code + 2-digit sequence, 17 digits
    name: str
    grid_code: str
    geom: Polygon


@dataclass(frozen=True)
class Geography:
    """The whole hierarchy. ``areas`` lists the district, then streets, then communities (each by code);
    ``grids`` and ``micro_grids`` are sorted by code."""

    areas: list[AreaSpec]
    grids: list[GridSpec]
    micro_grids: list[MicroGridSpec]


@dataclass(frozen=True)
class _Scale:
    urban_grids: tuple[int, int]  # inclusive range of regular grids per urban community
    rural_grids: tuple[int, int]
    special_total: int
    special_per_community: int  # at most this many special grids per urban community
    micro_urban: tuple[int, int]
    micro_rural: tuple[int, int]
    micro_special: tuple[int, int]


_SCALES: dict[str, _Scale] = {
    "district": _Scale((3, 4), (1, 2), 40, 1, (5, 6), (3, 4), (2, 4)),
    "city": _Scale((18, 22), (24, 29), 400, 2, (4, 5), (3, 5), (2, 4)),
}


# ---------------------------------------------------------------------------------------------------------
# packaged data


def _data_text(name: str) -> str:
    return resources.files("zhili.demo").joinpath("data", name).read_text(encoding="utf-8")


def load_district_outline() -> Polygon:
    """The real outline of 鄞州区 (WGS84, 6 decimals) from ``zhili/demo/data/yinzhou.geojson``."""
    data: dict[str, Any] = json.loads(_data_text("yinzhou.geojson"))
    feature = data["features"][0] if data.get("type") == "FeatureCollection" else data
    geom = shape(feature["geometry"])
    if not isinstance(geom, Polygon) or not geom.is_valid or geom.is_empty:
        raise ValueError("yinzhou.geojson must hold one valid Polygon")
    return geom


def load_divisions() -> list[tuple[str, str, str, str, str]]:
    """Rows ``(code, name, short_name, level, parent_code)`` of the district, its 25 streets/towns and 407
    communities/villages, in file order (district, streets by code, communities by code)."""
    reader = csv.DictReader(_data_text("yinzhou_divisions.csv").splitlines())
    return [(r["code"], r["name"], r["short_name"], r["level"], r["parent_code"]) for r in reader]


def is_rural(name: str) -> bool:
    """A village (村民委员会/村委会) rather than an urban community (社区/居委会).

    The committee suffix decides ("钱湖新村居委会" is urban); without one, a name containing 社区 is urban and
    one containing 村 is rural."""
    if name.endswith(("村委会", "村民委员会")):
        return True
    if name.endswith(("居委会", "居民委员会")) or "社区" in name:
        return False
    return "村" in name


# ---------------------------------------------------------------------------------------------------------
# raster numbering


def raster_order(geoms: Sequence[Polygon], parent: Polygon) -> list[int]:
    """Indices of ``geoms`` (children of ``parent``) in numbering order: north to south, then west to east.

    Rule: band height ``h = sqrt(parent.area / len(geoms))``; a child's band is
    ``floor((parent.bounds[3] - centroid.y) / h)`` (band 0 is the northernmost); children are sorted by
    ``(band, centroid.x)``."""
    if not geoms:
        return []
    h = math.sqrt(parent.area / len(geoms))
    top = parent.bounds[3]
    keys = []
    for i, g in enumerate(geoms):
        c = g.centroid
        keys.append((math.floor((top - c.y) / h), c.x, i))
    return [k[2] for k in sorted(keys)]


# ---------------------------------------------------------------------------------------------------------
# planning (counts and kinds; no geometry)


@dataclass
class _GridPlan:
    kind: str
    special_type: str | None
    n_micro: int


@dataclass
class _CommunityPlan:
    code: str
    name: str
    short_name: str
    street_code: str
    rural: bool
    grids: list[_GridPlan]


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed % (1 << 64), *keys]))


def _check_scale(scale: str) -> _Scale:
    if scale not in _SCALES:
        raise ValueError(f"scale must be one of {SCALES}, not {scale!r}")
    return _SCALES[scale]


def _special_types(n: int, rng: np.random.Generator) -> list[str]:
    """n special types in the shares of _SPECIAL_SHARE (largest remainder), shuffled."""
    quotas = {t: n * s for t, s in _SPECIAL_SHARE.items()}
    counts = {t: int(q) for t, q in quotas.items()}
    for t in sorted(quotas, key=lambda t: counts[t] - quotas[t])[: n - sum(counts.values())]:
        counts[t] += 1
    out = [t for t in SPECIAL_TYPES for _ in range(counts[t])]
    return [out[i] for i in rng.permutation(len(out))]


def _plan(seed: int, scale: str) -> list[_CommunityPlan]:
    params = _check_scale(scale)
    rng = _rng(seed, 1)
    communities = [r for r in load_divisions() if r[3] == "community"]
    urban_idx = [i for i, r in enumerate(communities) if not is_rural(r[1])]
    # Special grids: spread over a random order of the urban communities, at most N per community.
    specials: dict[int, list[str]] = {}
    types = _special_types(params.special_total, rng)
    order = [urban_idx[i] for i in rng.permutation(len(urban_idx))]
    capacity = params.special_per_community * len(order)
    if params.special_total > capacity:
        raise ValueError("too many special grids for the urban communities")
    for k, t in enumerate(types):
        specials.setdefault(order[k % len(order)], []).append(t)
    plans = []
    for i, (code, name, short, _level, parent) in enumerate(communities):
        rural = is_rural(name)
        lo, hi = params.rural_grids if rural else params.urban_grids
        m_lo, m_hi = params.micro_rural if rural else params.micro_urban
        kind = "rural" if rural else "urban"
        grids = [_GridPlan(kind, None, int(rng.integers(m_lo, m_hi + 1)))
                 for _ in range(int(rng.integers(lo, hi + 1)))]
        s_lo, s_hi = params.micro_special
        grids += [_GridPlan("special", t, int(rng.integers(s_lo, s_hi + 1))) for t in specials.get(i, [])]
        plans.append(_CommunityPlan(code, name, short, parent, rural, grids))
    return plans


def expected_grid_count(seed: int = 2026, scale: str = "district") -> int:
    """The number of grids :func:`build_geography` will produce (for a progress bar's total); cheap."""
    return sum(len(c.grids) for c in _plan(seed, scale))


# ---------------------------------------------------------------------------------------------------------
# the hierarchy before snapping


@dataclass
class _Float:
    street_codes: list[str]
    street_geoms: list[Polygon]
    community_plans: list[_CommunityPlan]
    community_street: list[int]
    grid_plans: list[_GridPlan]
    grid_community: list[int]
    micro_geoms: list[Polygon]
    micro_grid: list[int]


def _street_seeds(outline: Polygon, codes: list[str], seed: int) -> np.ndarray:
    rng = _rng(seed, 2)
    base = np.array([_STREET_ANCHORS.get(c, (math.nan, math.nan)) for c in codes], dtype=float)
    missing = np.isnan(base[:, 0])
    if missing.any():  # a street unknown to the anchor table: put it anywhere
        base[missing] = tiling.spread(outline, int(missing.sum()), rng)
    out = base.copy()
    shapely.prepare(outline)
    for i in range(len(base)):
        others = np.delete(base, i, axis=0)
        r = 0.3 * float(np.min(np.hypot(others[:, 0] - base[i, 0], others[:, 1] - base[i, 1])))
        for _ in range(50):
            a, u = rng.uniform(0, 2 * math.pi), math.sqrt(rng.uniform())
            x, y = base[i, 0] + r * u * math.cos(a), base[i, 1] + r * u * math.sin(a)
            if outline.contains(shapely.Point(x, y)):
                out[i] = (x, y)
                break
        else:
            inner = outline.buffer(-r / 2)
            out[i] = shapely.get_coordinates(nearest_points(inner, shapely.Point(base[i]))[0])[0]
    return out


def _build_float(seed: int, scale: str, progress: Callable[[int], None] | None) -> _Float:
    plans = _plan(seed, scale)
    outline = load_district_outline()
    street_codes = [r[0] for r in load_divisions() if r[3] == "street"]
    street_seeds = _street_seeds(outline, street_codes, seed)
    street_geoms = tiling.partition(outline, street_seeds)
    by_street: dict[str, list[int]] = {}
    for i, c in enumerate(plans):
        by_street.setdefault(c.street_code, []).append(i)

    community_geoms: list[Polygon | None] = [None] * len(plans)
    community_street = [0] * len(plans)
    for s, (scode, sgeom) in enumerate(zip(street_codes, street_geoms, strict=True)):
        members = by_street.get(scode, [])
        if not members:
            raise ValueError(f"street {scode} has no communities")
        focus = (float(street_seeds[s, 0]), float(street_seeds[s, 1]))
        rng = _rng(seed, 3, int(scode))
        n_urban = sum(1 for i in members if not plans[i].rural)
        mixed = 0 < n_urban < len(members)
        seeds = tiling.spread(sgeom, len(members), rng, focus, strength=8.0 if mixed else 0.0)
        seeds = tiling.relax(sgeom, seeds, 1, step=0.5 if mixed else 1.0)
        cells = tiling.partition(sgeom, seeds)
        # Urban communities take the cells nearest the street's centre, villages the rest; within each
        # class, codes go round the centre clockwise from north.
        cent = shapely.get_coordinates(shapely.centroid(np.array(cells, dtype=object)))
        dist = np.hypot(cent[:, 0] - focus[0], cent[:, 1] - focus[1])
        angle = np.arctan2(cent[:, 0] - focus[0], cent[:, 1] - focus[1]) % (2 * math.pi)
        by_dist = [int(i) for i in np.argsort(dist, kind="stable")]
        urban_cells = sorted(by_dist[:n_urban], key=lambda i: float(angle[i]))
        rural_cells = sorted(by_dist[n_urban:], key=lambda i: float(angle[i]))
        urban = [i for i in members if not plans[i].rural]
        rural = [i for i in members if plans[i].rural]
        for ci, cell in zip(urban + rural, urban_cells + rural_cells, strict=True):
            community_geoms[ci] = cells[cell]
            community_street[ci] = s

    grid_plans: list[_GridPlan] = []
    grid_community: list[int] = []
    micro_geoms: list[Polygon] = []
    micro_grid: list[int] = []
    for ci, plan in enumerate(plans):
        cgeom = community_geoms[ci]
        assert cgeom is not None
        rng = _rng(seed, 4, int(plan.code))
        n = len(plan.grids)
        seeds = tiling.relax(cgeom, tiling.spread(cgeom, n, rng), 2)
        cells = tiling.partition(cgeom, seeds)
        # Special grids are carved out of the community: they take its smallest cells.
        n_special = sum(1 for g in plan.grids if g.kind == "special")
        by_area = [int(i) for i in np.argsort([c.area for c in cells], kind="stable")]
        special_cells = set(by_area[:n_special])
        ordered_cells = [i for i in range(n) if i not in special_cells] + by_area[:n_special]
        for k, (gplan, cell_i) in enumerate(zip(plan.grids, ordered_cells, strict=True)):
            gi = len(grid_plans)
            grid_plans.append(gplan)
            grid_community.append(ci)
            ggeom = cells[cell_i]
            grng = _rng(seed, 5, int(plan.code), k)
            mseeds = tiling.relax(ggeom, tiling.spread(ggeom, gplan.n_micro, grng), 2)
            for mgeom in tiling.partition(ggeom, mseeds):
                micro_geoms.append(mgeom)
                micro_grid.append(gi)
        if progress is not None:
            progress(len(grid_plans))
    return _Float(street_codes, street_geoms, plans, community_street, grid_plans, grid_community,
                  micro_geoms, micro_grid)


# ---------------------------------------------------------------------------------------------------------
# public entry point


def _final(g: shapely.Geometry | None, what: str) -> Polygon:
    if not isinstance(g, Polygon) or g.is_empty or not g.is_valid:
        raise RuntimeError(f"{what} is not a valid polygon")
    out = shapely.orient_polygons(g)
    assert isinstance(out, Polygon)
    return out


def build_geography(seed: int = 2026, scale: str = "district",
                    progress: Callable[[int], None] | None = None) -> Geography:
    """Generate the district's streets, communities, grids and micro-grids (see the module docstring).

    ``scale="district"`` gives about 1,000 grids (urban communities 3-4 each, villages 1-2, plus 40 special
    grids) and about 5,000 micro-grids; ``scale="city"`` reuses the same outline and divisions but subdivides
    far more finely: about 10,000 grids (≈4,100 urban, 5,400 rural, 400 special) and about 40,000
    micro-grids. ``progress``, if given, is called with the running number of grids generated so far
    (its final value is ``len(grids)``; the last few percent of the time is spent snapping after it)."""
    _check_scale(scale)
    fl = _build_float(seed, scale, progress)
    faces, labels, parents = tiling.snap(fl.micro_geoms, fl.micro_grid, fl.grid_community,
                                         fl.community_street, len(fl.street_codes))
    street_g = tiling.dissolve(faces, labels[0], len(parents[0]))
    comm_g = tiling.dissolve(faces, labels[1], len(parents[1]))
    grid_g = tiling.dissolve(faces, labels[2], len(parents[2]))
    micro_g = tiling.dissolve(faces, labels[3], len(parents[3]))

    divisions = load_divisions()
    district = next(r for r in divisions if r[3] == "district")
    names = {r[0]: r for r in divisions}
    streets = [_final(g, f"street {c}") for g, c in zip(street_g, fl.street_codes, strict=True)]
    district_geom = _final(shapely.coverage_union_all(np.array(streets, dtype=object)), "district")
    areas = [AreaSpec(district[0], district[1], "district", district[4], district_geom, district[2])]
    areas += [AreaSpec(c, names[c][1], "street", names[c][4], g, names[c][2])
              for c, g in zip(fl.street_codes, streets, strict=True)]
    comm_geoms: list[Polygon] = []
    for ci, plan in enumerate(fl.community_plans):
        g = _final(comm_g[ci], f"community {plan.code}")
        comm_geoms.append(g)
        areas.append(AreaSpec(plan.code, plan.name, "community", plan.street_code, g, plan.short_name))

    grids_of: dict[int, list[int]] = {}
    for gi, ci in enumerate(parents[2]):
        if grid_g[gi] is not None:
            grids_of.setdefault(int(ci), []).append(gi)
    micros_of: dict[int, list[int]] = {}
    for mi, gi in enumerate(parents[3]):
        if micro_g[mi] is not None:
            micros_of.setdefault(int(gi), []).append(mi)

    grids: list[GridSpec] = []
    micro_grids: list[MicroGridSpec] = []
    for ci, plan in enumerate(fl.community_plans):
        members = grids_of.get(ci, [])
        member_geoms = [_final(grid_g[gi], f"grid of {plan.code}") for gi in members]
        root = plan.short_name.removesuffix("社区") or plan.short_name
        used_names: set[str] = set()
        for seq, k in enumerate(raster_order(member_geoms, comm_geoms[ci]), start=1):
            gi = members[k]
            gplan = fl.grid_plans[gi]
            gcode = f"{plan.code}{seq:03d}"
            if gplan.kind == "special":
                assert gplan.special_type is not None
                gname = _special_name(root, gplan.special_type, int(gcode), used_names)
            else:
                gname = f"{plan.short_name}第{seq}网格"
            ggeom = member_geoms[k]
            grids.append(GridSpec(gcode, gname, gplan.kind, gplan.special_type, plan.code, ggeom))
            mids = micros_of.get(gi, [])
            mgeoms = [_final(micro_g[mi], f"micro-grid of {gcode}") for mi in mids]
            for mseq, j in enumerate(raster_order(mgeoms, ggeom), start=1):
                mname = f"{gname}第{mseq}微网格"
                micro_grids.append(MicroGridSpec(f"{gcode}{mseq:02d}", mname, gcode, mgeoms[j]))
    grids.sort(key=lambda g: g.code)
    micro_grids.sort(key=lambda m: m.code)
    return Geography(areas, grids, micro_grids)


def _special_name(root: str, special_type: str, salt: int, used: set[str]) -> str:
    options = _FACILITIES[special_type]
    for k in range(len(options)):
        name = f"{root}{options[(salt + k) % len(options)]}专属网格"
        if name not in used:
            used.add(name)
            return name
    name = f"{root}{options[salt % len(options)]}{len(used) + 1}专属网格"
    used.add(name)
    return name
