from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World
from zhili.cases.models import Case, CaseStatus, Channel
from zhili.db import transaction
from zhili.kit import clock
from zhili.notify import service
from zhili.taxonomy.models import Category, CategoryKind, Runway


def send(db: sessionmaker[Session], world: World, personas: list[str], title: str, **kw: Any) -> int:
    with transaction(db) as s:
        return service.notify(s, [world.users[p].id for p in personas], kw.pop("kind", "case.assigned"), title,
                              **kw)


def make_case(db: sessionmaker[Session], world: World, number: str = "YZ20261128-000001") -> int:
    """A bare case row (enough for a notification to link to)."""
    with transaction(db) as s:
        cat = Category(code="T01", name="测试类", path="/T01/", kind=CategoryKind.event, runway=Runway.safety)
        s.add(cat)
        s.flush()
        area = world.areas["c1"]
        now = clock.now()
        case = Case(number=number, title="路灯不亮", channel=Channel.grid, category_id=cat.id,
                    status=CaseStatus.received, lon=121.505, lat=29.81, area_id=area.id, area_path=area.path,
                    received_at=now, updated_at=now)
        s.add(case)
        s.flush()
        return case.id


def sse_events(text: str) -> list[dict[str, Any]]:
    """Parse an event-stream body into its events (id, event, data as JSON); comments and retry hints apart."""
    events = []
    for block in text.split("\n\n"):
        fields: dict[str, Any] = {}
        for line in block.split("\n"):
            if line.startswith(":") or not line:
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
        if "data" in fields:
            fields["data"] = json.loads(fields["data"])
            events.append(fields)
    return events
