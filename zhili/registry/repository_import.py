"""Queries of the registry importer (`zhili import people|houses|vehicles|places`). The importer acts for the
system (a department's whole file, district-wide), so these are not scoped by a viewer; each is one IN query per
batch, on an indexed column, so a batch costs the same whether the registry holds a thousand people or ten
million.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, any_, bindparam, delete, select, update
from sqlalchemy.orm import Session

from zhili.addresses.models import Address
from zhili.org.models import Department, DepartmentKind, MicroGrid
from zhili.registry.models import (
    EntityKind,
    House,
    Household,
    ImportRun,
    Person,
    Place,
    SourceRecord,
    Vehicle,
)
from zhili.registry.repository import MODELS

IDENTITY_COLUMN: dict[EntityKind, Any] = {
    EntityKind.person: Person.id_number_bidx, EntityKind.house: House.address_id, EntityKind.vehicle: Vehicle.plate,
    EntityKind.place: Place.credit_code,
}


def among(session: Session, column: Any, wanted: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN wanted`; on PostgreSQL `= ANY(array)`, one parameter instead of thousands (a batch's IN list of
    5,000 values costs more to render and parse than to run)."""
    values = sorted(set(wanted))
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def take_write_lock(session: Session) -> None:
    """SQLite: hold the write lock from here (ids are reserved above the current maximum). PostgreSQL: nothing."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(delete(SourceRecord).where(SourceRecord.id < 0))


def records_by_keys(session: Session, kind: EntityKind, source: str, keys: Sequence[str]
                    ) -> dict[str, tuple[int, str, int | None, int | None]]:
    """source key -> (record id, row hash, entity id, import id) of this source's records among `keys`."""
    if not keys:
        return {}
    rows = session.execute(select(SourceRecord.source_key, SourceRecord.id, SourceRecord.row_hash,
                                  SourceRecord.entity_id, SourceRecord.import_id)
                           .where(SourceRecord.kind == kind, SourceRecord.source == source,
                                  among(session, SourceRecord.source_key, keys)))
    return {k: (i, h, e, imp) for k, i, h, e, imp in rows}


def entities_by_identity(session: Session, kind: EntityKind, identities: Iterable[Any]) -> dict[Any, int]:
    """identity key -> entity id, for the identities that exist."""
    wanted = sorted(set(identities))
    if not wanted:
        return {}
    model = MODELS[kind]
    col = IDENTITY_COLUMN[kind]
    return {key: eid for eid, key in session.execute(select(model.id, col).where(among(session, col, wanted)))}


def source_keys_of(session: Session, kind: EntityKind, source: str, entity_ids: Iterable[int]) -> dict[int, str]:
    """entity id -> this source's record key for it, for entities the source already has a record of."""
    ids = sorted(set(entity_ids))
    if not ids:
        return {}
    return {e: k for e, k in session.execute(
        select(SourceRecord.entity_id, SourceRecord.source_key).where(
            SourceRecord.kind == kind, SourceRecord.source == source, among(session, SourceRecord.entity_id, ids)))}


def any_without_identity(session: Session, kind: EntityKind) -> bool:
    """Whether any entity of `kind` lacks its identity key (only those can be a fuzzy match for a keyed row)."""
    model = MODELS[kind]
    col = IDENTITY_COLUMN[kind]
    return session.scalar(select(model.id).where(col.is_(None)).limit(1)) is not None


def addresses_in_buildings(session: Session, buildings: set[tuple[int, int, str, str]]
                           ) -> dict[int, tuple[int, int, str, str]]:
    """address id -> building key, for every standard address inside the given buildings."""
    if not buildings:
        return {}
    roads = sorted({b[0] for b in buildings})
    numbers = sorted({b[1] for b in buildings})
    rows = session.execute(select(Address.id, Address.road_id, Address.number, Address.number_suffix,
                                  Address.building).where(Address.road_id.in_(roads), Address.number.in_(numbers)))
    out = {}
    for aid, road, number, suffix, building in rows:
        key = (road, number, suffix, building)
        if key in buildings:
            out[aid] = key
    return out


def fuzzy_candidates(session: Session, kind: EntityKind, address_ids: Sequence[int], *, without_identity: bool
                     ) -> list[tuple[int, str, Any, int, Any, str | None, int | None]]:
    """(id, name, birth date, address id, identity, area path, grid id) of the people / places at these addresses;
    only those lacking an identity key when `without_identity`."""
    if not address_ids:
        return []
    model: Any = MODELS[kind]
    col = IDENTITY_COLUMN[kind]
    birth: ColumnElement[Any] | Any = Person.birth_date if kind == EntityKind.person else None
    cols = [model.id, model.name, model.address_id, col, model.area_path, model.grid_id]
    if birth is not None:
        cols.append(birth)
    stmt = select(*cols).where(model.address_id.in_(sorted(set(address_ids))))
    if without_identity:
        stmt = stmt.where(col.is_(None))
    out = []
    for row in session.execute(stmt):
        out.append((row[0], row[1], row[6] if birth is not None else None, row[2], row[3], row[4], row[5]))
    return out


def people_by_bidx(session: Session, bidxs: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(bidxs))
    if not wanted:
        return {}
    return {b: i for i, b in session.execute(select(Person.id, Person.id_number_bidx)
                                             .where(among(session, Person.id_number_bidx, wanted)))}


def existing_people(session: Session, ids: Iterable[int]) -> set[int]:
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    return set(session.scalars(select(Person.id).where(Person.id.in_(wanted))))


def households_by_number(session: Session, numbers: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    return {n: i for i, n in session.execute(select(Household.id, Household.number)
                                             .where(Household.number.in_(wanted)))}


def entities(session: Session, kind: EntityKind, ids: Iterable[int]) -> dict[int, Any]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    model: Any = MODELS[kind]
    return {e.id: e for e in session.scalars(select(model).where(model.id.in_(wanted)))}


def records(session: Session, ids: Iterable[int]) -> dict[int, SourceRecord]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {r.id: r for r in session.scalars(select(SourceRecord).where(SourceRecord.id.in_(wanted)))}


def address_rows(session: Session, ids: Iterable[int]) -> list[Any]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    return list(session.execute(select(Address.id, Address.road_id, Address.number, Address.number_suffix,
                                       Address.building, Address.area_id, Address.area_path, Address.micro_grid_id,
                                       Address.full_text).where(Address.id.in_(wanted))))


def micro_grid_to_grid(session: Session) -> dict[int, int]:
    return {mid: gid for mid, gid in session.execute(select(MicroGrid.id, MicroGrid.grid_id))}


def department_codes(session: Session) -> dict[str, str]:
    """Department code, name and short name -> the function part of its code (330212-GA -> GA)."""
    out: dict[str, str] = {}
    for code, name, short in session.execute(select(Department.code, Department.name, Department.short_name)
                                             .where(Department.kind == DepartmentKind.functional)):
        fn = code.rsplit("-", 1)[-1]
        for key in (code, name, short, fn):
            if key:
                out.setdefault(key, fn)
    return out


def finish_run(session: Session, import_id: int, counts: dict[str, int], at: Any) -> None:
    session.execute(update(ImportRun).where(ImportRun.id == import_id).values(counts=counts, finished_at=at))
