"""The event-stream generator on its own (no database): frames, cursor, heartbeat, end with a retry hint."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from zhili.notify import stream
from zhili.notify.schemas import NotificationRead


def item(i: int) -> NotificationRead:
    return NotificationRead(id=i, kind="k", title=f"第{i}条\n换行", body="", case_id=None, case_number=None,
                            created_at=datetime(2026, 11, 28, tzinfo=UTC), read_at=None)


def collect(frames, timeout: float, **kw) -> tuple[list[str], list[int]]:  # type: ignore[no-untyped-def]
    asked: list[int] = []

    async def poll(last_id: int) -> list[NotificationRead]:
        asked.append(last_id)
        return [i for i in frames if i.id > last_id][:2]

    async def run() -> list[str]:
        return [f async for f in stream.events(poll, 3, timeout, **kw)]

    return asyncio.run(run()), asked


def test_frames_follow_the_cursor_in_batches_and_end_with_retry() -> None:
    frames, asked = collect([item(2), item(4), item(5), item(7)], 0.05, poll_seconds=0.01, batch=2)
    assert frames[0] == frames[-1] == "retry: 2000\n\n"
    events = [f for f in frames if f.startswith("id:")]
    assert [e.split("\n")[0] for e in events] == ["id: 4", "id: 5", "id: 7"]
    assert all(e.count("\n") == 4 for e in events)  # id, event, one data line (newlines escaped), blank line
    assert asked[:3] == [3, 5, 7]  # after a full batch the next poll is immediate and continues from the last id


def test_heartbeat_comment_when_quiet() -> None:
    frames, asked = collect([], 0.2, poll_seconds=0.02, heartbeat_seconds=0.05)
    beats = [f for f in frames if f.startswith(":")]
    assert 2 <= len(beats) <= 5 and len(asked) >= 5
    assert not any(f.startswith("id:") for f in frames)
