"""Queries of the registry's lists, entity pages and address pages (browsing, search, case links).

Every read of an entity starts from repository.visible(): deny by default. What hangs off an entity (its household,
rooms, vehicles, houses, conflicts, source records, corrections, cases) is read only after the entity itself was
found visible, and related entities are shown only when they are visible too. Search by ID or phone number is an
equality on the blind index (`*_bidx`); no row is decrypted to search.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, String, cast, func, or_, select
from sqlalchemy.orm import Session

from zhili.addresses.models import Address
from zhili.org.models import Area, Grid, MicroGrid
from zhili.registry.models import (
    CaseLink,
    Conflict,
    Correction,
    EntityKind,
    House,
    Household,
    Person,
    PersonRoom,
    Place,
    RoomRelation,
    SourceRecord,
    Vehicle,
)
from zhili.registry.repository import MODELS, Scope, subtree, visible

COUNT_CAP = 10_000  # list totals are exact up to this, then shown as "10000+" (as the case list)
RELATED_LIMIT = 200  # rows of one kind hung off one page (a compound's residents ...)


# ---- places in the org tree -------------------------------------------------------------------------------------

def area_by_code(session: Session, code: str) -> Area | None:
    return session.scalar(select(Area).where(Area.code == code))


def grid_by_code(session: Session, code: str) -> Grid | None:
    return session.scalar(select(Grid).where(Grid.code == code))


def grid_area_paths(session: Session, ids: frozenset[int] | Sequence[int]) -> list[str]:
    """The community paths of these grids (where a grid worker's grids lie in the area tree)."""
    if not ids:
        return []
    return list(session.scalars(select(Grid.area_path).where(Grid.id.in_(sorted(ids)))))


def area_allowed(session: Session, scope: Scope, kind: EntityKind, path: str) -> bool:
    """May the actor filter `kind` by the area at `path`: inside (or above) one of its area scopes or grids; or
    anywhere, for a department that sees `kind` district-wide."""
    if any(path.startswith(p) or p.startswith(path) for p in scope.area_paths):
        return True
    if scope.grid_ids and any(g.startswith(path) for g in grid_area_paths(session, scope.grid_ids)):
        return True
    return not scope.places_visible and bool(scope.fields_for(kind))


def grid_allowed(scope: Scope, kind: EntityKind, grid_id: int, grid_path: str) -> bool:
    if grid_id in scope.grid_ids or any(grid_path.startswith(p) for p in scope.area_paths):
        return True
    return not scope.places_visible and bool(scope.fields_for(kind))


# ---- lists ------------------------------------------------------------------------------------------------------

def entity_page(session: Session, scope: Scope, kind: EntityKind, filters: Sequence[ColumnElement[bool]], *,
                before_id: int | None, limit: int) -> tuple[list[Any], int]:
    """Newest first with keyset paging (`before_id`); the total is capped at COUNT_CAP."""
    model = MODELS[kind]
    where = [visible(scope, kind), *filters]
    stmt: Select[Any] = select(model).where(*where)
    if before_id is not None:
        stmt = stmt.where(model.id < before_id)
    items = list(session.scalars(stmt.order_by(model.id.desc()).limit(limit)))
    capped = select(model.id).where(*where).limit(COUNT_CAP + 1).subquery()
    total = session.scalar(select(func.count()).select_from(capped)) or 0
    return items, int(total)


def address_texts(session: Session, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    return {i: t for i, t in session.execute(select(Address.id, Address.full_text).where(Address.id.in_(wanted)))}


def people_briefs(session: Session, ids: Sequence[int | None]) -> dict[int, tuple[str, date | None]]:
    """(name, birth date) of people by id, for showing an owner's or a member's name (masked by the caller)."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    return {pid: (name, birth) for pid, name, birth in session.execute(
        select(Person.id, Person.name, Person.birth_date).where(Person.id.in_(wanted)))}


def household_numbers(session: Session, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    return {hid: num or "" for hid, num in session.execute(
        select(Household.id, Household.number).where(Household.id.in_(wanted)))}


def visible_ids(session: Session, scope: Scope, kind: EntityKind, ids: Sequence[int | None]) -> set[int]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return set()
    model = MODELS[kind]
    return set(session.scalars(select(model.id).where(model.id.in_(wanted), visible(scope, kind))))


# ---- what hangs off an entity -----------------------------------------------------------------------------------

def open_conflicts(session: Session, kind: EntityKind, entity_id: int) -> list[Conflict]:
    return list(session.scalars(select(Conflict).where(Conflict.kind == kind, Conflict.entity_id == entity_id,
                                                       Conflict.open.is_(True)).order_by(Conflict.field)))


def household_members(session: Session, scope: Scope, household_id: int) -> list[Person]:
    return list(session.scalars(select(Person).where(Person.household_id == household_id,
                                                     visible(scope, EntityKind.person))
                                .order_by(Person.id).limit(RELATED_LIMIT)))


def rooms_of(session: Session, person_id: int) -> list[tuple[PersonRoom, str]]:
    return [(pr, text) for pr, text in session.execute(
        select(PersonRoom, Address.full_text).join(Address, Address.id == PersonRoom.address_id)
        .where(PersonRoom.person_id == person_id).order_by(PersonRoom.since.desc(), PersonRoom.id)).tuples()]


def owned(session: Session, scope: Scope, kind: EntityKind, person_id: int) -> list[Any]:
    """The houses or vehicles a person owns that the actor may see."""
    model: type[House] | type[Vehicle] = House if kind == EntityKind.house else Vehicle
    return list(session.scalars(select(model).where(model.owner_person_id == person_id, visible(scope, kind))
                                .order_by(model.id).limit(RELATED_LIMIT)))


def residents_at(session: Session, scope: Scope, address_ids: Sequence[int]) -> list[tuple[Person, str]]:
    """People living at these addresses (their address, or a current lives / rents relation), with how."""
    if not address_ids:
        return []
    ids = sorted(set(address_ids))
    lives = select(PersonRoom.person_id).where(
        PersonRoom.address_id.in_(ids), PersonRoom.relation.in_([RoomRelation.lives, RoomRelation.rents]),
        PersonRoom.until.is_(None))
    rows = session.scalars(select(Person).where(or_(Person.address_id.in_(ids), Person.id.in_(lives)),
                                                visible(scope, EntityKind.person))
                           .order_by(Person.id).limit(RELATED_LIMIT))
    relations = {pid: rel.value for pid, rel in session.execute(
        select(PersonRoom.person_id, PersonRoom.relation).where(PersonRoom.address_id.in_(ids),
                                                                PersonRoom.until.is_(None)))}
    return [(p, relations.get(p.id, RoomRelation.lives.value)) for p in rows]


def at_addresses(session: Session, scope: Scope, kind: EntityKind, address_ids: Sequence[int]) -> list[Any]:
    """Houses / places / vehicles on these standard addresses that the actor may see."""
    if not address_ids:
        return []
    model = MODELS[kind]
    return list(session.scalars(select(model).where(model.address_id.in_(sorted(set(address_ids))),
                                                    visible(scope, kind)).order_by(model.id).limit(RELATED_LIMIT)))


def source_records(session: Session, kind: EntityKind, entity_id: int) -> list[tuple[str, Any]]:
    """(source, imported at) of every record behind an entity; the values themselves are not read."""
    return [(s, at) for s, at in session.execute(
        select(SourceRecord.source, SourceRecord.imported_at)
        .where(SourceRecord.kind == kind, SourceRecord.entity_id == entity_id)
        .order_by(SourceRecord.imported_at.desc(), SourceRecord.id)).tuples()]


def corrections_of(session: Session, kind: EntityKind, entity_id: int, limit: int = 100) -> list[Correction]:
    return list(session.scalars(select(Correction).where(Correction.kind == kind, Correction.entity_id == entity_id)
                                .order_by(Correction.at.desc(), Correction.id.desc()).limit(limit)))


def linked_case_ids(session: Session, links: Sequence[tuple[str, Sequence[int]]], limit: int = 200) -> list[int]:
    """Ids of the cases linked to any of (link kind, entity ids), newest first."""
    clauses = [(CaseLink.kind == k) & CaseLink.entity_id.in_(sorted(set(ids))) for k, ids in links if ids]
    if not clauses:
        return []
    return list(session.scalars(select(CaseLink.case_id).where(or_(*clauses)).distinct()
                                .order_by(CaseLink.case_id.desc()).limit(limit)))


# ---- standard addresses -----------------------------------------------------------------------------------------

def address_with_grid(session: Session, address_id: int) -> tuple[Address, int | None] | None:
    row = session.execute(select(Address, MicroGrid.grid_id).outerjoin(MicroGrid, MicroGrid.id == Address.micro_grid_id)
                          .where(Address.id == address_id)).first()
    return (row[0], row[1]) if row else None


def address_visible(scope: Scope, address: Address, grid_id: int | None) -> bool:
    """An address is visible where its entities would be: the actor's area subtrees and grids; a department that
    sees some kind district-wide sees every address (each section below is still filtered by kind)."""
    if not scope.actor.can("registry.read"):
        return False
    if any(address.area_path.startswith(p) for p in scope.area_paths):
        return True
    if grid_id is not None and grid_id in scope.grid_ids:
        return True
    return not scope.places_visible and any(scope.fields_for(k) for k in EntityKind)


def address_levels_below(session: Session, address_id: int, limit: int = 2000) -> list[Address]:
    """The buildings, units and rooms below an address (three levels at most), in order."""
    found: list[Address] = []
    frontier = [address_id]
    for _ in range(3):
        if not frontier or len(found) >= limit:
            break
        rows = list(session.scalars(select(Address).where(Address.parent_id.in_(frontier), Address.active.is_(True))
                                    .order_by(Address.id).limit(limit - len(found))))
        found += rows
        frontier = [a.id for a in rows]
    return sorted(found, key=lambda a: (_natural(a.building), _natural(a.unit), _natural(a.room)))


def _natural(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (10**9, text)


def address_parent(session: Session, parent_id: int | None) -> Address | None:
    return session.get(Address, parent_id) if parent_id else None


def grid_names(session: Session, ids: Sequence[int | None]) -> dict[int, tuple[str, str]]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    return {gid: (code, name) for gid, code, name in session.execute(
        select(Grid.id, Grid.code, Grid.name).where(Grid.id.in_(wanted)))}


def in_subtree(kind: EntityKind, path: str) -> ColumnElement[bool]:
    return subtree(MODELS[kind].area_path, path)


def with_tag(kind: EntityKind, tag: str) -> ColumnElement[bool]:
    """The entity's JSON list of tags holds `tag`: a substring of the list's JSON text (the default serializer
    escapes non-ASCII the same way on both databases), quotes included so that a tag never matches a longer one."""
    column = Person.tags if kind == EntityKind.person else Place.tags
    return cast(column, String).contains(json.dumps(tag), autoescape=True)
