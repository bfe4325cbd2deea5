"""数据反哺: the journey from a person in the world to a task, grid_a's correction of the phone, the batch for 公安,
its xlsx, 公安 acknowledging and applying it, and the next batch not repeating it; partial application; scopes."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World
from tests.registry.helpers_verify import NEW_PHONE, P_A, P_B, actor, correct_phone, task_for
from zhili.auth.models import AuditLog
from zhili.config import Settings
from zhili.db import transaction
from zhili.registry import feedback, verify
from zhili.registry.models import Correction, EntityKind
from zhili.registry.schemas_verify import CompleteIn, ItemIn

pytestmark = pytest.mark.usefixtures("world")


def _audits(db: sessionmaker[Session], action: str) -> list[AuditLog]:
    with transaction(db) as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_the_whole_journey_from_task_to_applied_correction(as_persona, db, settings: Settings,  # type: ignore[no-untyped-def]
                                                          world: World) -> None:
    # A stale person in grid A gets a task; grid_a corrects the phone on site.
    assert as_persona("operator").post("/api/registry/tasks/generate").json()["created"] > 0
    task = next(t for t in as_persona("grid_a").get("/api/registry/tasks").json()["items"]
                if t["kind"] == "person" and t["entity_id"] == P_A)
    done = as_persona("grid_a").post(f"/api/registry/tasks/{task['id']}/complete", json={"items": [
        {"field": "phone", "action": "correct", "value": NEW_PHONE, "reason": "本人现场告知新号码"}]})
    assert done.status_code == 200, done.text

    # The center makes the batches: one for 公安 (phone is 公安's field).
    operator = as_persona("operator")
    pending = operator.get("/api/registry/feedback/batches").json()["pending"]
    assert pending == [{"department_code": "330212-GA", "department_name": "公安", "count": 1}]
    made = operator.post("/api/registry/feedback/batches")
    assert made.status_code == 201
    [batch] = made.json()
    assert batch["number"].startswith("FK-GA-") and len(batch["number"]) == len("FK-GA-20261129-001")
    assert batch["number"].endswith("-001") and batch["status"] == "sent" and batch["item_count"] == 1
    bid = batch["id"]
    assert operator.post("/api/registry/feedback/batches").json() == []  # nothing pending any more

    # 公安's own download has the full values (and is audited); the center's is masked.
    ga = as_persona("ga")
    xlsx = ga.get(f"/api/registry/feedback/batches/{bid}.xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["content-type"] == feedback.XLSX
    rows = list(load_workbook(io.BytesIO(xlsx.content), read_only=True).active.iter_rows(values_only=True))
    assert rows[0] == tuple(feedback.COLUMNS)
    [row] = rows[1:]
    assert row[1] == "人口" and row[2] == P_A and row[3].startswith("张三丰（330203")
    assert row[4:8] == ("联系电话", "13811112222", NEW_PHONE, "本人现场告知新号码")
    assert row[9] == "grid_a" and row[11] is None
    masked = operator.get(f"/api/registry/feedback/batches/{bid}.csv")
    assert masked.content.startswith(b"\xef\xbb\xbf") and "138****2222" in masked.text
    assert "13811112222" not in masked.text and NEW_PHONE not in masked.text
    downloads = _audits(db, "registry.feedback.download")
    assert [(a.actor_name, a.detail["full"]) for a in downloads] == [("ga", True), ("operator", False)]

    # 公安 acknowledges and applies; the next batch does not repeat it.
    assert ga.post(f"/api/registry/feedback/batches/{bid}/apply").status_code == 409  # acknowledge first
    assert ga.post(f"/api/registry/feedback/batches/{bid}/acknowledge").json()["status"] == "acknowledged"
    applied = ga.post(f"/api/registry/feedback/batches/{bid}/apply", json={})
    assert applied.status_code == 200 and applied.json()["status"] == "applied"
    assert applied.json()["applied_count"] == 1
    assert ga.get(f"/api/registry/feedback/batches/{bid}").json()["items"][0]["applied"] is True
    assert operator.post("/api/registry/feedback/batches").json() == []
    assert operator.get("/api/registry/feedback/batches").json()["pending"] == []


def test_applying_part_of_a_batch_returns_the_rest_to_the_next(as_persona, db, settings: Settings,  # type: ignore[no-untyped-def]
                                                               world: World) -> None:
    first = correct_phone(db, world, settings)
    task_id = task_for(db, settings, EntityKind.person, P_B)
    with transaction(db) as s:  # grid_b corrects person 2's name the same day
        who = actor(db, world, "grid_b")
        verify.complete(s, who, settings, task_id, CompleteIn(items=[
            ItemIn(field="name", action="correct", value="李四", reason="户口簿为准")]))
    operator = as_persona("operator")
    [batch] = operator.post("/api/registry/feedback/batches").json()
    assert batch["item_count"] == 2
    ga = as_persona("ga")
    ga.post(f"/api/registry/feedback/batches/{batch['id']}/acknowledge")
    r = ga.post(f"/api/registry/feedback/batches/{batch['id']}/apply", json={"item_ids": [first]})
    assert r.status_code == 200 and "1 项退回" in r.json()["note"]
    [nxt] = operator.post("/api/registry/feedback/batches").json()
    assert nxt["number"].endswith("-002") and nxt["item_count"] == 1
    items = ga.get(f"/api/registry/feedback/batches/{nxt['id']}").json()["items"]
    assert [(i["field"], i["new_value"]) for i in items] == [("name", "李四")]
    bad = ga.post(f"/api/registry/feedback/batches/{nxt['id']}/acknowledge")
    assert bad.status_code == 200
    unknown = ga.post(f"/api/registry/feedback/batches/{nxt['id']}/apply", json={"item_ids": [first]})
    assert unknown.status_code == 422 and unknown.json()["field"] == "item_ids"
    with transaction(db) as s:
        assert s.get(Correction, first).applied_at is not None


def test_other_departments_and_outsiders_see_nothing(as_persona, db, settings: Settings, world: World) -> None:  # type: ignore[no-untyped-def]
    correct_phone(db, world, settings)
    [batch] = as_persona("operator").post("/api/registry/feedback/batches").json()
    bid = batch["id"]
    zj = as_persona("zj")
    assert zj.get(f"/api/registry/feedback/batches/{bid}").status_code == 404
    assert zj.get(f"/api/registry/feedback/batches/{bid}.xlsx").status_code == 404
    assert zj.post(f"/api/registry/feedback/batches/{bid}/acknowledge").status_code == 404
    assert zj.get("/api/registry/feedback/batches").json() == {"batches": [], "pending": []}
    assert as_persona("grid_a").get("/api/registry/feedback/batches").status_code == 403
    assert as_persona("grid_a").post("/api/registry/feedback/batches").status_code == 403
    assert as_persona("ga").post("/api/registry/feedback/batches").status_code == 403  # registry.manage only
    assert as_persona("admin").post(f"/api/registry/feedback/batches/{bid}/acknowledge").status_code == 403
    assert as_persona("ga").get("/api/registry/feedback/batches").json()["batches"][0]["number"] == batch["number"]


def test_feedback_pages(as_persona, db, settings: Settings, world: World) -> None:  # type: ignore[no-untyped-def]
    correct_phone(db, world, settings)
    operator = as_persona("operator")
    page = operator.get("/gov/registry/feedback")
    assert page.status_code == 200 and "公安" in page.text and "按主管部门生成并推送批次" in page.text
    made = operator.post("/gov/registry/feedback", follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == "/gov/registry/feedback?ok=created"
    ga = as_persona("ga")
    listing = ga.get("/gov/registry/feedback")
    assert "FK-GA-" in listing.text and "按主管部门生成" not in listing.text
    bid = ga.get("/api/registry/feedback/batches").json()["batches"][0]["id"]
    detail = ga.get(f"/gov/registry/feedback/{bid}")
    assert detail.status_code == 200 and "签收本批次" in detail.text and "138****2222" in detail.text
    assert ga.post(f"/gov/registry/feedback/{bid}/acknowledge", follow_redirects=False).status_code == 303
    form = ga.get(f"/gov/registry/feedback/{bid}")
    assert 'name="item_ids"' in form.text
    done = ga.post(f"/gov/registry/feedback/{bid}/apply", data={"item_ids": [], "note": "全部退回"},
                   follow_redirects=False)
    assert done.status_code == 303
    assert operator.get("/api/registry/feedback/batches").json()["pending"][0]["count"] == 1  # back in the pool
    assert as_persona("zj").get(f"/gov/registry/feedback/{bid}").status_code == 404
