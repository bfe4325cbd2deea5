"""Pure tiling geometry for the demo generator: clipped-Voronoi partitions of a polygon, and snap-rounding a
whole hierarchy to the 1e-6 degree grid so that every parent is exactly the union of its children."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import MultiPolygon, Polygon

GRID_SIZE = 1e-6


# ---------------------------------------------------------------------------------------------------------
# float-level partitioning


def polygons(g: shapely.Geometry) -> list[Polygon]:
    out: list[Polygon] = []
    for part in shapely.get_parts(g):
        if isinstance(part, Polygon):
            if not part.is_empty and part.area > 0:
                out.append(part)
        elif isinstance(part, MultiPolygon | shapely.GeometryCollection):
            out.extend(polygons(part))
    return out


def _sample(poly: Polygon, k: int, rng: np.random.Generator) -> np.ndarray:
    """k uniform random points strictly inside poly."""
    minx, miny, maxx, maxy = poly.bounds
    frac = max(poly.area / ((maxx - minx) * (maxy - miny)), 0.02)
    shapely.prepare(poly)
    chunks: list[np.ndarray] = []
    got = 0
    for _ in range(200):
        m = int((k - got) / frac * 1.2) + 16
        xs = rng.uniform(minx, maxx, m)
        ys = rng.uniform(miny, maxy, m)
        inside = shapely.contains_xy(poly, xs, ys)
        chunks.append(np.column_stack([xs[inside], ys[inside]]))
        got += int(inside.sum())
        if got >= k:
            break
    pts = np.concatenate(chunks)[:k]
    if len(pts) < k:
        raise RuntimeError("could not sample points inside a polygon")
    return pts


def spread(poly: Polygon, n: int, rng: np.random.Generator,
            focus: tuple[float, float] | None = None, strength: float = 0.0) -> np.ndarray:
    """n well-spread seed points inside poly (greedy farthest-point selection among random candidates).

    With a focus, candidates near it count as farther apart (weight 1 + strength * gaussian), so seeds and
    hence cells are denser there."""
    cands = _sample(poly, max(12 * n, 40), rng)
    scale = np.ones(len(cands))
    if focus is not None and strength > 0:
        sigma = 0.3 * math.sqrt(poly.area)
        d2 = (cands[:, 0] - focus[0]) ** 2 + (cands[:, 1] - focus[1]) ** 2
        scale = np.sqrt(1.0 + strength * np.exp(-d2 / (2 * sigma * sigma)))
    first = int(rng.integers(len(cands)))
    chosen = [first]
    dist = np.hypot(cands[:, 0] - cands[first, 0], cands[:, 1] - cands[first, 1]) * scale
    for _ in range(n - 1):
        i = int(np.argmax(dist))
        chosen.append(i)
        dist = np.minimum(dist, np.hypot(cands[:, 0] - cands[i, 0], cands[:, 1] - cands[i, 1]) * scale)
    return cands[chosen]


def _voronoi_clip(parent: Polygon, seeds: np.ndarray) -> np.ndarray:
    vor = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=parent, ordered=True)
    cells = shapely.get_parts(vor)
    if len(cells) != len(seeds):
        raise RuntimeError("voronoi cells do not match seeds")
    return shapely.intersection(cells, parent)


def relax(parent: Polygon, seeds: np.ndarray, iterations: int, step: float = 1.0) -> np.ndarray:
    """Lloyd relaxation: move each seed (a fraction ``step``) towards the centroid of its clipped cell."""
    for _ in range(iterations):
        if len(seeds) < 2:
            return seeds
        cells = _voronoi_clip(parent, seeds)
        cent = shapely.get_coordinates(shapely.centroid(cells))
        target = seeds + step * (cent - seeds)
        ok = shapely.contains_xy(parent, target[:, 0], target[:, 1])
        if not ok.all():
            pos = shapely.get_coordinates(shapely.point_on_surface(cells[~ok]))
            target[~ok] = pos
        # Keep the seeds distinct (Voronoi merges duplicates).
        if len({(float(x), float(y)) for x, y in target}) < len(target):
            return seeds
        seeds = target
    return seeds


def partition(parent: Polygon, seeds: np.ndarray) -> list[Polygon]:
    """One Polygon per seed (same order), tiling parent up to float noise.

    A clipped Voronoi cell split in several pieces keeps its largest piece; every other piece goes to the
    neighbouring cell sharing the longest border with it."""
    n = len(seeds)
    if n == 1:
        return [parent]
    clipped = _voronoi_clip(parent, seeds)
    cells: list[shapely.Geometry] = []
    loose: list[tuple[int, Polygon]] = []
    for i, g in enumerate(clipped):
        parts = sorted(polygons(g), key=lambda p: -p.area)
        if not parts:
            raise RuntimeError("empty Voronoi cell")
        cells.append(parts[0])
        loose.extend((i, p) for p in parts[1:])
    for _ in range(4):
        if not loose:
            break
        for owner, piece in loose:
            eps = 1e-3 * math.sqrt(piece.area) + 1e-9
            touch = shapely.area(shapely.intersection(np.array(cells, dtype=object), piece.buffer(eps)))
            touch[owner] = -1.0
            j = int(np.argmax(touch))
            cells[j] = shapely.union(cells[j], piece)
        loose = []
        for i, g in enumerate(cells):
            if not isinstance(g, Polygon):
                parts = sorted(polygons(g), key=lambda p: -p.area)
                cells[i] = parts[0]
                loose.extend((i, p) for p in parts[1:])
    # Anything still loose is left for the final snapping step, which assigns every face somewhere.
    return [c if isinstance(c, Polygon) else polygons(c)[0] for c in cells]


# ---------------------------------------------------------------------------------------------------------
# snapping to the 1e-6 grid: one noded arrangement for the whole district


def dissolve(faces: np.ndarray, labels: np.ndarray, n: int) -> list[shapely.Geometry | None]:
    """Union of the faces of each label 0..n-1 (None for a label without faces)."""
    out: list[shapely.Geometry | None] = [None] * n
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n + 1))
    for k in range(n):
        idx = order[bounds[k]:bounds[k + 1]]
        if len(idx) == 1:
            out[k] = faces[idx[0]]
        elif len(idx) > 1:
            out[k] = shapely.coverage_union_all(faces[idx])
    return out


def _shared_border(a: shapely.Geometry, b: shapely.Geometry) -> float:
    return float(shapely.length(shapely.intersection(shapely.boundary(a), shapely.boundary(b))))


def snap(micro_geoms: Sequence[Polygon], micro_grid: Sequence[int], grid_community: Sequence[int],
         community_street: Sequence[int], n_streets: int) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Snap-round the micro-grid boundaries into one planar arrangement and label its faces.

    Returns the faces and, per level (street, community, grid, micro), each face's label and each entity's
    parent (index at the level above; -1 for streets). Every entity at every level is then a single
    Polygon made of whole faces, so parents are exactly the union of their children."""
    micro = np.array(micro_geoms, dtype=object)
    lines = shapely.union_all(shapely.boundary(micro), grid_size=GRID_SIZE)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    faces = faces[shapely.area(faces) > 0]
    points = shapely.point_on_surface(faces)
    tree = STRtree(micro)
    owner = np.full(len(faces), -1, dtype=np.int64)
    hits = tree.query(points, predicate="within")
    owner[hits[0]] = hits[1]
    missing = np.flatnonzero(owner < 0)
    if len(missing):  # slivers that fell between float cells: nearest micro-grid
        near = tree.query_nearest(points[missing], return_distance=False, all_matches=False)
        owner[missing[near[0]]] = near[1]

    micro_grid_a = np.array(micro_grid)
    grid_comm = np.array(grid_community)
    comm_street = np.array(community_street)
    parents = [np.full(n_streets, -1), comm_street, grid_comm, micro_grid_a]
    grid_of = micro_grid_a[owner]
    labels = [comm_street[grid_comm[grid_of]], grid_comm[grid_of], grid_of, owner]

    for level in range(4):
        for _ in range(5):
            geoms = dissolve(faces, labels[level], len(parents[level]))
            if not _fix_level(faces, points, labels, parents, level, geoms):
                break
        else:
            raise RuntimeError("could not make every entity a single polygon")
    return faces, labels, parents


def _fix_level(faces: np.ndarray, points: np.ndarray, labels: list[np.ndarray], parents: list[np.ndarray],
               level: int, geoms: list[shapely.Geometry | None]) -> bool:
    """Give every non-largest part of a multi-part entity to the sibling sharing the longest border with it.

    The faces moved are relabelled at the lower levels too (to the child of the new owner bordering them
    most). Returns whether anything moved."""
    moved = False
    lab = labels[level]
    for e, g in enumerate(geoms):
        if g is None or isinstance(g, Polygon):
            continue
        parts = sorted(polygons(g), key=lambda p: -p.area)
        mine = np.flatnonzero(lab == e)
        for part in parts[1:]:
            inside = mine[shapely.contains(part, points[mine])]
            siblings = [s for s in range(len(geoms))
                        if s != e and geoms[s] is not None and parents[level][s] == parents[level][e]]
            best, best_len = -1, 0.0
            for s in siblings:
                sg = geoms[s]
                assert sg is not None
                if sg.intersects(part):
                    length = _shared_border(sg, part)
                    if length > best_len:
                        best, best_len = s, length
            if best < 0:
                continue
            moved = True
            lab[inside] = best
            target = best
            for lower in range(level + 1, 4):
                scored = []
                for c in np.flatnonzero(parents[lower] == target):
                    own = faces[labels[lower] == c]
                    if len(own):
                        scored.append((_shared_border(shapely.coverage_union_all(own), part), int(c)))
                target = max(scored)[1]
                labels[lower][inside] = target
    return moved
