"""Queries of the match review queue. Every read starts from `reviews_visible()`: the same jurisdiction as the
registry's entities (registry/repository.visible), applied to the candidate entity's place copied on the review
(`area_path`, `grid_id`); a department sees the reviews of the kinds whose fields it owns. Deny by default."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from zhili.registry.fields import owned_fields
from zhili.registry.models import EntityKind, MatchReview, ReviewStatus, SourceRecord
from zhili.registry.repository import Scope, subtree

PAGE = 50


def reviews_visible(scope: Scope) -> ColumnElement[bool]:
    if not scope.actor.can("registry.read"):
        return false()
    clauses: list[ColumnElement[bool]] = [subtree(MatchReview.area_path, p) for p in scope.area_paths]
    if scope.grid_ids:
        clauses.append(MatchReview.grid_id.in_(sorted(scope.grid_ids)))
    if clauses:
        return or_(*clauses)
    kinds = [k for k in EntityKind if owned_fields(k, set(scope.department_codes))]
    return MatchReview.kind.in_(kinds) if kinds else false()


def list_reviews(session: Session, scope: Scope, status: ReviewStatus | None, offset: int
                 ) -> tuple[list[tuple[MatchReview, SourceRecord]], int]:
    where = [reviews_visible(scope), MatchReview.status == status if status is not None else true()]
    total = session.scalar(select(func.count()).select_from(MatchReview).where(*where)) or 0
    rows = session.execute(select(MatchReview, SourceRecord).join(SourceRecord, SourceRecord.id == MatchReview.record_id)
                           .where(*where).order_by(MatchReview.score.desc(), MatchReview.id)
                           .offset(offset).limit(PAGE)).tuples().all()
    return list(rows), int(total)


def get_review(session: Session, scope: Scope, review_id: int) -> tuple[MatchReview, SourceRecord] | None:
    row = session.execute(select(MatchReview, SourceRecord).join(SourceRecord, SourceRecord.id == MatchReview.record_id)
                          .where(and_(MatchReview.id == review_id, reviews_visible(scope)))).tuples().first()
    return (row[0], row[1]) if row else None
