"""Match parsed address text against an in-memory gazetteer of areas, roads and standard addresses. Pure.

Steps: refuse text naming a province/city/district the platform does not hold; find the street and community named
(full name, name without 街道/镇/社区/村, then fuzzy for typos); find road candidates (exact name or alias, then a
known road at the end of the token, 首南天童南路 -> 首南 + 天童南路, then fuzzy: 天童男路 -> 天童南路); look the door
number and the lower levels up on each candidate; score each candidate (the road's own score, lowered when the road
does not run through the named street or the door lies outside the named community, raised a little when they
agree); take the best. Below `THRESHOLD`, or when two different addresses score alike, the answer is "not found,
please pin on the map" with the reason, and no point: a guessed point would send a case to the wrong grid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from zhili.addresses.parse import COMMUNITY_SUFFIXES, STREET_SUFFIXES, ParsedAddress, parse, strip_suffix

THRESHOLD = 0.6
"""Below this confidence no point is given. A road with a one-character typo (score 0.67-0.83) passes alone; the
same road in a street it does not run through (x0.55) does not."""
FUZZY_ROAD_MIN = 0.66  # Levenshtein similarity: one wrong character in a 3-character name scores 0.667
FUZZY_AREA_MIN = 70
AMBIGUITY_MARGIN = 0.05
PIN_MESSAGE = "未能匹配到门牌，请在地图上标点"

# Province-level divisions by the first two digits of the division code (GB/T 2260), to tell "another province"
# from a typo. A deployment holds areas of one province; any other province is outside.
PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区", "21": "辽宁省", "22": "吉林省",
    "23": "黑龙江省", "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省",
    "37": "山东省", "41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
    "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省", "54": "西藏自治区", "61": "陕西省",
    "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区", "65": "新疆维吾尔自治区", "71": "台湾省",
    "81": "香港特别行政区", "82": "澳门特别行政区",
}
_ADMIN_SUFFIXES = (*STREET_SUFFIXES, *COMMUNITY_SUFFIXES, "区", "县", "市")


@dataclass(frozen=True)
class AreaEntry:
    id: int
    code: str
    name: str
    short_name: str
    level: str  # city / district / street / community
    parent_id: int | None


@dataclass(frozen=True)
class RoadEntry:
    id: int
    name: str
    aliases: tuple[str, ...]
    district_id: int
    area_ids: frozenset[int]  # streets and communities it runs through


@dataclass(frozen=True)
class AddressEntry:
    id: int
    road_id: int
    number: int
    number_suffix: str
    building: str
    unit: str
    room: str
    area_id: int  # community
    lon: float
    lat: float
    full_text: str

    @property
    def level(self) -> str:
        return "room" if self.room else "unit" if self.unit else "building" if self.building else "number"


@dataclass
class Match:
    """The matcher's answer. `lon`/`lat` are set only when `matched`."""

    matched: bool
    confidence: float
    level: str  # room / unit / building / number / road / community / street / district / none
    normalized: str
    message: str
    address: AddressEntry | None = None
    road: RoadEntry | None = None
    street_id: int | None = None
    community_id: int | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def lon(self) -> float | None:
        return self.address.lon if self.matched and self.address else None

    @property
    def lat(self) -> float | None:
        return self.address.lat if self.matched and self.address else None


@dataclass
class _Candidate:
    road: RoadEntry
    score: float
    level: str = "road"
    address: AddressEntry | None = None
    reasons: list[str] = field(default_factory=list)
    leftover: str = ""  # lower levels asked for but not held (2单元 when units are not registered)


def _keys(name: str, short_name: str) -> set[str]:
    keys = {name, short_name, strip_suffix(name, _ADMIN_SUFFIXES), strip_suffix(short_name, _ADMIN_SUFFIXES)}
    return {k for k in keys if len(k) >= 2}


class Gazetteer:
    """Everything the matcher needs, indexed for lookups by name and by (road, number, levels). Read-only."""

    def __init__(self, areas: Iterable[AreaEntry], roads: Iterable[RoadEntry],
                 addresses: Iterable[AddressEntry], version: object = None) -> None:
        self.version = version
        self.areas = {a.id: a for a in areas}
        self.area_keys: dict[str, list[AreaEntry]] = {}
        for a in self.areas.values():
            for k in _keys(a.name, a.short_name):
                self.area_keys.setdefault(k, []).append(a)
        self.max_area_key = max((len(k) for k in self.area_keys), default=0)
        self.full_names: dict[str, list[str]] = {}  # level -> full names, for fuzzy matching
        for a in self.areas.values():
            self.full_names.setdefault(a.level, []).append(a.name)
        self.province_prefixes = {a.code[:2] for a in self.areas.values()}
        self.roads = {r.id: r for r in roads}
        self.road_keys: dict[str, list[tuple[RoadEntry, float]]] = {}
        for r in self.roads.values():
            self.road_keys.setdefault(r.name, []).append((r, 1.0))
            for alias in r.aliases:
                self.road_keys.setdefault(alias, []).append((r, 0.97))
        self.road_names = list(self.road_keys)
        self.addresses: dict[tuple[int, int, str, str, str, str], AddressEntry] = {}
        for e in addresses:
            self.addresses[(e.road_id, e.number, e.number_suffix, e.building, e.unit, e.room)] = e
        self.road_streets = {r.id: {i for i in r.area_ids if i in self.areas and self.areas[i].level == "street"}
                             for r in self.roads.values()}

    def __len__(self) -> int:
        return len(self.addresses)

    def street_of(self, area_id: int | None) -> int | None:
        """The street of a community (or the street itself)."""
        a = self.areas.get(area_id) if area_id is not None else None
        while a is not None and a.level not in ("street", "district", "city"):
            a = self.areas.get(a.parent_id) if a.parent_id is not None else None
        return a.id if a is not None and a.level == "street" else None

    # ---- names -------------------------------------------------------------------------------------------

    def areas_named(self, token: str, levels: tuple[str, ...]) -> dict[int, float]:
        """Areas of the given levels the token names: exactly (1.0), without suffix (1.0), or fuzzily."""
        found = {a.id: 1.0 for k in (token, strip_suffix(token, _ADMIN_SUFFIXES))
                 for a in self.area_keys.get(k, []) if a.level in levels}
        if found:
            return found
        for level in levels:
            names = self.full_names.get(level, [])
            for name, score, _ in process.extract(token, names, scorer=fuzz.ratio, score_cutoff=FUZZY_AREA_MIN,
                                                  limit=3):
                for a in self.area_keys.get(name, []):
                    if a.level == level:
                        found[a.id] = max(found.get(a.id, 0.0), score / 100)
        return found

    def segment(self, text: str) -> tuple[list[AreaEntry], str]:
        """Known area names in unsuffixed text, longest first from the left (鄞州首南 -> 鄞州区, 首南街道); the
        characters no name covers."""
        found: list[AreaEntry] = []
        unknown = []
        i = 0
        while i < len(text):
            for n in range(min(self.max_area_key, len(text) - i), 1, -1):
                hits = self.area_keys.get(text[i:i + n])
                if hits:
                    found.extend(hits)
                    i += n
                    break
            else:
                unknown.append(text[i])
                i += 1
        return found, "".join(unknown)

    def road_candidates(self, token: str) -> tuple[list[tuple[RoadEntry, float]], str]:
        """Roads the token names, and the text before the road name (unsuffixed area names)."""
        if token in self.road_keys:
            return self.road_keys[token], ""
        for i in range(1, len(token) - 1):
            if token[i:] in self.road_keys:
                return self.road_keys[token[i:]], token[:i]
        best: dict[int, tuple[RoadEntry, float]] = {}
        prefix_of: dict[int, str] = {}
        for k in range(len(token), 2, -1):
            tail, prefix = token[-k:], token[:-k]
            if prefix and self.segment(prefix)[1]:
                continue  # dropping characters no area name explains would favour shorter, wrong roads
            # Levenshtein, not Indel: a wrong character (the common typo, 男 for 南) costs as much as a missing one
            for name, score, _ in process.extract(tail, self.road_names, scorer=Levenshtein.normalized_similarity,
                                                  score_cutoff=FUZZY_ROAD_MIN, limit=25):
                for road, s in self.road_keys[name]:
                    value = s * score
                    if value > best.get(road.id, (road, 0.0))[1]:
                        best[road.id] = (road, value)
                        prefix_of[road.id] = prefix
        if not best:
            return [], token
        ranked = sorted(best.values(), key=lambda rs: -rs[1])
        return ranked, prefix_of[ranked[0][0].id]

    # ---- matching ----------------------------------------------------------------------------------------

    def match(self, text: str) -> Match:
        p = parse(text)
        outside = self._outside(p)
        if outside:
            return Match(False, 0.0, "none", p.normalized, f"地址不在本平台辖区（{outside}），请在地图上标点",
                         reasons=[f"不在辖区：{outside}"])
        reasons: list[str] = []
        penalty = 1.0
        roads: list[tuple[RoadEntry, float]] = []
        residue = p.rest
        if p.road:
            roads, prefix = self.road_candidates(p.road)
            residue = prefix + residue
            if not roads:
                reasons.append(f"未找到道路“{p.road}”")
        streets: dict[int, float] = {}
        communities: dict[int, float] = {}
        districts: set[int] = set()
        if p.street:
            streets = self.areas_named(p.street, ("street",))
            if not streets:
                penalty *= 0.85
                reasons.append(f"未识别街道“{p.street}”")
        if p.community:
            communities = self.areas_named(p.community, ("community",))
            if not communities:
                penalty *= 0.85
                reasons.append(f"未识别社区“{p.community}”")
        if p.district:
            districts = set(self.areas_named(p.district, ("district",)))
        if residue:
            named, unknown = self.segment(residue)
            for a in named:
                if a.level == "street":
                    streets.setdefault(a.id, 1.0)
                elif a.level == "community":
                    communities.setdefault(a.id, 1.0)
                elif a.level == "district":
                    districts.add(a.id)
            if unknown:
                penalty *= 0.9
                reasons.append(f"有未识别的文字“{unknown}”")
        # A community named alone also names its street (学府社区 -> 首南街道) unless a street was given.
        if communities and not streets:
            streets = {s: 1.0 for c in communities if (s := self.street_of(c)) is not None}
        candidates = [self._score(p, road, score * penalty, streets, communities, districts)
                      for road, score in roads]
        if not candidates:
            return self._area_only(p, streets, communities, reasons)
        candidates.sort(key=lambda c: (c.address is not None, c.score), reverse=True)
        best = candidates[0]
        reasons = reasons + best.reasons
        street_id = self.street_of(best.address.area_id) if best.address else self._one(
            self.road_streets.get(best.road.id, set()) & set(streets) or self.road_streets.get(best.road.id, set()))
        community_id = best.address.area_id if best.address else self._one(set(communities))
        rivals = [c for c in candidates[1:] if c.address is not None and best.address is not None
                  and c.address.id != best.address.id and c.score >= best.score - AMBIGUITY_MARGIN]
        if rivals:
            names = "、".join(c.address.full_text for c in [best, *rivals[:2]] if c.address)
            return Match(False, round(best.score, 3), best.level, p.normalized,
                         f"{PIN_MESSAGE}（有多个可能的地址：{names}）", road=None, reasons=[*reasons, "多个地址同样可能"])
        confidence = round(min(best.score, 1.0), 3)
        if best.address is not None and confidence >= THRESHOLD:
            normalized = best.address.full_text + best.leftover
            message = f"已匹配：{best.address.full_text}"
            if reasons:
                message += f"（{'；'.join(reasons)}）"
            return Match(True, confidence, best.level, normalized, message, best.address, best.road, street_id,
                         community_id, reasons)
        why = "；".join(reasons) if reasons else "匹配把握不足"
        if best.address is not None:
            why = f"匹配把握不足：{why}"
        return Match(False, confidence, best.level, p.normalized, f"{PIN_MESSAGE}（{why}）", None, best.road,
                     street_id, community_id, reasons)

    def _outside(self, p: ParsedAddress) -> str | None:
        """The named province / city / district the platform does not hold, if any."""
        if p.province:
            code = next((c for c, n in PROVINCES.items() if p.province in (n, n[:2], n[:3])), None)
            if code not in self.province_prefixes:
                return p.province
        if p.city and not self.areas_named(p.city, ("city",)):
            return p.city
        if p.district and not self.areas_named(p.district, ("district",)):
            return p.district
        return None

    def _score(self, p: ParsedAddress, road: RoadEntry, score: float, streets: dict[int, float],
               communities: dict[int, float], districts: set[int]) -> _Candidate:
        c = _Candidate(road, score)
        if districts and road.district_id not in districts:
            c.score *= 0.5
            c.reasons.append(f"道路“{road.name}”不在所填区县")
        if p.number is None:
            c.reasons.append("缺少门牌号")
            self._check_street(c, streets, self.road_streets.get(road.id, set()))
            return c
        door = self.addresses.get((road.id, p.number, p.number_suffix, "", "", ""))
        if door is None and p.number_suffix:
            door = self.addresses.get((road.id, p.number, "", "", "", ""))
            if door is not None:
                c.score *= 0.9
                c.reasons.append(f"未找到{p.number}{p.number_suffix}号，按{p.number}号")
        if door is None:
            c.reasons.append(f"{road.name}没有{p.number}{p.number_suffix}号")
            self._check_street(c, streets, self.road_streets.get(road.id, set()))
            return c
        c.address, c.level = door, "number"
        wanted = [(p.building, "幢"), (p.unit, "单元"), (p.room, "室")]
        levels = ["", "", ""]
        for i, (value, unit) in enumerate(wanted):
            if not value:
                break
            levels[i] = value
            found = self.addresses.get((road.id, door.number, door.number_suffix, *levels))  # type: ignore[arg-type]
            if found is None:  # not registered (units and rooms come with the registry): keep the level above
                c.leftover = "".join(f"{v}{u}" for v, u in wanted[i:] if v)
                if i == 0:
                    c.score *= 0.9
                    c.reasons.append(f"未找到{value}{unit}，定位到门牌")
                break
            c.address, c.level = found, found.level
        street = self.street_of(c.address.area_id)
        self._check_street(c, streets, {street} if street is not None else set())
        if communities:
            if c.address.area_id in communities:
                c.score += (1 - c.score) * 0.3
            else:
                c.score *= 0.7
                c.reasons.append("门牌不在所填社区")
        return c

    def _check_street(self, c: _Candidate, streets: dict[int, float], actual: set[int]) -> None:
        if not streets:
            return
        if actual & set(streets):
            c.score += (1 - c.score) * 0.3 * max(streets[s] for s in actual & set(streets))
        else:
            c.score *= 0.55
            c.reasons.append(f"“{c.road.name}”不经过所填街道" if c.address is None else "门牌不在所填街道")

    def _area_only(self, p: ParsedAddress, streets: dict[int, float], communities: dict[int, float],
                   reasons: list[str]) -> Match:
        community = self._one(set(communities))
        street = self._one(set(streets)) or self.street_of(community)
        level = "community" if community else "street" if street else "district" if p.district else "none"
        why = "；".join(reasons) if reasons else ("未识别出道路和门牌" if level != "none" else "未能识别地址")
        return Match(False, 0.0, level, p.normalized, f"{PIN_MESSAGE}（{why}）", street_id=street,
                     community_id=community, reasons=reasons or [why])

    @staticmethod
    def _one(ids: set[int]) -> int | None:
        return next(iter(ids)) if len(ids) == 1 else None

