"""One place that reads and writes a registry entity's field by name, for every kind (people, houses, vehicles,
places): the importer, verification on site, corrections and exports all go through here.

- `field_value(session, kind, entity, field)`: the current value as plain, readable text (enum labels, ISO dates,
  tags as labels joined by "、", the address's standard text, the owner as "张三(#12)"), None when empty. Not
  masked: callers that show it mask it (present.py).
- `normalise(kind, field, value)`: pure; the checked, typed value (validate.py) or `InvalidValue`.
- `apply(session, kind, entity, field, value, source=, at=, confirmed=)`: checks the value, resolves what needs the
  database (the standard address, the owner, the household; the identity keys' uniqueness), then sets the
  column(s) and records provenance[field] = [source, at] (and confirmed[field] = the date when confirmed on site).
  A bad value raises `ValidationFailed` naming the field, and nothing is written.

Columns set beside the field: id_number -> id_number_bidx, sex, birth_date; phone -> phone_bidx; contact_phone ->
contact_phone_bidx; address -> address_id, area_id, area_path, micro_grid_id, grid_id and address_text (from the
standard address and its micro-grid's grid). An empty value ("" or None) clears an optional field.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.addresses import service as address_service
from zhili.addresses.models import Address
from zhili.kit.crypto import blind_index
from zhili.kit.errors import ValidationFailed
from zhili.org.models import MicroGrid
from zhili.registry import validate as v
from zhili.registry.fields import LABELS, TAGS
from zhili.registry.models import (
    EntityKind,
    House,
    Household,
    HouseUse,
    Person,
    PersonStatus,
    Place,
    PlaceKind,
    Residency,
    Vehicle,
)
from zhili.registry.present import ENUM_LABELS
from zhili.registry.validate import InvalidValue

TEXT_LIMITS: dict[tuple[EntityKind, str], int] = {
    (EntityKind.person, "household_relation"): 16, (EntityKind.person, "ethnicity"): 16,
    (EntityKind.person, "work_place"): 100, (EntityKind.house, "property_cert"): 40,
    (EntityKind.vehicle, "brand"): 40, (EntityKind.vehicle, "color"): 16, (EntityKind.vehicle, "plate_kind"): 16,
    (EntityKind.place, "contact_name"): 64, (EntityKind.place, "name"): 100,
}
REQUIRED_COLUMNS = {(EntityKind.person, "name"), (EntityKind.vehicle, "plate"), (EntityKind.place, "name")}
"""Fields whose column may not be empty: clearing them is refused."""
ENUMS: dict[tuple[EntityKind, str], type] = {
    (EntityKind.person, "residency"): Residency, (EntityKind.person, "status"): PersonStatus,
    (EntityKind.house, "use"): HouseUse, (EntityKind.place, "kind"): PlaceKind,
}
EXTRA_WORDS: dict[tuple[EntityKind, str], dict[str, str]] = {
    (EntityKind.person, "sex"): {"男": "M", "女": "F", "1": "M", "2": "F", "男性": "M", "女性": "F"},
    (EntityKind.person, "residency"): {"户籍": "registered", "常住": "registered", "流动": "floating",
                                       "暂住": "floating"},
}
TAG_BY_LABEL = {label: code for code, label in TAGS.items()}
_OWNER_REF = re.compile(r"^(?:.*\(#|#)?(\d+)\)?$")
_SPLIT = re.compile(r"[、,，;；/|\s]+")


def label(kind: EntityKind, field: str) -> str:
    return LABELS[kind].get(field, field)


def _fail(kind: EntityKind, field: str, reason: str) -> ValidationFailed:
    return ValidationFailed(f"{label(kind, field)}：{reason}", field=field)


# ---- reading ------------------------------------------------------------------------------------------------

def field_value(session: Session, kind: EntityKind, entity: Any, field: str) -> str | None:
    """The field's current value as plain text (see the module docstring); None when empty."""
    if field not in LABELS[kind]:
        raise KeyError(f"{kind.value} has no field {field}")
    if field == "address":
        if entity.address_id is not None:
            addr = session.get(Address, entity.address_id)
            if addr is not None:
                return addr.full_text
        return entity.address_text or None
    if field == "household":
        if entity.household_id is None:
            return None
        hh = session.get(Household, entity.household_id)
        return (hh.number or f"#{hh.id}") if hh is not None else None
    if field == "owner":
        if entity.owner_person_id is None:
            return None
        owner = session.get(Person, entity.owner_person_id)
        return f"{owner.name}(#{owner.id})" if owner is not None else f"#{entity.owner_person_id}"
    raw = getattr(entity, field)
    if field == "tags":
        return "、".join(TAGS.get(t, t) for t in raw) if raw else None
    return plain(kind, field, raw) or None


def plain(kind: EntityKind, field: str, raw: Any) -> str:
    """A column's value as text: enum labels, 是/否, ISO dates, 89.5 (not 89.50000001)."""
    if raw is None:
        return ""
    if hasattr(raw, "value") and not isinstance(raw, str | int | float):
        raw = raw.value
    labels = ENUM_LABELS.get((kind, field))
    if labels is not None:
        return labels.get(str(raw), str(raw))
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, float):
        return f"{raw:g}"
    if isinstance(raw, list | tuple):
        return "、".join(str(x) for x in raw)
    return str(raw)


def display(kind: EntityKind, field: str, typed: Any) -> str:
    """A checked value (`normalise`'s result) as text, like `field_value` shows a stored one."""
    if typed is None:
        return ""
    if isinstance(typed, v.ResidentId | v.Plate):
        return typed.number
    if field == "tags" and kind == EntityKind.person:
        return "、".join(TAGS.get(t, t) for t in typed)
    return plain(kind, field, typed)


# ---- checking (pure) ----------------------------------------------------------------------------------------

def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, list) and not value)


def _choice(kind: EntityKind, field: str, value: Any) -> str:
    text = str(value.value if hasattr(value, "value") else value).strip()
    labels = ENUM_LABELS.get((kind, field), {})
    if text in labels:
        return text
    by_label = {lab: code for code, lab in labels.items()} | EXTRA_WORDS.get((kind, field), {})
    if text in by_label:
        return by_label[text]
    if field == "plate_kind":  # free codes (validate.plate gives coach / police / ...)
        return text
    raise InvalidValue(f"取值“{text[:20]}”无效（可选：{'、'.join(labels.values())}）")


def _tags(kind: EntityKind, value: Any) -> list[str]:
    items = value if isinstance(value, list | tuple) else _SPLIT.split(str(value))
    out: list[str] = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        if kind == EntityKind.person:
            code = item if item in TAGS else TAG_BY_LABEL.get(item)
            if code is None:
                raise InvalidValue(f"未知的人群标签“{item[:20]}”")
            item = code
        elif len(item) > 20:
            raise InvalidValue("标签过长（最多20个字）")
        if item not in out:
            out.append(item)
    return out


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("是", "1", "true", "yes", "y", "出租", "已出租"):
        return True
    if text in ("否", "0", "false", "no", "n", "自住", "未出租"):
        return False
    raise InvalidValue(f"应为“是”或“否”（现为“{text[:10]}”）")


def normalise(kind: EntityKind, field: str, value: Any, *, today: date | None = None,
              date_formats: tuple[str, ...] | list[str] = v.DEFAULT_DATE_FORMATS) -> Any:
    """The checked value of `field` (typed: ResidentId, Plate, date, enum code, list of tags, bool, float, str),
    or None for an empty value; InvalidValue with the Chinese reason otherwise. References (address, owner,
    household) stay text here (an owner may also be a person id or a ResidentId) and are resolved by `apply`."""
    if field not in LABELS[kind]:
        raise InvalidValue(f"未知的字段“{field}”")
    if _empty(value):
        if (kind, field) in REQUIRED_COLUMNS:
            raise InvalidValue("不能为空")
        return None
    if field == "id_number":
        return v.resident_id(value, today=today)
    if field in ("phone", "contact_phone"):
        return v.phone(value)
    if field == "name":
        return v.person_name(value) if kind == EntityKind.person else _text(kind, field, value)
    if field == "birth_date":
        return v.parse_date(value, date_formats, not_after=today or date.today())
    if field == "plate":
        return v.plate(value)
    if field == "credit_code":
        return v.credit_code(value)
    if field == "tags":
        return _tags(kind, value)
    if field == "rented":
        return _bool(value)
    if field == "floor_area":
        try:
            area = float(str(value).strip().removesuffix("㎡").removesuffix("m²").removesuffix("平方米"))
        except ValueError:
            raise InvalidValue(f"应为数字（现为“{str(value)[:20]}”）") from None
        if not 0 < area < 1_000_000:
            raise InvalidValue("面积应大于0且小于1000000平方米")
        return area
    if field == "owner":
        if isinstance(value, int):
            return value
        m = _OWNER_REF.match(str(value).strip())
        return int(m.group(1)) if m and len(m.group(1)) < 15 else v.resident_id(value, today=today)
    if (kind, field) in ENUMS:
        return ENUMS[(kind, field)](_choice(kind, field, value))
    if (kind, field) in ENUM_LABELS:
        return _choice(kind, field, value)
    if field == "address":
        return value if isinstance(value, int | Address) else _text(kind, field, value, 200)
    return _text(kind, field, value)


def _text(kind: EntityKind, field: str, value: Any, limit: int | None = None) -> str:
    text = re.sub(r"\s+", " ", str(value)).strip()
    limit = limit or TEXT_LIMITS.get((kind, field), 64)
    if len(text) > limit:
        raise InvalidValue(f"过长（最多{limit}个字）")
    return text


def columns(kind: EntityKind, field: str, typed: Any) -> dict[str, Any]:
    """The column values a checked, non-reference value sets (pure)."""
    if field == "id_number":
        if typed is None:
            return {"id_number": None, "id_number_bidx": None}
        return {"id_number": typed.number, "id_number_bidx": blind_index(typed.number), "sex": typed.sex,
                "birth_date": typed.birth_date}
    if field in ("phone", "contact_phone"):
        return {field: typed, f"{field}_bidx": blind_index(typed) if typed else None}
    if field == "plate":
        return {"plate": typed.number}
    if field == "tags":
        return {"tags": typed or []}
    if typed is None:
        nullable = field in ("birth_date", "floor_area", "property_cert", "credit_code")
        return {field: None if nullable else (False if field == "rented" else "")}
    return {field: typed}


def derived(field: str) -> tuple[str, ...]:
    """Fields whose value comes with `field` (their provenance follows it)."""
    return ("sex", "birth_date") if field == "id_number" else ()


# ---- writing ------------------------------------------------------------------------------------------------

def located(session: Session, address: Address) -> dict[str, Any]:
    """The location columns an entity takes from its standard address."""
    grid_id = None
    if address.micro_grid_id is not None:
        grid_id = session.scalar(select(MicroGrid.grid_id).where(MicroGrid.id == address.micro_grid_id))
    return {"address_id": address.id, "area_id": address.area_id, "area_path": address.area_path,
            "micro_grid_id": address.micro_grid_id, "grid_id": grid_id, "address_text": address.full_text[:200]}


UNPLACED = {"address_id": None, "area_id": None, "area_path": None, "micro_grid_id": None, "grid_id": None}


def find_address(session: Session, value: Any) -> Address:
    """The standard address a value names (an id, an Address, or text the address matcher resolves)."""
    if isinstance(value, Address):
        return value
    if isinstance(value, int):
        addr = session.get(Address, value)
        if addr is None:
            raise InvalidValue(f"标准地址 #{value} 不存在")
        return addr
    match = address_service.resolve(session, str(value))
    addr = session.get(Address, match.standard_address_id) if match.standard_address_id else None
    if addr is None:
        raise InvalidValue(f"未能匹配到标准地址（{match.message}）")
    return addr


def _clash(session: Session, model: Any, column: str, value: Any, entity: Any) -> bool:
    col = getattr(model, column)
    stmt = select(model.id).where(col == value)
    if entity.id is not None:
        stmt = stmt.where(model.id != entity.id)
    return session.scalar(stmt.limit(1)) is not None


UNIQUE: dict[tuple[EntityKind, str], tuple[type, str, str]] = {
    (EntityKind.person, "id_number"): (Person, "id_number_bidx", "该身份证号已登记为另一人"),
    (EntityKind.vehicle, "plate"): (Vehicle, "plate", "该号牌已登记为另一辆车"),
    (EntityKind.place, "credit_code"): (Place, "credit_code", "该统一社会信用代码已登记为另一场所"),
    (EntityKind.house, "property_cert"): (House, "property_cert", "该不动产权证号已登记为另一房屋"),
    (EntityKind.house, "address"): (House, "address_id", "该地址已登记为另一房屋"),
}


def resolve(session: Session, kind: EntityKind, entity: Any, field: str, typed: Any, at: datetime) -> dict[str, Any]:
    """The column values of a checked value, with its references looked up; InvalidValue when they fail."""
    if field == "address":
        cols = dict(UNPLACED, address_text="") if typed is None else located(session, find_address(session, typed))
    elif field == "owner":
        if typed is None:
            cols = {"owner_person_id": None}
        elif isinstance(typed, int):
            if session.get(Person, typed) is None:
                raise InvalidValue(f"人员 #{typed} 不存在")
            cols = {"owner_person_id": typed}
        else:
            pid = session.scalar(select(Person.id).where(Person.id_number_bidx == blind_index(typed.number)))
            if pid is None:
                raise InvalidValue("人口库中没有该身份证号的人员")
            cols = {"owner_person_id": pid}
    elif field == "household":
        cols = {"household_id": None if typed is None else household_for(session, entity, typed, at).id}
    else:
        cols = columns(kind, field, typed)
    unique = UNIQUE.get((kind, field))
    if unique is not None:
        model, column, message = unique
        if cols.get(column) is not None and _clash(session, model, column, cols[column], entity):
            raise InvalidValue(message)
    return cols


def household_for(session: Session, entity: Any, number: str, at: datetime) -> Household:
    """The household of that number, made (at the person's address) when it is new."""
    hh = session.scalars(select(Household).where(Household.number == number[:32])).first()
    if hh is None:
        hh = Household(number=number[:32], address_id=entity.address_id, area_path=entity.area_path,
                       grid_id=entity.grid_id, created_at=at)
        session.add(hh)
        session.flush()
    return hh


def note(entity: Any, fields: list[str] | tuple[str, ...], *, source: str, at: datetime,
         confirmed: bool = False) -> None:
    """Record where the fields' values came from (and that they were confirmed on site)."""
    stamp = [source, at.isoformat()]
    entity.provenance = {**(entity.provenance or {}), **{f: stamp for f in fields}}
    if confirmed:
        entity.confirmed = {**(entity.confirmed or {}), **{f: at.date().isoformat() for f in fields}}


def apply(session: Session, kind: EntityKind, entity: Any, field: str, value: Any, *, source: str, at: datetime,
          confirmed: bool = False) -> None:
    """Check and set one field (see the module docstring); ValidationFailed naming the field, nothing written,
    on a bad value."""
    if field not in LABELS[kind]:
        raise ValidationFailed(f"未知的字段“{field}”", field=field)
    try:
        typed = normalise(kind, field, value, today=at.date())
        cols = resolve(session, kind, entity, field, typed, at)
    except InvalidValue as exc:
        raise _fail(kind, field, exc.reason) from None
    for column, new in cols.items():
        setattr(entity, column, new)
    note(entity, (field, *derived(field)) if typed is not None else (field,), source=source, at=at,
         confirmed=confirmed)
    entity.updated_at = at
