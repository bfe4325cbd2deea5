"""The closed loop through the API, on both databases: every path of the issue's "done when", who may take each
step, the clock, and what bad input leaves behind (nothing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cases.helpers import category_code, make_case, png_bytes
from tests.factories import A_POINT, C_POINT, OUTSIDE
from zhili.db import transaction
from zhili.kit import clock

CG, ZJ, S1C, S2C = "330212-CG", "330212-ZJ", "330212006-ZX", "330212001-ZX"


@pytest.fixture
def rubbish(db) -> str:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        return category_code(s, "暴露垃圾")


def intake(client, category: str, point=A_POINT, **extra):  # type: ignore[no-untyped-def]
    body = {"title": "小区门口垃圾堆放三天无人清理", "description": "来电人称气味很大", "category": category,
            "lon": point[0], "lat": point[1], "address": "首南街道天童南路588号", "caller_name": "王小明",
            "caller_phone": "13800138000", **extra}
    return client.post("/api/cases", json=body)


def do(client, number: str, action: str, **body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/cases/{number}/actions/{action}", json=body)


def upload(client, number: str | None = None) -> int:  # type: ignore[no-untyped-def]
    url = f"/api/cases/{number}/photos" if number else "/api/cases/photos"
    r = client.post(url, files={"photo": ("现场.png", png_bytes(), "image/png")})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def ok(r):  # type: ignore[no-untyped-def]
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_the_whole_path_of_a_12345_call(as_persona, rubbish) -> None:  # type: ignore[no-untyped-def]
    """call -> dispatch -> send back -> re-dispatch -> acknowledge -> reply with photo -> verify fail -> rework
    -> verify -> close -> unsatisfied -> reopen."""
    op, cg, zj, grid = as_persona("operator"), as_persona("cg"), as_persona("zj"), as_persona("grid_a")
    n = ok(intake(op, rubbish))["number"]
    case = ok(op.get(f"/api/cases/{n}"))
    assert case["status"] == "received" and case["channel"] == "hotline" and case["level"] == "district"
    assert case["grid"]["code"] == "330212006001001" and case["street"]["name"] == "首南街道"
    assert case["community"]["name"] == "南裕社区" and case["micro_grid"]["code"].startswith("330212006001001")
    assert case["caller_phone"] == "138****8000" and case["caller_name"] == "王**"
    assert ok(do(op, n, "register"))["status"] == "registered"
    detail = ok(op.get(f"/api/cases/{n}"))
    assert detail["suggestion"]["department"] is not None  # from the responsibility list
    # dispatched to the wrong department, which sends it back with a reason
    assert ok(do(op, n, "dispatch", department=ZJ))["status"] == "dispatched"
    assert do(zj, n, "send_back").json()["field"] == "reason"
    back = ok(do(zj, n, "send_back", reason="不属于住建职责，应由城管处理"))
    assert back["status"] == "registered" and back["send_back_count"] == 1 and back["department"] is None
    assert zj.get(f"/api/cases/{n}").status_code == 200  # it still sees what it once handled
    # re-dispatched to the right one
    d = ok(do(op, n, "dispatch", department=CG, task="请于4个工作时内清理"))
    assert d["dispatch_count"] == 2 and d["department"]["code"] == CG and d["deadline_at"] and d["limit"] == "4工作时"
    assert ok(do(cg, n, "acknowledge"))["status"] == "in_progress"
    photo = upload(cg, n)
    replied = ok(do(cg, n, "reply", text="已清运垃圾", attachment_ids=[photo]))
    assert replied["status"] == "handled" and replied["handled_at"]
    # the grid worker checks on site: not done
    assert do(grid, n, "verify_fail").json()["field"] == "reason"
    rework = ok(do(grid, n, "verify_fail", reason="仍有残留垃圾"))
    assert rework["status"] == "in_progress" and rework["rework_count"] == 1
    ok(do(cg, n, "reply", text="已彻底清理并冲洗地面"))
    closed = ok(do(grid, n, "verify_ok", text="现场已清理干净"))
    assert closed["status"] == "closed" and closed["closed_at"]
    # follow-up: unsatisfied, reopen
    rated = ok(op.post(f"/api/cases/{n}/rating", json={"satisfaction": "unsatisfied", "comment": "清理不及时",
                                                       "reopen": True}))
    assert rated["status"] == "in_progress" and rated["reopen_count"] == 1 and rated["satisfaction"] is None
    actions = [e["action"] for e in rated["events"]]
    assert actions == ["intake", "register", "dispatch", "send_back", "dispatch", "acknowledge", "reply",
                       "verify_fail", "reply", "verify_ok", "rate", "reopen"]
    ev = {e["action"]: e for e in rated["events"]}
    assert ev["send_back"]["reason"] == "不属于住建职责，应由城管处理"
    assert ev["send_back"]["from_status"] == "dispatched" and ev["send_back"]["to_status"] == "registered"
    first_reply = next(e for e in rated["events"] if e["action"] == "reply")
    assert first_reply["attachment_ids"] == [photo] and first_reply["actor"] == "cg"
    assert rated["attachments"][0]["thumb_url"].endswith("/thumb")


def test_a_photo_is_served_only_to_those_who_see_the_case(as_persona, rubbish) -> None:  # type: ignore[no-untyped-def]
    op = as_persona("operator")
    n = ok(intake(op, rubbish))["number"]
    pid = upload(op, n)
    r = as_persona("grid_a").get(f"/api/cases/{n}/attachments/{pid}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content == png_bytes()
    assert as_persona("street").get(f"/api/cases/{n}/attachments/{pid}/thumb").content[:2] == b"\xff\xd8"
    assert as_persona("grid_b").get(f"/api/cases/{n}/attachments/{pid}").status_code == 404
    assert as_persona("street2").get(f"/api/cases/{n}/attachments/{pid}").status_code == 404


def test_fake_and_oversized_photos_are_refused(as_persona, rubbish, settings) -> None:  # type: ignore[no-untyped-def]
    op = as_persona("operator")
    n = ok(intake(op, rubbish))["number"]
    r = op.post(f"/api/cases/{n}/photos", files={"photo": ("照片.jpg", b"not an image at all", "image/jpeg")})
    assert r.status_code == 422 and r.json()["field"] == "photos" and "照片.jpg" in r.json()["message"]
    big = b"\xff\xd8\xff" + b"0" * (settings.max_photo_bytes + 10)
    r = op.post(f"/api/cases/{n}/photos", files={"photo": ("big.jpg", big, "image/jpeg")})
    assert r.status_code == 422 and "10 MB" in r.json()["message"]
    assert ok(op.get(f"/api/cases/{n}"))["attachments"] == []
    assert not list(Path(settings.var_dir, "files").rglob("*.jpg"))


def test_escalation_goes_up_one_level_at_a_time(as_persona, rubbish) -> None:  # type: ignore[no-untyped-def]
    grid, community, street, op = (as_persona(p) for p in ("grid_a", "community", "street", "operator"))
    case = ok(intake(grid, rubbish, caller_name=None, caller_phone=None))
    n = case["number"]
    assert case["channel"] == "grid" and case["level"] == "community"
    ok(do(community, n, "register"))
    up = ok(do(community, n, "escalate", reason="社区无执法权，需街道协调"))
    assert up["level"] == "street" and up["status"] == "registered"
    # the community can no longer dispatch it; the street can
    assert do(community, n, "dispatch", department=S1C).status_code == 403
    ok(do(street, n, "dispatch", department=S1C))
    top = ok(do(street, n, "escalate", reason="涉及多个部门，请区中心协调"))
    assert top["level"] == "district" and top["status"] == "registered"
    assert do(street, n, "dispatch", department=CG).status_code == 403
    r = do(op, n, "escalate", reason="再往上")
    assert r.status_code == 409 and r.json()["code"] == "top_level"  # nothing above the district center
    ok(do(op, n, "dispatch", department=CG))
    events = [e for e in ok(op.get(f"/api/cases/{n}"))["events"] if e["action"] == "escalate"]
    assert [e["detail"]["to_level"] for e in events] == ["street", "district"]


def test_joint_handling_is_handled_when_every_part_is(as_persona, rubbish) -> None:  # type: ignore[no-untyped-def]
    op, cg, zj = as_persona("operator"), as_persona("cg"), as_persona("zj")
    n = ok(intake(op, rubbish))["number"]
    ok(do(op, n, "register"))
    d = ok(do(op, n, "dispatch", department=CG, co_departments=[ZJ], task="城管清理，住建督促物业"))
    assert [(p["department"]["code"], p["role"], p["status"]) for p in d["parts"]] == [
        (CG, "lead", "dispatched"), (ZJ, "co", "dispatched")]
    assert do(op, n, "dispatch", department=CG, co_departments=[CG]).status_code in (409, 422)
    ok(do(zj, n, "acknowledge"))
    assert ok(zj.get(f"/api/cases/{n}"))["status"] == "dispatched"  # the lead has not acknowledged yet
    ok(do(cg, n, "acknowledge"))
    after_lead = ok(do(cg, n, "reply", text="垃圾已清运"))
    assert after_lead["status"] == "in_progress"
    assert {p["department"]["code"]: p["status"] for p in after_lead["parts"]} == {CG: "handled", ZJ: "in_progress"}
    assert do(zj, n, "send_back", reason="不是我们的").status_code == 409  # the case is no longer 待签收
    done = ok(do(zj, n, "reply", text="已约谈物业"))
    assert done["status"] == "handled"


def test_a_grid_worker_handles_a_small_thing_on_the_spot(as_persona, rubbish) -> None:  # type: ignore[no-untyped-def]
    grid = as_persona("grid_a")
    pid = upload(grid)
    r = intake(grid, rubbish, caller_name=None, caller_phone=None, self_handled=True)
    assert r.status_code == 422 and r.json()["field"] == "self_handle_note"
    created = ok(intake(grid, rubbish, caller_name=None, caller_phone=None, self_handled=True,
                        self_handle_note="已现场清理", attachment_ids=[pid]))
    case = ok(grid.get(f"/api/cases/{created['number']}"))
    assert case["status"] == "closed" and case["self_handled"] and case["closed_at"]
    assert [e["action"] for e in case["events"]] == ["intake", "self_handle"]
    assert case["attachments"][0]["id"] == pid
    # another grid's worker cannot close a case of grid A on the spot
    n = ok(intake(as_persona("operator"), rubbish))["number"]
    assert do(as_persona("grid_b"), n, "self_handle", text="已处理").status_code == 404
    assert do(grid, n, "self_handle", text="已处理").status_code == 200
    r = intake(as_persona("grid_b"), rubbish, caller_name=None, caller_phone=None, self_handled=True,
               self_handle_note="已现场清理")
    assert r.status_code == 422 and r.json()["field"] == "self_handled"


def test_merge_into_a_master_and_reporters_hear_the_outcome(as_persona, world, db, rubbish) -> None:  # type: ignore[no-untyped-def]
    op, resident = as_persona("operator"), as_persona("resident")
    master = ok(intake(op, rubbish))["number"]
    dup = ok(intake(resident, rubbish, caller_name=None, caller_phone=None))
    assert dup["channel"] == "resident"
    assert do(op, dup["number"], "merge").json()["field"] == "master"
    assert do(op, dup["number"], "merge", master=dup["number"]).json()["field"] == "master"
    merged = ok(do(op, dup["number"], "merge", master=master, reason="同一地点同一问题"))
    assert merged["status"] == "merged" and merged["master"] == master
    assert ok(op.get(f"/api/cases/{master}"))["merged"] == [dup["number"]]
    for persona, action, body in [("operator", "register", {}), ("operator", "dispatch", {"department": CG}),
                                  ("cg", "acknowledge", {}), ("cg", "reply", {"text": "垃圾已清运完毕"}),
                                  ("grid_a", "verify_ok", {})]:
        ok(do(as_persona(persona), master, action, **body))
    notes = resident.get("/api/notifications").json()["items"]
    assert any(dup["number"] in x["title"] and "垃圾已清运完毕" in x["body"] for x in notes), notes
    timeline = ok(resident.get(f"/api/cases/{dup['number']}"))["events"]
    assert timeline[-1]["action"] == "master_closed"


def test_suspension_stops_the_clock(as_persona, db, world, rubbish) -> None:  # type: ignore[no-untyped-def]
    op = as_persona("operator")
    # Monday 2026-03-02 09:00 Beijing = 01:00 UTC
    with clock.frozen(datetime(2026, 3, 2, 1, 0, tzinfo=UTC)):
        n = ok(intake(op, rubbish))["number"]
        ok(do(op, n, "register"))
        d = ok(do(op, n, "dispatch", department=CG))
        deadline = datetime.fromisoformat(d["deadline_at"])
        assert deadline == datetime(2026, 3, 2, 6, 30, tzinfo=UTC)  # 09:00 + 4 working hours = 14:30, lunch skipped
        clock.advance(timedelta(hours=1))  # 10:00, 3 working hours left
        s = ok(do(op, n, "suspend", reason="等待产权单位确认"))
        assert s["status"] == "suspended"
        assert do(as_persona("cg"), n, "acknowledge").status_code == 409
        clock.advance(timedelta(days=1))  # Tuesday 10:00
        r = ok(do(op, n, "resume"))
        assert r["status"] == "dispatched"
        assert datetime.fromisoformat(r["deadline_at"]) == deadline + timedelta(days=1)


def test_extension_moves_the_deadline_by_working_days(as_persona, rubbish) -> None:  # type: ignore[no-untyped-def]
    op, cg = as_persona("operator"), as_persona("cg")
    with clock.frozen(datetime(2026, 3, 2, 1, 0, tzinfo=UTC)):
        n = ok(intake(op, rubbish))["number"]
        ok(do(op, n, "register"))
        deadline = datetime.fromisoformat(ok(do(op, n, "dispatch", department=CG))["deadline_at"])
        ok(do(cg, n, "acknowledge"))
        req = cg.post(f"/api/cases/{n}/extensions", json={"extra_value": 2, "extra_unit": "work_days",
                                                          "reason": "需协调环卫车辆"})
        assert req.status_code == 201 and req.json()["status"] == "pending"
        again = cg.post(f"/api/cases/{n}/extensions", json={"extra_value": 1, "extra_unit": "work_days",
                                                            "reason": "再申请一次"})
        assert again.status_code == 409
        dec = op.post(f"/api/cases/{n}/extensions/{req.json()['id']}/decision", json={"approve": True})
        assert dec.json()["status"] == "approved"
        after = ok(op.get(f"/api/cases/{n}"))
        assert datetime.fromisoformat(after["deadline_at"]) == deadline + timedelta(days=2)  # Mon -> Wed
        assert after["extension_count"] == 1
        again = op.post(f"/api/cases/{n}/extensions/{req.json()['id']}/decision", json={"approve": False})
        assert again.status_code == 409


def test_send_back_only_within_one_working_day(as_persona, rubbish) -> None:  # type: ignore[no-untyped-def]
    op, cg = as_persona("operator"), as_persona("cg")
    with clock.frozen(datetime(2026, 3, 6, 8, 0, tzinfo=UTC)):  # Friday 16:00 Beijing
        n = ok(intake(op, rubbish))["number"]
        ok(do(op, n, "register"))
        ok(do(op, n, "dispatch", department=CG))
        clock.advance(timedelta(days=3, hours=-1))  # Monday 15:00: still inside one working day
        m = ok(intake(op, rubbish))["number"]
        ok(do(op, m, "register"))
        ok(do(op, m, "dispatch", department=CG))
        clock.advance(timedelta(hours=2))  # Monday 17:00: more than one working day after Friday 16:00
        r = do(cg, n, "send_back", reason="非本部门职责")
        assert r.status_code == 409 and r.json()["code"] == "send_back_expired"
        assert ok(cg.get(f"/api/cases/{n}"))["status"] == "dispatched"
        assert ok(do(cg, m, "send_back", reason="非本部门职责"))["status"] == "registered"


def test_after_three_dispatches_the_center_designates(as_persona, rubbish) -> None:  # type: ignore[no-untyped-def]
    op, cg, zj = as_persona("operator"), as_persona("cg"), as_persona("zj")
    n = ok(intake(op, rubbish))["number"]
    ok(do(op, n, "register"))
    ok(do(op, n, "dispatch", department=ZJ))
    ok(do(zj, n, "send_back", reason="不属于住建"))
    ok(do(op, n, "dispatch", department=CG))
    ok(do(cg, n, "send_back", reason="不属于城管"))
    third = ok(do(op, n, "dispatch", department=CG, reason="经研判由城管承办"))
    assert third["designated"] and third["dispatch_count"] == 3
    assert "send_back" not in third["actions"]
    r = do(cg, n, "send_back", reason="仍不属于城管")
    assert r.status_code == 409 and r.json()["code"] == "designated"


def test_a_stale_version_gets_409_with_the_current_state(as_persona, rubbish) -> None:  # type: ignore[no-untyped-def]
    op = as_persona("operator")
    case = ok(intake(op, rubbish))
    n, v = case["number"], case["version"]
    ok(do(op, n, "register", version=v))
    r = do(op, n, "reject", version=v, reason="重复来电")
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "stale" and body["current"]["status"] == "registered"
    assert body["current"]["version"] == v + 1
    r = do(op, n, "register")
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition" and "待派遣" in r.json()["message"]
    assert [e["action"] for e in ok(op.get(f"/api/cases/{n}"))["events"]] == ["intake", "register"]


def test_idempotent_intake(as_persona, rubbish, db) -> None:  # type: ignore[no-untyped-def]
    op, grid = as_persona("operator"), as_persona("grid_a")
    first = op.post("/api/cases", json={"title": "路灯不亮", "category": rubbish, "lon": A_POINT[0],
                                        "lat": A_POINT[1]}, headers={"Idempotency-Key": "call-7781"})
    again = op.post("/api/cases", json={"title": "路灯不亮", "category": rubbish, "lon": A_POINT[0],
                                        "lat": A_POINT[1]}, headers={"Idempotency-Key": "call-7781"})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["number"] == again.json()["number"]
    other = grid.post("/api/cases", json={"title": "路灯不亮", "category": rubbish, "lon": A_POINT[0],
                                          "lat": A_POINT[1]}, headers={"Idempotency-Key": "call-7781"})
    assert other.status_code == 201 and other.json()["number"] != first.json()["number"]
    assert op.get("/api/cases").json()["total"] == 2


def test_case_numbers_count_per_day(as_persona, rubbish) -> None:  # type: ignore[no-untyped-def]
    op = as_persona("operator")
    with clock.frozen(datetime(2026, 11, 27, 16, 30, tzinfo=UTC)):  # 2026-11-28 00:30 in Beijing
        a = ok(intake(op, rubbish))["number"]
        b = ok(intake(op, rubbish))["number"]
    with clock.frozen(datetime(2026, 11, 28, 16, 5, tzinfo=UTC)):  # the next day in Beijing
        c = ok(intake(op, rubbish))["number"]
    assert (a, b, c) == ("YZ20261128-000001", "YZ20261128-000002", "YZ20261129-000001")


def test_bad_input_names_the_problem_and_changes_nothing(as_persona, rubbish) -> None:  # type: ignore[no-untyped-def]
    op = as_persona("operator")
    r = intake(op, "ZZ9999")
    assert r.status_code == 422 and r.json()["field"] == "category"
    r = intake(op, rubbish, point=OUTSIDE)
    assert r.status_code == 422 and r.json()["field"] == "location" and "网格" in r.json()["message"]
    r = intake(op, rubbish, lon=500)
    assert r.status_code == 422 and r.json()["field"] == "lon"
    assert op.get("/api/cases").json()["total"] == 0
    n = ok(intake(op, rubbish))["number"]
    assert do(op, n, "reject").json()["field"] == "reason"
    assert do(op, n, "dispatch", department="NOPE").status_code == 409  # not registered yet
    ok(do(op, n, "register"))
    r = do(op, n, "dispatch", department="NOPE")
    assert r.status_code == 422 and r.json()["field"] == "department"
    assert op.post(f"/api/cases/{n}/actions/fly").status_code == 422
    assert op.get("/api/cases/YZ20990101-000001").status_code == 404
    detail = ok(op.get(f"/api/cases/{n}"))
    assert detail["status"] == "registered" and len(detail["events"]) == 2


def test_scopes_decide_who_sees_what(as_persona, world, db) -> None:  # type: ignore[no-untyped-def]
    a = make_case(db, world, "a_registered")
    c = make_case(db, world, "c_registered")
    own = make_case(db, world, "a_resident")

    def numbers(persona: str, query: str = "") -> set[str]:
        return {x["number"] for x in as_persona(persona).get(f"/api/cases{query}").json()["items"]}

    assert numbers("operator") == {a, c, own}
    assert numbers("street") == {a, own} and numbers("street2") == {c}
    assert numbers("grid_a") == {a, own} and numbers("grid_b") == set()
    assert numbers("resident") == {own}
    assert numbers("cg") == set()
    assert as_persona("ops").get("/api/cases").status_code == 403


def test_reading_the_caller_needs_the_right_and_a_reason(as_persona, db, world) -> None:  # type: ignore[no-untyped-def]
    n = make_case(db, world, "a_registered")
    assert as_persona("admin").get(f"/api/cases/{n}").json()["caller_phone"] == "138****8000"
    r = as_persona("admin").post(f"/api/cases/{n}/reveal", json={"reason": "回访核实"})
    assert r.json() == {"caller_name": "王小明", "caller_phone": "13800138000"}
    audit = as_persona("admin").get("/api/audit?action=pii.reveal").json()
    assert any((e["detail"] or {}).get("number") == n for e in audit)


def test_status_is_assigned_only_by_the_transition_table() -> None:
    import re

    root = Path(__file__).resolve().parents[2] / "zhili"
    offenders = [str(p) for p in root.rglob("*.py") if p.name != "states.py"
                 and re.search(r"\bcase\.status\s*=[^=]|\.status\s*=\s*CaseStatus\.", p.read_text())]
    assert offenders == []


def test_resident_rates_own_case_once(as_persona, db, world) -> None:  # type: ignore[no-untyped-def]
    n = make_case(db, world, "a_resident_closed")
    resident = as_persona("resident")
    r = resident.post(f"/api/cases/{n}/rating", json={"satisfaction": "satisfied", "comment": "很快就处理了"})
    assert r.status_code == 200 and r.json()["satisfaction"] == "satisfied"
    again = resident.post(f"/api/cases/{n}/rating", json={"satisfaction": "unsatisfied"})
    assert again.status_code == 409
    assert resident.post(f"/api/cases/{n}/rating", json={"satisfaction": "great"}).status_code == 422


def test_the_resident_and_the_department_are_notified(as_persona, db, world) -> None:  # type: ignore[no-untyped-def]
    n = make_case(db, world, "a_dispatched_cg")
    titles = [x["title"] for x in as_persona("cg").get("/api/notifications").json()["items"]]
    assert any(n in t and "派遣" in t for t in titles)
    assert as_persona("zj").get("/api/notifications").json()["items"] == []


def test_street_two_cannot_act_on_street_one(as_persona, db, world) -> None:  # type: ignore[no-untyped-def]
    n = make_case(db, world, "c_registered")
    assert as_persona("street2").get(f"/api/cases/{n}").status_code == 200
    assert do(as_persona("street"), n, "dispatch", department=S2C).status_code == 404
    assert as_persona("street").get(f"/api/cases/{n}").status_code == 404
    ok(do(as_persona("operator"), n, "dispatch", department=S2C))
    assert ok(do(as_persona("dept"), n, "acknowledge"))["status"] == "in_progress"
    assert C_POINT  # the case lies in grid C of street S2
