"""Merging a source's values into an existing entity, field by field: fill what is empty, note a second source for
an equal value, keep a disagreement side by side as a `Conflict` and choose the current value by
`matching.incoming_wins` (the rule is in registry/matching.py's docstring). Used by the importer and by the review
queue when a reviewer links a record. Never commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.registry import values
from zhili.registry.fields import owner_of
from zhili.registry.matching import incoming_wins
from zhili.registry.models import Conflict, EntityKind
from zhili.registry.repository import MODELS

COMPARE = {"id_number": "id_number_bidx", "phone": "phone_bidx", "contact_phone": "contact_phone_bidx",
           "address": "address_id", "owner": "owner_person_id", "household": "household_id"}
"""The column that says whether two values of a field are the same (the blind index, not the ciphertext)."""


@dataclass(frozen=True)
class Incoming:
    field: str
    cols: dict[str, Any]  # the column values the source's value sets (values.resolve)
    display: str  # the value as text, for the conflict's side-by-side list


@dataclass
class MergeResult:
    filled: list[str] = field(default_factory=list)
    same: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)  # conflicts where the incoming value became current
    updated: list[str] = field(default_factory=list)  # the same source's value, changed


@cache
def defaults(kind: EntityKind) -> dict[str, Any]:
    """Every column of the entity table with its default value (what an entity holds before any source spoke;
    also what bulk inserts need, as they run no ORM defaults)."""
    out: dict[str, Any] = {}
    for c in MODELS[kind].__table__.columns:
        if c.name == "id":
            continue
        d = c.default
        v: Any = None if d is None else d.arg(None) if d.is_callable else getattr(d, "arg", None)
        out[c.name] = v.value if hasattr(v, "value") and not isinstance(v, str) else v
    return out


def _empty(v: Any) -> bool:
    return v is None or v == "" or v == [] or v == {}


def _key(field_name: str, cols: dict[str, Any]) -> tuple[str, Any]:
    column = COMPARE.get(field_name, field_name)
    if field_name == "address" and cols.get("address_id") is None:
        column = "address_text"  # kept without a standard address: compare the text
    return column, cols.get(column)


def _stamp(entity: Any, fields: list[str], source: str, at: datetime) -> None:
    entity.provenance = {**(entity.provenance or {}), **{f: [source, at.isoformat()] for f in fields}}


def merge(session: Session, kind: EntityKind, entity: Any, incoming: list[Incoming], *, source: str,
          source_dept: str | None, at: datetime, as_of: date | None = None) -> MergeResult:
    """Merge `incoming` into `entity` (see the module docstring); returns what happened to each field."""
    out = MergeResult()
    as_of = as_of or at.date()
    prov = entity.provenance or {}
    for inc in incoming:
        column, new = _key(inc.field, inc.cols)
        current = getattr(entity, column)
        extra = values.derived(inc.field)
        if _empty(new):
            continue
        given = prov.get(inc.field)
        if _empty(current) or (not given and current == defaults(kind).get(column)):
            _set(entity, inc)
            _stamp(entity, [inc.field, *extra], source, at)
            out.filled.append(inc.field)
            continue
        if current == new:
            if not given:
                _stamp(entity, [inc.field], source, at)
            elif source not in [given[0], *given[2:]]:
                entity.provenance = {**(entity.provenance or {}), inc.field: [*given, source]}
            _side_by_side(session, kind, entity, inc, source, at, create=False)
            out.same.append(inc.field)
            continue
        if given and given[0] == source:  # the source changed its own value: not a disagreement
            _set(entity, inc)
            _stamp(entity, [inc.field, *extra], source, at)
            _side_by_side(session, kind, entity, inc, source, at, create=False)
            out.updated.append(inc.field)
            continue
        out.conflicts.append(inc.field)
        confirmed = (entity.confirmed or {}).get(inc.field)
        wins = incoming_wins(owner=owner_of(kind, inc.field), current_source=given[0] if given else None,
                             confirmed_on=date.fromisoformat(str(confirmed)[:10]) if confirmed else None,
                             incoming_source=source, incoming_dept=source_dept, as_of=as_of)
        _side_by_side(session, kind, entity, inc, source, at, create=True)
        if wins:
            _set(entity, inc)
            _stamp(entity, [inc.field, *extra], source, at)
            out.taken.append(inc.field)
    entity.updated_at = at
    return out


def _set(entity: Any, inc: Incoming) -> None:
    for column, v in inc.cols.items():
        setattr(entity, column, v)


def _side_by_side(session: Session, kind: EntityKind, entity: Any, inc: Incoming, source: str, at: datetime, *,
                  create: bool) -> None:
    """Record the incoming value in the field's conflict (made when `create`, with the current value first);
    a conflict whose sources all agree again is closed."""
    row = session.scalars(select(Conflict).where(Conflict.kind == kind, Conflict.entity_id == entity.id,
                                                 Conflict.field == inc.field)).first()
    if row is None and not create:
        return
    mine = {"source": source, "value": inc.display, "at": at.isoformat()}
    if row is None:
        given = (entity.provenance or {}).get(inc.field) or ["未知来源", None]
        current = values.field_value(session, kind, entity, inc.field)
        row = Conflict(kind=kind, entity_id=entity.id, field=inc.field, open=True, area_path=entity.area_path,
                       grid_id=entity.grid_id, created_at=at,
                       values=[{"source": given[0], "value": current, "at": given[1] if len(given) > 1 else None},
                               mine])
        session.add(row)
        return
    kept = [v for v in (row.values or []) if v.get("source") != source] + [mine]
    row.values = kept
    if len({str(v.get("value")) for v in kept}) == 1:
        row.open, row.resolved_at = False, at
    elif not row.open:
        row.open, row.resolved_at, row.resolved_by = True, None, None
