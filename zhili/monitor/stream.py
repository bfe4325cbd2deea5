"""The server-sent-events feed of the cockpit and the monitoring page: counter snapshots and new alerts.

As in notify/stream.py the database is the source of truth: every poll counts afresh and reads the alerts after
the cursor, so any number of web processes serve feeds without talking to each other. A snapshot goes out at the
start and whenever a counter changes; each new alert as `event: alert` with the cursor as its id ("<event
id>.<order id>.<anomaly id>"), which the browser sends back as `Last-Event-ID` when it reconnects. A feed lives at most
`timeout` seconds and ends with a `retry:` hint; a quiet feed sends a comment heartbeat.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable

from zhili.kit import sse
from zhili.monitor.schemas import Alert, Snapshot

RETRY_MS = 3000
POLL_SECONDS = 3.0  # each poll is a handful of index-only counts; a leader's screen does not need more
HEARTBEAT_SECONDS = 15.0

Cursor = tuple[int, int, int]  # see monitor.service.Cursor
Poll = Callable[[Cursor], Awaitable[tuple[Snapshot, list[Alert], Cursor]]]


def frame(kind: str, data: str, event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {kind}\ndata: {data}\n\n"


def _counters(s: Snapshot) -> tuple[int, ...]:
    return (s.received_today, s.open, s.yellow, s.red, s.closed_today)


async def events(poll: Poll, cursor: Cursor, timeout: float, poll_seconds: float = POLL_SECONDS,
                 heartbeat_seconds: float = HEARTBEAT_SECONDS) -> AsyncIterator[str]:
    """Yield SSE frames: the retry hint, a snapshot, then new alerts and changed snapshots as they appear, a
    heartbeat when quiet, and the retry hint again after `timeout` seconds (kit.sse)."""
    last: tuple[int, ...] | None = None

    async def step() -> tuple[list[str], bool]:
        nonlocal cursor, last
        snap, alerts, cursor = await poll(cursor)
        ident = ".".join(str(c) for c in cursor)
        out = [frame("alert", json.dumps(a.model_dump(mode="json"), ensure_ascii=False), ident) for a in alerts]
        if _counters(snap) != last:
            last = _counters(snap)
            out.append(frame("snapshot", json.dumps(snap.model_dump(mode="json"), ensure_ascii=False), ident))
        return out, False

    async for f in sse.paced(step, timeout, retry_ms=RETRY_MS, poll_seconds=poll_seconds,
                             heartbeat_seconds=heartbeat_seconds):
        yield f
