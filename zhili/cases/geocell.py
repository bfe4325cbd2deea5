"""A fixed lon/lat grid of ~250 m cells, so that "cases near this point" is an index lookup of a few integer keys.

Pure: no database. A cell is 1/400 degree on each side: 278 m north-south everywhere, 278 m x cos(latitude)
east-west (241 m at Ningbo's 29.8 N, 197 m at Harbin's 45.8 N). Its id is `row * COLUMNS + column`, counted from
(-180, -90), so every id is a non-negative integer below 2**36 (a BIGINT) and the cells of one row of the grid
have consecutive ids. A circle of 250 m touches at most 3 x 3 cells at our latitudes, one of 1 km about 9 x 9.

The same arithmetic runs in SQL for backfills (`floor((lat + 90) * 400) * 144000 + floor((lon + 180) * 400)`);
IEEE doubles make both give the same id.
"""

from __future__ import annotations

import math

PER_DEGREE = 400
COLUMNS = 360 * PER_DEGREE  # 144,000 cells per row
METERS_PER_DEGREE_LAT = 111_320.0
EARTH_RADIUS_M = 6_371_008.8


def cell_of(lon: float, lat: float) -> int:
    """The id of the cell holding the point."""
    return math.floor((lat + 90.0) * PER_DEGREE) * COLUMNS + math.floor((lon + 180.0) * PER_DEGREE)


def cells_around(lon: float, lat: float, radius_m: float) -> list[int]:
    """Every cell the bounding box of the circle (centre, radius) touches: a superset of the cells the circle
    touches, so a query over them misses nothing; the caller keeps what lies within the exact distance."""
    dlat = radius_m / METERS_PER_DEGREE_LAT
    dlon = radius_m / (METERS_PER_DEGREE_LAT * max(math.cos(math.radians(lat)), 0.01))
    row0 = math.floor((max(lat - dlat, -90.0) + 90.0) * PER_DEGREE)
    row1 = math.floor((min(lat + dlat, 90.0) + 90.0) * PER_DEGREE)
    col0 = max(math.floor((lon - dlon + 180.0) * PER_DEGREE), 0)
    col1 = min(math.floor((lon + dlon + 180.0) * PER_DEGREE), COLUMNS - 1)
    return [row * COLUMNS + col for row in range(row0, row1 + 1) for col in range(col0, col1 + 1)]


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance (haversine) in metres: exact to well under a metre at these distances."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
