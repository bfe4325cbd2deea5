"""The demo's roads and standard addresses (pure plan over the generated geography; no database)."""

from __future__ import annotations

from collections import Counter

import pytest
from shapely.geometry import Point

from zhili.demo.addresses import plan_addresses
from zhili.demo.geography import build_geography


@pytest.fixture(scope="module")
def plan():  # type: ignore[no-untyped-def]
    geo = build_geography(seed=2026, scale="district")
    return geo, plan_addresses(geo, 2026)


def test_district_scale_has_tens_of_thousands_of_addresses_on_real_roads(plan) -> None:  # type: ignore[no-untyped-def]
    _, (roads, doors) = plan
    total = len(doors) + sum(len(kids) for _, kids in doors)
    assert 10_000 <= total <= 30_000
    assert {"天童南路", "四明中路", "首南中路", "钱湖北路", "宁南南路", "日丽中路", "鄞州大道", "中山东路"} <= set(roads)
    assert len(roads) == len(set(roads)) >= 100


def test_the_issue_example_lies_in_shounan_with_buildings(plan) -> None:  # type: ignore[no-untyped-def]
    _, (_, doors) = plan
    door, kids = next((d, k) for d, k in doors if d.road == "天童南路" and d.number == 588)
    assert door.community_code.startswith("330212006")  # 首南街道
    assert [k.building for k in kids][:3] == ["1", "2", "3"]


def test_every_point_lies_in_a_micro_grid_of_its_community(plan) -> None:  # type: ignore[no-untyped-def]
    geo, (_, doors) = plan
    micro = {m.code: m for m in geo.micro_grids}
    for door, kids in doors[::50]:
        for a in [door, *kids]:
            assert a.micro_code[:12] == a.community_code  # micro code = community + grid seq + micro seq
            assert micro[a.micro_code].geom.covers(Point(a.lon, a.lat))


def test_odd_and_even_numbers_face_each_other_and_are_unique(plan) -> None:  # type: ignore[no-untyped-def]
    _, (_, doors) = plan
    keys = Counter((d.road, d.number) for d, _ in doors)
    assert max(keys.values()) == 1
    by_road: dict[str, list[int]] = {}
    for d, _ in doors:
        by_road.setdefault(d.road, []).append(d.number)
    assert all(any(n % 2 for n in ns) and any(n % 2 == 0 for n in ns) for ns in by_road.values() if len(ns) > 20)


def test_the_plan_is_deterministic(plan) -> None:  # type: ignore[no-untyped-def]
    geo, first = plan
    assert plan_addresses(geo, 2026) == first
    assert plan_addresses(geo, 7) != first
