"""Authorization cases of the notify routes. Notifications are per user: everyone signed in has their own, and a
notification of another user answers 404 like a missing one. (Each key's cases run in order on a fresh world, so
a POST key can first create notification 1 with the test route.)"""

from __future__ import annotations

from tests.matrix_common import MISSING, OK, Case

MINE = Case("grid_a", "/api/notifications/test", 201, contains=["测试通知"])

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("GET", "/api/notifications"): [
        Case("grid_a", "/api/notifications?unread=true", OK, contains=['"total":0']),
        Case("anon", "/api/notifications", 401)],
    ("GET", "/api/notifications/unread-count"): [
        Case("resident", "/api/notifications/unread-count", OK, contains=['"count":0']),
        Case("anon", "/api/notifications/unread-count", 401)],
    ("POST", "/api/notifications/read-all"): [
        MINE, Case("grid_b", "/api/notifications/read-all", OK, contains=['"updated":0']),
        Case("grid_a", "/api/notifications/read-all", OK, contains=['"updated":1']),
        Case("anon", "/api/notifications/read-all", 401)],
    ("POST", "/api/notifications/test"): [
        Case("resident", "/api/notifications/test", 201, contains=["测试通知"]),
        Case("anon", "/api/notifications/test", 401)],
    ("POST", "/api/notifications/{notification_id}/read"): [
        MINE, Case("grid_b", "/api/notifications/1/read", MISSING),
        Case("admin", "/api/notifications/1/read", MISSING),
        Case("grid_a", "/api/notifications/1/read", OK, contains=["测试通知", '"read_at":"']),
        Case("grid_a", "/api/notifications/2/read", MISSING)],
    ("GET", "/api/notifications/stream"): [
        Case("street", "/api/notifications/stream?after=0&timeout=1", OK, contains=["retry: 2000"],
             absent=["event: notification"]),
        Case("street", "/api/notifications/stream?timeout=61", 422),
        Case("anon", "/api/notifications/stream?timeout=1", 401)],
    ("GET", "/notifications"): [
        Case("resident", "/notifications", OK, contains=["暂无通知", "发送测试通知"]),
        Case("street", "/notifications?unread=true", OK, contains=["没有未读通知"]),
        Case("anon", "/notifications", 303)],
    ("POST", "/notifications/{notification_id}/read"): [
        MINE, Case("street", "/notifications/1/read", MISSING, contains=["通知不存在"]),
        Case("grid_a", "/notifications/1/read", 303)],
    ("POST", "/notifications/read-all"): [
        Case("ops", "/notifications/read-all", 303), Case("anon", "/notifications/read-all", 303)],
}
