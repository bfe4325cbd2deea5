"""A match review for the authorization rows (`{registry:review_b}` in tests/registry/matrix_reviews.py): a 民政
record "李四光" without an ID number at 天童南路590号, parked as a possible match of person 2 (grid B)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World
from zhili.config import Settings
from zhili.db import transaction
from zhili.kit import clock
from zhili.registry.models import EntityKind, MatchReview, Person, ReviewStatus, SourceRecord


def review_b(db: sessionmaker[Session], world: World, settings: Settings) -> int:
    with transaction(db, info={"audit_auto": False}) as s:
        found = s.scalar(select(MatchReview.id).order_by(MatchReview.id))
        if found is not None:
            return found
        person = s.get(Person, 2)
        assert person is not None
        now = clock.now()
        record = SourceRecord(kind=EntityKind.person, source="民政", source_key="MZ-9001", entity_id=None,
                              values={"name": "李四光", "address": "天童南路590号", "phone": "13912345678"},
                              row_hash="0" * 32, import_id=None, imported_at=now)
        s.add(record)
        s.flush()
        review = MatchReview(kind=EntityKind.person, record_id=record.id, candidate_id=person.id, score=0.85,
                             reasons={"name": 1.0, "birth_date": 0.5, "address": 1.0}, status=ReviewStatus.open,
                             area_path=person.area_path, grid_id=person.grid_id, created_at=now)
        s.add(review)
        s.flush()
        return review.id
