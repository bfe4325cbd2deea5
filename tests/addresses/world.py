"""Roads and standard addresses of the test world (added by tests/factories.py's build_world).

  天童南路 (S1 首南): 588号 in grid A (its buildings 1-3 beside it), 590号 in grid B
  首南中路 (S1, alias 首南路): 100号 in grid A
  钱湖北路 (S2 下应): 588号 in grid C (same number as on 天童南路)
  鄞州大道 (S1 and S2): 1号 in grid A, 2号 in grid C
Address id 1 is 天童南路588号. Rows are written directly (two statements), not through the service, to keep every
test's world cheap; tests/addresses/test_service.py covers the service's own add_road/add_address.
"""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from zhili.addresses.models import Address, Road, address_label, road_areas
from zhili.kit import clock
from zhili.org.models import Area, Grid, MicroGrid

ROADS = [("天童南路", []), ("首南中路", ["首南路"]), ("钱湖北路", []), ("鄞州大道", [])]
# (road, number, building, lon, lat, grid key, community key, street key)
ADDRESSES = [
    ("天童南路", 588, "", 121.505, 29.81, "a", "c1", "s1"),
    ("天童南路", 588, "1", 121.504, 29.812, "a", "c1", "s1"),
    ("天童南路", 588, "2", 121.506, 29.812, "a", "c1", "s1"),
    ("天童南路", 588, "3", 121.506, 29.808, "a", "c1", "s1"),
    ("天童南路", 590, "", 121.52, 29.83, "b", "c1", "s1"),
    ("首南中路", 100, "", 121.51, 29.82, "a", "c1", "s1"),
    ("钱湖北路", 588, "", 121.57, 29.82, "c", "c2", "s2"),
    ("鄞州大道", 1, "", 121.51, 29.805, "a", "c1", "s1"),
    ("鄞州大道", 2, "", 121.58, 29.805, "c", "c2", "s2"),
]
TIANTONG_588 = 1


def add_addresses(session: Session, areas: dict[str, Area], grids: dict[str, Grid]) -> None:
    now = clock.now()
    district = areas["district"]
    road_ids = dict(zip([n for n, _ in ROADS], session.scalars(
        insert(Road).returning(Road.id, sort_by_parameter_order=True),
        [dict(name=n, aliases=a, district_id=district.id, updated_at=now) for n, a in ROADS]), strict=True))
    micro = {(gid, code[-2:]): mid for mid, gid, code in session.execute(
        select(MicroGrid.id, MicroGrid.grid_id, MicroGrid.code))}
    links: set[tuple[int, int]] = set()
    door_ids: dict[tuple[str, int], int] = {}
    for road, number, building, lon, lat, grid, community, street in ADDRESSES:
        g = grids[grid]
        half = "01" if lat >= (g.min_lat + g.max_lat) / 2 else "02"  # make_grid: 2 micro-grids, north first
        c, s = areas[community], areas[street]
        row = Address(parent_id=door_ids.get((road, number)) if building else None, road_id=road_ids[road],
                      number=number, number_suffix="", building=building, unit="", room="", area_id=c.id,
                      area_path=c.path, micro_grid_id=micro[(g.id, half)], lon=lon, lat=lat,
                      full_text=f"宁波市鄞州区{s.name}{road}{address_label(number, '', building)}", source="test",
                      active=True, updated_at=now)
        session.add(row)
        session.flush()
        if not building:
            door_ids[(road, number)] = row.id
        links |= {(road_ids[road], c.id), (road_ids[road], s.id)}
    session.execute(insert(road_areas), [{"road_id": r, "area_id": a} for r, a in sorted(links)])
