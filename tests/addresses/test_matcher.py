"""The matcher on a hand-made gazetteer (no database): ambiguity, other provinces, suffix splitting."""

from __future__ import annotations

from zhili.addresses.matcher import AddressEntry, AreaEntry, Gazetteer, RoadEntry

AREAS = [AreaEntry(1, "330200000000", "宁波市", "宁波", "city", None),
         AreaEntry(2, "330212000000", "鄞州区", "鄞州区", "district", 1),
         AreaEntry(3, "330212006000", "首南街道", "首南", "street", 2),
         AreaEntry(4, "330212006001", "学府社区居委会", "学府社区", "community", 3)]
ROADS = [RoadEntry(10, "兴宁路", (), 2, frozenset({3, 4})), RoadEntry(11, "兴宇路", (), 2, frozenset({3, 4}))]
ADDRS = [AddressEntry(100, 10, 5, "", "", "", "", 4, 121.5, 29.8, "宁波市鄞州区首南街道兴宁路5号"),
         AddressEntry(101, 11, 5, "", "", "", "", 4, 121.6, 29.9, "宁波市鄞州区首南街道兴宇路5号")]
GAZ = Gazetteer(AREAS, ROADS, ADDRS)


def test_two_equally_likely_addresses_are_not_guessed() -> None:
    m = GAZ.match("兴字路5号")  # one character off both 兴宁路 and 兴宇路
    assert not m.matched and m.lon is None
    assert "多个可能的地址" in m.message and "请在地图上标点" in m.message


def test_exact_names_win_over_near_ones() -> None:
    m = GAZ.match("兴宇路5号")
    assert m.matched and m.address is not None and m.address.id == 101


def test_another_province_or_city_is_refused() -> None:
    for text in ("江苏省南京市兴宁路5号", "杭州市兴宁路5号", "海曙区兴宁路5号"):
        m = GAZ.match(text)
        assert not m.matched and "不在本平台辖区" in m.message, text
    assert GAZ.match("浙江省宁波市鄞州区兴宁路5号").matched


def test_community_abbreviations_and_committee_names_are_understood() -> None:
    for text in ("学府兴宁路5号", "学府社区兴宁路5号", "学府社区居委会兴宁路5号", "鄞州首南学府兴宁路5号"):
        m = GAZ.match(text)
        assert m.matched and m.community_id == 4 and m.street_id == 3, text
