"""Point -> polygon lookup (lon/lat WGS84 -> micro-grid id). Pure: no database. GeoJSON reading and tiling
checks live in `zhili.kit.geojson`.

`PolygonIndex` answers "which polygon contains this point" for a fixed set of polygons (a city's ~40,000
micro-grids).  The design:

* A uniform bucket grid is laid over the bounds of all polygons (about ``cells_per_polygon`` cells per
  polygon, capped).  Every polygon ring is rasterised onto it twice, with plain numpy:

  - its boundary segments, cut into pieces no longer than a cell, mark every cell their (slightly padded)
    bounding boxes touch, giving for each cell the set B of polygons whose boundary may pass through it;
  - an even-odd scanline along each row of cell centres gives the set I of polygons containing each cell
    centre.

* A cell no boundary touches lies entirely inside every polygon of I and outside all others, so its answer
  is known in advance (the lowest id of I, or "outside").  Lookups landing there do no geometry at all.
* A cell some boundary touches keeps the sorted candidate list B ∪ I (any polygon containing a point of the
  cell either has its boundary in the cell or contains the whole cell, centre included).  Points landing
  there are tested against the candidates in ascending id order with GEOS (``shapely.intersects_xy`` on
  prepared polygons, so a point on the boundary counts as inside); the first hit wins.  That exact test is
  always the final word; the grid only decides which polygons need testing.

The padding (``_EPS_CELLS``, a millionth of a cell plus a margin for float rounding) makes the cell a point
is assigned to at lookup time and the cells a boundary is marked in agree even when rounding puts a point
a few ulps into the neighbouring cell.  Answers are therefore identical to testing every polygon with
``shapely.intersects``, and when a point lies on the border shared by several polygons (or in an overlap,
should the polygons overlap after all) the lowest id is returned.

Thread safety: the index never changes after ``__init__``.  GEOS builds the point-in-area locator of a
prepared polygon lazily on first use; ``__init__`` runs one test against every polygon so that happens
before the index is shared, and afterwards lookups only read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import MultiPolygon, Polygon

__all__ = ["PolygonIndex"]

# Padding of boundary pieces, in cells.  Must dwarf float rounding in the cell arithmetic (~1e-12 cells for
# city-sized lon/lat grids; a term proportional to the coordinate magnitude is added at build time).
_EPS_CELLS = 1e-6
_DEFAULT_CELLS_PER_POLYGON = 96.0
_MAX_CELLS = 6_000_000
_MIN_CELLS = 64
_BATCH = 1 << 19  # pieces / cells expanded at a time while building: bounds the build's transient memory

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------------------------------------
# PolygonIndex
# --------------------------------------------------------------------------------------------------------


def _sorted_unique(values: IntArray) -> IntArray:
    """``np.unique`` for int64 arrays: sort + compare is far faster than numpy 2's hash-based unique."""
    values = np.sort(values)
    if values.size < 2:
        return values
    keep = np.empty(values.size, dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _batches(sizes: IntArray, budget: int) -> Iterable[tuple[int, int]]:
    """Split ``range(len(sizes))`` into consecutive slices whose sizes sum to about ``budget`` (>= 1 item)."""
    total = np.cumsum(sizes)
    lo = 0
    while lo < len(sizes):
        done = int(total[lo - 1]) if lo else 0
        hi = max(lo + 1, int(np.searchsorted(total, done + budget, side="right")))
        yield lo, hi
        lo = hi


def _run_starts(values: IntArray) -> IntArray:
    """Positions where each run of equal values in a sorted array starts."""
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))


class PolygonIndex:
    """Immutable index of non-overlapping polygons keyed by int id. Built once, shared read-only by threads.

    ``locate`` / ``locate_many`` return the id of the polygon containing a point (boundary counts as inside;
    on a border shared by several polygons the lowest id), ``None`` / ``-1`` outside all of them.  The
    polygons given are prepared in place (``shapely.prepare``) and must not be modified afterwards.
    """

    def __init__(
        self,
        items: Iterable[tuple[int, Polygon | MultiPolygon]],
        *,
        cells_per_polygon: float = _DEFAULT_CELLS_PER_POLYGON,
        max_cells: int = _MAX_CELLS,
    ) -> None:
        pairs = list(items)
        ids = np.fromiter((int(i) for i, _ in pairs), dtype=np.int64, count=len(pairs))
        geoms = np.empty(len(pairs), dtype=object)
        for k, (pid, geom) in enumerate(pairs):
            if not isinstance(geom, Polygon | MultiPolygon):
                raise TypeError(f"polygon {pid}: expected Polygon or MultiPolygon, got {type(geom).__name__}")
            if geom.is_empty:
                raise ValueError(f"polygon {pid} is empty")
            geoms[k] = geom
        order = np.argsort(ids, kind="stable")
        ids, geoms = ids[order], geoms[order]
        if len(ids) > 1 and bool(np.any(ids[1:] == ids[:-1])):
            dup = int(ids[1:][ids[1:] == ids[:-1]][0])
            raise ValueError(f"duplicate polygon id {dup}")
        n = len(ids)
        self._n = n
        self._ids = ids
        self._geoms = geoms
        self._ids_list: list[int] = ids.tolist()

        if n == 0:
            self._bounds = (math.nan, math.nan, math.nan, math.nan)
            self._setup_grid_constants(0.0, 0.0, 1.0, 1.0, 1, 1)
            self._set_tables(np.full(1, -1, np.int32), np.zeros(1, np.int32), np.zeros(0, np.int32))
            return

        shapely.prepare(geoms)
        allb = shapely.bounds(geoms)
        minx, miny = float(allb[:, 0].min()), float(allb[:, 1].min())
        maxx, maxy = float(allb[:, 2].max()), float(allb[:, 3].max())
        self._bounds = (minx, miny, maxx, maxy)

        width, height = maxx - minx, maxy - miny
        target = int(min(max(cells_per_polygon * n, _MIN_CELLS), max(max_cells, 1)))
        if width > 0 and height > 0:
            size = math.sqrt(width * height / target)
        else:
            size = max(width, height) / target if max(width, height) > 0 else 1.0
        nx = max(1, min(math.ceil(width / size), target)) if width > 0 else 1
        ny = max(1, min(math.ceil(height / size), target)) if height > 0 else 1
        cx = width / nx if width > 0 else 1.0
        cy = height / ny if height > 0 else 1.0
        self._setup_grid_constants(minx, miny, cx, cy, nx, ny)

        owner, starts, cands = self._build_tables(geoms, max(abs(minx), abs(maxx), abs(miny), abs(maxy)))
        self._set_tables(owner, starts, cands)

    # -- construction ---------------------------------------------------------------------------------------

    def _setup_grid_constants(self, x0: float, y0: float, cx: float, cy: float, nx: int, ny: int) -> None:
        self._gx0, self._gy0 = x0, y0
        self._cx, self._cy = cx, cy
        self._icx, self._icy = 1.0 / cx, 1.0 / cy
        self._nx, self._ny = nx, ny

    def _set_tables(
        self, owner: NDArray[np.int32], starts: NDArray[np.int32], cands: NDArray[np.int32]
    ) -> None:
        # owner[cell]: >= 0 position of the polygon covering the whole cell, -1 nothing there,
        # <= -2 ambiguous: candidates are cands[starts[a]:starts[a + 1]] with a = -2 - owner[cell].
        cand_geoms = self._geoms[cands]  # candidate polygons in list order: slices are views
        for arr in (owner, starts, cands, cand_geoms, self._ids, self._geoms):
            arr.flags.writeable = False
        self._owner, self._starts, self._cands, self._cand_geoms = owner, starts, cands, cand_geoms
        # memoryviews index to plain Python ints (faster than numpy scalars in the single-point path)
        self._owner_mv = owner.data
        self._starts_mv = starts.data
        self._cands_mv = cands.data

    def _build_tables(
        self, geoms: NDArray[np.object_], coord_magnitude: float
    ) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.int32]]:
        n, nx, ny = self._n, self._nx, self._ny
        ncells = nx * ny
        eps = _EPS_CELLS + 64.0 * float(np.spacing(max(coord_magnitude, 1.0))) * max(self._icx, self._icy)

        parts, part_of = shapely.get_parts(geoms, return_index=True)
        rings, ring_of = shapely.get_rings(parts, return_index=True)
        coords, coord_of = shapely.get_coordinates(rings, return_index=True)
        poly_of_coord = part_of[ring_of[coord_of]]
        # Build GEOS's lazy point-in-area locators now, before the index is shared between threads.
        first = _run_starts(poly_of_coord)
        shapely.intersects_xy(geoms[poly_of_coord[first]], coords[first, 0], coords[first, 1])
        # grid units: cell (i, j) spans [i, i + 1] x [j, j + 1]
        u = (coords[:, 0] - self._gx0) * self._icx
        v = (coords[:, 1] - self._gy0) * self._icy
        same = coord_of[1:] == coord_of[:-1]
        u0, u1 = u[:-1][same], u[1:][same]
        v0, v1 = v[:-1][same], v[1:][same]
        seg_poly = poly_of_coord[:-1][same]

        boundary_codes = self._mark_boundaries(u0, u1, v0, v1, seg_poly, eps)
        marked = np.zeros(ncells, dtype=bool)
        marked[boundary_codes // n] = True
        best = np.full(ncells, n, dtype=np.int32)  # lowest polygon covering an unmarked cell, n for none
        inside_codes = self._scanline_interiors(u0, u1, v0, v1, seg_poly, marked, best)
        owner = np.where(best < n, best, -1).astype(np.int32)
        del best, marked

        codes = _sorted_unique(np.concatenate([boundary_codes, inside_codes]))
        del boundary_codes, inside_codes
        cand_cells = codes // n
        cands = (codes - cand_cells * n).astype(np.int32)
        first = _run_starts(cand_cells)
        amb_cells = cand_cells[first]
        starts = np.append(first, len(codes)).astype(np.int32)
        owner[amb_cells] = (-2 - np.arange(len(amb_cells))).astype(np.int32)
        return owner, starts, cands

    def _mark_boundaries(
        self,
        u0: FloatArray,
        u1: FloatArray,
        v0: FloatArray,
        v1: FloatArray,
        seg_poly: IntArray,
        eps: float,
    ) -> IntArray:
        """Sorted unique codes ``cell * n + polygon`` of the cells each polygon's boundary may touch.

        Segments are cut into pieces no longer than a cell; each piece marks the cells its bounding box,
        padded by ``eps`` cells, overlaps (at most 3 x 3, usually 1 or 2).
        """
        n, nx, ny = self._n, self._nx, self._ny
        du, dv = u1 - u0, v1 - v0
        pieces = np.maximum(1, np.ceil(np.maximum(np.abs(du), np.abs(dv)))).astype(np.int64)
        out = []
        for lo, hi in _batches(pieces, _BATCH):
            k = pieces[lo:hi]
            seg = np.repeat(np.arange(lo, hi), k)
            t0 = (np.arange(len(seg)) - np.repeat(np.cumsum(k) - k, k)) / pieces[seg]
            t1 = t0 + 1.0 / pieces[seg]
            ends = (u0[seg] + du[seg] * t0, u0[seg] + du[seg] * t1)
            ilo = np.clip(np.floor(np.minimum(*ends) - eps), 0, nx - 1).astype(np.int64)
            ihi = np.clip(np.floor(np.maximum(*ends) + eps), 0, nx - 1).astype(np.int64)
            ends = (v0[seg] + dv[seg] * t0, v0[seg] + dv[seg] * t1)
            jlo = np.clip(np.floor(np.minimum(*ends) - eps), 0, ny - 1).astype(np.int64)
            jhi = np.clip(np.floor(np.maximum(*ends) + eps), 0, ny - 1).astype(np.int64)
            del ends, t0, t1
            poly = seg_poly[seg]
            base = (jlo * nx + ilo) * n + poly
            del seg, poly
            chunk = []
            for oi in range(int((ihi - ilo).max()) + 1):
                for oj in range(int((jhi - jlo).max()) + 1):
                    ok = (ilo + oi <= ihi) & (jlo + oj <= jhi)
                    chunk.append(base[ok] + (oj * nx + oi) * n)
            out.append(_sorted_unique(np.concatenate(chunk)))
        if not out:
            return np.zeros(0, dtype=np.int64)
        return _sorted_unique(np.concatenate(out))

    def _scanline_interiors(
        self,
        u0: FloatArray,
        u1: FloatArray,
        v0: FloatArray,
        v1: FloatArray,
        seg_poly: IntArray,
        marked: NDArray[np.bool_],
        best: NDArray[np.int32],
    ) -> IntArray:
        """Find, by even-odd scanlines, the polygons containing each cell centre.

        For unmarked cells the lowest such polygon goes into ``best`` (in place); for marked cells the pairs
        are returned as codes ``cell * n + polygon``.

        Row r(y) = ceil(v - 1/2) of every vertex is computed once from its coordinates, so a ring always
        crosses each row-centre line an even number of times even when vertices sit on it.  Float error only
        affects centres within ~1e-12 cells of a boundary, and those cells are marked by that boundary.
        """
        n, nx, ny = self._n, self._nx, self._ny
        r0, r1 = np.ceil(v0 - 0.5), np.ceil(v1 - 0.5)
        lo, hi = np.minimum(r0, r1).astype(np.int64), np.maximum(r0, r1).astype(np.int64)
        cnt = hi - lo
        has = cnt > 0
        cnt, lo = cnt[has], lo[has]
        su0, su1, sv0, sv1, spoly = u0[has], u1[has], v0[has], v1[has], seg_poly[has]
        seg = np.repeat(np.arange(len(cnt)), cnt)
        row = lo[seg] + (np.arange(len(seg)) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        t = np.clip((row + 0.5 - sv0[seg]) / (sv1[seg] - sv0[seg]), 0.0, 1.0)
        xu = su0[seg] + (su1[seg] - su0[seg]) * t
        poly = spoly[seg]
        del seg, t
        order = np.lexsort((xu, row, poly))
        xu, row, poly = xu[order], row[order], poly[order]
        # every (polygon, row) group has an even count, so globally even positions open and odd ones close
        a, b, row, poly = xu[0::2], xu[1::2], row[0::2], poly[0::2]
        clo = np.maximum(np.ceil(a - 0.5), 0).astype(np.int64)
        chi = np.minimum(np.floor(b - 0.5), nx - 1).astype(np.int64)
        keep = (chi >= clo) & (row >= 0) & (row < ny)
        first_cell, poly = row[keep] * nx + clo[keep], poly[keep]
        span = chi[keep] - clo[keep] + 1
        del xu, a, b, row, clo, chi, keep, order
        out = [np.zeros(0, dtype=np.int64)]
        for lo_, hi_ in _batches(span, _BATCH):
            sp = span[lo_:hi_]
            iv = np.repeat(np.arange(lo_, hi_), sp)
            cells = first_cell[iv] + (np.arange(len(iv)) - np.repeat(np.cumsum(sp) - sp, sp))
            polys = poly[iv]
            on = marked[cells]
            np.minimum.at(best, cells[~on], polys[~on].astype(np.int32))
            out.append(cells[on] * n + polys[on])
        return np.concatenate(out)

    # -- queries --------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._n

    def bounds(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat) of all polygons; all NaN for an empty index."""
        return self._bounds

    def locate(self, lon: float, lat: float) -> int | None:
        """Id of the polygon containing (lon, lat), the lowest one on a shared border; None outside all."""
        minx, miny, maxx, maxy = self._bounds
        if not (minx <= lon <= maxx and miny <= lat <= maxy):  # also rejects NaN and an empty index
            return None
        ix = int((lon - self._gx0) * self._icx)
        if ix >= self._nx:
            ix = self._nx - 1
        iy = int((lat - self._gy0) * self._icy)
        if iy >= self._ny:
            iy = self._ny - 1
        o = self._owner_mv[iy * self._nx + ix]
        if o >= 0:
            return self._ids_list[o]
        if o == -1:
            return None
        a = -2 - o
        start = self._starts_mv[a]
        # one GEOS call for all candidates of the cell (a ufunc call costs more than a point-in-polygon test)
        hits = shapely.intersects_xy(self._cand_geoms[start : self._starts_mv[a + 1]], lon, lat).tolist()
        if True in hits:
            return self._ids_list[self._cands_mv[start + hits.index(True)]]
        return None

    def locate_many(self, lons: Any, lats: Any) -> IntArray:
        """Vectorised ``locate``: int64 ids shaped like the (broadcast) inputs, -1 where outside all."""
        x, y = np.broadcast_arrays(np.asarray(lons, dtype=np.float64), np.asarray(lats, dtype=np.float64))
        shape = x.shape
        x, y = x.ravel(), y.ravel()
        result = np.full(x.shape, -1, dtype=np.int64)
        if self._n == 0 or x.size == 0:
            return result.reshape(shape)
        minx, miny, maxx, maxy = self._bounds
        inside = (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
        sel: IntArray | None = None
        if not bool(inside.all()):
            sel = np.flatnonzero(inside)
            x, y = x[sel], y[sel]
        ix = ((x - self._gx0) * self._icx).astype(np.int64)
        np.minimum(ix, self._nx - 1, out=ix)
        iy = ((y - self._gy0) * self._icy).astype(np.int64)
        np.minimum(iy, self._ny - 1, out=iy)
        owner = self._owner[iy * self._nx + ix]
        pos = owner.astype(np.int64)
        amb = np.flatnonzero(owner <= -2)
        if amb.size:
            a = -2 - owner[amb].astype(np.int64)
            start = self._starts[a].astype(np.int64)
            end = self._starts[a + 1].astype(np.int64)
            pos[amb] = -1
            todo = np.arange(amb.size)
            k = 0
            while todo.size:
                todo = todo[start[todo] + k < end[todo]]
                if not todo.size:
                    break
                at = start[todo] + k
                cand = self._cands[at]
                pts = amb[todo]
                hit = shapely.intersects_xy(self._cand_geoms[at], x[pts], y[pts])
                pos[pts[hit]] = cand[hit]
                todo = todo[~hit]
                k += 1
        ids = np.where(pos >= 0, self._ids[np.maximum(pos, 0)], -1)
        if sel is None:
            return ids.reshape(shape)
        result[sel] = ids
        return result.reshape(shape)

    def stats(self) -> dict[str, float]:
        """Diagnostics: grid size, share of cells needing an exact test, candidates per such cell, bytes."""
        ncells = self._nx * self._ny
        namb = len(self._starts) - 1
        return {
            "polygons": float(self._n),
            "grid_nx": float(self._nx),
            "grid_ny": float(self._ny),
            "cells": float(ncells),
            "ambiguous_cell_share": namb / ncells if ncells else 0.0,
            "candidates_per_ambiguous_cell": len(self._cands) / namb if namb else 0.0,
            "table_bytes": float(
                self._owner.nbytes + self._starts.nbytes + self._cands.nbytes + self._cand_geoms.nbytes
            ),
        }
