"""Registry lists, search and entity pages through the API, as every kind of viewer (tests/registry/world.py)."""

from __future__ import annotations

import pytest

from tests.matrix_common import GRID_A, ID_NUMBER, PHONE, S1, S2

P1_ID, P1_PHONE = "330203198001011231", "13811112222"
P2_PHONE = "13922223333"


def ids(resp) -> list[int]:  # type: ignore[no-untyped-def]
    assert resp.status_code == 200, resp.text
    return sorted(r["id"] for r in resp.json()["items"])


def no_plain_pii(text: str) -> None:
    assert not PHONE.search(text), PHONE.search(text)
    assert not ID_NUMBER.search(text), ID_NUMBER.search(text)


@pytest.mark.parametrize(("persona", "people"), [
    ("grid_a", [1, 4]), ("grid_b", [2]), ("community", [1, 2, 4]), ("street", [1, 2, 4]), ("street2", [3]),
    ("operator", [1, 2, 3, 4]), ("ga", [1, 2, 3, 4]), ("zj", []), ("dept", []),
])
def test_people_list_is_scoped(as_persona, persona: str, people: list[int]) -> None:
    resp = as_persona(persona).get("/api/registry/people")
    assert ids(resp) == people
    no_plain_pii(resp.text)


def test_resident_sees_nothing(as_persona) -> None:
    c = as_persona("resident")
    for url in ("/api/registry/people", "/api/registry/houses", "/api/registry/people/1", "/api/registry/quality"):
        assert c.get(url).status_code == 403, url


def test_people_rows_are_masked_and_a_minor_is_masked_for_everyone(as_persona) -> None:
    for persona in ("grid_a", "leader"):
        rows = {r["id"]: r for r in as_persona(persona).get("/api/registry/people").json()["items"]}
        assert rows[1]["values"]["id_number"] == "3***************31"
        assert rows[1]["values"]["phone"] == "138****2222"
        assert rows[1]["title"] == "张三丰" and rows[1]["values"]["birth_date"] == "1980-01-01"
        minor = rows[4]
        assert minor["minor"] and minor["title"] == "张**" and minor["values"]["name"] == "张**"
        assert minor["values"]["birth_date"] == "2016年"


def test_a_department_sees_only_its_fields(as_persona) -> None:
    page = as_persona("ga").get("/api/registry/people").json()
    assert "tags" not in page["fields"] and "name" in page["fields"] and "id_number" in page["fields"]
    assert all("tags" not in r["values"] for r in page["items"])
    detail = as_persona("ga").get("/api/registry/people/1").json()
    assert "tags" not in [f["field"] for f in detail["fields"]]
    assert "低保户" not in str(detail)
    # 民政 owns no person field but tags: filtering 公安's people by tag is refused to 公安
    assert as_persona("ga").get("/api/registry/people?tag=low_income").status_code == 403
    houses = as_persona("zj").get("/api/registry/houses").json()
    assert sorted(r["id"] for r in houses["items"]) == [1, 2]
    assert list(houses["fields"]) == ["address", "use", "rented"]
    assert all(set(r["values"]) <= {"address", "use", "rented"} for r in houses["items"])
    assert as_persona("zj").get("/api/registry/people/1").status_code == 404
    assert as_persona("zj").get("/api/registry/houses/2").json()["owner"] is None


def test_exact_search_by_id_number_and_phone_uses_the_blind_index(as_persona) -> None:
    street = as_persona("street")
    assert ids(street.get(f"/api/registry/people?id_number={P1_ID}")) == [1]
    assert ids(street.get(f"/api/registry/people?id_number={P1_ID.lower()[:-1]}1")) == [1]
    assert ids(street.get(f"/api/registry/people?phone={P2_PHONE}")) == [2]
    assert ids(street.get("/api/registry/people?phone=+86 139-2222-3333")) == [2]  # normalised first
    assert ids(street.get("/api/registry/places?phone=13544445555")) == [1]
    assert ids(as_persona("street2").get(f"/api/registry/people?id_number={P1_ID}")) == []  # out of scope
    assert ids(street.get("/api/registry/people?id_number=330203198001011232")) == []
    bad = street.get("/api/registry/people?id_number=33020319800101123")
    assert bad.status_code == 422 and bad.json()["field"] == "id_number" and "18位" in bad.json()["message"]
    assert street.get("/api/registry/people?phone=12345").json()["field"] == "phone"


def test_filters(as_persona) -> None:
    op = as_persona("operator")
    assert ids(op.get(f"/api/registry/people?area={S1}")) == [1, 2, 4]
    assert ids(op.get(f"/api/registry/people?grid={GRID_A}")) == [1, 4]
    assert ids(op.get("/api/registry/people?residency=floating")) == [2]
    assert ids(op.get("/api/registry/people?tag=low_income")) == [1]
    assert ids(op.get("/api/registry/people?name=张")) == [1, 4]
    assert ids(op.get("/api/registry/people?status=active")) == [1, 2, 3, 4]
    assert ids(op.get("/api/registry/places?kind=construction_site")) == [2]
    assert ids(op.get("/api/registry/houses?use=rental")) == [2]
    assert ids(op.get("/api/registry/vehicles?plate=浙BD")) == [2]
    assert op.get("/api/registry/people?residency=nomad").json()["field"] == "residency"
    assert op.get("/api/registry/houses?residency=floating").status_code == 422
    # an area or grid outside the scope answers 404 like a missing one
    assert as_persona("street").get(f"/api/registry/people?area={S2}").status_code == 404
    assert as_persona("grid_b").get(f"/api/registry/people?grid={GRID_A}").status_code == 404
    assert ids(as_persona("grid_a").get(f"/api/registry/people?area={S1}")) == [1, 4]


def test_keyset_pagination_and_capped_counts(as_persona) -> None:
    op = as_persona("operator")
    first = op.get("/api/registry/people?limit=3").json()
    assert [r["id"] for r in first["items"]] == [4, 3, 2] and first["total"] == 4 and not first["total_capped"]
    assert first["next_before"] == 2
    second = op.get(f"/api/registry/people?limit=3&before={first['next_before']}").json()
    assert [r["id"] for r in second["items"]] == [1] and second["next_before"] is None


def test_entity_detail_scoped_and_masked(as_persona) -> None:
    assert as_persona("grid_a").get("/api/registry/people/1").status_code == 200
    assert as_persona("grid_a").get("/api/registry/people/2").status_code == 404
    assert as_persona("street2").get("/api/registry/people/1").status_code == 404
    assert as_persona("street2").get("/api/registry/people/3").status_code == 200
    assert as_persona("street").get("/api/registry/people/999").status_code == 404
    resp = as_persona("community").get("/api/registry/people/1")
    no_plain_pii(resp.text)
    d = resp.json()
    fields = {f["field"]: f for f in d["fields"]}
    assert fields["phone"]["value"] == "138****2222" and fields["phone"]["masked"]
    assert not fields["phone"]["revealable"]  # a community worker has no pii.reveal
    assert d["community"]["name"] == "南裕社区" and d["grid"]["code"] == GRID_A
    assert d["address"]["href"] == "/gov/registry/addresses/2"
    titles = {h["title"] for h in d["houses"]}
    assert any("天童南路588号1幢" in t for t in titles)
    assert [v["title"] for v in d["vehicles"]] == ["浙B12345"]
    minor = as_persona("leader").get("/api/registry/people/4")
    no_plain_pii(minor.text)
    assert "2016-06-01" not in minor.text and "张小明" not in minor.text


def test_house_vehicle_place_pages(as_persona) -> None:
    house = as_persona("grid_a").get("/api/registry/houses/1").json()
    assert house["owner"]["title"] == "张三丰" and house["owner"]["href"] == "/gov/registry/people/1"
    assert sorted(r["id"] for r in house["residents"]) == [1, 4]
    assert "张**" in [r["title"] for r in house["residents"]]
    car = as_persona("street2").get("/api/registry/vehicles/2").json()
    assert car["title"] == "浙BD12345" and car["owner"]["href"] == "/gov/registry/people/3"
    assert as_persona("street2").get("/api/registry/vehicles/1").status_code == 404
    place = as_persona("grid_a").get("/api/registry/places/1")
    no_plain_pii(place.text)
    assert {f["field"]: f["value"] for f in place.json()["fields"]}["contact_phone"] == "135****5555"


def test_sensitive_tags_hidden_without_pii_reveal(as_persona, db) -> None:
    from zhili.db import transaction
    from zhili.registry.models import Person

    with transaction(db) as s:
        p = s.get(Person, 1)
        assert p is not None
        p.tags = ["low_income", "key_person"]
    row = next(r for r in as_persona("street").get("/api/registry/people").json()["items"] if r["id"] == 1)
    assert row["values"]["tags"] == "低保户" and row["hidden_tags"] == 1
    detail = as_persona("street").get("/api/registry/people/1").text
    assert "重点人员" not in detail and "另有 1 项敏感标签" in detail
    leader = as_persona("leader").get("/api/registry/people/1").json()
    assert {f["field"]: f["value"] for f in leader["fields"]}["tags"] == "低保户、重点人员"
    # searching by a sensitive tag is allowed (the right to the field), the rows still hide it
    assert ids(as_persona("street").get("/api/registry/people?tag=key_person")) == [1]


def test_conflicts_and_corrections_are_masked(as_persona, db) -> None:
    from zhili.db import transaction
    from zhili.kit import clock
    from zhili.registry.models import Conflict, Correction, EntityKind

    with transaction(db) as s:
        s.add(Conflict(kind=EntityKind.person, entity_id=1, field="phone", open=True, created_at=clock.now(),
                       values=[{"source": "公安", "value": P1_PHONE, "at": "2026-01-01"},
                               {"source": "民政", "value": "13899990000", "at": "2026-02-01"}]))
        s.add(Correction(kind=EntityKind.person, entity_id=1, field="phone", old_value="13899990000",
                         new_value=P1_PHONE, reason="上门核实", by_name="grid_a", at=clock.now()))
    resp = as_persona("grid_a").get("/api/registry/people/1")
    no_plain_pii(resp.text)
    d = resp.json()
    assert [v["value"] for v in d["conflicts"][0]["values"]] == ["138****2222", "138****0000"]
    assert d["corrections"][0]["old_value"] == "138****0000" and d["corrections"][0]["reason"] == "上门核实"
    # a department not owning the field sees neither
    zj = as_persona("zj").get("/api/registry/houses/1").json()
    assert zj["conflicts"] == [] and zj["corrections"] == []


def test_address_page(as_persona) -> None:
    door = as_persona("grid_a").get("/api/registry/addresses/1")
    assert door.status_code == 200
    d = door.json()
    assert [b["title"] for b in d["below"]] == ["588号1幢", "588号2幢", "588号3幢"]
    assert sorted(p["id"] for p in d["people"]) == [1, 4] and [h["id"] for h in d["houses"]] == [1]
    assert d["grid"]["code"] == GRID_A and d["street"]["code"] == S1
    no_plain_pii(door.text)
    assert as_persona("street2").get("/api/registry/addresses/1").status_code == 404
    assert as_persona("grid_b").get("/api/registry/addresses/1").status_code == 404
    assert as_persona("street").get("/api/registry/addresses/999").status_code == 404
    building = as_persona("street").get("/api/registry/addresses/2").json()
    assert building["parent"]["href"] == "/gov/registry/addresses/1" and building["level"] == "building"
    shop = as_persona("community").get("/api/registry/addresses/6").json()
    assert [p["title"] for p in shop["places"]] == ["南裕便利店"]


def test_pages_render(as_persona) -> None:
    c = as_persona("street")
    for url, text in (("/gov/registry", "张三丰"), ("/gov/registry?tab=houses", "天童南路588号1幢"),
                      ("/gov/registry?tab=vehicles", "浙B12345"), ("/gov/registry?tab=places", "南裕便利店"),
                      ("/gov/registry/people/1", "138****2222"), ("/gov/registry/houses/1", "张三丰"),
                      ("/gov/registry/vehicles/1", "大众朗逸"), ("/gov/registry/places/1", "赵店主"),
                      ("/gov/registry/addresses/1", "588号1幢")):
        resp = c.get(url)
        assert resp.status_code == 200, (url, resp.text[:300])
        assert text in resp.text, url
        no_plain_pii(resp.text)
    bad = c.get("/gov/registry?id_number=123")
    assert bad.status_code == 422 and "身份证号" in bad.text
    found = c.get(f"/gov/registry?id_number={P1_ID}")
    assert found.status_code == 200 and "张三丰" in found.text and P1_ID not in found.text
    assert c.get("/gov/registry/people/3").status_code == 404
    assert as_persona("resident").get("/gov/registry").status_code == 403
