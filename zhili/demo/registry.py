"""`zhili demo --people N`: a synthetic registry (人口、房屋、车辆、场所) for the demo district.

Households move into rooms of the demo's residential buildings (zhili/demo/rooms.py: units and rooms become standard
addresses as needed), with their people (households.py), the houses they own or rent, their vehicles, and the places
along the roads (places.py). Every entity is located from its standard address (community path, grid, micro-grid)
and carries the source records it came from, the provenance of each field and its on-site confirmations
(sources.py), with the imperfections the registry exists to fix: about 3 % of people whose phone differs between
公安 and 民政 (an open conflict), about 5 % without a phone, verifications spread over the last 18 months (some
never), and a handful of 民政 records without an ID number waiting in the match review queue.

Speed and memory: rows are written in batches of about BATCH people by zhili/imports/bulk.py (COPY on PostgreSQL,
Core executemany on SQLite) with ids reserved up front; ID numbers and phones are encrypted by their column types on
the way in, blind indexes computed here. Deterministic for a seed and a clock. Audit: one `demo.registry` entry.
"""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from zhili.addresses.models import Address, Road
from zhili.auth import audit
from zhili.demo import households, rooms
from zhili.demo import people as gen
from zhili.demo.places import Door, build_places
from zhili.demo.places import counts as place_counts
from zhili.demo.registry_rows import Batch
from zhili.demo.sources import Records, Runs, row_hash
from zhili.imports.bulk import insert_many, reserve_ids
from zhili.kit import clock
from zhili.org.models import Area, MicroGrid
from zhili.registry.models import (
    EntityKind,
    ImportRun,
    MatchReview,
    Person,
    Place,
    ReviewStatus,
    SourceRecord,
    Vehicle,
)

DEFAULT_PEOPLE = 40_000
BATCH = 10_000
FLOATING_HOUSEHOLDS = 0.32  # floating households are smaller: about a quarter of the people
HOUSEHOLD_SIZE = 2.45  # to size the buildings' share; a second round fills more rooms when short
RUNS = (("person", "公安", "公安人口信息系统"), ("person", "民政", "民政救助与养老服务对象"),
        ("house", "住建", "住建房屋信息库"), ("vehicle", "公安", "公安机动车登记"),
        ("place", "市场监管", "市场主体登记"), ("place", "公安", "公安出租房屋登记"))
RUN_AGE_DAYS = {"公安": 35, "民政": 21, "住建": 49, "市场监管": 28}


def _table(model: type) -> Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def build_registry(session: Session, people: int, *, seed: int = 2026,
                   progress: Callable[[str, int, int], None] | None = None) -> dict[str, int]:
    """Generate `people` residents with their households, rooms, houses, vehicles and the district's places, on a
    database holding the demo's areas, grids and addresses. Returns the counts written."""
    if people <= 0:
        return {}
    say = progress or (lambda stage, done, total: None)
    now = clock.now()
    rng = random.Random(seed * 104_729 + 11)
    previous = session.info.get(audit.AUTO)
    session.info[audit.AUTO] = False
    try:
        buildings = rooms.load_buildings(session, rng)
        if not buildings:
            raise ValueError("没有可入住的楼栋地址：请先生成演示区划与标准地址")
        runs = _runs(session, now)
        batch = Batch(session, rng, now, runs, taken_plates=set(session.scalars(select(Vehicle.plate))),
                      taken_codes=set(session.scalars(select(Place.credit_code).where(Place.credit_code.is_not(None)))))
        taken_ids: set[int] = set()
        given: dict[int, int] = {}
        made = 0
        say("人口登记", 0, people)
        for building, quota in rooms.quotas(rooms.spread(buildings, rng), math.ceil(people / HOUSEHOLD_SIZE)):
            for room in rooms.pick_rooms(building, quota, seed, given):
                plan = households.plan_household(rng, now.date(), rng.random() < FLOATING_HOUSEHOLDS, taken_ids)
                plan.members = plan.members[:people - made]
                batch.add(room, plan)
                made += len(plan.members)
                if made >= people:
                    break
            if batch.people >= BATCH or made >= people:
                batch.flush()
                say("人口登记", made, people)
            if made >= people:
                break
        del taken_ids
        counts = dict(batch.counts)
        say("场所", 0, 1)
        counts["places"] += _places(session, rng, people, now, runs, batch)
        say("场所", 1, 1)
        counts["reviews"] = _reviews(session, rng, batch.adults, people, now, runs, batch.records)
        _finish_runs(session, runs, batch.records.seq)
    finally:
        session.info[audit.AUTO] = previous if previous is not None else True
    audit.record(session, "demo.registry", entity_type="people", detail={"seed": seed, **counts})
    return counts


def _runs(session: Session, now: datetime) -> Runs:
    ids, at = {}, {}
    for kind, source, file_name in RUNS:
        started = now - timedelta(days=RUN_AGE_DAYS[source], hours=3)
        run = ImportRun(kind=EntityKind(kind), source=source, file_name=f"演示数据：{file_name}", started_at=started,
                        finished_at=started + timedelta(minutes=20), counts={}, by="demo")
        session.add(run)
        session.flush()
        ids[(kind, source)], at[(kind, source)] = run.id, started
    return Runs(ids, at)


def _finish_runs(session: Session, runs: Runs, seq: dict[tuple[str, str], int]) -> None:
    for key, run_id in runs.ids.items():
        n = seq.get(key, 0)
        session.execute(update(ImportRun).where(ImportRun.id == run_id)
                        .values(counts={"read": n, "created": n, "updated": 0, "unchanged": 0, "rejected": 0}))


def _doors(session: Session) -> list[Door]:
    community = Area.__table__.alias("community")
    rows = session.execute(
        select(Address.id, Road.name, Address.number, Address.area_id, Address.area_path, Address.micro_grid_id,
               MicroGrid.grid_id, Address.full_text, func.coalesce(community.c.short_name, community.c.name))
        .join(Road, Road.id == Address.road_id)
        .join(community, community.c.id == Address.area_id)
        .outerjoin(MicroGrid, MicroGrid.id == Address.micro_grid_id)
        .where(Address.building == "", Address.unit == "", Address.room == "", Address.active)
        .order_by(Address.id)).all()
    return [Door(*r) for r in rows]


def _places(session: Session, rng: random.Random, people: int, now: datetime, runs: Runs, batch: Batch) -> int:
    doors = _doors(session)
    if not doors:
        return 0
    ids = reserve_ids(session, _table(Place), sum(place_counts(people).values()))
    records = Records(runs)
    records.seq = batch.records.seq  # keys continue the sources' numbering
    rows = build_places(rng, doors, people, ids, now, runs, records, batch.taken_codes)
    insert_many(session, _table(Place), rows)
    insert_many(session, _table(SourceRecord), records.finish())
    return len(rows)


def _reviews(session: Session, rng: random.Random, adults: array[int], people: int, now: datetime, runs: Runs,
             records: Records) -> int:
    """A handful of 民政 records without an ID number that look like a person (same name and birth date, the
    building but not the room, another phone): uncertain matches for the review queue."""
    wanted = min(len(adults), max(3, min(30, people // 2000)))
    chosen = sorted(rng.sample(list(adults), wanted)) if wanted else []
    made = 0
    for p in session.scalars(select(Person).where(Person.id.in_(chosen)).order_by(Person.id)):
        room = session.get(Address, p.address_id) if p.address_id else None
        unit = session.get(Address, room.parent_id) if room and room.parent_id else None
        building = session.get(Address, unit.parent_id) if unit and unit.parent_id else unit
        values = {"name": p.name, "birth_date": p.birth_date.isoformat() if p.birth_date else "",
                  "address": building.full_text if building else "", "phone": gen.mobile(rng), "tags": ["disabled"]}
        record = SourceRecord(kind=EntityKind.person, source="民政", source_key=records.key("person", "民政"), entity_id=None, values=values,
                              row_hash=row_hash(values),
                              import_id=runs.ids[("person", "民政")], imported_at=runs.at[("person", "民政")])
        session.add(record)
        session.flush()
        score = round(rng.uniform(0.78, 0.92), 3)
        session.add(MatchReview(kind=EntityKind.person, record_id=record.id, candidate_id=p.id, score=score,
                                reasons={"name": 1.0, "birth_date": 1.0, "address": round(rng.uniform(0.6, 0.85), 3),
                                         "phone": 0.0, "id_number": None},
                                status=ReviewStatus.open, area_path=p.area_path, grid_id=p.grid_id, created_at=now))
        made += 1
    session.flush()
    return made
