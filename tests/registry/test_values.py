"""Reading and writing an entity's field by name (registry/values.py) on the test world."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from stdnum.cn import ric

from tests.factories import World
from zhili.db import transaction
from zhili.kit.crypto import blind_index
from zhili.kit.errors import ValidationFailed
from zhili.registry import values
from zhili.registry.models import EntityKind, House, Household, HouseUse, Person, Place, PlaceKind, Vehicle

AT = datetime(2026, 11, 29, 8, 30, tzinfo=UTC)
P = EntityKind.person


def _id(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def test_field_value_reads_every_kind_as_text(db: sessionmaker[Session], world: World) -> None:
    with transaction(db) as s:
        p = s.get(Person, 1)
        assert values.field_value(s, P, p, "name") == "张三丰"
        assert values.field_value(s, P, p, "id_number") == "330203198001011231"
        assert values.field_value(s, P, p, "sex") == "男"
        assert values.field_value(s, P, p, "birth_date") == "1980-01-01"
        assert values.field_value(s, P, p, "residency") == "户籍人口"
        assert values.field_value(s, P, p, "address") == "宁波市鄞州区首南街道天童南路588号1幢"
        assert values.field_value(s, P, p, "tags") == "低保户"
        assert values.field_value(s, P, p, "household") is None
        assert values.field_value(s, P, p, "work_place") is None
        house = s.get(House, 1)
        assert values.field_value(s, EntityKind.house, house, "owner") == "张三丰(#1)"
        assert values.field_value(s, EntityKind.house, house, "use") == "住宅"
        assert values.field_value(s, EntityKind.house, house, "floor_area") == "89.5"
        assert values.field_value(s, EntityKind.house, house, "rented") == "否"
        assert values.field_value(s, EntityKind.vehicle, s.get(Vehicle, 1), "plate") == "浙B12345"
        assert values.field_value(s, EntityKind.place, s.get(Place, 2), "kind") == "建筑工地"
        with pytest.raises(KeyError):
            values.field_value(s, P, p, "plate")


def test_apply_id_number_sets_index_sex_birth_and_provenance(db: sessionmaker[Session], world: World) -> None:
    new = _id("33021219920315222")
    with transaction(db) as s:
        p = s.get(Person, 2)
        values.apply(s, P, p, "id_number", new, source="公安", at=AT, confirmed=True)
    with transaction(db) as s:
        p = s.get(Person, 2)
        assert p.id_number == new and p.id_number_bidx == blind_index(new)
        assert (p.sex, p.birth_date) == ("F", date(1992, 3, 15))
        assert p.provenance["id_number"] == ["公安", AT.isoformat()]
        assert p.provenance["birth_date"][0] == "公安"
        assert p.confirmed["id_number"] == "2026-11-29"
        assert s.scalar(select(Person.id).where(Person.id_number_bidx == blind_index(new.lower()))) == 2


def test_apply_refuses_bad_values_and_writes_nothing(db: sessionmaker[Session], world: World) -> None:
    bad = _id("33020319800101123")[:-1] + ("0" if _id("33020319800101123")[-1] != "0" else "1")
    cases = [
        ("id_number", bad, "校验位错误"),
        ("id_number", "330203199011203450", "另一人"),  # person 2's number, given to person 1
        ("phone", "12345", "手机号"),
        ("name", "", "不能为空"),
        ("tags", "独居老人、火星人", "火星人"),
        ("address", "火星路1号", "标准地址"),
        ("residency", "外星", "无效"),
    ]
    for field, value, why in cases:
        with pytest.raises(ValidationFailed) as exc, transaction(db) as s:
            values.apply(s, P, s.get(Person, 1), field, value, source="民政", at=AT)
        assert exc.value.field == field and why in exc.value.message, (field, exc.value.message)
    with transaction(db) as s:
        p = s.get(Person, 1)
        assert (p.name, p.phone, p.tags, p.address_id, p.provenance) == ("张三丰", "13811112222", ["low_income"], 2,
                                                                         {})


def test_apply_address_moves_the_entity_to_the_address_grid(db: sessionmaker[Session], world: World) -> None:
    with transaction(db) as s:
        p = s.get(Person, 1)
        values.apply(s, P, p, "address", "钱湖北路588号", source="网格核查", at=AT)
        values.apply(s, P, p, "phone", "+86 139-0000-1111", source="网格核查", at=AT)
        values.apply(s, P, p, "tags", ["独居老人", "veteran"], source="民政", at=AT)
        values.apply(s, P, p, "household", "H0001", source="公安", at=AT)
    with transaction(db) as s:
        p = s.get(Person, 1)
        assert p.address_id == 7 and p.grid_id == world.grids["c"].id
        assert p.area_path == world.areas["c2"].path
        assert p.phone == "13900001111" and p.phone_bidx == blind_index("13900001111")
        assert p.tags == ["elderly_alone", "veteran"]
        hh = s.get(Household, p.household_id)
        assert hh.number == "H0001" and hh.address_id == 7
        assert values.field_value(s, P, p, "tags") == "独居老人、退役军人"
        assert set(p.provenance) == {"address", "phone", "tags", "household"}


def test_apply_on_houses_vehicles_places(db: sessionmaker[Session], world: World) -> None:
    with transaction(db) as s:
        h = s.get(House, 1)
        values.apply(s, EntityKind.house, h, "owner", "330203199011203450", source="自然资源", at=AT)
        values.apply(s, EntityKind.house, h, "use", "出租房", source="住建", at=AT)
        values.apply(s, EntityKind.house, h, "floor_area", "102.5㎡", source="住建", at=AT)
        values.apply(s, EntityKind.house, h, "rented", "是", source="住建", at=AT)
        with pytest.raises(ValidationFailed, match="另一房屋"):
            values.apply(s, EntityKind.house, h, "address", "钱湖北路588号", source="住建", at=AT)
        veh = s.get(Vehicle, 1)
        values.apply(s, EntityKind.vehicle, veh, "plate", "浙b 54321", source="公安", at=AT)
        values.apply(s, EntityKind.vehicle, veh, "owner", "王五常(#3)", source="公安", at=AT)
        with pytest.raises(ValidationFailed, match="另一辆车"):
            values.apply(s, EntityKind.vehicle, veh, "plate", "浙BD12345", source="公安", at=AT)
        place = s.get(Place, 2)
        values.apply(s, EntityKind.place, place, "kind", "餐饮", source="市监", at=AT)
        values.apply(s, EntityKind.place, place, "contact_phone", "0574-87654321", source="市监", at=AT)
        with pytest.raises(ValidationFailed, match="另一场所"):
            values.apply(s, EntityKind.place, place, "credit_code", "91330212ma2h3abc1k", source="市监", at=AT)
    with transaction(db) as s:
        h = s.get(House, 1)
        assert (h.owner_person_id, h.use, h.floor_area, h.rented) == (2, HouseUse.rental, 102.5, True)
        veh = s.get(Vehicle, 1)
        assert (veh.plate, veh.owner_person_id) == ("浙B54321", 3)
        place = s.get(Place, 2)
        assert place.kind == PlaceKind.restaurant and place.contact_phone == "0574-87654321"
        assert place.credit_code is None
