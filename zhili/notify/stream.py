"""The server-sent-events feed of one user's new notifications.

The database is the source of truth: each poll reads what arrived after the last id sent, so any number of web
processes serve streams without talking to each other. A stream lives at most `timeout` seconds and then ends with
a `retry:` hint; the browser's EventSource reconnects with `Last-Event-ID`, which keeps workers free and lets a
logged-out or expired session drop off at the next reconnect. (A client that goes away is noticed when a write
fails, or at the latest when the stream times out.)
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable

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
    when quiet, and the retry hint again when `timeout` seconds have passed."""
    start = time.monotonic()
    deadline = start + timeout
    quiet_since = start
    yield f"retry: {RETRY_MS}\n\n"
    while True:
        items = await poll(last_id)
        for item in items:
            last_id = max(last_id, item.id)
            yield event(item)
        now = time.monotonic()
        if items:
            quiet_since = now
        elif now - quiet_since >= heartbeat_seconds:
            quiet_since = now
            yield ": heartbeat\n\n"
        if now >= deadline:
            break
        if len(items) < batch:  # after a full batch more may be waiting: poll again at once
            await asyncio.sleep(min(poll_seconds, max(0.0, deadline - now)))
    yield f"retry: {RETRY_MS}\n\n"
