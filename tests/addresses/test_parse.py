"""The pure parser: levels by suffix, normalisation of digits, numerals and building words."""

from __future__ import annotations

from zhili.addresses.parse import cn_to_int, normalize, parse, strip_suffix


def test_the_issue_example_splits_into_every_level() -> None:
    p = parse("浙江省宁波市鄞州区首南街道学府社区天童南路588号3幢2单元301室")
    assert (p.province, p.city, p.district, p.street, p.community, p.road) == (
        "浙江省", "宁波市", "鄞州区", "首南街道", "学府社区", "天童南路")
    assert (p.number, p.building, p.unit, p.room) == (588, "3", "2", "301")


def test_missing_levels_stay_empty() -> None:
    p = parse("天童南路588号")
    assert p.district is None and p.street is None and p.community is None
    assert (p.road, p.number, p.building) == ("天童南路", 588, None)


def test_chinese_numerals_and_full_width_digits_become_digits() -> None:
    assert parse("天童南路五百八十八号三幢十二单元二〇一室").normalized == "天童南路588号3幢12单元201室"
    assert parse("天童南路５８８号３栋").normalized == "天童南路588号3幢"
    assert cn_to_int("十二") == 12 and cn_to_int("二〇一") == 201 and cn_to_int("五百零八") == 508


def test_building_words_are_one_word_but_a_floor_is_not_a_building() -> None:
    for text in ("588号3栋", "588号3号楼", "588号3座", "588号三幢"):
        assert parse("天童南路" + text).building == "3", text
    assert normalize("天童南路588号3楼") == "天童南路588号3楼"
    assert parse("鄞州大道1000-2号A座").number_suffix == "-2"


def test_unsuffixed_names_stay_with_the_road_for_the_matcher() -> None:
    p = parse("首南天童南路588号")
    assert p.street is None and p.road == "首南天童南路"


def test_a_road_named_after_a_village_is_a_road() -> None:
    p = parse("东村路12号")
    assert p.community is None and p.road == "东村路"


def test_suffixes_are_stripped_for_abbreviations() -> None:
    assert strip_suffix("首南街道", ("街道", "镇")) == "首南"
    assert strip_suffix("东兴社区", ("社区",)) == "东兴"
    assert strip_suffix("镇", ("镇",)) == "镇"


def test_noise_after_the_address_is_kept_apart() -> None:
    p = parse("天童南路588号门口，垃圾没人清理")
    assert p.number == 588 and p.tail.startswith("门口")
