"""registry/present.py: what a viewer sees of an entity, without a database."""

from __future__ import annotations

from datetime import date

from zhili.auth.actor import Actor
from zhili.registry.models import EntityKind, House, HouseUse, Person, Place, PlaceKind, Residency, Vehicle
from zhili.registry.present import age_on, mask_value, person_name, present, tags_shown
from zhili.registry.repository import Scope

TODAY = date(2026, 11, 20)
PERSON_FIELDS = ["name", "id_number", "sex", "birth_date", "phone", "residency", "address", "household",
                 "household_relation", "tags", "ethnicity", "work_place", "status"]


def scope(*perms: str, areas: tuple[str, ...] = ("/330200000000/",), depts: frozenset[str] = frozenset()) -> Scope:
    actor = Actor(user_id=1, username="u", display_name="u", permissions=frozenset(perms), area_paths=areas)
    return Scope(actor=actor, area_paths=areas, grid_ids=frozenset(), department_codes=depts)


def adult(**over: object) -> Person:
    values: dict[str, object] = dict(
        id=1, name="张三丰", id_number="330203198001011231", phone="13811112222", sex="M",
        birth_date=date(1980, 1, 1), residency=Residency.registered, tags=["low_income"], ethnicity="汉",
        work_place="", household_relation="户主", status="active",
        provenance={"name": ["公安", "2026-10-01T08:00:00+00:00"], "phone": ["民政", "2026-09-01T08:00:00+00:00"]},
        confirmed={"phone": "2026-09-15", "name": "2025-01-10"})
    values.update(over)
    return Person(**values)


def test_personal_fields_are_masked_for_everyone_and_revealable_only_with_the_right() -> None:
    v = present(adult(), EntityKind.person, scope("registry.read"), TODAY, refs={"address": "天童南路588号1幢"})
    assert [f.field for f in v.fields] == PERSON_FIELDS
    assert v.value("id_number") == "3***************31"
    assert v.value("phone") == "138****2222"
    assert v.value("name") == "张三丰" and v.title == "张三丰"
    assert v.value("birth_date") == "1980-01-01" and v.value("sex") == "男" and v.value("residency") == "户籍人口"
    assert v.value("address") == "天童南路588号1幢"
    by = {f.field: f for f in v.fields}
    assert by["id_number"].masked and not by["id_number"].revealable
    assert not by["name"].masked
    leader = present(adult(), EntityKind.person, scope("registry.read", "pii.reveal"), TODAY)
    lby = {f.field: f for f in leader.fields}
    assert lby["id_number"].value == "3***************31" and lby["id_number"].revealable
    assert lby["phone"].revealable and not lby["name"].revealable


def test_provenance_and_freshness_per_field() -> None:
    by = {f.field: f for f in present(adult(), EntityKind.person, scope("registry.read"), TODAY).fields}
    assert (by["name"].source, by["name"].at) == ("公安", "2026-10-01T08:00:00+00:00")
    assert by["phone"].source == "民政" and by["phone"].confirmed == "2026-09-15" and by["phone"].fresh
    assert by["name"].confirmed == "2025-01-10" and not by["name"].fresh  # 22 months ago: stale at 6
    assert by["sex"].source is None and by["sex"].confirmed is None and not by["sex"].fresh
    assert {f.field: f for f in present(adult(), EntityKind.person, scope("registry.read"), TODAY,
                                        stale_months=24).fields}["name"].fresh


def test_a_minor_is_masked_for_everyone_even_a_revealer() -> None:
    minor = adult(id=4, name="张小明", id_number="330212201606014524", phone=None, sex="F",
                  birth_date=date(2016, 6, 1), tags=[])
    for s in (scope("registry.read"), scope("registry.read", "pii.reveal")):
        v = present(minor, EntityKind.person, s, TODAY)
        assert v.minor and v.title == "张**"
        assert v.value("name") == "张**" and v.value("birth_date") == "2016年"
        assert v.value("id_number") == "3***************24" and v.value("phone") == ""
        assert "2016-06-01" not in str(v) and "330212201606014524" not in str(v)
    by = {f.field: f for f in present(minor, EntityKind.person, scope("registry.read", "pii.reveal"), TODAY).fields}
    assert by["name"].revealable and by["birth_date"].revealable
    assert person_name("张小明", date(2016, 6, 1), TODAY) == "张**"
    assert person_name("张小明", date(2012, 11, 20), TODAY) == "张小明"  # 14 today: no longer a minor
    assert person_name("张小明", date(2012, 11, 21), TODAY) == "张**"
    assert age_on(date(2012, 11, 21), TODAY) == 13


def test_sensitive_tags_are_hidden_without_pii_reveal() -> None:
    p = adult(tags=["low_income", "key_person", "mental_illness"])
    v = present(p, EntityKind.person, scope("registry.read"), TODAY)
    tags = next(f for f in v.fields if f.field == "tags")
    assert tags.value == "低保户" and tags.note == "另有 2 项敏感标签" and v.hidden_tags == 2
    assert "重点人员" not in str(v) and "key_person" not in str(v)
    leader = present(p, EntityKind.person, scope("registry.read", "pii.reveal"), TODAY)
    assert leader.value("tags") == "低保户、重点人员、严重精神障碍患者" and leader.hidden_tags == 0
    assert tags_shown(["drug_rehab"], False) == ("", 1)


def test_a_department_sees_only_the_fields_it_owns() -> None:
    ga = scope("registry.read", areas=(), depts=frozenset({"GA"}))
    v = present(adult(), EntityKind.person, ga, TODAY)
    assert "tags" not in [f.field for f in v.fields] and "name" in [f.field for f in v.fields]
    mz = present(adult(), EntityKind.person, scope("registry.read", areas=(), depts=frozenset({"MZ"})), TODAY)
    assert [f.field for f in mz.fields] == ["tags"] and mz.title == "人口 #1"
    assert present(adult(), EntityKind.person, scope(), TODAY).fields == []  # no registry.read: nothing
    house = House(id=2, use=HouseUse.rental, floor_area=120.0, owner_person_id=3, rented=True, provenance={},
                  confirmed={})
    zj = present(house, EntityKind.house, scope("registry.read", areas=(), depts=frozenset({"ZJ"})), TODAY,
                 refs={"address": "钱湖北路588号", "owner": "王五常"})
    assert [f.field for f in zj.fields] == ["address", "use", "rented"]
    assert zj.value("use") == "出租房" and zj.value("rented") == "是" and zj.title == "钱湖北路588号"
    assert "王五常" not in str(zj)


def test_houses_vehicles_places_display() -> None:
    s = scope("registry.read")
    house = present(House(id=1, use=HouseUse.residential, floor_area=89.5, rented=False, provenance={},
                          confirmed={}), EntityKind.house, s, TODAY, refs={"owner": "张三丰", "address": "x"})
    assert house.value("floor_area") == "89.5" and house.value("owner") == "张三丰" and house.value("rented") == "否"
    car = present(Vehicle(id=2, plate="浙BD12345", plate_kind="new_energy", brand="比亚迪", color="蓝", provenance={},
                          confirmed={}), EntityKind.vehicle, s, TODAY)
    assert car.title == "浙BD12345" and car.value("plate_kind") == "新能源汽车"
    shop = present(Place(id=1, name="南裕便利店", kind=PlaceKind.shop, contact_name="赵店主",
                         contact_phone="13544445555", tags=["九小场所"], provenance={}, confirmed={}),
                   EntityKind.place, s, TODAY)
    assert shop.value("contact_phone") == "135****5555" and shop.value("kind") == "沿街商铺"
    assert shop.value("tags") == "九小场所" and "13544445555" not in str(shop)


def test_mask_value_for_conflicts_and_history() -> None:
    assert mask_value(EntityKind.person, "phone", "13922223333") == "139****3333"
    assert mask_value(EntityKind.person, "name", "李四光") == "李四光"
    assert mask_value(EntityKind.person, "name", "李四光", minor=True) == "李**"
    assert mask_value(EntityKind.person, "birth_date", "2016-06-01", minor=True) == "2016年"
    assert mask_value(EntityKind.person, "residency", "floating") == "流动人口"
    assert mask_value(EntityKind.person, "phone", None) == ""
