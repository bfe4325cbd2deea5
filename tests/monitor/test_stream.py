"""The live feed: frames from the poll loop (no database), and the SSE route over the scene."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World
from tests.monitor.helpers import Scene, build_scene
from zhili.kit import clock
from zhili.monitor import stream
from zhili.monitor.schemas import Alert, Snapshot

AT = datetime(2026, 11, 17, 7, 31, tzinfo=UTC)


def snap(received: int) -> Snapshot:
    return Snapshot(at=AT, day="2026-11-17", scope="鄞州区", received_today=received, open=4, yellow=1, red=1,
                    closed_today=1)


def frames(polls: list[tuple[Snapshot, list[Alert]]], timeout: float, heartbeat: float = 15.0) -> list[str]:
    calls = iter(polls)
    last = polls[-1]

    async def poll(cursor: tuple[int, int, int]) -> tuple[Snapshot, list[Alert], tuple[int, int, int]]:
        s, alerts = next(calls, last)
        return s, alerts, (cursor[0] + len(alerts), cursor[1], cursor[2])

    async def collect() -> list[str]:
        return [f async for f in stream.events(poll, (10, 3, 0), timeout, poll_seconds=0.01,
                                               heartbeat_seconds=heartbeat)]

    return asyncio.run(collect())


def test_snapshot_first_then_only_changes_and_alerts() -> None:
    alert = Alert(id="e11", at=AT, kind="overdue", level="red", title="红色超期：路灯不亮", body="案件 X")
    out = frames([(snap(5), []), (snap(5), []), (snap(5), [alert]), (snap(6), [])], timeout=0.2)
    assert out[0] == "retry: 3000\n\n" and out[-1] == "retry: 3000\n\n"
    kinds = [f.split("event: ")[1].split("\n")[0] for f in out if "event: " in f]
    assert kinds == ["snapshot", "alert", "snapshot"]  # an unchanged snapshot is not sent again
    alert_frame = next(f for f in out if "event: alert" in f)
    assert alert_frame.startswith("id: 11.3.0\n") and "红色超期" in alert_frame
    assert json.loads(out[-2].split("data: ")[1])["received_today"] == 6


def test_a_quiet_feed_sends_heartbeats() -> None:
    out = frames([(snap(5), [])], timeout=0.1, heartbeat=0.02)
    assert ": heartbeat\n\n" in out


@pytest.fixture
def scene(db: sessionmaker[Session], world: World) -> Scene:
    return build_scene(db, world)


def test_stream_sends_the_scoped_counters(as_persona: Any, scene: Scene) -> None:
    with clock.frozen(scene.now):
        body = as_persona("street").get("/api/monitor/stream?timeout=1").text
    first = next(f for f in body.split("\n\n") if "event: snapshot" in f)
    data = json.loads(first.split("data: ")[1])
    assert (data["received_today"], data["open"], data["scope"]) == (4, 3, "首南街道")
    assert "event: alert" not in body  # a new feed starts from now on


def test_reconnecting_with_last_event_id_replays_missed_alerts(as_persona: Any, db: sessionmaker[Session],
                                                                world: World, scene: Scene) -> None:
    from datetime import date

    from zhili.db import transaction
    from zhili.insight.models import InsightAlert

    with transaction(db) as s:
        s.add(InsightAlert(kind="volume", subject_key="street:330212006000", day=date(2026, 11, 17),
                           area_path=world.areas["s1"].path, level="warning", title="首南街道受理量异常",
                           body="今日受理 30 件", href="/gov/insight/alerts", observed=30, projected=10.0, lo=5.0,
                           hi=15.0, created_at=scene.now))
    with clock.frozen(scene.now):
        body = as_persona("leader").get("/api/monitor/stream?timeout=1", headers={"Last-Event-ID": "0.0.0"}).text
    alerts = [json.loads(f.split("data: ")[1]) for f in body.split("\n\n") if "event: alert" in f]
    assert {a["kind"] for a in alerts} == {"warning", "overdue", "supervise", "anomaly"}
    with clock.frozen(scene.now):
        none = as_persona("street2").get("/api/monitor/stream?timeout=1", headers={"Last-Event-ID": "0.0.0"}).text
    assert "event: alert" not in none  # the other street's alerts never reach it
