"""resolve() against the test world's roads and standard addresses (tests/addresses/world.py), both databases."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.addresses.world import TIANTONG_588
from tests.factories import World
from tests.matrix_common import C1, C2, GRID_A, GRID_B, GRID_C, S1
from zhili.addresses import repository, service
from zhili.addresses.schemas import AddressMatch
from zhili.db import transaction
from zhili.kit.errors import ValidationFailed


def resolve(db: sessionmaker[Session], text: str) -> AddressMatch:
    with transaction(db) as s:
        return service.resolve(s, text, refresh_seconds=0)


def test_the_issue_example_resolves_to_building_grid_and_point(db, world: World) -> None:
    m = resolve(db, "鄞州区首南街道天童南路588号3幢2单元")
    assert m.matched and m.level == "building" and m.confidence == 1.0
    assert (m.street_code, m.community_code, m.grid_code) == (S1, C1, GRID_A)
    assert (m.lon, m.lat) == (121.506, 29.808)  # building 3, not the door plate
    assert m.normalized == "宁波市鄞州区首南街道天童南路588号3幢2单元"  # the unit is kept though not registered
    assert m.micro_grid_code is not None and m.micro_grid_code.startswith(GRID_A)


def test_missing_levels_are_tolerated(db, world: World) -> None:
    m = resolve(db, "天童南路588号")
    assert m.matched and m.level == "number" and m.standard_address_id == TIANTONG_588
    assert (m.lon, m.lat, m.grid_code) == (121.505, 29.81, GRID_A)


def test_abbreviated_street_names(db, world: World) -> None:
    for text in ("首南天童南路588号", "鄞州首南天童南路588号", "首南街道天童南路588号", "宁波鄞州区首南天童南路588号"):
        m = resolve(db, text)
        assert m.matched and m.standard_address_id == TIANTONG_588 and m.street_code == S1, text


def test_a_typo_in_the_road_still_matches_with_less_confidence(db, world: World) -> None:
    exact = resolve(db, "天童南路588号")
    typo = resolve(db, "天童男路588号")
    assert typo.matched and typo.standard_address_id == TIANTONG_588 and typo.grid_code == GRID_A
    assert typo.confidence < exact.confidence
    backed = resolve(db, "首南街道天童男路588号")  # the street confirms the corrected road
    assert typo.confidence < backed.confidence < 1


def test_chinese_numerals_and_full_width_digits(db, world: World) -> None:
    for text in ("天童南路五百八十八号三幢", "天童南路５８８号３幢", "天童南路588号三号楼"):
        m = resolve(db, text)
        assert m.matched and m.level == "building" and (m.lon, m.lat) == (121.506, 29.808), text


def test_a_road_in_the_wrong_street_lowers_confidence_below_a_guess(db, world: World) -> None:
    right = resolve(db, "首南街道天童南路588号")
    wrong = resolve(db, "下应街道天童南路588号")
    assert wrong.confidence < right.confidence
    assert not wrong.matched and wrong.lon is None and wrong.lat is None and wrong.grid_code is None
    assert "请在地图上标点" in wrong.message and "街道" in wrong.message


def test_the_same_number_on_another_road_and_aliases(db, world: World) -> None:
    m = resolve(db, "钱湖北路588号")
    assert m.matched and (m.street_code, m.community_code, m.grid_code) == ("330212001000", C2, GRID_C)
    assert resolve(db, "天童南路590号").grid_code == GRID_B
    alias = resolve(db, "首南路100号")
    assert alias.matched and alias.normalized.endswith("首南中路100号")


def test_garbage_and_outside_addresses_ask_for_a_pin(db, world: World) -> None:
    for text in ("随便写点什么", "asdf1234", "杭州市西湖区文三路100号", "上海市黄浦区南京东路1号", "北京路88号", "   ", ""):
        m = resolve(db, text)
        assert not m.matched and m.lon is None and m.lat is None and m.grid_code is None, text
        assert m.standard_address_id is None and "请在地图上标点" in m.message, text


def test_partial_addresses_give_what_is_known_and_no_point(db, world: World) -> None:
    m = resolve(db, "天童南路9999号")
    assert not m.matched and m.level == "road" and m.lon is None
    assert m.street_code == S1 and "没有9999号" in m.message  # the road runs through 首南 only
    street = resolve(db, "首南街道")
    assert not street.matched and street.level == "street" and street.street_code == S1 and street.lon is None


def test_an_unknown_building_falls_back_to_the_door_plate(db, world: World) -> None:
    m = resolve(db, "天童南路588号9幢")
    assert m.matched and m.level == "number" and m.standard_address_id == TIANTONG_588
    assert "未找到9幢" in m.message


def test_a_new_address_is_found_without_a_restart(db, world: World) -> None:
    assert not resolve(db, "天童南路600号").matched
    with transaction(db) as s:
        road = repository.road_by_name(s, world.areas["district"].id, "天童南路")
        assert road is not None
        service.add_address(s, road, number=600, lon=121.52, lat=29.835)
    m = resolve(db, "天童南路600号")
    assert m.matched and m.grid_code == GRID_B and m.community_code == C1


def test_adding_addresses_checks_place_levels_and_duplicates(db, world: World) -> None:
    with transaction(db) as s:
        road = service.add_road(s, district_id=world.areas["district"].id, name="学府路")
        with pytest.raises(ValidationFailed) as outside:
            service.add_address(s, road, number=1, lon=121.55, lat=29.82)  # 学府社区 has no grid
        assert outside.value.field == "lon"
        door = service.add_address(s, road, number=1, lon=121.51, lat=29.83)
        assert door.full_text == "宁波市鄞州区首南街道学府路1号" and door.area_id == world.areas["c1"].id
        with pytest.raises(ValidationFailed):
            service.add_address(s, road, number=1, lon=121.51, lat=29.83)
        with pytest.raises(ValidationFailed):
            service.add_address(s, road, number=1, unit="2", lon=121.51, lat=29.83)
        building = service.add_address(s, road, number=1, building="2", lon=121.511, lat=29.831)
        assert building.parent_id == door.id and building.level == "building"
        with pytest.raises(ValidationFailed):
            service.add_road(s, district_id=world.areas["district"].id, name="学府路")
    assert resolve(db, "学府路1号2幢").matched


def test_address_by_id_names_its_places(db, world: World) -> None:
    with transaction(db) as s:
        a = service.address_by_id(s, TIANTONG_588, refresh_seconds=0)
        assert service.address_by_id(s, 99999) is None
    assert a is not None and a.road_name == "天童南路" and a.number == 588 and a.level == "number"
    assert (a.street_name, a.community_code, a.grid_code) == ("首南街道", C1, GRID_A)
