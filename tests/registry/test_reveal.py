"""Revealing a masked registry field: pii.reveal, a reason of at least 4 characters, audited `pii.reveal`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World
from zhili.auth.models import AuditLog
from zhili.db import transaction

REASON = "核实低保申请材料"


def audit_rows(db: sessionmaker[Session], action: str) -> list[AuditLog]:
    with transaction(db) as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.seq)))


def test_a_leader_reveals_with_a_reason_and_it_is_audited(as_persona, db, world: World) -> None:
    leader = as_persona("leader")
    r = leader.post("/api/registry/people/1/reveal", json={"field": "id_number", "reason": REASON})
    assert r.status_code == 200, r.text
    assert r.json() == {"field": "id_number", "label": "公民身份号码", "value": "330203198001011231"}
    assert leader.post("/api/registry/places/1/reveal",
                       json={"field": "contact_phone", "reason": REASON}).json()["value"] == "13544445555"
    rows = audit_rows(db, "pii.reveal")
    assert [(a.entity_type, a.entity_id, a.detail["field"]) for a in rows] == [
        ("registry.person", "1", "id_number"), ("registry.place", "1", "contact_phone")]
    assert rows[0].detail["reason"] == REASON and "minor" not in rows[0].detail
    assert rows[0].actor_id == world.users["leader"].id
    # the page stays masked afterwards
    assert "330203198001011231" not in leader.get("/api/registry/people/1").text


def test_a_minor_is_revealed_the_same_way_and_audited_as_a_minor(as_persona, db) -> None:
    leader = as_persona("leader")
    for field, value in (("name", "张小明"), ("birth_date", "2016-06-01"), ("id_number", "330212201606014524")):
        r = leader.post("/api/registry/people/4/reveal", json={"field": field, "reason": REASON})
        assert r.status_code == 200 and r.json()["value"] == value
    rows = audit_rows(db, "pii.reveal")
    assert [a.detail["field"] for a in rows] == ["name", "birth_date", "id_number"]
    assert all(a.detail["minor"] is True for a in rows)
    # an adult's name is not masked: nothing to reveal
    assert leader.post("/api/registry/people/1/reveal",
                       json={"field": "name", "reason": REASON}).json()["field"] == "field"


def test_without_pii_reveal_it_is_denied_and_the_denial_audited(as_persona, db, world: World) -> None:
    for persona in ("operator", "grid_a", "community"):
        r = as_persona(persona).post("/api/registry/people/1/reveal", json={"field": "phone", "reason": REASON})
        assert r.status_code == 403 and "13811112222" not in r.text
    assert audit_rows(db, "pii.reveal") == []
    denied = audit_rows(db, "auth.denied")
    assert {d.detail["permission"] for d in denied} == {"pii.reveal"}
    assert world.users["grid_a"].id in {d.actor_id for d in denied}
    assert as_persona("resident").post("/api/registry/people/1/reveal",
                                       json={"field": "phone", "reason": REASON}).status_code == 403


def test_a_reason_is_required_and_the_field_must_be_masked_and_visible(as_persona, db) -> None:
    leader = as_persona("leader")
    short = leader.post("/api/registry/people/1/reveal", json={"field": "phone", "reason": "看看"})
    assert short.status_code == 422 and short.json()["field"] == "reason"
    blank = leader.post("/api/registry/people/1/reveal", json={"field": "phone", "reason": "    。"})
    assert blank.status_code == 422 and blank.json()["field"] == "reason"
    assert leader.post("/api/registry/people/1/reveal", json={"reason": REASON}).status_code == 422
    assert leader.post("/api/registry/people/1/reveal",
                       json={"field": "password", "reason": REASON}).json()["field"] == "field"
    assert leader.post("/api/registry/people/99/reveal",
                       json={"field": "phone", "reason": REASON}).status_code == 404
    assert leader.post("/api/registry/cats/1/reveal", json={"field": "phone", "reason": REASON}).status_code == 422
    assert audit_rows(db, "pii.reveal") == []


def test_out_of_scope_answers_404_before_the_permission(as_persona) -> None:
    # street2 has no pii.reveal; person 1 is outside its street: 404 like a missing one, not 403
    assert as_persona("street2").post("/api/registry/people/1/reveal",
                                      json={"field": "phone", "reason": REASON}).status_code == 404


def test_the_entity_page_offers_the_reveal_button_only_to_revealers(as_persona) -> None:
    assert "data-reveal-field=\"phone\"" in as_persona("leader").get("/gov/registry/people/1").text
    assert "data-reveal-field" not in as_persona("street").get("/gov/registry/people/1").text
