"""Every notify query. A notification is readable by its addressee only: each read takes the user's id and
filters on it, so another user's notification is indistinguishable from a missing one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, func, insert, select, update
from sqlalchemy.orm import Session

from zhili.cases.models import Case
from zhili.notify.models import Notification, SmsMessage

NotificationRow = Row[tuple[Notification, str]]  # the case number is None when no case is linked


def _own(user_id: int) -> Select[tuple[Notification, str]]:
    return (select(Notification, Case.number).outerjoin(Case, Case.id == Notification.case_id)
            .where(Notification.user_id == user_id))


def insert_many(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(Notification), rows)


def page(session: Session, user_id: int, unread_only: bool, offset: int, limit: int
         ) -> tuple[Sequence[NotificationRow], int]:
    stmt = _own(user_id)
    count = select(func.count()).select_from(Notification).where(Notification.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
        count = count.where(Notification.read_at.is_(None))
    rows = session.execute(stmt.order_by(Notification.id.desc()).offset(offset).limit(limit)).all()
    return rows, session.scalar(count) or 0


def get_own(session: Session, user_id: int, notification_id: int) -> NotificationRow | None:
    return session.execute(_own(user_id).where(Notification.id == notification_id)).first()


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def latest_id(session: Session, user_id: int) -> int:
    return session.scalar(select(func.max(Notification.id)).where(Notification.user_id == user_id)) or 0


def after(session: Session, user_id: int, last_id: int, limit: int) -> Sequence[NotificationRow]:
    return session.execute(_own(user_id).where(Notification.id > last_id).order_by(Notification.id)
                           .limit(limit)).all()


def mark_read(session: Session, user_id: int, ids: Sequence[int] | None, at: datetime) -> int:
    """Stamp unread notifications of `user_id` (only `ids` when given); returns how many changed."""
    stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    result = session.execute(stmt.values(read_at=at).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def add_sms(session: Session, message: SmsMessage) -> None:
    session.add(message)
    session.flush()

