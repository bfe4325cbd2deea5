"""Plant cases for the insight tests: ORM rows with what the analyses read (where, when, which category)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tests.factories import World
from zhili.cases.models import Case, CaseStatus, Channel
from zhili.org.models import Grid
from zhili.taxonomy.lookup import category_by_code

NOISE, GARBAGE, LAMP = "ZL0504", "SJ0102", "BJ0109"
_seq = [0]


def plant(session: Session, world: World, *, code: str, at: datetime, lon: float, lat: float, grid: str = "a",
          address: str = "", status: CaseStatus = CaseStatus.registered) -> Case:
    cat = category_by_code(session, code)
    assert cat is not None
    g: Grid = world.grids[grid]
    _seq[0] += 1
    case = Case(number=f"T{_seq[0]:07d}", title="测试案件", description="", channel=Channel.hotline,
                category_id=cat.id, status=status, lon=lon, lat=lat, address=address, area_id=g.area_id,
                area_path=g.area_path, grid_id=g.id, received_at=at,
                registered_at=at if status is not CaseStatus.received else None, updated_at=at)
    session.add(case)
    return case
