"""Queries on the registry. Every read goes through `visible()`: deny by default, scoped to the actor's jurisdiction.

- An area scope (street, community) sees the entities whose community lies in that subtree; a grid scope (a grid
  worker) the entities of its grids. Both see every field (masked where personal, see service.py).
- A department scope sees the entities of the kinds where its department owns fields (registry/fields.py OWNERS),
  district-wide, but only those fields: `Scope.fields_for(kind)`.
- Without `registry.read`: nothing.

Other registry modules add their queries here (or in a sibling module named `repository_<topic>.py` when this file
grows past ~400 lines), always starting from `visible()`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from zhili.auth.actor import Actor
from zhili.org.models import Department, DepartmentKind
from zhili.registry.fields import LABELS, owned_fields
from zhili.registry.models import EntityKind, House, Person, Place, Vehicle

MODELS: dict[EntityKind, type[Person] | type[House] | type[Vehicle] | type[Place]] = {
    EntityKind.person: Person, EntityKind.house: House, EntityKind.vehicle: Vehicle, EntityKind.place: Place,
}


@dataclass(frozen=True)
class Scope:
    """What an actor may see of the registry: where (area paths, grids) and, for departments, which fields."""

    actor: Actor
    area_paths: tuple[str, ...]
    grid_ids: frozenset[int]
    department_codes: frozenset[str]

    @property
    def places_visible(self) -> bool:
        return bool(self.area_paths or self.grid_ids)

    def fields_for(self, kind: EntityKind) -> frozenset[str]:
        """Every field where the actor has a place scope; else the fields its departments own (maybe none)."""
        if not self.actor.can("registry.read"):
            return frozenset()
        if self.places_visible:
            return frozenset(LABELS[kind])
        return owned_fields(kind, set(self.department_codes))


def scope_of(session: Session, actor: Actor) -> Scope:
    codes: frozenset[str] = frozenset()
    if actor.department_ids:  # "330212-GA" -> "GA": the department's function, as in fields.OWNERS
        codes = frozenset(code.rsplit("-", 1)[-1] for code in session.scalars(
            select(Department.code).where(Department.id.in_(sorted(actor.department_ids)),
                                          Department.kind == DepartmentKind.functional)))
    return Scope(actor=actor, area_paths=actor.area_paths, grid_ids=actor.grid_ids, department_codes=codes)


def subtree(column: InstrumentedAttribute[str | None], path: str) -> ColumnElement[bool]:
    """`column` in the area subtree `path` as a byte-ordered range (see cases/repository.subtree)."""
    return and_(column >= path, column < path[:-1] + "0")


def visible(scope: Scope, kind: EntityKind) -> ColumnElement[bool]:
    """The rows of `kind` the actor may read (its place scopes; or, for a department owning fields of this kind,
    every row). Deny by default."""
    model = MODELS[kind]
    if not scope.actor.can("registry.read"):
        return false()
    clauses: list[ColumnElement[bool]] = [subtree(model.area_path, p) for p in scope.area_paths]
    if scope.grid_ids:
        clauses.append(model.grid_id.in_(sorted(scope.grid_ids)))
    if not clauses and owned_fields(kind, set(scope.department_codes)):
        return true()
    return or_(*clauses) if clauses else false()


def get_visible(session: Session, scope: Scope, kind: EntityKind, entity_id: int):  # type: ignore[no-untyped-def]
    """One entity if the actor may read it, else None (the route answers 404)."""
    model = MODELS[kind]
    return session.scalars(select(model).where(model.id == entity_id, visible(scope, kind))).first()
