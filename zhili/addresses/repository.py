"""Every address query. Roads and standard addresses are reference data, not personal data: the service decides
who may read them (a permission); the rows themselves carry the community path for jurisdiction filters."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from zhili.addresses.matcher import AddressEntry, AreaEntry, RoadEntry
from zhili.addresses.models import Address, Road, road_areas
from zhili.org.models import Area


def fingerprint(session: Session) -> tuple[object, ...]:
    """Changes whenever an area, road, road-area link or address is added, removed or updated: (count, max id,
    max updated_at) per table in one round trip."""
    row = session.execute(select(
        select(func.count()).select_from(Area).scalar_subquery(),
        select(func.max(Area.id)).scalar_subquery(),
        select(func.count()).select_from(Road).scalar_subquery(),
        select(func.max(Road.updated_at)).scalar_subquery(),
        select(func.count()).select_from(road_areas).scalar_subquery(),
        select(func.count()).select_from(Address).scalar_subquery(),
        select(func.max(Address.id)).scalar_subquery(),
        select(func.max(Address.updated_at)).scalar_subquery(),
    )).one()
    return tuple(row)


def gazetteer_rows(session: Session) -> tuple[list[AreaEntry], list[RoadEntry], list[AddressEntry]]:
    """Every area, road and active address, as the matcher's plain records."""
    areas = [AreaEntry(r.id, r.code, r.name, r.short_name, r.level.value, r.parent_id) for r in session.execute(
        select(Area.id, Area.code, Area.name, Area.short_name, Area.level, Area.parent_id))]
    links: dict[int, set[int]] = {}
    for road_id, area_id in session.execute(select(road_areas.c.road_id, road_areas.c.area_id)):
        links.setdefault(road_id, set()).add(area_id)
    roads = [RoadEntry(r.id, r.name, tuple(r.aliases or ()), r.district_id, frozenset(links.get(r.id, ())))
             for r in session.execute(select(Road.id, Road.name, Road.aliases, Road.district_id))]
    addresses = [AddressEntry(*row) for row in session.execute(
        select(Address.id, Address.road_id, Address.number, Address.number_suffix, Address.building, Address.unit,
               Address.room, Address.area_id, Address.lon, Address.lat, Address.full_text)
        .where(Address.active.is_(True)))]
    return areas, roads, addresses


def address_by_id(session: Session, address_id: int) -> Address | None:
    return session.get(Address, address_id)


def road_by_id(session: Session, road_id: int) -> Road | None:
    return session.get(Road, road_id)


def road_by_name(session: Session, district_id: int, name: str) -> Road | None:
    return session.scalar(select(Road).where(Road.district_id == district_id, Road.name == name))


def address_by_key(session: Session, road_id: int, number: int, number_suffix: str, building: str, unit: str,
                   room: str) -> Address | None:
    return session.scalar(select(Address).where(
        Address.road_id == road_id, Address.number == number, Address.number_suffix == number_suffix,
        Address.building == building, Address.unit == unit, Address.room == room))


def link_road(session: Session, road_id: int, area_ids: Sequence[int]) -> None:
    """Add the areas a road runs through (those already linked are skipped)."""
    have = set(session.scalars(select(road_areas.c.area_id).where(road_areas.c.road_id == road_id)))
    rows = [{"road_id": road_id, "area_id": a} for a in sorted(set(area_ids) - have)]
    if rows:
        session.execute(insert(road_areas), rows)


def area_id_by_code(session: Session, code: str) -> int | None:
    return session.scalar(select(Area.id).where(Area.code == code))
