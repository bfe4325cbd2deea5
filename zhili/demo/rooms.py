"""Units and rooms of the demo's residential buildings, made as standard addresses as households move in.

Every building address of the demo (a row with a building and no unit, under its door plate) gets a shape: in the
urban streets 1-3 units of 6-18 floors with 2-4 rooms a floor, in the towns (镇) 1-2 units of 2-6 floors with 2 rooms;
room "301" is the first room of the third floor. Households are spread over the buildings micro-grid by
micro-grid (each micro-grid's buildings shuffled, then taken in turns), so even a small registry reaches every
micro-grid that has buildings; a building is filled to the same share of its rooms as the whole registry needs
(at least 12 %, so a building looks lived in). Unit and room rows repeat their building's community, micro-grid
and point; a unit's parent is its building and a room's its unit, so the address matcher walks 幢 -> 单元 -> 室.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from zhili.addresses.models import Address
from zhili.org.models import MicroGrid

MIN_SHARE = 0.12


@dataclass
class Building:
    id: int
    road_id: int
    number: int
    number_suffix: str
    building: str
    area_id: int
    area_path: str
    micro_grid_id: int | None
    grid_id: int | None
    lon: float
    lat: float
    full_text: str
    units: int = 1
    floors: int = 6
    per_floor: int = 2

    @property
    def capacity(self) -> int:
        return self.units * self.floors * self.per_floor

    @property
    def located(self) -> dict[str, object]:
        return dict(area_id=self.area_id, area_path=self.area_path, grid_id=self.grid_id,
                    micro_grid_id=self.micro_grid_id)


@dataclass
class Room:
    building: Building
    unit: str
    room: str
    address_id: int = 0

    @property
    def full_text(self) -> str:
        return f"{self.building.full_text}{self.unit}单元{self.room}室"


def is_town(area_path: str) -> bool:
    """A community of a town (镇: street codes 330212 1xx) rather than an urban street (街道: 0xx)."""
    parts = area_path.strip("/").split("/")
    return len(parts) >= 2 and len(parts[-2]) == 12 and parts[-2][6] == "1"


def load_buildings(session: Session, rng: random.Random) -> list[Building]:
    """The buildings households can move into (none of whose units is registered yet), with their shapes."""
    unit = aliased(Address)
    has_units = select(unit.id).where(unit.parent_id == Address.id).exists()
    rows = session.execute(
        select(Address.id, Address.road_id, Address.number, Address.number_suffix, Address.building,
               Address.area_id, Address.area_path, Address.micro_grid_id, MicroGrid.grid_id, Address.lon,
               Address.lat, Address.full_text)
        .outerjoin(MicroGrid, MicroGrid.id == Address.micro_grid_id)
        .where(Address.building != "", Address.unit == "", Address.room == "", Address.active, ~has_units)
        .order_by(Address.id)).all()
    out = []
    for r in rows:
        b = Building(*r)
        if is_town(b.area_path):
            b.units, b.floors, b.per_floor = rng.randint(1, 2), rng.randint(2, 6), 2
        else:
            b.units, b.floors, b.per_floor = rng.randint(1, 3), rng.randint(6, 18), rng.randint(2, 4)
        out.append(b)
    return out


def spread(buildings: list[Building], rng: random.Random) -> list[Building]:
    """The buildings in the order households fill them: one per micro-grid in turn."""
    by_micro: dict[int, list[Building]] = {}
    for b in buildings:
        by_micro.setdefault(b.micro_grid_id or 0, []).append(b)
    queues = list(by_micro.values())
    rng.shuffle(queues)
    for q in queues:
        rng.shuffle(q)
    order: list[Building] = []
    depth = 0
    while len(order) < len(buildings):
        order += [q[depth] for q in queues if depth < len(q)]
        depth += 1
    return order


def quotas(order: list[Building], households: int) -> Iterator[tuple[Building, int]]:
    """(building, how many households) in fill order, for about `households`; a second round fills the rest of
    the rooms when the first falls short. Raises when the buildings cannot hold them all."""
    total = sum(b.capacity for b in order)
    if households > total:
        raise ValueError(f"演示楼栋共 {total} 套房间，容纳不下 {households} 户：请减少 --people")
    share = max(households / total if total else 1.0, MIN_SHARE)
    given: dict[int, int] = {}
    left = households
    for b in order:
        if left <= 0:
            return
        q = min(b.capacity, max(1, math.ceil(b.capacity * share)), left)
        given[b.id] = q
        left -= q
        yield b, q
    for b in order:  # only when the estimate of households was short
        if left <= 0:
            return
        q = min(b.capacity - given.get(b.id, 0), left)
        if q > 0:
            left -= q
            yield b, q
    raise ValueError("演示楼栋房间不足")


def pick_rooms(b: Building, count: int, seed: int, given: dict[int, int]) -> list[Room]:
    """`count` more rooms of building `b` (room number: floor * 100 + position, 301, 1203). Each building's rooms
    are taken in one shuffled order of its own, so a later round goes on where the first stopped without keeping
    every room taken in memory (`given`: how many each building has given so far)."""
    per_unit = b.floors * b.per_floor
    order = list(range(b.capacity))
    random.Random(seed * 1_000_003 + b.id).shuffle(order)
    start = given.get(b.id, 0)
    given[b.id] = start + count
    out = []
    for i in sorted(order[start:start + count]):
        unit, rest = divmod(i, per_unit)
        floor, k = divmod(rest, b.per_floor)
        out.append(Room(b, str(unit + 1), f"{floor + 1}{k + 1:02d}"))
    return out
