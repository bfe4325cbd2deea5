"""The notifications API, the live stream (server-sent events) and the page, as their users see them."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient

from tests.auth.helpers import csrf_from, web_login
from tests.factories import PASSWORD
from tests.notify.helpers import make_case, send, sse_events


def test_list_count_and_mark_read_are_per_user(as_persona, db, world) -> None:
    send(db, world, ["grid_a"], "新案件待处理")
    send(db, world, ["grid_b"], "网格员B的通知")
    a, b = as_persona("grid_a"), as_persona("grid_b")
    page = a.get("/api/notifications").json()
    assert page["total"] == 1 and [n["title"] for n in page["items"]] == ["新案件待处理"]
    mine = page["items"][0]["id"]
    theirs = b.get("/api/notifications").json()["items"][0]["id"]
    assert a.get("/api/notifications/unread-count").json() == {"count": 1, "latest_id": mine}

    denied = a.post(f"/api/notifications/{theirs}/read")
    missing = a.post("/api/notifications/999999/read")
    assert denied.status_code == missing.status_code == 404 and denied.json() == missing.json()
    assert b.get("/api/notifications/unread-count").json()["count"] == 1  # untouched

    read = a.post(f"/api/notifications/{mine}/read")
    assert read.status_code == 200 and read.json()["read_at"]
    assert a.get("/api/notifications/unread-count").json()["count"] == 0
    assert a.get("/api/notifications?unread=true").json()["total"] == 0
    assert a.get("/api/notifications").json()["total"] == 1
    assert b.post("/api/notifications/read-all").json() == {"updated": 1}


def test_paging_and_bad_values(as_persona, db, world) -> None:
    for i in range(5):
        send(db, world, ["street"], f"通知{i}")
    c = as_persona("street")
    body = c.get("/api/notifications?offset=1&limit=2").json()
    assert body["total"] == 5 and [n["title"] for n in body["items"]] == ["通知3", "通知2"]
    for url, field in [("/api/notifications?limit=0", "limit"), ("/api/notifications?offset=-1", "offset"),
                       ("/api/notifications/stream?timeout=0", "timeout"),
                       ("/api/notifications/stream?after=-5", "after")]:
        r = c.get(url)
        assert r.status_code == 422 and r.json()["field"] == field, r.text
    r = c.post(f"/api/notifications/{10**20}/read")
    assert r.status_code == 422 and r.json()["field"] == "notification_id"
    r = c.get("/api/notifications/stream?timeout=1", headers={"Last-Event-ID": "abc"})
    assert r.status_code == 422 and r.json()["field"] == "Last-Event-ID"


def test_stream_sends_own_notifications_after_the_cursor_then_ends_with_retry(as_persona, db, world) -> None:
    send(db, world, ["grid_a"], "第一条", body="详情")
    send(db, world, ["grid_b"], "别人的")
    send(db, world, ["grid_a"], "第二条")
    c = as_persona("grid_a")
    started = time.monotonic()
    r = c.get("/api/notifications/stream?after=0&timeout=1")
    elapsed = time.monotonic() - started
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert 0.9 <= elapsed < 5
    events = sse_events(r.text)
    assert [e["data"]["title"] for e in events] == ["第一条", "第二条"]
    assert all(e["event"] == "notification" and e["id"] == str(e["data"]["id"]) for e in events)
    assert events[0]["data"]["body"] == "详情" and events[0]["data"]["read_at"] is None
    assert "别人的" not in r.text
    assert r.text.rstrip("\n").endswith("retry: 2000")

    resumed = c.get("/api/notifications/stream?after=0&timeout=1", headers={"Last-Event-ID": events[0]["id"]})
    assert [e["data"]["title"] for e in sse_events(resumed.text)] == ["第二条"]  # the header beats ?after=
    fresh = c.get("/api/notifications/stream?timeout=1")  # no cursor: only what arrives from now on
    assert sse_events(fresh.text) == [] and "retry: 2000" in fresh.text


def test_stream_delivers_a_notification_created_while_it_is_open(as_persona, db, world) -> None:
    c = as_persona("resident")
    send(db, world, ["resident"], "早先的通知")
    latest = c.get("/api/notifications/unread-count").json()["latest_id"]  # what the bell script does first
    timer = threading.Timer(0.8, lambda: send(db, world, ["resident", "street"], "您的诉求已受理"))
    timer.start()
    try:
        r = c.get(f"/api/notifications/stream?after={latest}&timeout=3")
    finally:
        timer.join()
    events = sse_events(r.text)
    assert [e["data"]["title"] for e in events] == ["您的诉求已受理"]


def test_stream_works_with_the_web_session_cookie(app, db, world) -> None:
    send(db, world, ["street"], "街道通知")
    with TestClient(app) as c:
        web_login(c, "street", PASSWORD)
        r = c.get("/api/notifications/stream?after=0&timeout=1")
        assert r.status_code == 200 and [e["data"]["title"] for e in sse_events(r.text)] == ["街道通知"]
    with TestClient(app) as anon:
        assert anon.get("/api/notifications/stream?timeout=1").status_code == 401


def test_page_lists_own_notifications_with_case_links_and_marks_read(app, db, world) -> None:
    case_id = make_case(db, world)
    send(db, world, ["street", "resident"], "案件已派遣", body="请及时处置", case_id=case_id)
    send(db, world, ["street"], "系统维护通知")
    send(db, world, ["grid_b"], "不该出现")
    with TestClient(app) as c:
        web_login(c, "street", PASSWORD)
        page = c.get("/notifications")
        assert page.status_code == 200
        assert "案件已派遣" in page.text and "系统维护通知" in page.text and "不该出现" not in page.text
        assert 'href="/gov/cases/YZ20261128-000001"' in page.text and "未读 2 条" in page.text
        assert 'id="notify-bell"' in page.text and "/static/notify.js" in page.text
        csrf = csrf_from(page.text)
        ids = [n["id"] for n in c.get("/api/notifications").json()["items"]]
        no_csrf = c.post(f"/notifications/{ids[0]}/read", follow_redirects=False)
        assert no_csrf.status_code == 403
        r = c.post(f"/notifications/{ids[0]}/read", data={"csrf_token": csrf}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/notifications"
        assert "未读 1 条" in c.get("/notifications").text
        assert "系统维护通知" not in c.get("/notifications?unread=true").text
        other = c.post("/notifications/999/read", data={"csrf_token": csrf})
        assert other.status_code == 404 and "通知不存在" in other.text
        c.post("/notifications/read-all", data={"csrf_token": csrf})
        assert "未读 0 条" in c.get("/notifications").text
    with TestClient(app) as resident:
        web_login(resident, "resident", PASSWORD)
        page = resident.get("/notifications")
        assert 'href="/service/cases/YZ20261128-000001"' in page.text and "系统维护通知" not in page.text
        assert "t-service" in page.text


def test_test_notice_reaches_only_the_sender(as_persona) -> None:
    ops = as_persona("ops")
    sent = ops.post("/api/notifications/test")
    assert sent.status_code == 201 and sent.json()["title"] == "测试通知"
    assert ops.get("/api/notifications/unread-count").json()["count"] == 1
    assert as_persona("street").get("/api/notifications").json()["total"] == 0
