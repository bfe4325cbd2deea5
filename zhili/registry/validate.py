"""Checks of the registry's values: resident ID numbers, mobile and landline numbers, plates, unified social credit
codes, names and dates. Pure: no database.

Each check takes what a source or a form gave (text, or a date cell), returns the normalised value and raises
`InvalidValue` with a short Chinese reason ("校验位错误", "出生日期不存在" ...) otherwise. The same value always
normalises to the same text, so blind indexes of ID and phone numbers match across sources.

Resident ID numbers (GB 11643-1999): 18 characters, a valid province prefix, a real birth date between 1900 and
today, and the ISO 7064 MOD 11-2 check character (`stdnum.cn.ric.calc_check_digit`). The birth place is not
checked against the county code table: stdnum compares the county code's years of validity with the birth year and
refuses older people whose county was renamed later (330203 born 1955).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError


class InvalidValue(ValueError):
    """A value that fails its check; `reason` is the Chinese reason shown in reports and forms."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# First two digits of a resident ID number: the province (GB/T 2260).
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
    "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83", "91",
})
EARLIEST_BIRTH = date(1900, 1, 1)


def _text(value: object) -> str:
    """Full-width characters folded (NFKC: １３８ -> 138, Ｘ -> X), surrounding blanks removed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


# ---- resident ID number -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ResidentId:
    number: str  # 18 characters, final X upper case
    sex: str  # "M" (17th digit odd) / "F" (even)
    birth_date: date


def resident_id(value: object, *, today: date | None = None) -> ResidentId:
    """A GB 11643 resident ID number: normalised, with the sex and birth date it encodes."""
    number = re.sub(r"[\s-]", "", _text(value)).upper()
    if not number:
        raise InvalidValue("身份证号为空")
    if len(number) == 15 and number.isdigit():
        raise InvalidValue("应为18位身份证号（15位旧号码请换成18位）")
    if len(number) != 18:
        raise InvalidValue(f"身份证号应为18位（现为{len(number)}位）")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidValue("身份证号含有非法字符（前17位应为数字，末位为数字或X）")
    if number[:2] not in PROVINCE_CODES:
        raise InvalidValue("地址码无效（前两位不是省级行政区划代码）")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidValue("出生日期不存在") from None
    if born < EARLIEST_BIRTH:
        raise InvalidValue("出生日期早于1900年")
    if born > (today or date.today()):
        raise InvalidValue("出生日期在未来")
    if ric.calc_check_digit(number) != number[17]:  # stdnum reads the first 17 of the 18
        raise InvalidValue("校验位错误")
    return ResidentId(number, "M" if int(number[16]) % 2 else "F", born)


# ---- phone numbers ------------------------------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"(0\d{2,3})-(\d{7,8})(?:(?:-|转|ext\.?|x)(\d{1,6}))?", re.IGNORECASE)


def mobile(value: object) -> str:
    """A mainland mobile number: +86 / 0086, spaces, dashes and brackets removed; 11 digits 1[3-9]xxxxxxxxx."""
    digits = re.sub(r"[\s\-()]", "", _text(value))
    if not digits:
        raise InvalidValue("手机号为空")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if not digits.isdigit():
        raise InvalidValue("手机号含有非法字符")
    if len(digits) != 11:
        raise InvalidValue(f"手机号应为11位（现为{len(digits)}位）")
    if not _MOBILE.fullmatch(digits):
        raise InvalidValue("手机号号段无效（应以13-19开头）")
    return digits


def landline(value: object) -> str:
    """A landline: area code 0xx(x) - 7 or 8 digits, optional extension; normalised to 0574-87654321[-123]."""
    text = re.sub(r"\s", "", _text(value))
    if text.startswith("+86"):
        text = "0" + text[3:].lstrip("-")
    text = re.sub(r"^\((0\d{2,3})\)-?", r"\1-", text)
    m = _LANDLINE.fullmatch(text)
    if m is None:
        raise InvalidValue("固定电话格式错误（应为 区号-号码，如 0574-87654321）")
    return f"{m.group(1)}-{m.group(2)}" + (f"-{m.group(3)}" if m.group(3) else "")


def phone(value: object) -> str:
    """A contact number: a mobile, else a landline."""
    try:
        return mobile(value)
    except InvalidValue as first:
        text = _text(value)
        if text.startswith("0") and not text.startswith("0086"):
            try:
                return landline(value)
            except InvalidValue:
                raise InvalidValue("不是有效的手机号或固定电话（如 13812345678、0574-87654321）") from None
        raise first


# ---- plates -------------------------------------------------------------------------------------------------

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
SUFFIXES = {"学": "coach", "警": "police", "挂": "trailer", "领": "consulate", "使": "embassy", "港": "hk", "澳": "macao"}
_SERIAL = "[A-HJ-NP-Z0-9]"  # letters I and O are not used (they look like 1 and 0)
_PLATE = re.compile(rf"([{PROVINCES}])([A-Z])({_SERIAL}{{5}})")
_PLATE_NEW_SMALL = re.compile(rf"([{PROVINCES}])([A-Z])([DF]{_SERIAL}\d{{4}})")
_PLATE_NEW_LARGE = re.compile(rf"([{PROVINCES}])([A-Z])(\d{{5}}[DF])")
_PLATE_SUFFIX = re.compile(rf"([{PROVINCES}])([A-Z])({_SERIAL}{{4}})([{''.join(SUFFIXES)}])")


@dataclass(frozen=True)
class Plate:
    number: str  # 浙B12345, 浙BD12345, 浙B1234学
    kind: str  # small / new_energy / coach / police / trailer / consulate / embassy / hk / macao


def plate(value: object) -> Plate:
    """A mainland plate: province + issuing letter + 5 characters; new-energy 6 (D/F first for small cars, last
    for large ones); or 4 characters and a 学/警/挂/领/使/港/澳 suffix. Upper case, no spaces or dots."""
    text = re.sub(r"[\s·.\-]", "", _text(value)).upper()
    if not text:
        raise InvalidValue("号牌号码为空")
    if text[0] not in PROVINCES:
        raise InvalidValue("号牌首字应为省份简称（如 浙）")
    if len(text) < 2 or not ("A" <= text[1] <= "Z"):
        raise InvalidValue("号牌第2位应为发牌机关字母")
    if _PLATE_NEW_SMALL.fullmatch(text) or _PLATE_NEW_LARGE.fullmatch(text):
        return Plate(text, "new_energy")
    if _PLATE.fullmatch(text):
        return Plate(text, "small")
    m = _PLATE_SUFFIX.fullmatch(text)
    if m:
        return Plate(text, SUFFIXES[m.group(4)])
    if len(text) == 8:
        raise InvalidValue("新能源号牌格式错误（小型车第3位为D或F，大型车末位为D或F）")
    if any(c in "IO" for c in text[2:]):
        raise InvalidValue("号牌不使用字母I和O")
    raise InvalidValue("号牌号码格式错误（如 浙B12345、浙BD12345）")


# ---- unified social credit code ------------------------------------------------------------------------------

def credit_code(value: object) -> str:
    """A unified social credit code (GB 32100): 18 characters with its check character."""
    try:
        return str(uscc.validate(_text(value)))
    except InvalidLength:
        raise InvalidValue("统一社会信用代码应为18位") from None
    except InvalidFormat:
        raise InvalidValue("统一社会信用代码格式错误（前8位为数字，其余不含I、O、S、V、Z）") from None
    except InvalidChecksum:
        raise InvalidValue("统一社会信用代码校验位错误") from None
    except ValidationError:
        raise InvalidValue("统一社会信用代码无效") from None


# ---- names --------------------------------------------------------------------------------------------------

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_NAME = re.compile(rf"[{_CJK}]+(?:·[{_CJK}]+)*")
_DOTS = str.maketrans({"•": "·", "・": "·", "．": "·", ".": "·", "‧": "·"})


def person_name(value: object) -> str:
    """A person's name: 2-20 Chinese characters; a middle dot (·) between parts of a transliterated name."""
    text = re.sub(r"\s", "", _text(value)).translate(_DOTS)
    if not text:
        raise InvalidValue("姓名为空")
    if not _NAME.fullmatch(text):
        raise InvalidValue("姓名应为汉字（少数民族或外文译名可用“·”分隔）")
    if not 2 <= len(text) <= 20:
        raise InvalidValue("姓名应为2-20个字")
    return text


# ---- dates --------------------------------------------------------------------------------------------------

DEFAULT_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日")


def parse_date(value: Any, formats: tuple[str, ...] | list[str] = DEFAULT_DATE_FORMATS, *,
               not_after: date | None = None) -> date:
    """A date in one of `formats` (strptime), or an xlsx date cell. `not_after`: later dates are refused."""
    found: date | None
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    else:
        text = _text(value)
        if not text:
            raise InvalidValue("日期为空")
        found = None
        impossible = False
        for fmt in formats:
            try:
                found = datetime.strptime(text, fmt).date()
                break
            except ValueError as exc:
                impossible = impossible or "out of range" in str(exc)
        if found is None:
            if impossible:
                raise InvalidValue(f"日期不存在：{text[:20]}")
            raise InvalidValue(f"无法识别的日期“{text[:20]}”（应为 {' 或 '.join(formats)}）")
    assert found is not None
    if found.year < 1900:
        raise InvalidValue("日期早于1900年")
    if not_after is not None and found > not_after:
        raise InvalidValue("日期在未来")
    return found
