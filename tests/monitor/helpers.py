"""A monitoring scene with known figures, made through the real case service and the real warning job.

The seeded category allows 4 working hours, warning 48 minutes before the deadline. At NOW (Tuesday 2026-11-17,
15:31 Beijing) the world holds, in street S1 (grid A) unless said otherwise:
  R  received and dispatched at 10:00, past its deadline    -> red (overdue alert, automatic supervision order)
  Y  received half an hour later, in progress, past warning -> yellow (warning alert), a supervision order by hand
  T1 (S1, received), T2 (S2, grid C, received), T3 (S1, closed), all received at NOW
So the district sees today 5 received, 4 open, 1 yellow, 1 red, 1 closed; S1 4 / 3 / 1 / 1 / 1; S2 1 / 1 / 0 / 0 / 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.cases.helpers import act, ctx, make_case
from tests.factories import TEST_KEY, World
from zhili.cases import service as case_service
from zhili.cases.models import Case
from zhili.config import Settings
from zhili.db import transaction
from zhili.kit import clock

T0 = datetime(2026, 11, 17, 2, 0, tzinfo=UTC)  # Tuesday 10:00 Beijing


@dataclass
class Scene:
    now: datetime
    red: str
    yellow: str
    today: list[str]


def _case(db: sessionmaker[Session], number: str) -> Case:
    with db() as s:
        case = s.scalars(select(Case).where(Case.number == number)).one()
        s.expunge(case)
        return case


def build_scene(db: sessionmaker[Session], world: World) -> Scene:
    settings = Settings(secret_key=TEST_KEY, geo_refresh_seconds=0)
    with clock.frozen(T0):
        red = make_case(db, world, "a_dispatched")
    with clock.frozen(T0 + timedelta(minutes=30)):
        yellow = make_case(db, world, "a_in_progress")
    r, y = _case(db, red), _case(db, yellow)
    assert r.deadline_at and y.yellow_at and y.deadline_at
    now = clock.as_utc(r.deadline_at) + timedelta(minutes=1)
    assert clock.as_utc(y.yellow_at) <= now < clock.as_utc(y.deadline_at), "the scene needs Y between its marks"
    with clock.frozen(now):
        with transaction(db) as s:
            case_service.mark_warnings(s, settings, now)
        with transaction(db) as s:
            case_service.supervise(ctx(s, world, "operator"), yellow, "群众多次来电，请加快办理")
        today = [make_case(db, world, "a_received"), make_case(db, world, "c_received"),
                 make_case(db, world, "a_closed")]
    return Scene(now=now, red=red, yellow=yellow, today=today)


def file_case(db: sessionmaker[Session], world: World, place: str = "a") -> str:
    return make_case(db, world, f"{place}_received")


__all__ = ["Scene", "act", "build_scene", "file_case"]
