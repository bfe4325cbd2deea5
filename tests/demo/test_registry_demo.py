"""`zhili demo --people N`: the synthetic registry on the small test world (a few more buildings added), both
databases. Built twice with the same seed and clock: the second must equal the first."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import insert, select, text
from stdnum.cn import ric, uscc

from tests.conftest import reset
from tests.factories import build_world
from zhili.addresses.models import Address
from zhili.db import make_sessionmaker, transaction
from zhili.demo import people as gen
from zhili.demo.households import age_on, plan_household
from zhili.demo.registry import build_registry
from zhili.kit import clock
from zhili.org.models import MicroGrid
from zhili.registry import validate
from zhili.registry.models import (
    Conflict,
    House,
    Household,
    MatchReview,
    Person,
    PersonRoom,
    PersonStatus,
    Place,
    Residency,
    RoomRelation,
    SourceRecord,
    Vehicle,
)

N = 1500
SEED = 11
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
LOCAL = {"330227", "330212", *gen.NINGBO_OTHER}
FLOATING = {code for _, _, codes in gen.FLOATING for code in codes}


def _more_buildings(session) -> None:  # type: ignore[no-untyped-def]
    """Six more buildings behind three door plates of the world (grids A, B and C)."""
    doors = session.scalars(select(Address).where(Address.building == "").order_by(Address.id)).all()
    rows = []
    for door in (doors[0], next(d for d in doors if d.number == 590), next(d for d in doors if d.road_id == 3)):
        taken = set(session.scalars(select(Address.building).where(Address.parent_id == door.id)))
        for b in [str(i) for i in range(1, 12) if str(i) not in taken][:6]:
            rows.append(dict(parent_id=door.id, road_id=door.road_id, number=door.number, number_suffix="",
                             building=b, unit="", room="", area_id=door.area_id, area_path=door.area_path,
                             micro_grid_id=door.micro_grid_id, lon=door.lon, lat=door.lat,
                             full_text=f"{door.full_text}{b}幢", source="test", active=True, updated_at=NOW))
    session.execute(insert(Address), rows)


def _build(engine):  # type: ignore[no-untyped-def]
    reset(engine)
    factory = make_sessionmaker(engine)
    with clock.frozen(NOW):
        with transaction(factory, info={"audit_auto": False}) as session:
            build_world(session)
            _more_buildings(session)
        with transaction(factory) as session:
            counts = build_registry(session, N, seed=SEED)
    return factory, counts


def _fingerprint(factory) -> list[tuple]:  # type: ignore[no-untyped-def]
    with transaction(factory) as s:
        return [tuple(r) for r in s.execute(
            select(Person.id, Person.name, Person.id_number, Person.phone, Person.birth_date, Person.household_id,
                   Person.household_relation, Person.tags, Person.address_id, Person.verified_at)
            .order_by(Person.id))]


@pytest.fixture(scope="module")
def registry(engine):  # type: ignore[no-untyped-def]
    factory, counts = _build(engine)
    first = _fingerprint(factory)
    factory, again = _build(engine)
    yield factory, counts, first, again


def _people(factory) -> list[Person]:  # type: ignore[no-untyped-def]
    with transaction(factory) as s:
        found = s.scalars(select(Person).order_by(Person.id)).all()
        s.expunge_all()
        return list(found)


def _generated(factory) -> list[Person]:  # type: ignore[no-untyped-def]
    return [p for p in _people(factory) if p.id > 4]  # 1-4 are the test world's own


def test_same_seed_same_registry(registry) -> None:  # type: ignore[no-untyped-def]
    factory, counts, first, again = registry
    assert counts == again
    assert _fingerprint(factory) == first
    assert counts["people"] == N and len(first) == N + 4


def test_every_id_number_is_valid_and_matches_sex_and_birth_date(registry) -> None:  # type: ignore[no-untyped-def]
    people = _generated(registry[0])
    assert len({p.id_number for p in people}) == len(people)
    for p in people:
        n = p.id_number
        assert n is not None and re.fullmatch(r"\d{17}[\dX]", n)
        assert ric.calc_check_digit(n) == n[17], n  # ISO 7064 MOD 11-2
        checked = validate.resident_id(n, today=NOW.date())  # what an import would accept
        assert (checked.number, checked.sex, checked.birth_date) == (n, p.sex, p.birth_date)
        assert ric.get_birth_date(n) == p.birth_date
        assert p.sex == ("M" if int(n[16]) % 2 else "F")
        assert date(1920, 1, 1) < p.birth_date <= NOW.date()
        county = n[:6]
        if p.residency == Residency.registered:
            assert county in LOCAL
            if county in ("330227", "330212"):  # 鄞县 became 鄞州区 in 2002
                assert (county == "330227") == (p.birth_date.year <= 2002), n
        else:
            assert county in FLOATING


def test_phones_names_and_residency_look_real(registry) -> None:  # type: ignore[no-untyped-def]
    people = _generated(registry[0])
    for p in people:
        assert 2 <= len(p.name) <= 3 and validate.person_name(p.name) == p.name
        if p.phone is not None:
            assert validate.phone(p.phone) == p.phone
    floating = sum(p.residency == Residency.floating for p in people) / len(people)
    no_phone = sum(p.phone is None for p in people) / len(people)
    assert 0.18 <= floating <= 0.32
    assert 0.02 <= no_phone <= 0.09  # incomplete records for the grid workers
    mobiles = [p.phone for p in people if p.phone and p.phone.startswith("1")]
    assert len(set(mobiles)) > 0.6 * len(mobiles)  # children share a guardian's number; adults their own
    surnames = Counter(p.name[0] for p in people)
    assert surnames.most_common(1)[0][0] in "陈王张李" and len(surnames) > 40


def test_households_are_coherent(registry) -> None:  # type: ignore[no-untyped-def]
    factory = registry[0]
    people = _generated(factory)
    with transaction(factory) as s:
        households = {h.id: h for h in s.scalars(select(Household))}
        relations = s.execute(select(PersonRoom.person_id, PersonRoom.address_id, PersonRoom.relation)).all()
    members: dict[int, list[Person]] = defaultdict(list)
    for p in people:
        assert p.household_id in households
        members[p.household_id].append(p)
    assert len(members) == len(households)
    assert len({h.number for h in households.values()}) == len(households)
    lives = {(pid, aid) for pid, aid, rel in relations if rel == RoomRelation.lives}
    sizes = Counter()
    for hid, ms in members.items():
        h = households[hid]
        heads = [m for m in ms if m.household_relation == "户主"]
        assert len(heads) == 1 and heads[0].id == h.head_person_id
        head_age = age_on(heads[0].birth_date, NOW.date())
        assert all(m.address_id == h.address_id and m.grid_id == h.grid_id for m in ms)
        assert all((m.id, h.address_id) in lives for m in ms)
        assert len({m.residency for m in ms}) == 1
        for m in ms:
            age = age_on(m.birth_date, NOW.date())
            if m.household_relation in ("子", "女"):
                assert head_age - age >= 15 and m.sex == ("M" if m.household_relation == "子" else "F")
            if m.household_relation in ("父亲", "母亲"):
                assert age - head_age >= 15
            if m.household_relation == "配偶":
                assert m.sex != heads[0].sex
        sizes[len(ms)] += 1
    assert sizes[1] > 0 and sizes[3] > 0 and max(sizes) >= 4  # people alone, families, three generations


def test_every_person_is_located_in_a_room_of_a_grid(registry) -> None:  # type: ignore[no-untyped-def]
    factory = registry[0]
    with transaction(factory) as s:
        rooms = {a.id: a for a in s.scalars(select(Address).where(Address.room != ""))}
        micro = dict(s.execute(select(MicroGrid.id, MicroGrid.grid_id)).tuples().all())
        units = {(a.parent_id, a.unit) for a in rooms.values()}
        unit_rows = {a.id: a for a in s.scalars(select(Address).where(Address.unit != "", Address.room == ""))}
    for p in _generated(factory):
        room = rooms[p.address_id]
        assert p.grid_id is not None and p.grid_id == micro[room.micro_grid_id]
        assert (p.area_id, p.area_path, p.micro_grid_id) == (room.area_id, room.area_path, room.micro_grid_id)
        assert re.fullmatch(r"\d{3,4}", room.room) and room.full_text.endswith(f"{room.unit}单元{room.room}室")
    for parent, unit in units:  # a room hangs under its unit, the unit under its building
        assert unit_rows[parent].unit == unit and unit_rows[parent].building != ""


def test_houses_vehicles_and_places(registry) -> None:  # type: ignore[no-untyped-def]
    factory = registry[0]
    with transaction(factory) as s:
        houses = s.scalars(select(House).where(House.id > 2)).all()
        vehicles = s.scalars(select(Vehicle).where(Vehicle.id > 2)).all()
        places = s.scalars(select(Place).where(Place.id > 2)).all()
        people = {p.id: p for p in s.scalars(select(Person))}
        households = s.scalar(select(text("count(*)")).select_from(Household))
        floating_rooms = {p.address_id for p in people.values()
                          if p.residency == Residency.floating and p.status == PersonStatus.active}
        for h in houses:
            if h.address_id in floating_rooms:
                assert h.rented and h.use.value == "rental"
            if h.owner_person_id is not None:
                assert age_on(people[h.owner_person_id].birth_date, NOW.date()) >= 18
        assert sum(h.owner_person_id is not None for h in houses) > 0.9 * len(houses)
        assert 0.15 <= len(vehicles) / households <= 0.45
        for v in vehicles:
            assert validate.plate(v.plate).number == v.plate and v.plate.startswith("浙B")
            assert age_on(people[v.owner_person_id].birth_date, NOW.date()) >= 18
            assert v.grid_id == people[v.owner_person_id].grid_id
        kinds = Counter(p.kind.value for p in places)
        assert {"shop", "restaurant", "enterprise", "school", "construction_site"} <= set(kinds)
        assert kinds["shop"] > kinds["school"]
        for p in places:
            assert p.grid_id is not None and p.address_id is not None
            if p.credit_code:
                assert uscc.is_valid(p.credit_code)


def test_conflicts_stale_and_incomplete_records_exist(registry) -> None:  # type: ignore[no-untyped-def]
    factory = registry[0]
    with transaction(factory) as s:
        conflicts = s.scalars(select(Conflict)).all()
        people = {p.id: p for p in s.scalars(select(Person).where(Person.id > 4))}
        mz = {r.entity_id: r.values for r in s.scalars(select(SourceRecord).where(SourceRecord.source == "民政"))}
        ga = {r.entity_id for r in s.scalars(select(SourceRecord).where(SourceRecord.source == "公安",
                                                                       SourceRecord.kind == "person"))}
        reviews = s.scalars(select(MatchReview)).all()
        review_records = [s.get(SourceRecord, r.record_id) for r in reviews]
    assert ga >= set(people)  # 公安 holds everyone
    assert 0.01 * N <= len(conflicts) <= 0.05 * N
    for c in conflicts:
        sides = {v["source"]: v["value"] for v in c.values}
        p = people[c.entity_id]
        assert c.field == "phone" and c.open and sides["公安"] == p.phone != sides["民政"] == mz[p.id]["phone"]
        assert c.grid_id == p.grid_id and c.area_path == p.area_path
    assert all(("tags" in p.provenance) == bool(p.tags) for p in people.values())
    assert all(p.id in mz for p in people.values() if p.tags)  # 民政 holds every tagged person
    now = NOW.replace(tzinfo=None)
    verified = [p.verified_at.replace(tzinfo=None) for p in people.values() if p.verified_at]
    assert 0.15 * N < N - len(verified) < 0.5 * N  # never verified
    assert any(now - v > timedelta(days=365) for v in verified) and any(now - v < timedelta(days=60) for v in verified)
    assert all(now - v <= timedelta(days=549) for v in verified)
    assert sum(p.phone is None for p in people.values()) > 0
    assert len(reviews) >= 3 and all(r.candidate_id in people and r.status.value == "open" for r in reviews)
    for record, review in zip(review_records, reviews, strict=True):
        assert record is not None and record.entity_id is None and "id_number" not in record.values
        assert record.values["name"] == people[review.candidate_id].name


def test_tags_follow_age_and_household(registry) -> None:  # type: ignore[no-untyped-def]
    people = _generated(registry[0])
    sizes = Counter(p.household_id for p in people)
    seen = Counter(t for p in people for t in p.tags)
    for p in people:
        age = age_on(p.birth_date, NOW.date())
        if "elderly_alone" in p.tags:
            assert age >= 80 and sizes[p.household_id] == 1
        if "elderly" in p.tags:
            assert age >= 80
        if "left_behind_child" in p.tags:
            assert age < 16 and p.household_relation in ("孙子", "孙女")
        if age >= 80 and sizes[p.household_id] == 1 and p.status == PersonStatus.active:
            assert "elderly_alone" in p.tags
    assert seen["disabled"] > 0 and seen["elderly"] > 0 and seen["empty_nest"] > 0


def test_no_id_number_or_phone_in_clear_in_the_database(registry) -> None:  # type: ignore[no-untyped-def]
    factory = registry[0]
    people = _generated(factory)
    secrets = {p.id_number for p in people} | {p.phone for p in people if p.phone}
    with transaction(factory) as s:
        for table in ("people", "registry_records", "registry_conflicts", "households", "houses", "vehicles",
                      "places", "person_rooms", "addresses", "registry_match_reviews"):
            rows = s.execute(text(f"SELECT * FROM {table}")).all()
            raw = "\n".join("\t".join("" if v is None else str(v) for v in row) for row in rows)
            found = [x for x in secrets if x in raw]
            assert not found, f"{table} holds {len(found)} values in clear"
        sample = s.execute(text("SELECT id_number, phone FROM people WHERE id > 4 LIMIT 5")).all()
    assert all(v is None or v.startswith("sm4g") for row in sample for v in row)


def test_pure_generators_give_valid_values() -> None:
    rng = random.Random(3)
    taken: set[int] = set()
    plates: set[str] = set()
    codes: set[str] = set()
    for _ in range(300):
        plan = plan_household(rng, date(2026, 11, 20), rng.random() < 0.3, taken)
        for m in plan.members:
            assert ric.calc_check_digit(m.id_number) == m.id_number[17] and ric.get_birth_date(m.id_number) == m.birth
            assert validate.resident_id(m.id_number, today=date(2026, 11, 20)).sex == m.sex
        assert validate.plate(gen.plate(rng, rng.random() < 0.2, plates)).kind in ("small", "new_energy")
        assert uscc.is_valid(gen.credit_code(rng, rng.choice(("91", "92", "12", "52")), codes))
    assert gen.plate(random.Random(1), True, set())[2] in "DF"
