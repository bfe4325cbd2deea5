"""Completing a verification task: confirming refreshes freshness, a correction keeps the old value, who, when and
why; a bad value is refused with the field named and nothing is saved; scopes (grid_b cannot open grid_a's task)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World
from tests.registry.helpers_verify import NEW_PHONE, P_A, P_B, add_conflict, task_for
from zhili.config import Settings
from zhili.db import transaction
from zhili.kit import clock
from zhili.kit.crypto import blind_index
from zhili.registry.models import (
    Conflict,
    Correction,
    EntityKind,
    Person,
    PersonStatus,
    TaskStatus,
    VerifyTask,
)

pytestmark = pytest.mark.usefixtures("world")
BAD_ID = "330203198001011239"  # the check character should be 1


def _person(db: sessionmaker[Session], pid: int = P_A) -> Person:
    with transaction(db) as s:
        p = s.get(Person, pid)
        assert p is not None
        return p


def _task(db: sessionmaker[Session], task_id: int) -> VerifyTask:
    with transaction(db) as s:
        t = s.get(VerifyTask, task_id)
        assert t is not None
        return t


def _corrections(db: sessionmaker[Session]) -> list[Correction]:
    with transaction(db) as s:
        return list(s.scalars(select(Correction).order_by(Correction.id)))


def test_grid_worker_sees_its_tasks_masked(as_persona, db, settings: Settings, world: World) -> None:  # type: ignore[no-untyped-def]
    task_id = task_for(db, settings, EntityKind.person, P_A)
    add_conflict(db, EntityKind.person, P_A, "phone", [{"source": "公安", "value": "13811112222", "at": "2026-01-02"},
                                                       {"source": "民政", "value": "13800001111", "at": "2026-03-04"}])
    mine = as_persona("grid_a").get("/api/registry/tasks").json()
    assert task_id in [t["id"] for t in mine["items"]] and mine["total"] == len(mine["items"])
    assert {t["title"] for t in mine["items"]} >= {"张三丰", "张**"}  # the minor's name masked
    d = as_persona("grid_a").get(f"/api/registry/tasks/{task_id}")
    assert d.status_code == 200
    by = {f["field"]: f for f in d.json()["entity_fields"]}
    assert by["phone"]["value"] == "138****2222" and by["phone"]["owner"] == "公安"
    assert [c["value"] for c in by["phone"]["conflict"]] == ["138****2222", "138****1111"]
    assert by["status"]["owner"] is None  # grassroots-owned
    assert "13811112222" not in d.text and "13800001111" not in d.text
    assert as_persona("grid_b").get(f"/api/registry/tasks/{task_id}").status_code == 404
    assert task_id not in [t["id"] for t in as_persona("grid_b").get("/api/registry/tasks").json()["items"]]
    assert as_persona("community").get(f"/api/registry/tasks/{task_id}").status_code == 200
    assert as_persona("street2").get(f"/api/registry/tasks/{task_id}").status_code == 403  # no registry.verify


def test_confirm_refreshes_freshness_and_correction_keeps_old_value_who_when_why(as_persona, db,  # type: ignore[no-untyped-def]
                                                                               settings: Settings) -> None:
    task_id = task_for(db, settings, EntityKind.person, P_A)
    add_conflict(db, EntityKind.person, P_A, "phone", [{"source": "公安", "value": "13811112222", "at": None},
                                                       {"source": "民政", "value": NEW_PHONE, "at": None}])
    r = as_persona("grid_a").post(f"/api/registry/tasks/{task_id}/complete", json={"items": [
        {"field": "name", "action": "confirm"},
        {"field": "phone", "action": "correct", "value": NEW_PHONE, "reason": "本人现场告知新号码"}], "note": "入户"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "done" and body["confirmed"] == ["name", "phone"] and body["conflicts_resolved"] == 1
    assert body["corrections"][0]["old_value"] == "138****2222" and body["corrections"][0]["new_value"] == "139****5678"
    assert body["corrections"][0]["owner"] == "公安"
    p = _person(db)
    today = clock.now().astimezone().date().isoformat()
    assert p.confirmed["name"] == p.confirmed["phone"]
    assert abs((date.fromisoformat(p.confirmed["name"]) - date.fromisoformat(today)).days) <= 1
    assert p.verified_at is not None and p.phone == NEW_PHONE and p.phone_bidx == blind_index(NEW_PHONE)
    assert p.provenance["phone"][0] == "网格核查"
    [c] = _corrections(db)
    assert (c.field, c.old_value, c.new_value, c.reason) == ("phone", "13811112222", NEW_PHONE, "本人现场告知新号码")
    assert c.by_name == "grid_a" and c.at is not None and c.task_id == task_id and c.applied_at is None
    with transaction(db) as s:
        ga = s.scalar(select(Conflict.open).where(Conflict.entity_id == P_A))
        assert ga is False
    assert c.owner_department_id is not None
    t = _task(db, task_id)
    assert t.status == TaskStatus.done and t.note == "入户" and t.done_at is not None
    again = as_persona("grid_a").post(f"/api/registry/tasks/{task_id}/complete",
                                      json={"items": [{"field": "name", "action": "confirm"}]})
    assert again.status_code in (404, 409)


def test_a_bad_id_number_is_refused_with_the_field_named_and_nothing_saved(as_persona, db,  # type: ignore[no-untyped-def]
                                                                           settings: Settings) -> None:
    task_id = task_for(db, settings, EntityKind.person, P_A)
    before = _person(db)
    r = as_persona("grid_a").post(f"/api/registry/tasks/{task_id}/complete", json={"items": [
        {"field": "phone", "action": "correct", "value": NEW_PHONE, "reason": "新号码"},
        {"field": "id_number", "action": "correct", "value": BAD_ID, "reason": "证件核对"}]})
    assert r.status_code == 422
    assert r.json()["field"] == "id_number" and "校验位" in r.json()["message"]
    assert BAD_ID not in r.text
    after = _person(db)
    assert (after.phone, after.id_number, after.confirmed, after.verified_at) == \
        (before.phone, before.id_number, before.confirmed, before.verified_at)
    assert _corrections(db) == [] and _task(db, task_id).status == TaskStatus.open
    no_reason = as_persona("grid_a").post(f"/api/registry/tasks/{task_id}/complete", json={"items": [
        {"field": "phone", "action": "correct", "value": NEW_PHONE, "reason": " "}]})
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "phone"
    unknown = as_persona("grid_a").post(f"/api/registry/tasks/{task_id}/complete", json={"items": [
        {"field": "password", "action": "confirm"}]})
    assert unknown.status_code == 422 and unknown.json()["field"] == "password"


def test_moved_out_is_a_correction_of_status(as_persona, db, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    task_id = task_for(db, settings, EntityKind.person, P_A)
    r = as_persona("grid_a").post(f"/api/registry/tasks/{task_id}/complete", json={"items": [
        {"field": "status", "action": "correct", "value": "已迁出", "reason": "邻居告知已搬走",
         "moved_out_on": "2026-10-01"}]})
    assert r.status_code == 200, r.text
    p = _person(db)
    assert p.status == PersonStatus.moved_out and p.moved_out_on == date(2026, 10, 1)
    [c] = _corrections(db)
    assert (c.old_value, c.new_value, c.owner_department_id) == ("在册", "已迁出", None)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_a_value_that_fails_its_check_cannot_be_confirmed(as_persona, db, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    task_id = task_for(db, settings, EntityKind.person, P_A)
    with transaction(db) as s:
        s.get(Person, P_A).id_number = BAD_ID
    r = as_persona("grid_a").post(f"/api/registry/tasks/{task_id}/complete", json={"items": [
        {"field": "name", "action": "confirm"}, {"field": "id_number", "action": "confirm"}]})
    assert r.status_code == 422 and r.json()["field"] == "id_number" and "更正" in r.json()["message"]
    assert _person(db).confirmed == {} and _task(db, task_id).status == TaskStatus.open
    fixed = "330203198001011231"  # the world's number, which passes its check
    r = as_persona("grid_a").post(f"/api/registry/tasks/{task_id}/complete", json={"items": [
        {"field": "id_number", "action": "correct", "value": fixed, "reason": "查看身份证原件"}]})
    assert r.status_code == 200, r.text
    assert r.json()["corrections"][0]["old_value"] == "3***************39"
    p = _person(db)
    assert p.id_number == fixed and p.id_number_bidx == blind_index(fixed) and p.birth_date == date(1980, 1, 1)


def test_phone_page_confirm_correct_with_photo_and_bad_value_kept(as_persona, db, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    task_id = task_for(db, settings, EntityKind.person, P_B)  # 李四光 in grid B: every value passes its check
    c = as_persona("grid_b")
    page = c.get("/gov/registry/tasks")
    assert page.status_code == 200 and f"/gov/registry/tasks/{task_id}" in page.text and "李四光" in page.text
    form = c.get(f"/gov/registry/tasks/{task_id}")
    assert form.status_code == 200 and "139****3333" in form.text and 'name="action_phone"' in form.text
    assert "13922223333" not in form.text and 'width=device-width' in form.text
    bad = c.post(f"/gov/registry/tasks/{task_id}", data={
        "action_id_number": "correct", "value_id_number": BAD_ID, "reason_id_number": "核对证件",
        "action_phone": "correct", "value_phone": NEW_PHONE, "reason_phone": "本人告知"})
    assert bad.status_code == 422
    assert 'id="f-id_number" data-action="correct"' in bad.text  # the chosen action is kept
    assert "公民身份号码：校验位错误" in bad.text and 'class="vf failed"' in bad.text.replace(" flagged", "")
    assert f'value="{NEW_PHONE}"' in bad.text and "本人告知" in bad.text  # what was typed is kept
    assert _corrections(db) == [] and _task(db, task_id).status == TaskStatus.open
    ok = c.post(f"/gov/registry/tasks/{task_id}", data={
        "action_phone": "correct", "value_phone": NEW_PHONE, "reason_phone": "本人告知", "confirm_rest": "1"},
        files={"photo_phone": ("site.png", _png(), "image/png")}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/gov/registry/tasks?ok=done"
    [corr] = _corrections(db)
    assert corr.field == "phone" and corr.evidence and corr.evidence.endswith(".png")
    p = _person(db, P_B)
    assert set(p.confirmed) >= {"name", "phone", "id_number", "status"}  # the rest confirmed too
    photo = c.get(f"/api/registry/corrections/{corr.id}/evidence")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/png"
    assert as_persona("grid_a").get(f"/api/registry/corrections/{corr.id}/evidence").status_code == 404
    assert as_persona("ga").get(f"/api/registry/corrections/{corr.id}/evidence").status_code == 200
    assert as_persona("zj").get(f"/api/registry/corrections/{corr.id}/evidence").status_code == 404
    assert as_persona("grid_a").get(f"/gov/registry/tasks/{task_id}").status_code == 404


def test_sensitive_tags_stay_hidden_and_are_kept_by_a_correction(as_persona, db, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    task_id = task_for(db, settings, EntityKind.person, P_A)
    with transaction(db) as s:
        s.get(Person, P_A).tags = ["low_income", "key_person"]
    c = as_persona("grid_a")
    d = c.get(f"/api/registry/tasks/{task_id}")
    assert "低保户" in d.text and "重点人员" not in d.text and "另有 1 项敏感标签" in d.text
    r = c.post(f"/api/registry/tasks/{task_id}/complete", json={"items": [
        {"field": "tags", "action": "correct", "value": "低保户、残疾人", "reason": "已办残疾证"}]})
    assert r.status_code == 200, r.text
    assert "重点人员" not in r.text and r.json()["corrections"][0]["new_value"].startswith("低保户、残疾人")
    assert _person(db).tags == ["low_income", "disabled", "key_person"]
    [corr] = _corrections(db)
    assert corr.new_value == "低保户、残疾人、重点人员"  # kept whole for 民政, which owns the field
