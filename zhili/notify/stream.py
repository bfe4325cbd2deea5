"""The server-sent-events feed of one user's new notifications.

The database is the source of truth: each poll reads what arrived after the last id sent, so any number of web
processes serve streams without talking to each other. A stream lives at most `timeout` seconds and then ends with
a `retry:` hint; the browser's EventSource reconnects with `Last-Event-ID`, which keeps workers free and lets a
logged-out or expired session drop off at the next reconnect. (A client that goes away is noticed when a write
fails, or at the latest when the stream times out.)
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable

from zhili.kit import sse
from zhili.notify.schemas import NotificationRead

RETRY_MS = 2000
POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0


def event(item: NotificationRead) -> str:
    data = json.dumps(item.model_dump(mode="json"), ensure_ascii=False)  # one line: newlines are escaped
    return f"id: {item.id}\nevent: notification\ndata: {data}\n\n"


async def events(
    poll: Callable[[int], Awaitable[list[NotificationRead]]], last_id: int, timeout: float,
    poll_seconds: float = POLL_SECONDS, heartbeat_seconds: float = HEARTBEAT_SECONDS, batch: int = 100,
) -> AsyncIterator[str]:
    """Yield SSE frames: the retry hint, each notification after `last_id` as it appears, a comment heartbeat
    when quiet, and the retry hint again when `timeout` seconds have passed (kit.sse)."""
    cursor = last_id

    async def step() -> tuple[list[str], bool]:
        nonlocal cursor
        items = await poll(cursor)
        for item in items:
            cursor = max(cursor, item.id)
        return [event(item) for item in items], len(items) >= batch  # a full batch: more may be waiting

    async for f in sse.paced(step, timeout, retry_ms=RETRY_MS, poll_seconds=poll_seconds,
                             heartbeat_seconds=heartbeat_seconds):
        yield f
