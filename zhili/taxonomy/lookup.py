"""Small reads other domains need from the taxonomy: a category by code, names by id, a subtree's ids."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.taxonomy.models import Category


def category_by_code(session: Session, code: str) -> Category | None:
    return session.scalars(select(Category).where(Category.code == code)).first()


def category_refs(session: Session, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    ids = [i for i in set(ids) if i is not None]
    if not ids:
        return {}
    return {i: (c, n) for i, c, n in session.execute(select(Category.id, Category.code, Category.name)
                                                      .where(Category.id.in_(ids)))}


def category_path(session: Session, code: str) -> str | None:
    return session.scalar(select(Category.path).where(Category.code == code))


def category_ids_under(session: Session, path: str) -> list[int]:
    return list(session.scalars(select(Category.id).where(Category.path.startswith(path))))


def leaf_choices(session: Session) -> list[tuple[str, str, str]]:
    """(code, full name "major/minor", kind) of every active category that has no active children."""
    rows = list(session.execute(select(Category.id, Category.code, Category.name, Category.parent_id,
                                       Category.kind, Category.active).order_by(Category.sort, Category.code)))
    names = {r.id: r.name for r in rows}
    parents = {r.parent_id for r in rows if r.active and r.parent_id}
    out = []
    for r in rows:
        if r.active and r.id not in parents:
            label = f"{names[r.parent_id]}/{r.name}" if r.parent_id in names else r.name
            out.append((r.code, label, str(r.kind)))
    return out
