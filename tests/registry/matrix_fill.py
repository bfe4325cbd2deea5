"""Ids the registry's authorization rows need that the test world does not hold: `{registry:NAME}` in a matrix URL is
replaced by the id of an object made on demand (once per test: a second row asking for it gets the same one).

  task_a        the open verification task of person 1 (grid A)
  evidence      a correction of person 1's phone by grid_a, with a photo
  batch_ga      a feedback batch for 公安 (sent) carrying that correction
  batch_ga_ack  the same batch, acknowledged by 公安
Other registry rows may add their makers to MAKERS."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World
from tests.registry.helpers_verify import P_A, actor, correct_phone, task_for
from zhili.config import Settings
from zhili.db import transaction
from zhili.files import store
from zhili.registry import feedback
from zhili.registry.models import BatchStatus, Correction, EntityKind, FeedbackBatch


def _task_a(db: sessionmaker[Session], world: World, settings: Settings) -> int:
    return task_for(db, settings, EntityKind.person, P_A)


def _evidence(db: sessionmaker[Session], world: World, settings: Settings) -> int:
    with transaction(db) as s:
        found = s.scalar(select(Correction.id).where(Correction.evidence.is_not(None)).order_by(Correction.id))
    if found is not None:
        return found
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 120, 60)).save(out, "PNG")
    photo = store.save_photo(out.getvalue(), "site.png", settings)
    return correct_phone(db, world, settings, evidence=f"{photo.sha256}.{photo.ext}")


def _batch_ga(db: sessionmaker[Session], world: World, settings: Settings) -> int:
    with transaction(db) as s:
        found = s.scalar(select(FeedbackBatch.id).where(FeedbackBatch.number.like("FK-GA-%"))
                         .order_by(FeedbackBatch.id))
    if found is not None:
        return found
    _evidence(db, world, settings)
    who = actor(db, world, "operator")
    with transaction(db, info={"actor": who}) as s:
        return next(b.id for b in feedback.create_batches(s, who, settings) if b.number.startswith("FK-GA-"))


def _batch_ga_ack(db: sessionmaker[Session], world: World, settings: Settings) -> int:
    batch_id = _batch_ga(db, world, settings)
    who = actor(db, world, "ga")
    with transaction(db, info={"actor": who}) as s:
        batch = s.get(FeedbackBatch, batch_id)
        if batch is not None and batch.status == BatchStatus.sent:
            feedback.acknowledge(s, who, batch_id)
    return batch_id


MAKERS: dict[str, Callable[[sessionmaker[Session], World, Settings], int]] = {
    "task_a": _task_a, "evidence": _evidence, "batch_ga": _batch_ga, "batch_ga_ack": _batch_ga_ack,
}


from tests.registry.reviews_fill import review_b  # noqa: E402

MAKERS["review_b"] = review_b  # the match review queue (tests/registry/matrix_reviews.py)


def fill(url: str, db: sessionmaker[Session], world: World, settings: Settings) -> str:
    return re.sub(r"\{registry:(\w+)\}", lambda m: str(MAKERS[m.group(1)](db, world, settings)), url)
