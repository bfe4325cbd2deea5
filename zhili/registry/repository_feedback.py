"""Queries of the feedback batches (数据反哺) and the corrections they carry.

Every read of batches starts from `batches_visible()`: deny by default; a holder of registry.manage sees every
department's batches, a holder of registry.feedback only its own departments'. Pending corrections are those not yet
applied by their department and not in a batch that is still waiting (sent or acknowledged).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true, update
from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.org.models import Department
from zhili.registry.models import BatchStatus, Correction, FeedbackBatch
from zhili.registry.repository import subtree


def batches_visible(actor: Actor) -> ColumnElement[bool]:
    if actor.can("registry.manage"):
        return true()
    if actor.can("registry.feedback") and actor.department_ids:
        return FeedbackBatch.department_id.in_(sorted(actor.department_ids))
    return false()


def _in_area(actor: Actor) -> ColumnElement[bool]:
    """The corrections a manager may batch: those in its area subtrees."""
    clauses = [subtree(Correction.area_path, p) for p in actor.area_paths]
    return or_(*clauses) if clauses else false()


def pending() -> ColumnElement[bool]:
    """Not applied, and not in a batch still waiting for its department (a batch applied in part returns the rest
    with batch_id cleared; an applied batch's id is accepted too, for safety)."""
    applied = select(FeedbackBatch.id).where(FeedbackBatch.status == BatchStatus.applied).scalar_subquery()
    return and_(Correction.applied_at.is_(None), Correction.owner_department_id.is_not(None),
                or_(Correction.batch_id.is_(None), Correction.batch_id.in_(applied)))


def pending_counts(session: Session, actor: Actor) -> list[tuple[Department, int]]:
    """Pending corrections per owning department the actor may see (managers: in their areas; a department: its
    own)."""
    where = [pending()]
    if actor.can("registry.manage"):
        where.append(_in_area(actor))
    elif actor.department_ids:
        where.append(Correction.owner_department_id.in_(sorted(actor.department_ids)))
    else:
        return []
    rows = session.execute(select(Department, func.count(Correction.id))
                           .join(Department, Department.id == Correction.owner_department_id)
                           .where(*where).group_by(Department.id).order_by(Department.code)).all()
    return [(d, n) for d, n in rows]


def batches(session: Session, actor: Actor, limit: int = 100) -> Sequence[tuple[FeedbackBatch, Department]]:
    return session.execute(select(FeedbackBatch, Department).join(Department,
                                                                  Department.id == FeedbackBatch.department_id)
                           .where(batches_visible(actor)).order_by(FeedbackBatch.id.desc()).limit(limit)).tuples().all()


def batch(session: Session, actor: Actor, batch_id: int) -> FeedbackBatch | None:
    return session.scalars(select(FeedbackBatch).where(FeedbackBatch.id == batch_id,
                                                       batches_visible(actor))).first()


def department(session: Session, department_id: int) -> Department | None:
    return session.get(Department, department_id)


def items(session: Session, batch_id: int) -> Sequence[Correction]:
    return session.scalars(select(Correction).where(Correction.batch_id == batch_id)
                           .order_by(Correction.at, Correction.id)).all()


def departments_with_pending(session: Session, actor: Actor) -> list[int]:
    return list(session.scalars(select(Correction.owner_department_id).where(pending(), _in_area(actor))
                                .group_by(Correction.owner_department_id)
                                .order_by(Correction.owner_department_id)))


def last_number(session: Session, prefix: str) -> str | None:
    return session.scalar(select(func.max(FeedbackBatch.number)).where(FeedbackBatch.number.like(prefix + "%")))


def take_pending(session: Session, actor: Actor, department_id: int, batch_id: int) -> int:
    """Put the department's pending corrections (in the manager's areas) into the batch, as one compare-and-set
    UPDATE: a correction another batch took a moment earlier no longer matches `pending()` and is left out."""
    result = session.execute(
        update(Correction).where(pending(), _in_area(actor), Correction.owner_department_id == department_id)
        .values(batch_id=batch_id).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def set_status(session: Session, batch_id: int, old: BatchStatus, new: BatchStatus, **values: object) -> bool:
    """old -> new as a compare-and-set: False when someone else moved the batch first."""
    result = session.execute(update(FeedbackBatch).where(FeedbackBatch.id == batch_id, FeedbackBatch.status == old)
                             .values(status=new, **values).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def mark_applied(session: Session, batch_id: int, item_ids: Sequence[int], at: datetime) -> tuple[int, int]:
    """The named items applied; the batch's other items return to the pool. Returns (applied, returned)."""
    applied = session.execute(update(Correction).where(Correction.batch_id == batch_id,
                                                       Correction.id.in_(list(item_ids)))
                              .values(applied_at=at).execution_options(synchronize_session=False))
    returned = session.execute(update(Correction).where(Correction.batch_id == batch_id,
                                                        Correction.applied_at.is_(None))
                               .values(batch_id=None).execution_options(synchronize_session=False))
    return int(getattr(applied, "rowcount", 0) or 0), int(getattr(returned, "rowcount", 0) or 0)
