"""The registry's value checks (pure): ID numbers, phones, plates, credit codes, names, dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from zhili.registry import validate as v
from zhili.registry.validate import InvalidValue

TODAY = date(2026, 11, 29)


def make_id(region: str, born: date, seq: int) -> str:
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def reason(fn, *args, **kw) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidValue) as exc:
        fn(*args, **kw)
    return exc.value.reason


regions = st.builds(lambda p, r: p + r, st.sampled_from(sorted(v.PROVINCE_CODES)),
                    st.integers(0, 9999).map(lambda n: f"{n:04d}"))
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)


@given(regions, births, st.integers(0, 999))
def test_every_well_formed_id_is_accepted_with_its_sex_and_birth(region: str, born: date, seq: int) -> None:
    number = make_id(region, born, seq)
    got = v.resident_id(number.lower(), today=TODAY)
    assert got.number == number
    assert got.birth_date == born
    assert got.sex == ("M" if seq % 2 else "F")


@given(regions, births, st.integers(0, 999), st.sampled_from("0123456789X"))
def test_any_other_check_character_is_refused(region: str, born: date, seq: int, wrong: str) -> None:
    number = make_id(region, born, seq)
    if wrong == number[-1]:
        return
    assert reason(v.resident_id, number[:-1] + wrong, today=TODAY) == "校验位错误"


def test_id_number_reasons() -> None:
    old = make_id("330203", date(1955, 3, 5), 123)  # county code renamed later: stdnum's birth place check refuses
    assert v.resident_id(old, today=TODAY).birth_date == date(1955, 3, 5)
    assert v.resident_id(" ３３０２０３" + old[6:] + " ", today=TODAY).number == old  # full-width digits, blanks
    body = "33020319800230123"  # 30 February
    assert reason(v.resident_id, body + ric.calc_check_digit(body + "0"), today=TODAY) == "出生日期不存在"
    future = make_id("330203", TODAY + timedelta(days=1), 12)
    assert reason(v.resident_id, future, today=TODAY) == "出生日期在未来"
    assert reason(v.resident_id, make_id("330203", date(1899, 12, 31), 12), today=TODAY) == "出生日期早于1900年"
    assert "18位" in reason(v.resident_id, "3302031980010112")
    assert "15位" in reason(v.resident_id, "330203800101123")
    assert "非法字符" in reason(v.resident_id, "33020319800101123A")
    assert "地址码" in reason(v.resident_id, make_id("990203", date(1980, 1, 1), 1))
    assert reason(v.resident_id, "") == "身份证号为空"


@given(st.sampled_from("3456789"), st.integers(0, 10**9 - 1),
       st.sampled_from(["{}", "+86{}", "+86 {}", "0086{}", "86{}", "{a} {b} {c}", "{a}-{b}-{c}"]))
def test_mobile_normalises_to_eleven_digits(second: str, rest: int, shape: str) -> None:
    number = f"1{second}{rest:09d}"
    text = shape.format(number, a=number[:3], b=number[3:7], c=number[7:])
    assert v.mobile(text) == number
    assert v.phone(text) == number


def test_phone_reasons() -> None:
    assert "号段" in reason(v.mobile, "12812345678")
    assert "11位" in reason(v.mobile, "1381234567")
    assert "非法字符" in reason(v.mobile, "138abc45678")
    assert v.landline("0574-87654321") == "0574-87654321"
    assert v.landline("(0574)87654321") == "0574-87654321"
    assert v.landline("010-1234567 转 801") == "010-1234567-801"
    assert v.phone("0574-8765432") == "0574-8765432"
    assert "固定电话" in reason(v.landline, "057487654321")
    assert "固定电话" in reason(v.phone, "0574-123")


@pytest.mark.parametrize(("text", "number", "kind"), [
    ("浙B12345", "浙B12345", "small"), ("浙 b·123 45", "浙B12345", "small"), ("浙BD12345", "浙BD12345", "new_energy"),
    ("浙BFA1234", "浙BFA1234", "new_energy"), ("浙B12345D", "浙B12345D", "new_energy"),
    ("浙B1234学", "浙B1234学", "coach"), ("浙A0001警", "浙A0001警", "police"), ("浙B1234挂", "浙B1234挂", "trailer"),
    ("粤Z1234港", "粤Z1234港", "hk"),
])
def test_plates_accepted(text: str, number: str, kind: str) -> None:
    assert v.plate(text) == v.Plate(number, kind)


@pytest.mark.parametrize(("text", "why"), [
    ("B12345", "省份简称"), ("浙112345", "发牌机关"), ("浙BX12345", "新能源"), ("浙B1234", "格式错误"),
    ("浙BO1234", "I和O"), ("", "为空"), ("浙B123456", "格式错误"),
])
def test_plates_refused(text: str, why: str) -> None:
    assert why in reason(v.plate, text)


def test_credit_code() -> None:
    assert v.credit_code("91330212ma2h3abc1k") == "91330212MA2H3ABC1K"
    assert v.credit_code("9133 0212 MA2H 3ABC 1K") == "91330212MA2H3ABC1K"
    assert reason(v.credit_code, "91330212MA2H3ABC1J") == "统一社会信用代码校验位错误"
    assert "18位" in reason(v.credit_code, "91330212")
    assert "格式错误" in reason(v.credit_code, "A1330212MA2H3ABC1K")


def test_names() -> None:
    assert v.person_name(" 张三 ") == "张三"
    assert v.person_name("买买提•艾力") == "买买提·艾力"
    assert v.person_name("𠮷田") == "𠮷田"  # a character outside the basic block
    assert "2-20" in reason(v.person_name, "张")
    assert "2-20" in reason(v.person_name, "张" * 21)
    assert "汉字" in reason(v.person_name, "Zhang San")
    assert "汉字" in reason(v.person_name, "·张三")
    assert "汉字" in reason(v.person_name, "张··三")


def test_dates() -> None:
    assert v.parse_date("1980-01-02") == date(1980, 1, 2)
    assert v.parse_date("1980年1月2日") == date(1980, 1, 2)
    assert v.parse_date(date(1980, 1, 2)) == date(1980, 1, 2)
    assert v.parse_date("02.01.1980", ["%d.%m.%Y"]) == date(1980, 1, 2)
    assert "不存在" in reason(v.parse_date, "2023-02-30")
    assert "无法识别" in reason(v.parse_date, "yesterday")
    assert "未来" in reason(v.parse_date, "2030-01-01", not_after=TODAY)
    assert "1900" in reason(v.parse_date, "1899-12-31")


def test_the_standards_own_example_passes_and_a_changed_check_character_fails() -> None:
    """GB 11643-1999's worked example (11010519491231002X): catches a check computed over the wrong digits."""
    parsed = v.resident_id("11010519491231002x", today=TODAY)
    assert (parsed.number, parsed.sex, parsed.birth_date.isoformat()) == ("11010519491231002X", "F", "1949-12-31")
    assert reason(v.resident_id, "110105194912310021", today=TODAY) == "校验位错误"
