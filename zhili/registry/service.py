"""Browsing the registry: lists with filters and exact search, entity pages, address pages, and the audited reveal.

Who sees what is the repository's (`scope_of` / `visible`: deny by default, out of scope = 404); how it is shown is
present.py's (masked on the server). A department scope may filter only by the fields it owns: searching people by
ID number is itself a way of reading it. Search by ID or phone number normalises the value (validate.py) and looks
up its blind index. Nothing here commits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from zhili.addresses.models import Address, address_label
from zhili.auth import audit
from zhili.auth.actor import Actor
from zhili.cases import service as cases_service
from zhili.config import Settings
from zhili.kit import clock
from zhili.kit.crypto import blind_index
from zhili.kit.errors import Forbidden, NotFound, ValidationFailed
from zhili.org import service as org_service
from zhili.registry import repository_browse as browse
from zhili.registry import validate
from zhili.registry.fields import LABELS, SENSITIVE_TAGS, TAGS
from zhili.registry.models import (
    KIND_LABEL,
    EntityKind,
    House,
    HouseUse,
    Person,
    PersonStatus,
    Place,
    PlaceKind,
    Residency,
    Vehicle,
)
from zhili.registry.present import is_minor, mask_value, must_mask, person_name, present
from zhili.registry.repository import MODELS, Scope, get_visible, scope_of
from zhili.registry.schemas import (
    AddressDetail,
    BrowseQuery,
    ConflictRead,
    ConflictValue,
    CorrectionRead,
    EntityDetail,
    EntityPage,
    EntityRow,
    FieldRead,
    LinkRead,
    RefRead,
    RevealRead,
    SourceRead,
)

PATH_KINDS = {"people": EntityKind.person, "houses": EntityKind.house, "vehicles": EntityKind.vehicle,
              "places": EntityKind.place}
KIND_PATH = {k: p for p, k in PATH_KINDS.items()}
LIST_COLUMNS: dict[EntityKind, tuple[str, ...]] = {
    EntityKind.person: ("name", "id_number", "sex", "birth_date", "phone", "residency", "tags", "status"),
    EntityKind.house: ("address", "use", "floor_area", "owner", "rented"),
    EntityKind.vehicle: ("plate", "plate_kind", "brand", "color", "owner"),
    EntityKind.place: ("name", "kind", "address", "contact_name", "contact_phone"),
}
# filter -> (kinds it applies to, the field it reads)
FILTER_FIELDS: dict[str, tuple[frozenset[EntityKind], dict[EntityKind, str]]] = {
    "residency": (frozenset({EntityKind.person}), {EntityKind.person: "residency"}),
    "status": (frozenset({EntityKind.person}), {EntityKind.person: "status"}),
    "tag": (frozenset({EntityKind.person, EntityKind.place}), {EntityKind.person: "tags", EntityKind.place: "tags"}),
    "name": (frozenset({EntityKind.person, EntityKind.place}), {EntityKind.person: "name", EntityKind.place: "name"}),
    "kind": (frozenset({EntityKind.place}), {EntityKind.place: "kind"}),
    "use": (frozenset({EntityKind.house}), {EntityKind.house: "use"}),
    "plate": (frozenset({EntityKind.vehicle}), {EntityKind.vehicle: "plate"}),
    "id_number": (frozenset({EntityKind.person}), {EntityKind.person: "id_number"}),
    "phone": (frozenset({EntityKind.person, EntityKind.place}),
              {EntityKind.person: "phone", EntityKind.place: "contact_phone"}),
}
RELATION_LABEL = {"lives": "居住", "owns": "产权", "rents": "租住"}
LEVEL_LABEL = {"number": "门牌", "building": "楼栋", "unit": "单元", "room": "室"}
MAX_LIMIT = 200
_ID_SHAPE = re.compile(r"\d{17}[\dX]")


def kind_of(path_kind: str) -> EntityKind:
    kind = PATH_KINDS.get(path_kind)
    if kind is None:
        raise NotFound("页面或记录不存在")
    return kind


def today_of(settings: Settings) -> date:
    return clock.now().astimezone(ZoneInfo(settings.timezone)).date()


def stale_months(settings: Settings) -> int:
    return int(getattr(settings, "registry_stale_months", 6))


def _scope(session: Session, actor: Actor) -> Scope:
    actor.require("registry.read")
    return scope_of(session, actor)


def entity_href(kind: EntityKind, entity_id: int) -> str:
    return f"/gov/registry/{KIND_PATH[kind]}/{entity_id}"


# ---- filters ----------------------------------------------------------------------------------------------------

def _choice(value: str, allowed: type[Any], name: str, label: str) -> Any:
    try:
        return allowed(value)
    except ValueError:
        raise ValidationFailed(f"未知的{label}", field=name) from None


def _filters(session: Session, scope: Scope, kind: EntityKind, q: BrowseQuery) -> list[ColumnElement[bool]]:
    model = MODELS[kind]
    out: list[ColumnElement[bool]] = []
    if q.area:
        area = browse.area_by_code(session, q.area.strip())
        if area is None or not browse.area_allowed(session, scope, kind, area.path):
            raise NotFound("区划不存在或不在您的辖区内", field="area")
        out.append(browse.in_subtree(kind, area.path))
    if q.grid:
        grid = browse.grid_by_code(session, q.grid.strip())
        if grid is None or not browse.grid_allowed(scope, kind, grid.id, grid.area_path):
            raise NotFound("网格不存在或不在您的辖区内", field="grid")
        out.append(model.grid_id == grid.id)
    allowed = scope.fields_for(kind)
    for name, (kinds, fields) in FILTER_FIELDS.items():
        value = getattr(q, name)
        if value is None or not str(value).strip():
            continue
        value = str(value).strip()
        if kind not in kinds:
            raise ValidationFailed("该列表不支持此筛选条件", field=name)
        if fields[kind] not in allowed:
            raise Forbidden(f"您无权按“{LABELS[kind][fields[kind]]}”查询", field=name)
        out.append(_one_filter(kind, name, value))
    return out


def _one_filter(kind: EntityKind, name: str, value: str) -> ColumnElement[bool]:
    if name == "residency":
        return Person.residency == _choice(value, Residency, name, "户籍类型")
    if name == "status":
        return Person.status == _choice(value, PersonStatus, name, "人员状态")
    if name == "kind":
        return Place.kind == _choice(value, PlaceKind, name, "场所类型")
    if name == "use":
        return House.use == _choice(value, HouseUse, name, "房屋用途")
    if name == "tag":
        if kind == EntityKind.person and value not in TAGS:
            raise ValidationFailed("未知的人群标签", field=name)
        return browse.with_tag(kind, value[:32])
    if name == "name":
        column = Person.name if kind == EntityKind.person else Place.name
        return column.startswith(value[:32], autoescape=True)
    if name == "plate":
        return Vehicle.plate.startswith(value.upper()[:16], autoescape=True)
    if name == "id_number":  # the shape only: a stored number that fails its checksum must still be found
        number = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", value)).upper()
        if not _ID_SHAPE.fullmatch(number):
            raise ValidationFailed("身份证号：请输入完整的18位号码", field=name)
        return Person.id_number_bidx == blind_index(number)
    try:
        phone = validate.phone(value)
    except validate.InvalidValue as exc:
        raise ValidationFailed(f"电话号码：{exc.reason}", field=name) from None
    bidx = Person.phone_bidx if kind == EntityKind.person else Place.contact_phone_bidx
    return bidx == blind_index(phone)


# ---- lists ------------------------------------------------------------------------------------------------------

def _refs(session: Session, kind: EntityKind, items: Sequence[Any], today: date) -> dict[int, dict[str, str]]:
    """Display text of the fields that are not columns (address, household, owner), for a page of entities."""
    addresses = browse.address_texts(session, [e.address_id for e in items])
    owners = browse.people_briefs(session, [getattr(e, "owner_person_id", None) for e in items])
    households = browse.household_numbers(session, [getattr(e, "household_id", None) for e in items])
    out: dict[int, dict[str, str]] = {}
    for e in items:
        refs = {"address": addresses.get(e.address_id or 0) or e.address_text or ""}
        owner_id = getattr(e, "owner_person_id", None)
        if owner_id in owners:
            name, birth = owners[owner_id]
            refs["owner"] = person_name(name, birth, today)
        household_id = getattr(e, "household_id", None)
        if household_id:
            refs["household"] = households.get(household_id) or f"#{household_id}"
        out[e.id] = refs
    return out


def list_entities(session: Session, actor: Actor, settings: Settings, kind: EntityKind,
                  q: BrowseQuery) -> EntityPage:
    scope = _scope(session, actor)
    limit = max(1, min(q.limit, MAX_LIMIT))
    items, total = browse.entity_page(session, scope, kind, _filters(session, scope, kind, q), before_id=q.before,
                                      limit=limit)
    today = today_of(settings)
    refs = _refs(session, kind, items, today)
    grids = browse.grid_names(session, [e.grid_id for e in items])
    allowed = scope.fields_for(kind)
    rows = []
    for e in items:
        view = present(e, kind, scope, today, refs=refs[e.id], stale_months=stale_months(settings))
        g = grids.get(e.grid_id or 0)
        rows.append(EntityRow(id=e.id, kind=kind.value, title=view.title, minor=view.minor,
                              grid=RefRead(code=g[0], name=g[1]) if g else None,
                              values={f.field: f.value for f in view.fields if f.field in LIST_COLUMNS[kind]},
                              hidden_tags=view.hidden_tags))
    return EntityPage(items=rows, total=min(total, browse.COUNT_CAP), total_capped=total > browse.COUNT_CAP,
                      limit=limit, next_before=items[-1].id if len(items) == limit else None,
                      fields={f: LABELS[kind][f] for f in LIST_COLUMNS[kind] if f in allowed})


# ---- an entity's page -------------------------------------------------------------------------------------------

def _shown(kind: EntityKind, field: str, text: Any, *, minor: bool, can_reveal: bool) -> str:
    """A stored value (a conflict's, a correction's) as the viewer may see it."""
    if field == "tags" and kind == EntityKind.person and not can_reveal:
        hidden = {TAGS[t] for t in SENSITIVE_TAGS} | set(SENSITIVE_TAGS)
        parts = [p for p in str(text or "").replace(",", "、").split("、") if p]
        kept = [p for p in parts if p not in hidden]
        gone = len(parts) - len(kept)
        return "、".join(kept) + (f"（另有 {gone} 项敏感标签）" if gone else "")
    return mask_value(kind, field, text, minor=minor)


def _link(session: Session, scope: Scope, kind: EntityKind, entity: Any, today: date, note: str = "") -> LinkRead:
    view = present(entity, kind, scope, today, refs=_refs(session, kind, [entity], today)[entity.id])
    return LinkRead(kind=kind.value, id=entity.id, title=view.title, note=note, href=entity_href(kind, entity.id))


def _address_link(session: Session, scope: Scope, address_id: int | None, text: str, note: str = "") -> LinkRead | None:
    if not address_id:
        return None
    found = browse.address_with_grid(session, address_id)
    href = f"/gov/registry/addresses/{address_id}" if found and browse.address_visible(scope, *found) else None
    return LinkRead(kind="address", id=address_id, title=text or (found[0].full_text if found else ""), note=note,
                    href=href)


def _area_refs(session: Session, path: str | None) -> tuple[RefRead | None, RefRead | None]:
    """(street, community) of a community's path."""
    if not path:
        return None, None
    codes = [c for c in path.strip("/").split("/") if c]
    refs = org_service.area_refs_on_paths(session, {path})
    street = refs.get(codes[-2]) if len(codes) >= 2 else None
    community = refs.get(codes[-1]) if codes else None
    return (RefRead(code=street[0], name=street[1]) if street else None,
            RefRead(code=community[0], name=community[1]) if community else None)


def _cases(session: Session, actor: Actor, settings: Settings, links: Sequence[tuple[str, Sequence[int]]]) -> list[Any]:
    ids = browse.linked_case_ids(session, links)
    return cases_service.visible_summaries(cases_service.Ctx(session, actor, settings), ids)


def entity_detail(session: Session, actor: Actor, settings: Settings, kind: EntityKind,
                  entity_id: int) -> EntityDetail:
    scope = _scope(session, actor)
    entity = get_visible(session, scope, kind, entity_id)
    if entity is None:
        raise NotFound()
    today = today_of(settings)
    refs = _refs(session, kind, [entity], today)[entity.id]
    view = present(entity, kind, scope, today, refs=refs, stale_months=stale_months(settings))
    allowed = scope.fields_for(kind)
    can_reveal = actor.can("pii.reveal")

    def shown(field: str, text: Any) -> str:
        return _shown(kind, field, text, minor=view.minor, can_reveal=can_reveal)

    conflicts = [ConflictRead(field=c.field, label=LABELS[kind].get(c.field, c.field), since=c.created_at,
                              values=[ConflictValue(source=str(v.get("source", "")), value=shown(c.field, v.get("value")),
                                                    at=v.get("at")) for v in c.values or []])
                 for c in browse.open_conflicts(session, kind, entity.id) if c.field in allowed]
    corrections = [CorrectionRead(field=c.field, label=LABELS[kind].get(c.field, c.field),
                                  old_value=shown(c.field, c.old_value), new_value=shown(c.field, c.new_value),
                                  reason=c.reason, by_name=c.by_name, at=c.at)
                   for c in browse.corrections_of(session, kind, entity.id) if c.field in allowed]
    street, community = _area_refs(session, entity.area_path)
    grid = browse.grid_names(session, [entity.grid_id]).get(entity.grid_id or 0)
    detail = EntityDetail(
        id=entity.id, kind=kind.value, kind_label=KIND_LABEL[kind], title=view.title, minor=view.minor,
        hidden_tags=view.hidden_tags, grid=RefRead(code=grid[0], name=grid[1]) if grid else None,
        street=street, community=community,
        address=_address_link(session, scope, entity.address_id, refs["address"]) if "address" in allowed else None,
        fields=[FieldRead(**f.__dict__) for f in view.fields], conflicts=conflicts,
        sources=[SourceRead(source=s, imported_at=at) for s, at in browse.source_records(session, kind, entity.id)],
        corrections=corrections, cases=[])
    links: list[tuple[str, Sequence[int]]] = []
    if kind == EntityKind.person:
        _person_parts(session, scope, entity, detail, allowed, today)
        links = [("person", [entity.id])]
    elif kind == EntityKind.house:
        if "owner" in allowed and entity.owner_person_id:
            detail.owner = _owner(session, scope, entity.owner_person_id, refs.get("owner", ""))
        if entity.address_id:
            detail.residents = [_link(session, scope, EntityKind.person, p, today, RELATION_LABEL.get(rel, rel))
                                for p, rel in browse.residents_at(session, scope, [entity.address_id])]
            links = [("address", [entity.address_id])]
    elif kind == EntityKind.vehicle:
        if "owner" in allowed and entity.owner_person_id:
            detail.owner = _owner(session, scope, entity.owner_person_id, refs.get("owner", ""))
    else:
        links = [("place", [entity.id])]
    detail.cases = _cases(session, actor, settings, links)
    return detail


def _owner(session: Session, scope: Scope, person_id: int, title: str) -> LinkRead:
    visible = person_id in browse.visible_ids(session, scope, EntityKind.person, [person_id])
    return LinkRead(kind="person", id=person_id, title=title or f"人口 #{person_id}",
                    href=entity_href(EntityKind.person, person_id) if visible else None)


def _person_parts(session: Session, scope: Scope, person: Person, detail: EntityDetail, allowed: frozenset[str],
                  today: date) -> None:
    if "household" in allowed and person.household_id:
        detail.members = [_link(session, scope, EntityKind.person, m, today, m.household_relation)
                          for m in browse.household_members(session, scope, person.household_id) if m.id != person.id]
    if "address" in allowed:
        detail.rooms = [link for pr, text in browse.rooms_of(session, person.id) if (link := _address_link(
            session, scope, pr.address_id, text, _relation_note(pr.relation.value, pr.since, pr.until)))]
    detail.vehicles = [_link(session, scope, EntityKind.vehicle, v, today)
                       for v in browse.owned(session, scope, EntityKind.vehicle, person.id)]
    detail.houses = [_link(session, scope, EntityKind.house, h, today)
                     for h in browse.owned(session, scope, EntityKind.house, person.id)]


def _relation_note(relation: str, since: date | None, until: date | None) -> str:
    note = RELATION_LABEL.get(relation, relation)
    if since:
        note += f"，{since.isoformat()} 起"
    if until:
        note += f"，至 {until.isoformat()}"
    return note


# ---- a standard address's page ----------------------------------------------------------------------------------

def _below_title(a: Address) -> str:
    return address_label(a.number, a.number_suffix, a.building, a.unit, a.room)


def address_detail(session: Session, actor: Actor, settings: Settings, address_id: int) -> AddressDetail:
    scope = _scope(session, actor)
    found = browse.address_with_grid(session, address_id)
    if found is None or not browse.address_visible(scope, *found):
        raise NotFound()
    address, grid_id = found
    today = today_of(settings)
    below = browse.address_levels_below(session, address.id)
    ids = [address.id, *[a.id for a in below]]
    places = browse.at_addresses(session, scope, EntityKind.place, ids)
    street, community = _area_refs(session, address.area_path)
    grid = browse.grid_names(session, [grid_id]).get(grid_id or 0)
    parent = browse.address_parent(session, address.parent_id)
    return AddressDetail(
        id=address.id, full_text=address.full_text, level=address.level, level_label=LEVEL_LABEL[address.level],
        parent=_address_link(session, scope, parent.id, parent.full_text) if parent else None,
        street=street, community=community, grid=RefRead(code=grid[0], name=grid[1]) if grid else None,
        below=[LinkRead(kind="address", id=a.id, title=_below_title(a), note=LEVEL_LABEL[a.level],
                        href=f"/gov/registry/addresses/{a.id}") for a in below],
        people=[_link(session, scope, EntityKind.person, p, today, RELATION_LABEL.get(rel, rel))
                for p, rel in browse.residents_at(session, scope, ids)],
        houses=[_link(session, scope, EntityKind.house, h, today)
                for h in browse.at_addresses(session, scope, EntityKind.house, ids)],
        places=[_link(session, scope, EntityKind.place, p, today) for p in places],
        cases=_cases(session, actor, settings, [("address", ids), ("place", [p.id for p in places])]))


# ---- reveal -----------------------------------------------------------------------------------------------------

def reveal(session: Session, actor: Actor, settings: Settings, kind: EntityKind, entity_id: int, field: str,
           reason: str) -> RevealRead:
    """The whole value of one masked field, for holders of pii.reveal with a reason; audited `pii.reveal` with the
    field, the reason and whether the person is a minor."""
    scope = _scope(session, actor)
    entity = get_visible(session, scope, kind, entity_id)
    if entity is None:
        raise NotFound()
    actor.require("pii.reveal")
    reason = reason.strip()
    if len(reason) < 4:
        raise ValidationFailed("请填写查看原因（至少 4 个字）", field="reason")
    minor = is_minor(entity, kind, today_of(settings))
    if field not in scope.fields_for(kind) or not must_mask(kind, field, minor):
        raise ValidationFailed("该字段不能申请查看", field="field")
    raw = getattr(entity, field)
    value = raw.isoformat() if isinstance(raw, date) else (str(raw) if raw is not None else None)
    detail: dict[str, Any] = {"field": field, "reason": reason, "kind": kind.value}
    if minor:
        detail["minor"] = True
    audit.record(session, "pii.reveal", entity_type=f"registry.{kind.value}", entity_id=entity.id, detail=detail)
    return RevealRead(field=field, label=LABELS[kind][field], value=value)
