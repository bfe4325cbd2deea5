"""The pacing every server-sent-events feed shares (notifications, the cockpit): a `retry:` hint first, whatever a
poll step yields, a comment heartbeat when quiet, the retry hint again after `timeout` seconds so the browser's
EventSource reconnects (keeping workers free, letting an expired session drop off at the next reconnect)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

Step = Callable[[], Awaitable[tuple[list[str], bool]]]  # -> (frames to send, poll again at once)


async def paced(step: Step, timeout: float, *, retry_ms: int, poll_seconds: float,
                heartbeat_seconds: float) -> AsyncIterator[str]:
    start = time.monotonic()
    deadline = start + timeout
    quiet_since = start
    yield f"retry: {retry_ms}\n\n"
    while True:
        frames, hurry = await step()
        for f in frames:
            yield f
        now = time.monotonic()
        if frames:
            quiet_since = now
        elif now - quiet_since >= heartbeat_seconds:
            quiet_since = now
            yield ": heartbeat\n\n"
        if now >= deadline:
            break
        if not hurry:
            await asyncio.sleep(min(poll_seconds, max(0.0, deadline - now)))
    yield f"retry: {retry_ms}\n\n"
