"""Address use cases: resolve free text to a standard address, read one, register roads and addresses.

`resolve(session, text)` is the interface intake code calls (the case form, Open311): it never raises for odd text,
it answers `matched=False` with a Chinese message asking for a pin. The gazetteer is built once per process and
database, and rebuilt when the areas, roads or addresses change (checked at most every `refresh_seconds`), like the
grid index of `org.spatial`. Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from zhili.addresses import repository
from zhili.addresses.matcher import Gazetteer, Match
from zhili.addresses.models import Address, Road, address_label
from zhili.addresses.schemas import AddressMatch, AddressRead
from zhili.auth.actor import Actor
from zhili.kit import clock
from zhili.kit.errors import NotFound, ValidationFailed
from zhili.kit.versioned import VersionedCache
from zhili.org import service as org_service

MAX_TEXT = 200
READ_PERMISSIONS = ("cases.intake", "cases.report")
"""Who may resolve and read addresses: whoever takes or files a case. Not personal data, but deny by default."""


def _build(session: Session, version: Any) -> Gazetteer:
    areas, roads, addresses = repository.gazetteer_rows(session)
    return Gazetteer(areas, roads, addresses, version=version)


_cache: VersionedCache[Gazetteer] = VersionedCache(repository.fingerprint, _build)


def current_gazetteer(session: Session, refresh_seconds: float = 5.0) -> Gazetteer:
    """This process's gazetteer for the session's database (kit/versioned.py: rebuilt when the tables changed)."""
    return _cache.get(session, refresh_seconds)


def forget(session: Session) -> None:
    """Drop this database's cached gazetteer (tests, after a schema reset)."""
    _cache.forget(session)


def resolve(session: Session, text: str, refresh_seconds: float = 5.0) -> AddressMatch:
    """Where a free-text address is: the standard address, its point, community, street and grid; or, when no door
    matches well enough, `matched=False`, no point, what is known (street, community) and the reason."""
    gaz = current_gazetteer(session, refresh_seconds)
    m = gaz.match(text[:MAX_TEXT]) if text and text.strip() else Match(
        False, 0.0, "none", "", "未能识别地址，请在地图上标点", reasons=["地址为空"])
    return _answer(session, gaz, m, refresh_seconds)


def _answer(session: Session, gaz: Gazetteer, m: Match, refresh_seconds: float) -> AddressMatch:
    out = AddressMatch(matched=m.matched, confidence=m.confidence, level=m.level, normalized=m.normalized,
                       message=m.message, reasons=m.reasons, road_name=m.road.name if m.road else None)
    for attr, area_id in (("street", m.street_id), ("community", m.community_id)):
        area = gaz.areas.get(area_id) if area_id is not None else None
        if area is not None:
            setattr(out, f"{attr}_code", area.code)
            setattr(out, f"{attr}_name", area.name)
    if m.matched and m.address is not None:
        out.lon, out.lat, out.standard_address_id = m.address.lon, m.address.lat, m.address.id
        _place(session, out, m.address.lon, m.address.lat, refresh_seconds)
    return out


def _place(session: Session, out: AddressMatch | AddressRead, lon: float, lat: float,
           refresh_seconds: float) -> None:
    """Grid and micro-grid of the point as the grid index says now (grids may have been redrawn since the address
    was registered)."""
    loc = org_service.locate(session, lon, lat, refresh_seconds)
    if loc is None:
        return
    refs = org_service.grid_refs(session, [loc.grid_id])
    if loc.grid_id in refs:
        out.grid_code, out.grid_name = refs[loc.grid_id]
    if loc.micro_grid_id is not None:
        micro = org_service.micro_grid_ref(session, loc.micro_grid_id)
        out.micro_grid_code = micro[0] if micro else None


def _require_reader(actor: Actor) -> None:
    if not any(actor.can(p) for p in READ_PERMISSIONS):
        actor.require(READ_PERMISSIONS[0])  # raises the audited 403


def resolve_for(session: Session, actor: Actor, text: str, refresh_seconds: float = 5.0) -> AddressMatch:
    _require_reader(actor)
    if not text.strip():
        raise ValidationFailed("请输入地址", field="q")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"地址不能超过 {MAX_TEXT} 个字", field="q")
    return resolve(session, text, refresh_seconds)


def address_by_id(session: Session, address_id: int, refresh_seconds: float = 5.0) -> AddressRead | None:
    """One standard address with its road, community, street and grid; None when there is none."""
    addr = repository.address_by_id(session, address_id)
    if addr is None:
        return None
    road = repository.road_by_id(session, addr.road_id)
    assert road is not None
    codes = [c for c in addr.area_path.strip("/").split("/") if c]
    refs = org_service.area_refs_on_paths(session, {addr.area_path})
    street = refs.get(codes[-2]) if len(codes) >= 2 else None
    community = refs[codes[-1]]
    out = AddressRead(id=addr.id, level=addr.level, parent_id=addr.parent_id, road_name=road.name,
                      number=addr.number, number_suffix=addr.number_suffix, building=addr.building, unit=addr.unit,
                      room=addr.room, full_text=addr.full_text, lon=addr.lon, lat=addr.lat,
                      street_code=street[0] if street else None, street_name=street[1] if street else None,
                      community_code=community[0], community_name=community[1], grid_code=None, grid_name=None,
                      micro_grid_code=None, source=addr.source, active=addr.active)
    _place(session, out, addr.lon, addr.lat, refresh_seconds)
    return out


def get_address(session: Session, actor: Actor, address_id: int, refresh_seconds: float = 5.0) -> AddressRead:
    _require_reader(actor)
    found = address_by_id(session, address_id, refresh_seconds)
    if found is None:
        raise NotFound()
    return found


# ---- registering roads and addresses (the registry, imports, tests) ------------------------------------------

def add_road(session: Session, *, district_id: int, name: str, aliases: Sequence[str] = ()) -> Road:
    if repository.road_by_name(session, district_id, name) is not None:
        raise ValidationFailed(f"道路“{name}”已存在", field="name")
    road = Road(name=name, aliases=list(aliases), district_id=district_id, updated_at=clock.now())
    session.add(road)
    session.flush()
    return road


def add_address(session: Session, road: Road, *, number: int, lon: float, lat: float, number_suffix: str = "",
                building: str = "", unit: str = "", room: str = "", source: str = "manual") -> Address:
    """Register one standard address. The point must lie in a grid: its community (and micro-grid) come from
    there, and the road is linked to that community and its street. The level above must exist already."""
    if number < 1:
        raise ValidationFailed("门牌号应为正整数", field="number")
    key = (number_suffix, building, unit, room)
    if repository.address_by_key(session, road.id, number, *key) is not None:
        raise ValidationFailed("该标准地址已存在", field="number")
    loc = org_service.locate(session, lon, lat, refresh_seconds=0)
    if loc is None:
        raise ValidationFailed("该点不在任何网格内", field="lon")
    levels = [building, unit, room]
    if (unit and not building) or (room and not unit):
        raise ValidationFailed("缺少上一级（幢/单元）", field="building")
    depth = sum(1 for v in levels if v)
    parent = None
    if depth:
        upper = [*levels[:depth - 1], *[""] * (4 - depth)]
        parent = repository.address_by_key(session, road.id, number, number_suffix, *upper)
        if parent is None:
            raise ValidationFailed("请先登记上一级地址", field="building")
    codes = [c for c in loc.community_path.strip("/").split("/") if c]
    refs = org_service.area_refs_on_paths(session, {loc.community_path})
    names = "".join(refs[c][1] for c in codes[:-1] if c in refs)  # city, district, street
    addr = Address(parent_id=parent.id if parent else None, road_id=road.id, number=number,
                   number_suffix=number_suffix, building=building, unit=unit, room=room, area_id=loc.community_id,
                   area_path=loc.community_path, micro_grid_id=loc.micro_grid_id, lon=lon, lat=lat,
                   full_text=names + road.name + address_label(number, number_suffix, building, unit, room),
                   source=source, active=True, updated_at=clock.now())
    session.add(addr)
    session.flush()
    street_id = repository.area_id_by_code(session, codes[-2]) if len(codes) >= 2 else None
    repository.link_road(session, road.id, [loc.community_id] + ([street_id] if street_id else []))
    return addr
