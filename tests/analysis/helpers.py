"""Hand-made cases with known answers: rows written through the ORM with exactly the columns an indicator reads
(the real service's paths are exercised in test_rollup.py)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import A_POINT, C_POINT, World
from zhili.analysis.service import IndicatorQuery
from zhili.auth.models import User
from zhili.auth.repository import build_actor
from zhili.cases.models import Case, CaseStatus, Channel
from zhili.taxonomy.models import Category

_seq = itertools.count(1)
# 2026-11-10 is a Tuesday; 10:00 Beijing time = 02:00 UTC.
DAY = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)


def actor(session: Session, world: World, persona: str) -> Any:
    user = session.get(User, world.users[persona].id)
    assert user is not None
    return build_actor(session, user, via="token")


def leaf(session: Session, index: int = 0) -> Category:
    cats = list(session.scalars(select(Category).where(Category.parent_id.is_not(None)).order_by(Category.id)))
    return cats[index]


def put(session: Session, world: World, place: str = "a", *, status: CaseStatus = CaseStatus.received,
        received_at: datetime = DAY, closed_after: timedelta | None = None, deadline_after: timedelta | None = None,
        department: str | None = "cg", category: Category | None = None, **cols: Any) -> Case:
    """A case in grid A (place "a"), grid B ("b") or grid C ("c", street S2), in `status`. `closed_after` sets
    closed_at = received + that (and status closed)."""
    grid = world.grids[place]
    lon, lat = (C_POINT if place == "c" else A_POINT)
    community = world.areas["c2" if place == "c" else "c1"]
    n = next(_seq)
    cat = category or leaf(session)
    c = Case(number=f"T{n:08d}", title=f"测试{n}", channel=cols.pop("channel", Channel.hotline),
             category_id=cat.id, status=status, lon=lon, lat=lat, grid_id=grid.id, area_id=community.id,
             area_path=community.path, received_at=received_at, updated_at=received_at,
             department_id=world.departments[department].id if department else None, **cols)
    if closed_after is not None:
        c.status = CaseStatus.closed
        c.registered_at = received_at
        c.closed_at = received_at + closed_after
    if deadline_after is not None:
        c.deadline_at = received_at + deadline_after
    session.add(c)
    session.flush()
    return c


def q(start: str = "2026-11-01", end: str = "2026-11-30", **kw: Any) -> IndicatorQuery:
    from datetime import date

    return IndicatorQuery(start=date.fromisoformat(start), end=date.fromisoformat(end), **kw)
