"""Every query of the importers. Imports run as the system (CLI): no jurisdiction filter applies here; the caller
checks the actor may import."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from zhili.cases.models import Case, CaseCounter, CaseEvent, CasePart
from zhili.imports import bulk
from zhili.imports.models import ImportKey
from zhili.org.models import Department
from zhili.taxonomy.models import Category


def key_watermark(session: Session) -> int:
    """The highest import key id now: keys above it were written by the run that read it."""
    return int(session.scalar(select(func.coalesce(func.max(ImportKey.id), 0))) or 0)


def existing_keys(session: Session, kind: str, source: str, source_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """source id -> (key id, target id) of the given ids already imported from `source`."""
    out: dict[str, tuple[int, int]] = {}
    ids = list(source_ids)
    for i in range(0, len(ids), 1000):
        rows = session.execute(select(ImportKey.source_id, ImportKey.id, ImportKey.target_id).where(
            ImportKey.kind == kind, ImportKey.source == source, ImportKey.source_id.in_(ids[i:i + 1000])))
        out.update({sid: (kid, tid) for sid, kid, tid in rows.tuples()})
    return out


def categories(session: Session) -> list[tuple[int, str, str, int | None, bool]]:
    """Every category: id, code, name, parent id, active."""
    return list(session.execute(select(Category.id, Category.code, Category.name, Category.parent_id,
                                       Category.active)).tuples())


def category_by_code(session: Session, code: str) -> Category | None:
    return session.scalars(select(Category).where(Category.code == code)).first()


def children_of(session: Session, parent_id: int) -> list[tuple[int, str, str]]:
    return list(session.execute(select(Category.id, Category.code, Category.name)
                                .where(Category.parent_id == parent_id)).tuples())


def departments(session: Session) -> list[tuple[int, str, str, str]]:
    """Every department: id, code, name, short name."""
    return list(session.execute(select(Department.id, Department.code, Department.name, Department.short_name))
                .tuples())


def take_numbers(session: Session, day: str, count: int) -> int:
    """Reserve `count` consecutive numbers of the day atomically; returns the first."""
    dialect = session.get_bind().dialect.name
    ins: Any = postgresql.insert(CaseCounter) if dialect == "postgresql" else sqlite.insert(CaseCounter)
    stmt = ins.values(day=day, value=count).on_conflict_do_update(
        index_elements=[CaseCounter.day], set_={"value": CaseCounter.value + count}).returning(CaseCounter.value)
    last = int(session.execute(stmt).scalar_one())
    return last - count + 1


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def insert_cases(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Bulk insert (no ORM hooks: the caller fills geo_cell) with ids reserved first; the ids in row order.
    Call after a write in the same transaction (the day counters): SQLite's ids rely on its write lock."""
    table = _table(Case)
    ids = bulk.reserve_ids(session, table, len(rows))
    for row, case_id in zip(rows, ids, strict=True):
        row["id"] = case_id
    bulk.insert_many(session, table, rows)
    return ids


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    bulk.insert_many(session, _table(CaseEvent), rows)


def insert_parts(session: Session, rows: list[dict[str, Any]]) -> None:
    bulk.insert_many(session, _table(CasePart), rows)


def insert_keys(session: Session, rows: list[dict[str, Any]]) -> None:
    bulk.insert_many(session, _table(ImportKey), rows)
