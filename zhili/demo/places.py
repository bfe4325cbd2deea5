"""Demo places (场所) along the roads: shops, restaurants, enterprises, schools, clinics, venues, construction sites
and fuel or gas points at the door plates, in numbers proportionate to the people (per 1,000 residents: about six
shops, two or three restaurants and enterprises ...). Each has a unified social credit code (GB 32100), a contact
person and phone, and the 市场监管 record it came from. Names and codes are unique. Pure row building; the caller
writes them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zhili.demo import people as gen
from zhili.demo.sources import Records, Runs, verification
from zhili.kit.crypto import blind_index
from zhili.registry.models import PlaceKind

# kind -> (per 1,000 people, credit code prefixes, tags)
RATES: dict[PlaceKind, tuple[float, tuple[str, ...], list[str]]] = {
    PlaceKind.shop: (6.0, ("92", "92", "91"), ["九小场所"]),
    PlaceKind.restaurant: (2.5, ("92", "91"), ["九小场所"]),
    PlaceKind.enterprise: (2.5, ("91",), []),
    PlaceKind.school: (0.15, ("12", "12", "52"), ["重点场所"]),
    PlaceKind.hospital: (0.06, ("12", "52"), ["重点场所"]),
    PlaceKind.public_venue: (0.12, ("52",), ["重点场所"]),
    PlaceKind.construction_site: (0.1, ("91",), ["重点场所"]),
    PlaceKind.hazardous: (0.04, ("91",), ["重点场所", "危化品"]),
}
FIELDS = ("name", "kind", "credit_code", "address", "contact_name", "contact_phone", "tags")

_SHOPS = ("便利店", "超市", "水果店", "五金店", "理发店", "药店", "服装店", "烟酒店", "手机店", "洗衣店", "母婴店", "花店",
          "快递驿站", "彩票店", "文具店", "早餐店")
_FOOD = ("面馆", "馄饨店", "小吃店", "快餐店", "烧烤店", "火锅店", "海鲜酒楼", "汤包店", "黄焖鸡米饭", "麻辣烫", "甬帮菜馆",
         "奶茶店")
_WORD = "华盛恒达鑫泰永昌宏远博创金鹰天成海润东方甬盛诚信瑞丰中汇佳和万家惠民百姓邻里兴旺合众新世纪明远光大锦程"
_TRADE = ("电子科技", "机械制造", "模具", "服饰", "塑料制品", "物流", "建材", "贸易", "文具", "汽车配件", "不锈钢制品",
          "家居用品", "智能科技", "包装材料", "五金工具")


@dataclass
class Door:
    id: int
    road: str
    number: int
    area_id: int
    area_path: str
    micro_grid_id: int | None
    grid_id: int | None
    full_text: str
    community: str  # short name, for schools and venues

    @property
    def located(self) -> dict[str, Any]:
        return dict(address_id=self.id, area_id=self.area_id, area_path=self.area_path, grid_id=self.grid_id,
                    micro_grid_id=self.micro_grid_id)


def counts(people: int) -> dict[PlaceKind, int]:
    return {k: max(1, round(rate * people / 1000)) for k, (rate, _, _) in RATES.items()}


def _name(rng: random.Random, kind: PlaceKind, door: Door, taken: set[str]) -> str:
    stem = door.road.removesuffix("路").removesuffix("街").removesuffix("大道")
    for attempt in range(50):
        if kind == PlaceKind.shop:
            head = rng.choice((stem, gen.surname(rng, "local") + "记", rng.choice(_WORD[::2]) + rng.choice(_WORD[1::2])))
            name = head + rng.choice(_SHOPS)
        elif kind == PlaceKind.restaurant:
            name = gen.surname(rng, "national") + "记" + rng.choice(_FOOD)
        elif kind == PlaceKind.enterprise:
            name = f"宁波{rng.choice(_WORD)}{rng.choice(_WORD)}{rng.choice(_TRADE)}有限公司"
        elif kind == PlaceKind.school:
            name = f"鄞州区{door.community}{rng.choice(('小学', '幼儿园', '幼儿园', '中学'))}"
        elif kind == PlaceKind.hospital:
            name = rng.choice((f"{door.community}社区卫生服务站", f"鄞州{rng.choice(_WORD)}{rng.choice(_WORD)}口腔门诊部"))
        elif kind == PlaceKind.public_venue:
            name = f"{door.community}{rng.choice(('居家养老服务中心', '文化礼堂', '邻里中心', '老年活动室'))}"
        elif kind == PlaceKind.construction_site:
            name = f"{door.road}{door.number}号地块建设项目工地"
        else:
            name = rng.choice((f"中国石化{door.road}加油站", f"{stem}液化气供应站"))
        if attempt >= 10:
            name = f"{name.removesuffix('有限公司')}（{door.road}{door.number}号）"
        if name not in taken:
            taken.add(name)
            return name
    raise RuntimeError("no free place name")


def build_places(rng: random.Random, doors: list[Door], people: int, ids: list[int], now: datetime,
                 runs: Runs, records: Records, taken_codes: set[str]) -> list[dict[str, Any]]:
    """Place rows for `ids` (reserved, as many as sum(counts(people))), their 市场监管 records into `records`."""
    rows: list[dict[str, Any]] = []
    names: set[str] = set()
    pid = iter(ids)
    stamp = runs.stamp("place", "市场监管", FIELDS)
    for kind, n in counts(people).items():
        _, prefixes, tags = RATES[kind]
        for _ in range(n):
            door = rng.choice(doors)
            pk = next(pid)
            name = _name(rng, kind, door, names)
            code = gen.credit_code(rng, rng.choice(prefixes), taken_codes)
            contact = gen.surname(rng, "local") + gen.given_name(rng, "M" if rng.random() < 0.6 else "F",
                                                                 rng.randint(1960, 1998))
            phone = (None if rng.random() < 0.04 else gen.landline(rng) if kind in (PlaceKind.school,
                     PlaceKind.hospital, PlaceKind.public_venue) else gen.mobile(rng))
            values = {"name": name, "kind": kind.value, "credit_code": code, "address": door.full_text,
                      "contact_name": contact, "contact_phone": phone, "tags": tags}
            present = {f for f, v in values.items() if v}
            verified_at, confirmed = verification(rng, now, 0.7, FIELDS, present)
            records.add("place", "市场监管", pk, values)
            rows.append(dict(id=pk, name=name, kind=kind, credit_code=code, contact_name=contact, contact_phone=phone,
                             contact_phone_bidx=blind_index(phone) if phone else None, tags=list(tags),
                             address_text="", **door.located,
                             provenance={f: v for f, v in stamp.items() if f in present}, confirmed=confirmed,
                             verified_at=verified_at, created_at=runs.at[("place", "市场监管")], updated_at=now))
    return rows
