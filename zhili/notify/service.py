"""Notify use cases: write notifications (in the caller's transaction), list and mark one's own, feed the live
stream; and the SMS sender.

Never commits. A notification belongs to one user: every read and change is filtered on the acting user, so
another user's notification answers 404 exactly like a missing one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.config import Settings
from zhili.kit import clock
from zhili.kit.errors import NotFound, ValidationFailed
from zhili.kit.masking import mask_phone
from zhili.kit.pagination import MAX_ID
from zhili.notify import repository
from zhili.notify.models import SmsMessage
from zhili.notify.repository import NotificationRow
from zhili.notify.schemas import NotificationRead, UnreadCount

TITLE_MAX, BODY_MAX, KIND_MAX, SMS_MAX = 200, 500, 32, 500
STREAM_BATCH = 100


def _clip(text: str, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _read(row: NotificationRow) -> NotificationRead:
    n, number = row
    return NotificationRead(id=n.id, kind=n.kind, title=n.title, body=n.body, case_id=n.case_id,
                            case_number=number, created_at=n.created_at, read_at=n.read_at)


def notify(session: Session, user_ids: Iterable[int], kind: str, title: str, body: str = "",
           case_id: int | None = None) -> int:
    """Address one notification to each distinct user (ids <= 0, e.g. the system actor, are skipped); returns how
    many were written. Over-long titles and bodies are shortened, not refused: a notice never fails its cause."""
    if not kind or len(kind) > KIND_MAX:
        raise ValueError(f"notification kind must be 1..{KIND_MAX} characters: {kind!r}")
    recipients = sorted({int(u) for u in user_ids if u is not None and int(u) > 0})
    at = clock.now()
    repository.insert_many(session, [
        {"user_id": uid, "case_id": case_id, "kind": kind, "title": _clip(title, TITLE_MAX),
         "body": _clip(body, BODY_MAX), "created_at": at, "read_at": None}
        for uid in recipients
    ])
    return len(recipients)


def list_for(session: Session, actor: Actor, unread_only: bool, offset: int, limit: int
             ) -> tuple[list[NotificationRead], int]:
    """The actor's own notifications, newest first."""
    rows, total = repository.page(session, actor.user_id, unread_only, offset, limit)
    return [_read(r) for r in rows], total


def unread_count(session: Session, actor: Actor) -> UnreadCount:
    return UnreadCount(count=repository.unread_count(session, actor.user_id),
                       latest_id=repository.latest_id(session, actor.user_id))


def mark_read(session: Session, actor: Actor, notification_id: int) -> NotificationRead:
    row = repository.get_own(session, actor.user_id, notification_id)
    if row is None:
        raise NotFound("通知不存在")
    item = _read(row)
    if item.read_at is None:
        at = clock.now()
        repository.mark_read(session, actor.user_id, [notification_id], at)
        item.read_at = at
    return item


def mark_all_read(session: Session, actor: Actor) -> int:
    return repository.mark_read(session, actor.user_id, None, clock.now())


def send_test(session: Session, actor: Actor) -> NotificationRead:
    """A notice to oneself, to check that the bell and the live push reach this browser."""
    notify(session, [actor.user_id], "test", "测试通知", "您能看到这条提示，说明实时通知工作正常。")
    row = repository.get_own(session, actor.user_id, repository.latest_id(session, actor.user_id))
    assert row is not None
    return _read(row)


def since(session: Session, user_id: int, last_id: int) -> list[NotificationRead]:
    """Notifications of `user_id` with an id above `last_id`, oldest first (at most one batch)."""
    return [_read(r) for r in repository.after(session, user_id, last_id, STREAM_BATCH)]


def stream_cursor(session: Session, actor: Actor, last_event_id: str | None, after: int | None) -> int:
    """Where a stream starts: the browser's Last-Event-ID (a reconnect), else `after`, else the newest id now."""
    if last_event_id is not None and last_event_id.strip():
        value = last_event_id.strip()
        if not value.isdigit() or int(value) > MAX_ID:
            raise ValidationFailed("Last-Event-ID 应为通知编号", field="Last-Event-ID")
        return int(value)
    if after is not None:
        return after
    return repository.latest_id(session, actor.user_id)


# ---- SMS ---------------------------------------------------------------------------------------------------------

_PHONE = re.compile(r"^\+?\d{5,20}$")
sms_log = logging.getLogger("zhili.sms")


class SmsSender(Protocol):
    def send(self, session: Session, phone: str, text: str, case_id: int | None) -> None: ...


def _checked(phone: str, text: str) -> tuple[str, str]:
    number = re.sub(r"[\s-]", "", phone or "")
    if not _PHONE.match(number):
        raise ValidationFailed("手机号码格式不正确", field="phone")
    if not text or not text.strip():
        raise ValidationFailed("短信内容不能为空", field="text")
    if len(text) > SMS_MAX:
        raise ValidationFailed(f"短信内容不能超过 {SMS_MAX} 字", field="text")
    return number, text


class LoggingSmsSender:
    """Sends nothing: records the message (phone encrypted) with status `logged` and logs it, phone masked.
    A gateway sender replaces it by configuration (`ZHILI_SMS_SENDER`)."""

    def send(self, session: Session, phone: str, text: str, case_id: int | None) -> None:
        number, text = _checked(phone, text)
        repository.add_sms(session, SmsMessage(phone=number, text=text, case_id=case_id, status="logged",
                                               created_at=clock.now()))
        sms_log.info("短信 -> %s (case %s): %s", mask_phone(number), case_id, text)


SENDERS: dict[str, type[LoggingSmsSender]] = {"log": LoggingSmsSender}


def sms_sender(settings: Settings) -> SmsSender:
    """The configured sender; an unknown name is a ValueError (call at startup so a typo stops the process)."""
    try:
        return SENDERS[settings.sms_sender]()
    except KeyError:
        raise ValueError(f"unknown sms_sender {settings.sms_sender!r}; known: {', '.join(SENDERS)}") from None

