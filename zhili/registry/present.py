"""What a viewer sees of a registry entity: the fields its scope allows, each with its label, display value, source
and time (provenance) and the date it was last confirmed on site (freshness).

Pure: no database. Whatever is not on the entity's row (its address text, household number, owner's name) is
passed in by the caller as `refs`. Masking is decided here, on the server, for everyone:
- personal fields (fields.PERSONAL: ID number, phone numbers) are always masked (3***************1X,
  138****5678); the full value only comes through the audited reveal;
- a minor (under fields.MINOR_AGE on `today`) is a sensitive subject: the name is masked (张*) and the birth date
  shown as its year only, whoever looks;
- sensitive tags (fields.SENSITIVE_TAGS) are left out unless the viewer holds pii.reveal; the others see how many
  were left out ("另有 N 项敏感标签").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from zhili.kit.masking import mask_id_number, mask_name, mask_phone
from zhili.registry.fields import LABELS, MINOR_AGE, PERSONAL, SENSITIVE_TAGS, TAGS
from zhili.registry.models import KIND_LABEL, EntityKind, HouseUse, PersonStatus, PlaceKind, Residency
from zhili.registry.repository import Scope

SEX_LABEL = {"M": "男", "F": "女"}
RESIDENCY_LABEL = {Residency.registered.value: "户籍人口", Residency.floating.value: "流动人口"}
STATUS_LABEL = {PersonStatus.active.value: "在册", PersonStatus.moved_out.value: "已迁出",
                PersonStatus.deceased.value: "已故", PersonStatus.anonymised.value: "已匿名化"}
USE_LABEL = {HouseUse.residential.value: "住宅", HouseUse.rental.value: "出租房", HouseUse.commercial.value: "商铺",
             HouseUse.office.value: "办公", HouseUse.industrial.value: "厂房", HouseUse.other.value: "其他"}
PLACE_KIND_LABEL = {PlaceKind.shop.value: "沿街商铺", PlaceKind.enterprise.value: "企业",
                    PlaceKind.rental_house.value: "出租房屋", PlaceKind.school.value: "学校、幼儿园",
                    PlaceKind.construction_site.value: "建筑工地", PlaceKind.hospital.value: "医疗机构",
                    PlaceKind.restaurant.value: "餐饮", PlaceKind.public_venue.value: "公共场所",
                    PlaceKind.hazardous.value: "危化品、燃气站点", PlaceKind.other.value: "其他"}
PLATE_KIND_LABEL = {"small": "小型汽车", "large": "大型汽车", "new_energy": "新能源汽车", "motorcycle": "摩托车",
                    "trailer": "挂车"}
ENUM_LABELS: dict[tuple[EntityKind, str], dict[str, str]] = {
    (EntityKind.person, "sex"): SEX_LABEL, (EntityKind.person, "residency"): RESIDENCY_LABEL,
    (EntityKind.person, "status"): STATUS_LABEL, (EntityKind.house, "use"): USE_LABEL,
    (EntityKind.place, "kind"): PLACE_KIND_LABEL, (EntityKind.vehicle, "plate_kind"): PLATE_KIND_LABEL,
}
REFS = frozenset({"address", "household", "owner"})
"""Fields that are not columns of the row: the caller passes their display text in `refs`."""
MINOR_MASKED = frozenset({"name", "birth_date"})
"""A minor's fields masked beyond the personal ones (revealed like them, audited with minor=true)."""


@dataclass(frozen=True)
class FieldView:
    field: str
    label: str
    value: str  # what is shown ("" when empty), masked where it must be
    masked: bool  # the shown value is not the whole value
    revealable: bool  # masked, and the viewer may reveal it (pii.reveal, with a reason)
    source: str | None  # which source the current value came from
    at: str | None  # when that source gave it (iso time)
    confirmed: str | None  # last confirmed on site (iso date)
    fresh: bool  # confirmed within the freshness period
    note: str = ""  # e.g. 另有 1 项敏感标签


@dataclass(frozen=True)
class EntityView:
    kind: EntityKind
    id: int
    title: str  # the entity's name as shown (masked for a minor), or "人口 #id" when the name is not visible
    minor: bool
    fields: list[FieldView] = field(default_factory=list)
    hidden_tags: int = 0

    def value(self, name: str) -> str | None:
        """The shown value of a field, or None when the viewer may not see it."""
        return next((f.value for f in self.fields if f.field == name), None)


def age_on(birth: date | None, today: date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def is_minor(entity: Any, kind: EntityKind, today: date) -> bool:
    """A person under fields.MINOR_AGE on `today` (an unknown birth date is not a minor)."""
    if kind != EntityKind.person:
        return False
    age = age_on(getattr(entity, "birth_date", None), today)
    return age is not None and age < MINOR_AGE


def person_name(name: str | None, birth: date | None, today: date) -> str:
    """A person's name as shown anywhere (a list, an owner's name, a household member): masked for a minor."""
    age = age_on(birth, today)
    if age is not None and age < MINOR_AGE:
        return mask_name(name) or ""
    return name or ""


def must_mask(kind: EntityKind, field_name: str, minor: bool) -> bool:
    return field_name in PERSONAL[kind] or (minor and field_name in MINOR_MASKED)


def mask_value(kind: EntityKind, field_name: str, value: Any, *, minor: bool = False) -> str:
    """A raw value as shown: masked when the field is personal (or a minor's name / birth date)."""
    text = _plain(kind, field_name, value)
    if not text or not must_mask(kind, field_name, minor):
        return text
    if field_name == "id_number":
        return mask_id_number(text) or ""
    if field_name in ("phone", "contact_phone"):
        return mask_phone(text) or ""
    if field_name == "birth_date":
        return f"{text[:4]}年"
    if field_name == "name":
        return mask_name(text) or ""
    return "*" * len(text)


def _plain(kind: EntityKind, field_name: str, value: Any) -> str:
    """A raw value as text, with enum codes turned into their labels."""
    if value is None:
        return ""
    if hasattr(value, "value") and not isinstance(value, str | int | float):
        value = value.value  # an enum
    labels = ENUM_LABELS.get((kind, field_name))
    if labels is not None:
        return labels.get(str(value), str(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


def tags_shown(tags: list[str] | None, can_reveal: bool) -> tuple[str, int]:
    """A person's tags as labels, sensitive ones left out unless `can_reveal`; and how many were left out."""
    shown = [TAGS.get(t, t) for t in tags or () if can_reveal or t not in SENSITIVE_TAGS]
    hidden = sum(1 for t in tags or () if t in SENSITIVE_TAGS) if not can_reveal else 0
    return "、".join(shown), hidden


def _fresh(confirmed: str | None, today: date, stale_months: int) -> bool:
    if not confirmed:
        return False
    try:
        day = date.fromisoformat(str(confirmed)[:10])
    except ValueError:
        return False
    months = (today.year - day.year) * 12 + today.month - day.month - (today.day < day.day)
    return months < stale_months


def _kept(mapping: Mapping[str, Any] | None, name: str) -> Any:
    return (mapping or {}).get(name)


def present(entity: Any, kind: EntityKind, scope: Scope, today: date, *, refs: Mapping[str, str] | None = None,
            stale_months: int = 6) -> EntityView:
    """The entity as `scope` may see it on `today` (see the module docstring). `refs` gives the display text of
    the fields that are not columns (address, household, owner)."""
    allowed = scope.fields_for(kind)
    can_reveal = scope.actor.can("pii.reveal")
    minor = is_minor(entity, kind, today)
    refs = refs or {}
    out: list[FieldView] = []
    hidden = 0
    for name, label in LABELS[kind].items():
        if name not in allowed:
            continue
        note = ""
        if name in REFS:
            raw: Any = refs.get(name, "")
        else:
            raw = getattr(entity, name, None)
        if kind == EntityKind.person and name == "tags":
            value, hidden = tags_shown(raw, can_reveal)
            note = f"另有 {hidden} 项敏感标签" if hidden else ""
            masked = bool(hidden)
        else:
            value = mask_value(kind, name, raw, minor=minor)
            masked = bool(value) and must_mask(kind, name, minor)
        prov = _kept(entity.provenance, name)
        confirmed = _kept(entity.confirmed, name)
        out.append(FieldView(
            field=name, label=label, value=value, masked=masked,
            revealable=masked and can_reveal and name != "tags",
            source=prov[0] if isinstance(prov, list | tuple) and prov else None,
            at=prov[1] if isinstance(prov, list | tuple) and len(prov) > 1 else None,
            confirmed=str(confirmed) if confirmed else None, fresh=_fresh(confirmed, today, stale_months),
            note=note))
    return EntityView(kind=kind, id=entity.id, title=_title(entity, kind, out), minor=minor, fields=out,
                      hidden_tags=hidden)


def _title(entity: Any, kind: EntityKind, shown: list[FieldView]) -> str:
    key = {EntityKind.person: "name", EntityKind.house: "address", EntityKind.vehicle: "plate",
           EntityKind.place: "name"}[kind]
    value = next((f.value for f in shown if f.field == key), "")
    return value or f"{KIND_LABEL[kind]} #{entity.id}"
