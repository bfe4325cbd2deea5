"""Demo roads and standard addresses: a few straight roads per street, door plates along them (odd numbers on one
side, even on the other), buildings behind the residential ones. Deterministic for a seed.

Real road names come from ``data/yinzhou_roads.csv`` (placement approximate, see the data README); the rest are
generated from community names. Every point is located in the generated micro-grids, so an address's community
and micro-grid are those its point lies in; buildings that would fall in another community than their door plate
are left out. 天童南路588号 lies in 首南街道 and has buildings 1-8 (the issue's example).
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import numpy as np
from shapely.geometry import LineString, Point, Polygon
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from zhili.addresses.models import Address, Road, address_label, road_areas
from zhili.demo.geography import Geography
from zhili.kit import clock
from zhili.kit.geo import PolygonIndex
from zhili.org.models import Area, AreaLevel, MicroGrid

M_LAT = 1 / 110_900  # degrees of latitude per metre
EXAMPLE = ("天童南路", 588, "330212006000")  # must exist, in 首南街道, with buildings


@dataclass
class _Plate:
    road: int  # index into the road list
    number: int
    lon: float
    lat: float
    buildings: list[tuple[float, float]]


def _road_specs(geo: Geography, rng: random.Random) -> list[tuple[str, str, str]]:
    """(name, street code, direction) for every road: the real names, then generated ones up to the quota."""
    text = resources.files("zhili.demo").joinpath("data/yinzhou_roads.csv").read_text(encoding="utf-8")
    specs = [(r["name"], r["street_code"], r["direction"]) for r in csv.DictReader(text.splitlines())]
    streets = [a for a in geo.areas if a.level == "street"]
    used = {name for name, _, _ in specs}
    for st in streets:
        quota = 6 if st.code[6] == "0" else 4  # 街道 (0xx) are denser than 镇 (1xx)
        have = sum(1 for _, code, _ in specs if code == st.code)
        roots = [(a.short_name or a.name).removesuffix("社区").removesuffix("村") for a in geo.areas
                 if a.parent_code == st.code]
        rng.shuffle(roots)
        for root in roots:
            if have >= quota:
                break
            name = root + rng.choice(("路", "路", "路", "街"))
            if len(root) >= 2 and name not in used:
                used.add(name)
                specs.append((name, st.code, rng.choice(("ns", "ew"))))
                have += 1
    return specs


def _inside_point(poly: Polygon, rng: random.Random) -> Point:
    minx, miny, maxx, maxy = poly.bounds
    for _ in range(200):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if poly.contains(p):
            return p
    return poly.representative_point()


def _plates(geo: Geography, specs: list[tuple[str, str, str]], rng: random.Random) -> list[_Plate]:
    district = next(a.geom for a in geo.areas if a.level == "district")
    street_geom = {a.code: a.geom for a in geo.areas if a.level == "street"}
    plates: list[_Plate] = []
    for i, (name, street_code, direction) in enumerate(specs):
        urban = street_code[6] == "0"
        poly = street_geom[street_code]
        example = name == EXAMPLE[0]
        through = poly.representative_point() if example else _inside_point(poly, rng)
        angle = (90.0 if direction == "ns" else 0.0) + rng.uniform(-12, 12)
        m_lon = M_LAT / math.cos(math.radians(through.y))
        dx, dy = math.cos(math.radians(angle)), math.sin(math.radians(angle))  # unit direction, in metres
        if direction == "ns":
            dx, dy = -dx, -dy  # numbers grow southwards on north-south roads, eastwards on east-west ones
        ux, uy = dx * m_lon, dy * M_LAT  # one metre along the road, in degrees
        nx, ny = -dy * m_lon, dx * M_LAT  # one metre across it
        spacing = 20.0 if urban else 35.0  # metres between consecutive odd (or even) numbers
        length = rng.uniform(2500, 4500) if urban else rng.uniform(3500, 7000)
        before = (EXAMPLE[1] - 1) // 2 * spacing if example else rng.uniform(0.3, 0.7) * length
        x0, y0 = through.x - ux * before, through.y - uy * before
        line = LineString([(x0, y0), (x0 + ux * length * 1.5, y0 + uy * length * 1.5)])
        if not line.intersects(district):
            continue
        p_plate = 0.25 if urban else 0.15
        n_pairs = int(max(length, before + 200) / spacing)
        for k in range(n_pairs):
            along_x, along_y = x0 + ux * k * spacing, y0 + uy * k * spacing
            for side, number in ((1, 2 * k + 1), (-1, 2 * k + 2)):
                forced = example and number == EXAMPLE[1]
                if not forced and rng.random() > p_plate:
                    continue
                lon, lat = along_x + nx * side * 8, along_y + ny * side * 8
                buildings: list[tuple[float, float]] = []
                if forced or rng.random() < 0.3:
                    count = 8 if forced else rng.randint(2, 12 if urban else 6)
                    for j in range(count):
                        depth = 30 + 25 * (j // 4)
                        offset = (j % 4 - 1.5) * 18
                        buildings.append((along_x + nx * side * depth + ux * offset,
                                          along_y + ny * side * depth + uy * offset))
                plates.append(_Plate(i, number, lon, lat, buildings))
    return plates


@dataclass(frozen=True)
class PlannedAddress:
    road: str
    number: int
    building: str  # "" for the door plate
    lon: float
    lat: float
    micro_code: str
    community_code: str


def plan_addresses(geo: Geography, seed: int) -> tuple[list[str], list[tuple[PlannedAddress, list[PlannedAddress]]]]:
    """Pure: the road names and every door plate with its buildings, each located in the geography's micro-grids.
    Door plates outside every micro-grid are dropped, and buildings outside their door plate's community."""
    rng = random.Random(seed * 7919 + 3)
    specs = _road_specs(geo, rng)
    plates = _plates(geo, specs, rng)
    grid_comm = {g.code: g.community_code for g in geo.grids}
    micro = geo.micro_grids
    index = PolygonIndex((i, m.geom) for i, m in enumerate(micro))
    points = [(p.lon, p.lat) for p in plates] + [b for p in plates for b in p.buildings]
    located = index.locate_many(np.array([x for x, _ in points]), np.array([y for _, y in points])).tolist()
    plate_micro, building_micro = located[:len(plates)], iter(located[len(plates):])
    out: list[tuple[PlannedAddress, list[PlannedAddress]]] = []
    for plate, mi in zip(plates, plate_micro, strict=True):
        mis = [next(building_micro) for _ in plate.buildings]
        if mi < 0:
            continue
        road = specs[plate.road][0]
        community = grid_comm[micro[mi].grid_code]
        door = PlannedAddress(road, plate.number, "", round(plate.lon, 6), round(plate.lat, 6), micro[mi].code,
                              community)
        kids: list[PlannedAddress] = []
        for (lon, lat), bi in zip(plate.buildings, mis, strict=True):
            if bi >= 0 and grid_comm[micro[bi].grid_code] == community:
                kids.append(PlannedAddress(road, plate.number, str(len(kids) + 1), round(lon, 6), round(lat, 6),
                                           micro[bi].code, community))
        out.append((door, kids))
    used = {door.road for door, _ in out}
    return [name for name, _, _ in specs if name in used], out


def build_addresses(session: Session, geo: Geography, by_code: dict[str, Area], *, seed: int,
                    progress: Callable[[str, int, int], None] | None = None) -> int:
    """Insert the demo roads and addresses; returns how many addresses. Expects areas and micro-grids stored."""
    roads, plan = plan_addresses(geo, seed)
    micro_ids = dict(session.execute(select(MicroGrid.code, MicroGrid.id)).tuples().all())
    district = next(a for a in by_code.values() if a.level == AreaLevel.district)
    city = by_code.get(district.path.strip("/").split("/")[0])
    prefix = (city.name if city else "") + district.name
    now = clock.now()
    road_ids = dict(zip(roads, session.scalars(insert(Road).returning(Road.id, sort_by_parameter_order=True), [
        dict(name=name, aliases=[], district_id=district.id, updated_at=now) for name in roads]), strict=True))

    def row(a: PlannedAddress, street: Area) -> dict[str, object]:
        community = by_code[a.community_code]
        return dict(road_id=road_ids[a.road], number=a.number, number_suffix="", building=a.building, unit="",
                    room="", area_id=community.id, area_path=community.path, micro_grid_id=micro_ids[a.micro_code],
                    lon=a.lon, lat=a.lat, full_text=prefix + street.name + a.road + address_label(a.number, "",
                                                                                                   a.building),
                    source="demo", active=True, updated_at=now)

    doors, children = [], []
    links: set[tuple[int, int]] = set()
    for door, kids in plan:
        community = by_code[door.community_code]
        street = by_code[community.path.strip("/").split("/")[-2]]
        doors.append(row(door, street))
        children.append([row(k, street) for k in kids])
        links |= {(road_ids[door.road], community.id), (road_ids[door.road], street.id)}
    door_ids: list[int] = []
    for i in range(0, len(doors), 5000):
        door_ids += list(session.scalars(insert(Address).returning(Address.id, sort_by_parameter_order=True),
                                         doors[i:i + 5000]))
    rows = [dict(kid, parent_id=pid) for pid, kids in zip(door_ids, children, strict=True) for kid in kids]
    for i in range(0, len(rows), 10000):
        session.execute(insert(Address), rows[i:i + 10000])
        if progress:
            progress("标准地址", min(i + 10000, len(rows)), len(rows))
    session.execute(insert(road_areas), [{"road_id": r, "area_id": a} for r, a in sorted(links)])
    return len(doors) + len(rows)
