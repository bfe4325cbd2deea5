"""Hand-made October 2026 cases with known outcomes, and the clock the assessment tests run at (2026-11-29)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import A_POINT, C_POINT, World
from zhili.auth.models import User
from zhili.auth.repository import build_actor
from zhili.cases.models import Case, CaseStatus, Channel
from zhili.taxonomy.models import Category

NOW = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)
OCT = datetime(2026, 10, 13, 2, 0, tzinfo=UTC)  # a Tuesday, 10:00 Beijing time
_seq = itertools.count(1)


def actor(session: Session, world: World, persona: str) -> Any:
    user = session.get(User, world.users[persona].id)
    assert user is not None
    return build_actor(session, user, via="token")


def put(session: Session, world: World, *, department: str = "cg", place: str = "a", on_time: bool = True,
        received_at: datetime = OCT, **cols: Any) -> Case:
    """A case closed 1 hour after intake, with a deadline 2 hours (on time) or 30 minutes (late) after intake."""
    grid = world.grids[place]
    community = world.areas["c2" if place == "c" else "c1"]
    lon, lat = C_POINT if place == "c" else A_POINT
    cat = session.scalars(select(Category).where(Category.parent_id.is_not(None)).order_by(Category.id)).first()
    assert cat is not None
    n = next(_seq)
    c = Case(number=f"AS{n:08d}", title=f"考核测试{n}", channel=Channel.hotline, category_id=cat.id,
             status=CaseStatus.closed, lon=lon, lat=lat, grid_id=grid.id, area_id=community.id,
             area_path=community.path, received_at=received_at, updated_at=received_at,
             registered_at=received_at, dispatched_at=received_at, dispatch_count=1,
             closed_at=received_at + timedelta(hours=1),
             deadline_at=received_at + (timedelta(hours=2) if on_time else timedelta(minutes=30)),
             department_id=world.departments[department].id, **cols)
    session.add(c)
    session.flush()
    return c
