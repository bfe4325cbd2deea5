"""Stamping a token's or a session's last use never makes a request wait for another one (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from zhili.auth.models import ApiToken
from zhili.db import transaction
from zhili.kit import clock


def test_a_request_does_not_wait_for_a_locked_token_row(app, engine, world, db) -> None:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    token = world.token(db, "street")
    with transaction(db) as s:  # make the stamp due
        for row in s.query(ApiToken):
            row.last_used_at = clock.now() - timedelta(hours=1)
    holder = engine.connect()
    tx = holder.begin()
    holder.execute(text("SELECT id FROM api_tokens FOR UPDATE"))  # another request is stamping right now
    result: dict[str, int] = {}

    def call() -> None:
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as c:
            result["status"] = c.get("/api/auth/me").status_code

    t = threading.Thread(target=call)
    t.start()
    t.join(10)
    done = not t.is_alive()
    tx.rollback()
    holder.close()
    t.join(10)
    assert done, "the request waited on the token row held by another transaction"
    assert result["status"] == 200
