"""The logging SMS sender records the message (phone encrypted at rest) and logs it with the phone masked."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

from tests.factories import TEST_KEY
from zhili.config import Settings
from zhili.db import transaction
from zhili.kit.errors import ValidationFailed
from zhili.notify import service
from zhili.notify.models import SmsMessage

PHONE = "13912345678"


def test_logging_sender_stores_the_row_and_logs_the_masked_phone(db, caplog) -> None:
    sender = service.sms_sender(Settings(secret_key=TEST_KEY, sms_sender="log"))
    with caplog.at_level(logging.INFO, logger="zhili.sms"), transaction(db) as s:
        sender.send(s, PHONE, "您的诉求 YZ20261128-000001 已办结，请评价。", None)
    records = [r for r in caplog.records if r.name == "zhili.sms"]
    assert len(records) == 1
    line = records[0].getMessage()
    assert "139****5678" in line and "已办结" in line
    assert PHONE not in caplog.text
    with transaction(db) as s:
        msg = s.scalars(select(SmsMessage)).one()
        assert (msg.phone, msg.status, msg.case_id) == (PHONE, "logged", None) and msg.created_at is not None
        raw = s.execute(text("SELECT phone FROM sms_messages")).scalar_one()
        assert PHONE not in raw  # encrypted at rest


@pytest.mark.parametrize(("phone", "body", "field"), [
    ("13912345678", "短" * 501, "text"), ("13912345678", "  ", "text"), ("abc", "内容", "phone"), ("", "内容", "phone"),
])
def test_bad_messages_are_refused_and_not_stored(db, phone, body, field) -> None:
    sender = service.LoggingSmsSender()
    with pytest.raises(ValidationFailed) as err, transaction(db) as s:
        sender.send(s, phone, body, None)
    assert err.value.field == field
    with transaction(db) as s:
        assert s.scalars(select(SmsMessage)).all() == []


def test_exactly_500_characters_is_allowed(db) -> None:
    with transaction(db) as s:
        service.LoggingSmsSender().send(s, "139 1234 5678", "字" * 500, None)
    with transaction(db) as s:
        assert s.scalars(select(SmsMessage.phone)).one() == PHONE


def test_unknown_sender_is_refused_at_startup() -> None:
    with pytest.raises(ValueError, match="gateway"):
        service.sms_sender(Settings(secret_key=TEST_KEY, sms_sender="gateway"))
