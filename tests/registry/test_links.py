"""Case links (registry/links.py): by the caller's phone to people, by the resolved address to standard addresses
and the places on them; idempotent; shown on the entity and address pages to those who may see the case."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.cases.helpers import category_code, ctx
from tests.factories import A_POINT, C_POINT, TEST_KEY, World
from zhili.cases import service as cases_service
from zhili.cases.schemas import IntakeIn
from zhili.config import Settings
from zhili.db import transaction
from zhili.registry import links
from zhili.registry.models import CaseLink

SETTINGS = Settings(secret_key=TEST_KEY, geo_refresh_seconds=0)


def new_case(db: sessionmaker[Session], world: World, *, phone: str | None, address: str, point=A_POINT,
             title: str = "楼道堆放杂物") -> str:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        data = IntakeIn(title=title, category=category_code(s), lon=point[0], lat=point[1], address=address,
                        caller_name="来电人" if phone else None, caller_phone=phone)
        case, _ = cases_service.intake(ctx(s, world, "operator", SETTINGS), data)
        return case.number


def run(db: sessionmaker[Session]) -> dict[str, int]:
    with transaction(db) as s:
        return links.link_new_cases(s, SETTINGS)


def all_links(db: sessionmaker[Session]) -> list[tuple[str, int, str]]:
    with transaction(db) as s:
        return sorted((k, e, h) for k, e, h in s.execute(
            select(CaseLink.kind, CaseLink.entity_id, CaseLink.how)))


def test_links_by_phone_and_address_idempotent(db, world: World) -> None:
    new_case(db, world, phone="13811112222", address="宁波市鄞州区天童南路588号1幢")  # person 1, address 2
    new_case(db, world, phone=None, address="首南中路100号")  # address 6 and the shop on it (place 1)
    new_case(db, world, phone="13700000000", address="")  # nobody's phone, no address: no link
    assert run(db) == {"cases": 3, "person": 1, "address": 2, "place": 1}
    expected = [("address", 2, "address"), ("address", 6, "address"), ("person", 1, "caller_phone"),
                ("place", 1, "address")]
    assert all_links(db) == expected
    assert run(db) == {"cases": 0, "person": 0, "address": 0, "place": 0}  # the watermark moved on
    with transaction(db) as s:  # a rerun over the same cases writes nothing twice
        assert links.link_new_cases(s, SETTINGS, since=0)["cases"] == 3
    assert all_links(db) == expected
    new_case(db, world, phone="13922223333", address="天童南路590号")  # person 2, address 5
    assert run(db) == {"cases": 1, "person": 1, "address": 1, "place": 0}


def test_the_job_is_registered() -> None:
    from zhili.jobs import JOBS

    names = {j.name: j for j in JOBS}
    assert names["registry.link_cases"].every.total_seconds() <= 600
    assert names["registry.quality"].every.days == 1


def test_entity_pages_show_the_cases_the_viewer_may_see(db, world: World, as_persona) -> None:
    number = new_case(db, world, phone="13811112222", address="天童南路588号1幢")
    other = new_case(db, world, phone="13733334444", address="钱湖北路588号", point=C_POINT)  # person 3, grid C
    run(db)
    person1 = as_persona("grid_a").get("/api/registry/people/1").json()
    assert [c["number"] for c in person1["cases"]] == [number]
    assert number in as_persona("grid_a").get("/gov/registry/people/1").text
    # 公安 sees person 1 (its fields) but not the case: not assigned to it, not in an area of its
    assert as_persona("ga").get("/api/registry/people/1").json()["cases"] == []
    address = as_persona("community").get("/api/registry/addresses/1").json()  # the door: its buildings' cases
    assert [c["number"] for c in address["cases"]] == [number]
    house = as_persona("street").get("/api/registry/houses/1").json()
    assert [c["number"] for c in house["cases"]] == [number]
    assert [c["number"] for c in as_persona("street2").get("/api/registry/people/3").json()["cases"]] == [other]
    place = as_persona("street2").get("/api/registry/places/2").json()  # the site at 钱湖北路588号
    assert [c["number"] for c in place["cases"]] == [other]
