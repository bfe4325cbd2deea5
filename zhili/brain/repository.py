"""Every brain query. Models and the suggestion log are platform data (no jurisdiction): the service checks
`brain.manage` before showing them. Training reads the texts of every registered case, as the platform."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import Row, case, func, select, update
from sqlalchemy.orm import Session, defer

from zhili.brain.models import BrainModel, CategorySuggestionLog
from zhili.cases.models import Case, CaseStatus
from zhili.taxonomy.models import Category

# ---- models ------------------------------------------------------------------------------------------------------


def active_version(session: Session, kind: str) -> int | None:
    """The active model's version: the cheap check every process makes every few seconds."""
    return session.scalar(select(BrainModel.version).where(BrainModel.kind == kind, BrainModel.active.is_(True))
                          .order_by(BrainModel.version.desc()).limit(1))


def model_blob(session: Session, kind: str, version: int) -> tuple[str, bytes] | None:
    row = session.execute(select(BrainModel.method, BrainModel.blob)
                          .where(BrainModel.kind == kind, BrainModel.version == version)).first()
    return (row[0], bytes(row[1])) if row else None


def list_models(session: Session, kind: str) -> list[BrainModel]:
    return list(session.scalars(select(BrainModel).options(defer(BrainModel.blob)).where(BrainModel.kind == kind)
                                .order_by(BrainModel.version.desc())))


def model_by_version(session: Session, kind: str, version: int) -> BrainModel | None:
    return session.scalar(select(BrainModel).options(defer(BrainModel.blob))
                          .where(BrainModel.kind == kind, BrainModel.version == version))


def next_version(session: Session, kind: str) -> int:
    return int(session.scalar(select(func.max(BrainModel.version)).where(BrainModel.kind == kind)) or 0) + 1


def deactivate_all(session: Session, kind: str) -> None:
    session.execute(update(BrainModel).where(BrainModel.kind == kind, BrainModel.active.is_(True))
                    .values(active=False))


# ---- training data -----------------------------------------------------------------------------------------------

def training_rows(session: Session, limit: int) -> Iterator[Row[tuple[str, str, str, datetime | None]]]:
    """(title, description, category code, registered_at) of the most recent `limit` cases whose category is
    final: registered (or self-handled) and not rejected. Merged cases count: their category was confirmed."""
    stmt = (select(Case.title, Case.description, Category.code, Case.registered_at)
            .join(Category, Category.id == Case.category_id)
            .where(Case.registered_at.is_not(None), Case.status != CaseStatus.rejected)
            .order_by(Case.registered_at.desc(), Case.id.desc()).limit(limit)
            .execution_options(yield_per=5000))
    yield from session.execute(stmt)


def training_fingerprint(session: Session) -> tuple[int, datetime | None]:
    """How many cases could train a model, and the latest registration: unchanged means nothing new to learn."""
    row = session.execute(select(func.count(), func.max(Case.registered_at))
                          .where(Case.registered_at.is_not(None), Case.status != CaseStatus.rejected)).one()
    return int(row[0]), row[1]


# ---- taxonomy as the suggester needs it --------------------------------------------------------------------------

def category_rows(session: Session) -> list[Row[tuple[int, str, str, int | None, str, bool]]]:
    return list(session.execute(select(Category.id, Category.code, Category.name, Category.parent_id,
                                       Category.keywords, Category.active)))


# ---- suggestion log ----------------------------------------------------------------------------------------------

def acceptance(session: Session, since: datetime) -> list[Row[tuple[str, int, int, int]]]:
    """Per model version since `since`: (version, logged cases, accepted, chosen within the top 3)."""
    as_int = func.sum(case((CategorySuggestionLog.accepted.is_(True), 1), else_=0))
    top3 = func.sum(case((CategorySuggestionLog.in_top3.is_(True), 1), else_=0))
    return list(session.execute(
        select(CategorySuggestionLog.model_version, func.count(), as_int, top3)
        .where(CategorySuggestionLog.created_at >= since)
        .group_by(CategorySuggestionLog.model_version).order_by(CategorySuggestionLog.model_version)))


def log_for_case(session: Session, case_id: int) -> CategorySuggestionLog | None:
    return session.scalar(select(CategorySuggestionLog).where(CategorySuggestionLog.case_id == case_id)
                          .order_by(CategorySuggestionLog.id.desc()).limit(1))

