"""Point -> micro-grid / grid / community / street, through an in-memory index shared by the process.

Each process keeps one index per database. Before answering it checks `geo_state.version` (at most once every
`geo_refresh_seconds`) and rebuilds when grids changed, so an import in one replica reaches the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from zhili.kit.geo import PolygonIndex
from zhili.kit.geojson import shape_from_geojson
from zhili.kit.versioned import VersionedCache
from zhili.org import repository


@dataclass(frozen=True)
class Location:
    micro_grid_id: int | None
    grid_id: int
    community_id: int
    community_path: str


class LocationIndex:
    def __init__(self, version: int, micro: list[tuple[int, int, dict[str, Any]]],
                 grids: list[tuple[int, int, str, dict[str, Any]]]) -> None:
        self.version = version
        self.micro_index = PolygonIndex((mid, shape_from_geojson(geom)) for mid, _, geom in micro)
        self.grid_index = PolygonIndex((gid, shape_from_geojson(geom)) for gid, _, _, geom in grids)
        self.micro_to_grid = {mid: gid for mid, gid, _ in micro}
        self.grid_to_area = {gid: (aid, path) for gid, aid, path, _ in grids}

    def locate(self, lon: float, lat: float) -> Location | None:
        mid = self.micro_index.locate(lon, lat)
        gid = self.micro_to_grid.get(mid) if mid is not None else self.grid_index.locate(lon, lat)
        if gid is None:
            return None
        aid, path = self.grid_to_area[gid]
        return Location(mid, gid, aid, path)

    def locate_many(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Grid ids (-1 outside) for many points at once."""
        mids = self.micro_index.locate_many(lons, lats)
        out = np.full(len(mids), -1, dtype=np.int64)
        lookup = self.micro_to_grid
        found = mids >= 0
        out[found] = [lookup[int(m)] for m in mids[found]]
        missing = ~found
        if missing.any():
            out[missing] = self.grid_index.locate_many(lons[missing], lats[missing])
        return out


def _build(session: Session, version: Any) -> LocationIndex:
    micro, grids = repository.all_index_rows(session)
    return LocationIndex(version, micro, grids)


_cache: VersionedCache[LocationIndex] = VersionedCache(repository.geo_version, _build)


def current_index(session: Session, refresh_seconds: float = 5.0) -> LocationIndex:
    """This process's index for the session's database (kit/versioned.py: rebuilt when grids changed)."""
    return _cache.get(session, refresh_seconds)


def forget(session: Session) -> None:
    """Drop this database's cached index (tests, after a schema reset)."""
    _cache.forget(session)
