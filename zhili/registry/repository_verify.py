"""Queries of verification (核查): tasks, their entities' conflicts and the owning departments of corrections.

Every read of tasks starts from `tasks_visible()`: deny by default; a grid worker sees the tasks of its grids, an
area scope (community, street, district) the tasks whose entity lies in its subtree. Entities are read through
repository.get_visible(), so a task never shows more than its entity's scope allows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, false, or_, select, type_coerce, update
from sqlalchemy.orm import Session

from zhili.addresses.models import Address
from zhili.kit.crypto import EncryptedString
from zhili.org.models import Department, DepartmentKind
from zhili.registry.models import (
    Conflict,
    EntityKind,
    Household,
    Person,
    PersonStatus,
    TaskStatus,
    VerifyTask,
)
from zhili.registry.repository import MODELS, Scope, subtree

ENTITY_BATCH = 2000


def tasks_visible(scope: Scope) -> ColumnElement[bool]:
    """The tasks the actor may work on: its grids' and its area subtrees'. Deny by default."""
    if not scope.actor.can("registry.verify"):
        return false()
    clauses: list[ColumnElement[bool]] = [subtree(VerifyTask.area_path, p) for p in scope.area_paths]
    if scope.grid_ids:
        clauses.append(VerifyTask.grid_id.in_(sorted(scope.grid_ids)))
    return or_(*clauses) if clauses else false()


def open_tasks(session: Session, scope: Scope, limit: int, offset: int = 0) -> Sequence[VerifyTask]:
    """Open tasks, the earliest due first."""
    return session.scalars(
        select(VerifyTask).where(tasks_visible(scope), VerifyTask.status == TaskStatus.open)
        .order_by(VerifyTask.due_on, VerifyTask.id).offset(offset).limit(limit)).all()


def count_open(session: Session, scope: Scope) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(VerifyTask)
                          .where(tasks_visible(scope), VerifyTask.status == TaskStatus.open)) or 0


def task(session: Session, scope: Scope, task_id: int) -> VerifyTask | None:
    return session.scalars(select(VerifyTask).where(VerifyTask.id == task_id, tasks_visible(scope))).first()


def entity_titles(session: Session, tasks: Sequence[VerifyTask]) -> dict[tuple[EntityKind, int], Any]:
    """The task list's entities (one query per kind), keyed by (kind, id)."""
    found: dict[tuple[EntityKind, int], Any] = {}
    for kind in EntityKind:
        found |= {(kind, i): e for i, e in by_ids(session, kind, [t.entity_id for t in tasks if t.kind == kind]).items()}
    return found


def by_ids(session: Session, kind: EntityKind, ids: Sequence[int]) -> dict[int, Any]:
    """Entities of `kind` by id (for rows already scoped: tasks, corrections), one query."""
    if not ids:
        return {}
    model: Any = MODELS[kind]
    return {e.id: e for e in session.scalars(select(model).where(model.id.in_(sorted(set(ids)))))}


# ---- conflicts ------------------------------------------------------------------------------------------------

def open_conflicts(session: Session, kind: EntityKind, entity_id: int) -> Sequence[Conflict]:
    return session.scalars(select(Conflict).where(Conflict.kind == kind, Conflict.entity_id == entity_id,
                                                  Conflict.open.is_(True)).order_by(Conflict.field)).all()


def conflict_fields(session: Session, kind: EntityKind) -> dict[int, list[str]]:
    """entity id -> fields with an open conflict, for every entity of `kind` that has one."""
    found: dict[int, list[str]] = {}
    for entity_id, name in session.execute(
            select(Conflict.entity_id, Conflict.field).where(Conflict.kind == kind, Conflict.open.is_(True))
            .order_by(Conflict.entity_id, Conflict.field)):
        found.setdefault(entity_id, []).append(name)
    return found


def resolve_conflicts(session: Session, kind: EntityKind, entity_id: int, fields: Sequence[str], *,
                      by: int | None, at: datetime) -> int:
    if not fields:
        return 0
    result = session.execute(
        update(Conflict).where(Conflict.kind == kind, Conflict.entity_id == entity_id,
                               Conflict.field.in_(list(fields)), Conflict.open.is_(True))
        .values(open=False, resolved_at=at, resolved_by=by).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


# ---- generation -----------------------------------------------------------------------------------------------

def entities(session: Session, kind: EntityKind, columns: Sequence[str]) -> Iterator[Any]:
    """Every entity of `kind` that can be verified (people who moved out, died or were anonymised cannot), in id
    order, streamed in batches, as rows of `columns` (plus id; no ORM objects: a run reads every entity). Encrypted
    columns come as their ciphertext: decrypting every ID and phone number would be most of a run's time."""
    model: Any = MODELS[kind]
    person = kind == EntityKind.person
    extra = [Person.status] if person else []
    stmt = select(model.id, *(_raw(getattr(model, c)) for c in columns if c != "id"), *extra).order_by(model.id)
    last = 0
    while True:  # the status is filtered here, not in SQL: `status = 'active'` made PostgreSQL walk its index
        rows = session.execute(stmt.where(model.id > last).limit(ENTITY_BATCH)).all()
        if not rows:
            return
        yield from (r for r in rows if not person or r.status == PersonStatus.active)
        last = rows[-1].id


def _raw(column: Any) -> Any:
    """An encrypted column as its stored ciphertext (decrypted by the caller only when it needs the value)."""
    if isinstance(column.type, EncryptedString):
        return type_coerce(column, String).label(column.key)
    return column


def open_task_map(session: Session) -> dict[tuple[EntityKind, int], VerifyTask]:
    return {(t.kind, t.entity_id): t for t in session.scalars(
        select(VerifyTask).where(VerifyTask.status == TaskStatus.open))}


def close_task(session: Session, task_id: int, status: TaskStatus, *, by: int | None, at: datetime,
               note: str | None = None) -> bool:
    """Open -> done / cancelled as a compare-and-set: False when someone else closed it first."""
    values: dict[str, Any] = {"status": status, "done_at": at, "done_by": by}
    if note is not None:
        values["note"] = note[:500]
    result = session.execute(update(VerifyTask).where(VerifyTask.id == task_id, VerifyTask.status == TaskStatus.open)
                             .values(**values).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


# ---- what an entity's page shows beside its row --------------------------------------------------------------

def address_texts(session: Session, rows: Sequence[Any]) -> dict[int, str]:
    """entity id -> its address as text (the standard address, else the source's text); one query."""
    ids = sorted({r.address_id for r in rows if r.address_id})
    full = dict(session.execute(select(Address.id, Address.full_text).where(Address.id.in_(ids))).tuples().all()) \
        if ids else {}
    return {r.id: full.get(r.address_id or 0) or r.address_text or "" for r in rows}


def household_number(session: Session, household_id: int | None) -> str:
    if not household_id:
        return ""
    return session.scalar(select(Household.number).where(Household.id == household_id)) or ""


def person_brief(session: Session, person_id: int | None) -> tuple[str, Any] | None:
    if not person_id:
        return None
    row = session.execute(select(Person.name, Person.birth_date).where(Person.id == person_id)).first()
    return (row[0], row[1]) if row else None


# ---- owning departments ---------------------------------------------------------------------------------------

def functional_departments(session: Session) -> dict[str, Department]:
    """Function code ("330212-GA" -> "GA") -> the functional department (the first by id when several)."""
    found: dict[str, Department] = {}
    for d in session.scalars(select(Department).where(Department.kind == DepartmentKind.functional)
                             .order_by(Department.id)):
        found.setdefault(d.code.rsplit("-", 1)[-1], d)
    return found
