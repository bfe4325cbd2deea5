"""Notifications are written in the caller's transaction, one per distinct user, and each user sees and changes
only their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.notify.helpers import send
from zhili.auth import repository as auth_repository
from zhili.auth.models import User
from zhili.db import transaction
from zhili.kit import clock
from zhili.kit.errors import NotFound
from zhili.notify import service
from zhili.notify.models import Notification


def actor_of(db, world, persona):  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        user = s.get(User, world.users[persona].id)
        return auth_repository.build_actor(s, user, via="token")


def test_notify_writes_one_per_distinct_user_and_lists_only_ones_own(db, world) -> None:
    ids = [world.users["grid_a"].id, world.users["grid_a"].id, world.users["grid_b"].id, 0]
    at = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    with clock.frozen(at), transaction(db) as s:
        assert service.notify(s, ids, "case.assigned", "新案件待处理", "路灯不亮") == 2
    send(db, world, ["grid_b"], "只给网格员B")
    grid_a, grid_b = actor_of(db, world, "grid_a"), actor_of(db, world, "grid_b")
    with transaction(db) as s:
        items, total = service.list_for(s, grid_a, False, 0, 50)
        assert total == 1 and [i.title for i in items] == ["新案件待处理"]
        assert items[0].created_at == at and items[0].read_at is None and items[0].body == "路灯不亮"
        items_b, total_b = service.list_for(s, grid_b, False, 0, 50)
        assert total_b == 2 and [i.title for i in items_b] == ["只给网格员B", "新案件待处理"]  # newest first


def test_notify_joins_the_callers_transaction(db, world) -> None:
    with pytest.raises(RuntimeError), transaction(db) as s:
        service.notify(s, [world.users["grid_a"].id], "case.assigned", "会被回滚")
        raise RuntimeError("the use case failed")
    with transaction(db) as s:
        assert s.scalar(select(func.count()).select_from(Notification)) == 0


def test_long_titles_are_shortened_not_refused(db, world) -> None:
    send(db, world, ["grid_a"], "标" * 300, body="文" * 900)
    with transaction(db) as s:
        n = s.scalars(select(Notification)).one()
        assert len(n.title) == 200 and n.title.endswith("…") and len(n.body) == 500


def test_mark_read_only_ones_own_and_unread_count(db, world) -> None:
    send(db, world, ["grid_a"], "第一条")
    send(db, world, ["grid_a"], "第二条")
    send(db, world, ["grid_b"], "别人的")
    grid_a = actor_of(db, world, "grid_a")
    with transaction(db) as s:
        mine = [i.id for i in service.list_for(s, grid_a, False, 0, 50)[0]]
        others = s.scalars(select(Notification.id).where(Notification.user_id == world.users["grid_b"].id)).all()
    with transaction(db) as s:
        assert service.unread_count(s, grid_a).count == 2
        with pytest.raises(NotFound):
            service.mark_read(s, grid_a, others[0])
    with clock.frozen(datetime(2026, 11, 28, 3, 0, tzinfo=UTC)), transaction(db) as s:
        read = service.mark_read(s, grid_a, mine[0])
        assert read.read_at == clock.now()
    with clock.frozen(datetime(2026, 11, 28, 3, 0, tzinfo=UTC) + timedelta(hours=1)), transaction(db) as s:
        assert service.mark_read(s, grid_a, mine[0]).read_at == datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # kept
        assert service.unread_count(s, grid_a).count == 1
        assert [i.title for i in service.list_for(s, grid_a, True, 0, 50)[0]] == ["第一条"]
        assert service.mark_all_read(s, grid_a) == 1
        assert service.unread_count(s, grid_a).count == 0
    with transaction(db) as s:  # the other user's notification is untouched
        assert s.get(Notification, others[0]).read_at is None  # type: ignore[union-attr]


def test_since_feeds_the_stream_in_order_for_one_user(db, world) -> None:
    for i in range(3):
        send(db, world, ["grid_a", "grid_b"], f"第{i}条")
    uid = world.users["grid_a"].id
    with transaction(db) as s:
        all_mine = service.since(s, uid, 0)
        assert [n.title for n in all_mine] == ["第0条", "第1条", "第2条"]
        assert [n.title for n in service.since(s, uid, all_mine[0].id)] == ["第1条", "第2条"]
        assert service.since(s, uid, all_mine[-1].id) == []
