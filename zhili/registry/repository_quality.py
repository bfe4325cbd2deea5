"""Queries of data quality (数据质量): the entities' columns a snapshot needs, streamed; source and conflict counts
per grid; the stored snapshots, read through `snapshot_visible()` (deny by default, the same scopes as the
entities: area subtrees, grids, or a department district-wide for the kinds whose fields it owns)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, false, func, insert, or_, select, true
from sqlalchemy.orm import Session

from zhili.registry.fields import owned_fields
from zhili.registry.models import Conflict, EntityKind, Person, PersonStatus, QualitySnapshot, SourceRecord
from zhili.registry.repository import MODELS, Scope, subtree

BATCH = 5000
COLUMNS: dict[EntityKind, tuple[str, ...]] = {
    EntityKind.person: ("name", "id_number", "phone"),
    EntityKind.house: ("use", "owner_person_id", "floor_area"),
    EntityKind.vehicle: ("plate", "owner_person_id"),
    EntityKind.place: ("name", "kind", "credit_code", "contact_phone"),
}
COMMON = ("id", "area_id", "area_path", "grid_id", "address_id", "address_text", "verified_at")
SUMS = ("total", "complete", "valid", "matched", "multi_source", "conflicts", "fresh")


def _counted(kind: EntityKind) -> list[ColumnElement[bool]]:
    """Which entities count: people still on the register (not moved out, deceased or anonymised); all others."""
    return [Person.status == PersonStatus.active] if kind == EntityKind.person else []


def stream(session: Session, kind: EntityKind) -> Iterator[Row[Any]]:
    """The columns the quality rules read, every counted entity, in id order and batches (rows, not objects: the
    session keeps nothing)."""
    model = MODELS[kind]
    cols = [getattr(model, c) for c in (*COMMON, *COLUMNS[kind])]
    last = 0
    while True:
        rows = session.execute(select(*cols).where(model.id > last, *_counted(kind))
                               .order_by(model.id).limit(BATCH)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def multi_source_counts(session: Session, kind: EntityKind) -> dict[tuple[int | None, int | None], int]:
    """Entities with records from two or more sources, per (community, grid)."""
    model = MODELS[kind]
    several = (select(SourceRecord.entity_id).where(SourceRecord.kind == kind, SourceRecord.entity_id.is_not(None))
               .group_by(SourceRecord.entity_id).having(func.count(func.distinct(SourceRecord.source)) >= 2))
    rows = session.execute(select(model.area_id, model.grid_id, func.count())
                           .where(model.id.in_(several), *_counted(kind)).group_by(model.area_id, model.grid_id))
    return {(a, g): int(n) for a, g, n in rows}


def conflict_counts(session: Session, kind: EntityKind) -> dict[tuple[int | None, int | None], int]:
    """Open conflicts on counted entities, per (community, grid)."""
    model = MODELS[kind]
    rows = session.execute(select(model.area_id, model.grid_id, func.count(Conflict.id))
                           .join(Conflict, (Conflict.entity_id == model.id) & (Conflict.kind == kind))
                           .where(Conflict.open.is_(True), *_counted(kind)).group_by(model.area_id, model.grid_id))
    return {(a, g): int(n) for a, g, n in rows}


def replace_day(session: Session, day: date, rows: Sequence[dict[str, Any]]) -> None:
    """The day's snapshots, all kinds, replaced by `rows` (a rerun the same day overwrites)."""
    session.execute(delete(QualitySnapshot).where(QualitySnapshot.day == day))
    if rows:
        session.execute(insert(QualitySnapshot), list(rows))


def has_day(session: Session, day: date) -> bool:
    return session.scalar(select(QualitySnapshot.id).where(QualitySnapshot.day == day).limit(1)) is not None


def snapshot_visible(scope: Scope, kind: EntityKind) -> ColumnElement[bool]:
    """Snapshots of `kind` the actor may read: as repository.visible() for the entities they sum up."""
    if not scope.actor.can("registry.read"):
        return false()
    clauses: list[ColumnElement[bool]] = [subtree(QualitySnapshot.area_path, p) for p in scope.area_paths]
    if scope.grid_ids:
        clauses.append(QualitySnapshot.grid_id.in_(sorted(scope.grid_ids)))
    if not clauses and owned_fields(kind, set(scope.department_codes)):
        return true()
    return or_(*clauses) if clauses else false()


def _under(path: str | None) -> list[ColumnElement[bool]]:
    return [subtree(QualitySnapshot.area_path, path)] if path else []


def snapshots(session: Session, scope: Scope, kind: EntityKind, day: date, under: str | None) -> list[QualitySnapshot]:
    return list(session.scalars(select(QualitySnapshot).where(
        QualitySnapshot.day == day, QualitySnapshot.kind == kind, snapshot_visible(scope, kind), *_under(under))))


def trend(session: Session, scope: Scope, kind: EntityKind, since: date, under: str | None) -> list[Row[Any]]:
    """Per day from `since`: the sums of every figure over the visible snapshots under `under`."""
    sums = [func.sum(getattr(QualitySnapshot, c)).label(c) for c in SUMS]
    return list(session.execute(select(QualitySnapshot.day, *sums).where(
        QualitySnapshot.day >= since, QualitySnapshot.kind == kind, snapshot_visible(scope, kind), *_under(under))
        .group_by(QualitySnapshot.day).order_by(QualitySnapshot.day)).all())
