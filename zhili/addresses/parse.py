"""Split Chinese address text into levels, without any database: pure string rules.

"浙江省宁波市鄞州区首南街道学府社区天童南路588号3幢2单元301室" ->
province 浙江省, city 宁波市, district 鄞州区, street 首南街道, community 学府社区, road 天童南路, number 588,
building 3, unit 2, room 301.

The parser only knows suffixes (省/市/区/街道/镇/社区/村/路/号/幢 ...). Names written without their suffix
(首南天童南路) stay glued to the next level (road "首南天童南路"); the matcher, which knows the gazetteer, splits
them. Normalisation first: NFKC (full-width digits, letters and punctuation become ASCII), spaces and punctuation
dropped, Chinese numerals before a unit marker become digits (三幢 -> 3幢, 五百八十八号 -> 588号,
二〇一室 -> 201室), 栋/号楼/座/楼 -> 幢, 居委会 after a community name dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

STREET_SUFFIXES = ("街道办事处", "街道", "镇", "乡")
COMMUNITY_SUFFIXES = ("社区居委会", "村村委会", "居委会", "村委会", "社区", "村")
ROAD_SUFFIXES = ("大道", "路", "街", "巷", "弄")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_UNIT_MARKERS = "号|幢|栋|座|单元|室|楼|层|户"
_CN_NUMBER = re.compile(rf"([零〇一二两三四五六七八九十百千]+)(?=({_UNIT_MARKERS}))")
_DROP = re.compile(r"[\s,，。.、;；:：()（）\[\]【】\"'“”‘’/\\|_~`!！?？<>《》]+")
_PROVINCE = re.compile(r"^(.{2,6}?(?:省|自治区))")
_CITY = re.compile(r"^(.{2,6}?市)(?!场)")
_DISTRICT = re.compile(r"^(.{1,6}?(?:区|县))")
_NOT_DISTRICT = ("社区", "小区", "园区", "景区", "街区", "城区", "新区")
_STREET = re.compile(r"^(.{1,8}?(?:街道办事处|街道|镇|乡))")
_COMMUNITY = re.compile(r"^(.{1,10}?(?:社区居委会|村村委会|居委会|村委会|社区|村))")
_ROAD_SUFFIX_AHEAD = re.compile(r"(?:大道|路|街(?!道)|巷|弄)")
_ROAD = re.compile(r"^(.{1,14}?(?:大道|路|街(?!道)|巷|弄))")
# 588号, 588-1号, 588号之一 is rare; a bare number right after the road counts as the door number too.
_NUMBER = re.compile(r"^(\d{1,5})(?:-(\d{1,3}))?(?:号(?![楼幢])|$)")
_BUILDING = re.compile(r"^(\d{1,3}|[A-Z])(?:幢|号楼)")
_UNIT = re.compile(r"^(\d{1,2})单元")
_ROOM = re.compile(r"^(\d{2,5})(?:室|号|户)?")


def cn_to_int(text: str) -> int | None:
    """A Chinese numeral: positional (五百八十八 = 588, 十二 = 12) or digit by digit (二〇一 = 201)."""
    if not text:
        return None
    if not any(c in _CN_UNITS for c in text):
        digits = [_CN_DIGITS.get(c) for c in text]
        if any(d is None for d in digits):
            return None
        return int("".join(str(d) for d in digits))
    total, current = 0, 0
    for c in text:
        if c in _CN_DIGITS:
            current = _CN_DIGITS[c]
        elif c in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[c]
            current = 0
        else:
            return None
    return total + current


def normalize(text: str) -> str:
    """Canonical characters: see the module docstring. Idempotent."""
    s = unicodedata.normalize("NFKC", text).upper()
    s = _DROP.sub("", s)
    s = s.replace("—", "-").replace("－", "-").replace("–", "-")
    s = _CN_NUMBER.sub(lambda m: str(cn_to_int(m.group(1))) if cn_to_int(m.group(1)) is not None else m.group(1),
                       s)
    s = re.sub(r"(\d+|[A-Z])(?:栋|座|号楼)", r"\1幢", s)  # 3栋 / 3号楼 / A座 -> 3幢 (bare 3楼 is a floor)
    return s


def strip_suffix(name: str, suffixes: tuple[str, ...]) -> str:
    """The name without its level suffix (首南街道 -> 首南, 东兴社区 -> 东兴), never empty."""
    for suf in suffixes:
        if name.endswith(suf) and len(name) > len(suf):
            return name[: -len(suf)]
    return name


@dataclass
class ParsedAddress:
    """The levels found, by suffix. `rest` is text between the admin levels and the number that has no suffix
    the parser knows; `tail` what follows the last level understood (noise like 门口, 附近)."""

    normalized: str
    province: str | None = None
    city: str | None = None
    district: str | None = None
    street: str | None = None
    community: str | None = None
    road: str | None = None
    rest: str = ""
    number: int | None = None
    number_suffix: str = ""
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    tail: str = ""


def _take(pattern: re.Pattern[str], s: str) -> tuple[str | None, str]:
    m = pattern.match(s)
    return (m.group(1), s[m.end():]) if m else (None, s)


def _admin(pattern: re.Pattern[str], s: str) -> tuple[str | None, str]:
    """Like _take, but a name followed by a road suffix is part of the road: 鄞县大道, 东村路, 新镇路."""
    found, after = _take(pattern, s)
    if found and _ROAD_SUFFIX_AHEAD.match(after):
        return None, s
    return found, after


def parse(text: str) -> ParsedAddress:
    """Levels of a free-text address, from the largest to the smallest; missing levels stay None."""
    s = normalize(text)
    out = ParsedAddress(normalized=s)
    out.province, s = _take(_PROVINCE, s)
    out.city, s = _admin(_CITY, s)
    district, after = _admin(_DISTRICT, s)
    if district and not district.endswith(_NOT_DISTRICT):
        out.district, s = district, after
    out.street, s = _admin(_STREET, s)
    out.community, s = _admin(_COMMUNITY, s)
    digit = re.search(r"\d", s)
    head, s = (s[: digit.start()], s[digit.start():]) if digit else (s, "")
    road, rest = _split_road(head)
    out.road, out.rest = road, rest
    if out.road is None and out.street is None and out.community is None:
        # no suffix at all: "首南学府" - leave everything to the matcher
        out.rest = head
    m = _NUMBER.match(s)
    if m:
        out.number = int(m.group(1))
        out.number_suffix = f"-{m.group(2)}" if m.group(2) else ""
        s = s[m.end():]
    building, s = _take(_BUILDING, s)
    out.building = building
    out.unit, s = _take(_UNIT, s)
    if out.building or out.unit:
        out.room, s = _take(_ROOM, s)
    out.tail = s
    return out


def _split_road(head: str) -> tuple[str | None, str]:
    """The road and the text after it. A head ending in a road suffix is all road (首南天童南路: the matcher finds
    the known road at its end); otherwise the first suffix-ended run is the road and the rest is left over."""
    if not head:
        return None, ""
    if re.search(r"(?:大道|路|街|巷|弄)$", head) and not head.endswith("街道"):
        return head, ""
    found = _ROAD.match(head)
    if found:
        return found.group(1), head[found.end():]
    return None, head
