"""Bulk exports with a second person's approval (registry/exports.py): who may ask, who may approve, what the file
holds (exactly the requester's rows, full values, no minors), who downloads it and until when; every step audited.

The test world (tests/registry/world.py): people 1 (grid A) and 2 (grid B) and the minor 4 (grid A) live in street
S1 首南; person 3 in S2 下应. "street" is a street official of S1 (registry.read + export), "leader" a center leader
of the district (registry.approve)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World, make_user
from tests.registry.world import PEOPLE
from zhili.auth.models import AuditLog
from zhili.auth.service import ScopeSpec
from zhili.db import transaction
from zhili.kit import clock
from zhili.registry.models import ExportRequest, ExportStatus

ASK = {"kind": "person", "reason": "低保复核走访名单，需完整联系方式"}
NAMES = [p[0] for p in PEOPLE]
IDS = [p[1] for p in PEOPLE]
PHONES = [p[2] for p in PEOPLE]


def actions(db: sessionmaker[Session]) -> list[str]:
    with transaction(db) as s:
        return list(s.scalars(select(AuditLog.action).where(AuditLog.action.like("registry.export.%"))
                              .order_by(AuditLog.seq)))


@pytest.fixture
def leader2(db: sessionmaker[Session], world: World) -> str:
    """A center leader whose scope is only street S2 下应: not over the street official of S1."""
    with transaction(db, info={"audit_auto": False}) as s:
        world.users["leader2"] = make_user(s, "leader2", ["center_leader"],
                                           [ScopeSpec(area_id=world.areas["s2"].id, area_path=world.areas["s2"].path)])
    return "leader2"


def ask(client, **extra):  # type: ignore[no-untyped-def]
    r = client.post("/api/registry/exports", json=ASK | extra)
    assert r.status_code == 201, r.text
    return r.json()


def test_the_whole_way_exactly_the_requesters_rows_in_full_without_minors(as_persona, db, world) -> None:
    street, leader = as_persona("street"), as_persona("leader")
    req = ask(street)
    assert req["status"] == "pending" and req["mine"] and not req["downloadable"]
    r = street.get(f"/api/registry/exports/{req['id']}/download")
    assert r.status_code == 409 and "尚待审批" in r.json()["message"]  # not before approval

    listed = leader.get("/api/registry/exports").json()["items"]
    assert [i["id"] for i in listed] == [req["id"]] and listed[0]["can_decide"]
    r = leader.post(f"/api/registry/exports/{req['id']}/approve", json={"note": "同意，用后即删"})
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "approved" and done["row_count"] == 2 and done["minors_left_out"] == 1
    assert leader.get(f"/api/registry/exports/{req['id']}/download").status_code == 403  # only the requester

    r = street.get(f"/api/registry/exports/{req['id']}/download?format=csv")
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["编号", "姓名", "公民身份号码"] and "联系电话" in header
    assert sorted(int(row[0]) for row in body) == [1, 2]  # S1's adults: not person 3 (S2), not the minor 4
    text = r.content.decode("utf-8-sig")
    for i in (0, 1):  # full values: that is what the approval was for
        assert NAMES[i] in text and IDS[i] in text and PHONES[i] in text
    assert IDS[2] not in text and NAMES[2] not in text and IDS[3] not in text and NAMES[3] not in text

    r = street.get(f"/api/registry/exports/{req['id']}/download?format=xlsx")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content), read_only=True).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:2] == ["编号", "姓名"] and sorted(v[0] for v in values[1:]) == [1, 2]
    assert IDS[0] in values[1] + values[2]
    assert actions(db) == ["registry.export.request", "registry.export.approve", "registry.export.download",
                           "registry.export.download"]
    assert street.get("/api/registry/exports").json()["items"][0]["status"] == "downloaded"


def test_self_approval_is_refused_with_a_clear_message(as_persona, db) -> None:
    admin = as_persona("admin")  # holds both registry.export and registry.approve
    req = ask(admin)
    r = admin.post(f"/api/registry/exports/{req['id']}/approve", json={"note": "自批"})
    assert r.status_code == 403
    assert r.json()["code"] == "self_approval" and "另一人" in r.json()["message"]
    assert admin.get("/api/registry/exports").json()["items"][0]["can_decide"] is False
    assert as_persona("leader").post(f"/api/registry/exports/{req['id']}/approve").status_code == 200


def test_an_approver_outside_the_requesters_area_gets_404(as_persona, leader2) -> None:
    req = ask(as_persona("street"))
    other = as_persona(leader2)
    missing = other.post("/api/registry/exports/999/approve")
    out = other.post(f"/api/registry/exports/{req['id']}/approve")
    assert out.status_code == missing.status_code == 404 and out.json() == missing.json()
    assert other.post(f"/api/registry/exports/{req['id']}/reject", json={"note": "x"}).status_code == 404
    assert other.get("/api/registry/exports").json()["items"] == []
    assert as_persona("street2").get(f"/api/registry/exports/{req['id']}/download").status_code == 404


def test_rejected_with_a_note_and_never_downloadable(as_persona, db) -> None:
    street, leader = as_persona("street"), as_persona("leader")
    req = ask(street)
    r = leader.post(f"/api/registry/exports/{req['id']}/reject", json={"note": ""})
    assert r.status_code == 422 and r.json()["field"] == "note"
    r = leader.post(f"/api/registry/exports/{req['id']}/reject", json={"note": "理由不充分"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert leader.post(f"/api/registry/exports/{req['id']}/approve").status_code == 409  # decided once
    r = street.get(f"/api/registry/exports/{req['id']}/download")
    assert r.status_code == 409 and "驳回" in r.json()["message"]
    assert actions(db) == ["registry.export.request", "registry.export.reject"]


def test_ask_only_inside_ones_own_scope_and_with_the_permission(as_persona, world) -> None:
    street = as_persona("street")
    r = street.post("/api/registry/exports", json=ASK | {"area_code": world.areas["s2"].code})
    assert r.status_code == 404
    r = street.post("/api/registry/exports", json=ASK | {"grid_code": world.grids["c"].code})
    assert r.status_code == 404
    r = street.post("/api/registry/exports", json=ASK | {"kind": "vehicle", "residency": "floating"})
    assert r.status_code == 422 and r.json()["field"] == "residency"
    assert street.post("/api/registry/exports", json=ASK | {"reason": ""}).status_code == 422
    assert as_persona("grid_a").post("/api/registry/exports", json=ASK).status_code == 403
    assert as_persona("leader").post("/api/registry/exports", json=ASK).status_code == 403


def test_filters_narrow_the_rows(as_persona, world) -> None:
    street, leader = as_persona("street"), as_persona("leader")
    req = ask(street, grid_code=world.grids["b"].code, residency="floating")
    assert leader.post(f"/api/registry/exports/{req['id']}/approve").json()["row_count"] == 1
    body = street.get(f"/api/registry/exports/{req['id']}/download?format=csv").content.decode("utf-8-sig")
    assert IDS[1] in body and IDS[0] not in body


def test_download_ends_when_the_export_expires_and_the_file_is_rewritten_if_lost(as_persona, db, settings) -> None:
    street, leader = as_persona("street"), as_persona("leader")
    req = ask(street, kind="place")
    leader.post(f"/api/registry/exports/{req['id']}/approve")
    with transaction(db) as s:
        key = s.get(ExportRequest, req["id"]).file_key  # type: ignore[union-attr]
    for f in (settings.var_dir / "exports").glob(f"{key}.*"):
        f.unlink()  # another replica wrote it; this one has no copy
    r = street.get(f"/api/registry/exports/{req['id']}/download?format=csv")
    assert r.status_code == 200 and "13544445555" in r.content.decode("utf-8-sig")  # place 1 in S1, full phone
    with clock.frozen(clock.now() + timedelta(hours=settings.export_expiry_hours, minutes=1)):
        r = street.get(f"/api/registry/exports/{req['id']}/download?format=csv")
        assert r.status_code == 409 and "期限已过" in r.json()["message"]
        assert street.get("/api/registry/exports").json()["items"][0]["status"] == "expired"


def test_pages_ask_approve_and_show_the_outcome(as_persona, world) -> None:
    street, leader = as_persona("street"), as_persona("leader")
    r = street.post("/gov/registry/exports", data={"kind": "person", "reason": "短"}, follow_redirects=False)
    assert r.status_code == 422 and "申请理由" in r.text
    r = street.post("/gov/registry/exports", data={"kind": "person", "reason": ASK["reason"],
                                                   "area_code": world.areas["c1"].code}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("ok=requested")
    page = leader.get("/gov/registry/exports")
    assert page.status_code == 200 and "南裕社区" in page.text and "批准" in page.text
    with transaction(leader.app.state.sessionmaker) as s:  # type: ignore[attr-defined]
        rid = s.scalar(select(ExportRequest.id))
    r = leader.post(f"/gov/registry/exports/{rid}/approve", data={"note": "同意"}, follow_redirects=False)
    assert r.status_code == 303
    page = street.get("/gov/registry/exports")
    assert "已批准" in page.text and "未成年人未导出 1 人" in page.text and "download?format=csv" in page.text
    r = street.post(f"/gov/registry/exports/{rid}/approve", data={"note": "x"})
    assert r.status_code == 403 and "没有此操作的权限" in r.text
    with transaction(leader.app.state.sessionmaker) as s:  # type: ignore[attr-defined]
        assert s.get(ExportRequest, rid).status == ExportStatus.approved  # type: ignore[union-attr]
