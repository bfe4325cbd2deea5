"""Every taxonomy query. Categories are district-wide reference data (no jurisdiction); responsibility rules are
read through `readable_rules`: rules inside the actor's area subtrees or above them (those that apply there)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, false, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.org.models import Area, AreaLevel, Department, DepartmentKind
from zhili.taxonomy.models import Category, ResponsibilityRule, TaxonomyState

# ---- version ---------------------------------------------------------------------------------------------------


def version(session: Session) -> int:
    return int(session.scalar(select(TaxonomyState.version).where(TaxonomyState.id == 1)) or 0)


BUMPED = "taxonomy_bumped"  # session.info flag: this unit of work changed the taxonomy (do not cache its view)


def bump_version(session: Session) -> None:
    session.info[BUMPED] = True
    result = session.execute(update(TaxonomyState).where(TaxonomyState.id == 1)
                             .values(version=TaxonomyState.version + 1))
    if not getattr(result, "rowcount", 0):
        session.add(TaxonomyState(id=1, version=random.randrange(1, 2**30)))
        session.flush()


# ---- categories ------------------------------------------------------------------------------------------------


def all_categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).order_by(Category.path)))


def category_by_code(session: Session, code: str) -> Category | None:
    return session.scalar(select(Category).where(Category.code == code))


def category_codes(session: Session) -> dict[str, int]:
    return {code: cid for code, cid in session.execute(select(Category.code, Category.id))}


def categories_under(session: Session, path: str) -> list[Category]:
    return list(session.scalars(select(Category).where(Category.path.startswith(path))))


def has_children(session: Session, category_id: int) -> bool:
    return session.scalar(select(Category.id).where(Category.parent_id == category_id).limit(1)) is not None


def insert_categories(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(Category), rows)


# ---- rules -----------------------------------------------------------------------------------------------------


def _rule_scope(actor: Actor) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = []
    for p in actor.area_paths:
        clauses.append(ResponsibilityRule.area_path.startswith(p))
        clauses.append(literal(p).startswith(ResponsibilityRule.area_path))
    return or_(*clauses) if clauses else false()


def readable_rules(actor: Actor) -> Select[tuple[ResponsibilityRule]]:
    return select(ResponsibilityRule).where(_rule_scope(actor))


def rules_page(session: Session, actor: Actor, *, category_path: str | None, area_path: str | None,
               limit: int) -> list[tuple[ResponsibilityRule, Category, Area, Department | None]]:
    stmt = (select(ResponsibilityRule, Category, Area, Department)
            .join(Category, Category.id == ResponsibilityRule.category_id)
            .join(Area, Area.id == ResponsibilityRule.area_id)
            .outerjoin(Department, Department.id == ResponsibilityRule.department_id)
            .where(_rule_scope(actor)))
    if category_path:
        stmt = stmt.where(Category.path.startswith(category_path))
    if area_path:  # rules that apply there: set on the area, above it, or inside it
        stmt = stmt.where(or_(ResponsibilityRule.area_path.startswith(area_path),
                              literal(area_path).startswith(ResponsibilityRule.area_path)))
    stmt = stmt.order_by(Category.path, ResponsibilityRule.area_path).limit(limit)
    return [(r, c, a, d) for r, c, a, d in session.execute(stmt)]


def rule_by_id(session: Session, actor: Actor, rule_id: int) -> ResponsibilityRule | None:
    return session.scalar(readable_rules(actor).where(ResponsibilityRule.id == rule_id))


def rule_for(session: Session, category_id: int, area_id: int) -> ResponsibilityRule | None:
    return session.scalar(select(ResponsibilityRule).where(ResponsibilityRule.category_id == category_id,
                                                           ResponsibilityRule.area_id == area_id))


def rule_keys(session: Session) -> set[tuple[int, int]]:
    return {(c, a) for c, a in session.execute(select(ResponsibilityRule.category_id, ResponsibilityRule.area_id))}


def all_rules(session: Session, actor: Actor | None = None) -> list[ResponsibilityRule]:
    stmt = select(ResponsibilityRule) if actor is None else readable_rules(actor)
    return list(session.scalars(stmt.order_by(ResponsibilityRule.category_id, ResponsibilityRule.area_path)))


def routing_rows(session: Session) -> list[tuple[int, int, str, str, str, int | None, str]]:
    """(rule id, category id, area path, area name, basis, department id, note) of every rule."""
    stmt = (select(ResponsibilityRule.id, ResponsibilityRule.category_id, ResponsibilityRule.area_path, Area.name,
                   ResponsibilityRule.basis, ResponsibilityRule.department_id, ResponsibilityRule.note)
            .join(Area, Area.id == ResponsibilityRule.area_id))
    return [(r[0], r[1], r[2], r[3], str(r[4]), r[5], r[6]) for r in session.execute(stmt)]


def insert_rules(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(ResponsibilityRule), rows)


# ---- org reference data the taxonomy points at -----------------------------------------------------------------


def area_by_code(session: Session, code: str) -> Area | None:
    return session.scalar(select(Area).where(Area.code == code))


def areas_by_codes(session: Session, codes: Iterable[str]) -> dict[str, Area]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return {a.code: a for a in session.scalars(select(Area).where(Area.code.in_(wanted)))}


def areas_by_ids(session: Session, ids: Iterable[int]) -> dict[int, Area]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {a.id: a for a in session.scalars(select(Area).where(Area.id.in_(wanted)))}


def areas_at_level(session: Session, level: AreaLevel) -> list[Area]:
    return list(session.scalars(select(Area).where(Area.level == level).order_by(Area.code)))


def department_by_code(session: Session, code: str) -> Department | None:
    return session.scalar(select(Department).where(Department.code == code))


def departments_by_codes(session: Session, codes: Iterable[str]) -> dict[str, Department]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return {d.code: d for d in session.scalars(select(Department).where(Department.code.in_(wanted)))}


def departments_by_ids(session: Session, ids: Iterable[int]) -> dict[int, Department]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {d.id: d for d in session.scalars(select(Department).where(Department.id.in_(wanted)))}


_DEPARTMENT_REF = select(Department.id, Department.name).where(Department.id == bindparam("id"))
_CENTERS = select(Department.id, Department.name, Department.area_path).where(
    Department.kind == DepartmentKind.center, Department.area_path.in_(bindparam("paths", expanding=True)))


def department_ref(session: Session, department_id: int) -> tuple[int, str] | None:
    row = session.execute(_DEPARTMENT_REF, {"id": department_id}).first()
    return (row[0], row[1]) if row else None


def centers_at(session: Session, paths: Sequence[str]) -> list[tuple[int, str, str]]:
    """(id, name, area path) of the social governance centers serving exactly one of `paths`. Runs at every
    intake: the statement is built once."""
    if not paths:
        return []
    return [(r[0], r[1], r[2]) for r in session.execute(_CENTERS, {"paths": list(paths)})]


def all_departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.code)))
