"""Small helpers for the verification and feedback tests (and the authorization matrix's `{registry:...}` ids)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World
from zhili.auth.actor import Actor
from zhili.auth.models import User
from zhili.auth.repository import build_actor
from zhili.config import Settings
from zhili.db import transaction
from zhili.kit import clock
from zhili.registry import feedback, verify
from zhili.registry.models import Conflict, EntityKind, FeedbackBatch, TaskStatus, VerifyTask
from zhili.registry.schemas_verify import CompleteIn, ItemIn

P_A, P_B, P_C, MINOR_A = 1, 2, 3, 4
NEW_PHONE = "13912345678"


def run(db: sessionmaker[Session], settings: Settings, **overrides: Any) -> verify.Generated:
    with transaction(db) as s:
        return verify.generate(s, settings.model_copy(update=overrides))


def open_task(db: sessionmaker[Session], kind: EntityKind, entity_id: int) -> VerifyTask | None:
    with transaction(db) as s:
        return s.scalars(select(VerifyTask).where(VerifyTask.kind == kind, VerifyTask.entity_id == entity_id,
                                                  VerifyTask.status == TaskStatus.open)).first()


def add_conflict(db: sessionmaker[Session], kind: EntityKind, entity_id: int, field: str,
                 values: list[dict[str, Any]]) -> int:
    from zhili.registry.repository import MODELS

    with transaction(db) as s:
        entity = s.get(MODELS[kind], entity_id)
        c = Conflict(kind=kind, entity_id=entity_id, field=field, values=values, open=True,
                     area_path=entity.area_path, grid_id=entity.grid_id, created_at=clock.now())
        s.add(c)
        s.flush()
        return c.id


def actor(db: sessionmaker[Session], world: World, persona: str) -> Actor:
    with transaction(db) as s:
        user = s.get(User, world.users[persona].id)
        assert user is not None
        return build_actor(s, user)


def task_for(db: sessionmaker[Session], settings: Settings, kind: EntityKind, entity_id: int) -> int:
    """The open task of an entity, generating tasks first when it has none."""
    found = open_task(db, kind, entity_id)
    if found is None:
        run(db, settings, registry_tasks_per_grid=1000)
        found = open_task(db, kind, entity_id)
    assert found is not None
    return found.id


def correct_phone(db: sessionmaker[Session], world: World, settings: Settings, persona: str = "grid_a",
                  phone: str = NEW_PHONE, evidence: str | None = None) -> int:
    """grid_a corrects person 1's phone on site; returns the correction's id."""
    task_id = task_for(db, settings, EntityKind.person, P_A)
    who = actor(db, world, persona)
    body = CompleteIn(items=[ItemIn(field="phone", action="correct", value=phone, reason="本人现场告知新号码"),
                             ItemIn(field="name", action="confirm")])
    with transaction(db, info={"actor": who}) as s:
        done = verify.complete(s, who, settings, task_id, body, {"phone": evidence} if evidence else None)
        return done.corrections[0].id


def make_batch(db: sessionmaker[Session], world: World, settings: Settings, code: str = "GA") -> int:
    correct_phone(db, world, settings)
    who = actor(db, world, "operator")
    with transaction(db, info={"actor": who}) as s:
        made = feedback.create_batches(s, who, settings)
        return next(b.id for b in made if b.number.startswith(f"FK-{code}-"))


def batch(db: sessionmaker[Session], batch_id: int) -> FeedbackBatch:
    with transaction(db) as s:
        found = s.get(FeedbackBatch, batch_id)
        assert found is not None
        return found


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)
