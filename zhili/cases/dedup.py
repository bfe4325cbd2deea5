"""Duplicate candidates (疑似重复) for a new or registered case, and the repeat-complaint flag (重复投诉) set at intake.

Candidates: cases the actor may see, open or closed within `dedup_closed_days`, of a related category, within
`radius_m` of the point (250 m by default, up to `dedup_max_radius_m`), whose text is alike; at most 5, best first.

* Related category: the same leaf, or a sibling leaf under the same parent (事件/市容环境/暴露垃圾 and
  事件/市容环境/道路清扫保洁): operators often pick a neighbouring leaf for the same matter. A top-level leaf
  (no parent) relates only to itself.
* Place: an index lookup of the ~250 m cells around the point (cases/geocell.py; a 3 x 3 block at 250 m), then
  the exact distance here, so the cost follows the cases near the point, not the size of the table.
* Text: cosine similarity of character unigram (weight 0.5) and bigram (weight 1) counts of title + description,
  after NFKC, lower case, dropping punctuation and hotline boilerplate (市民反映, 请尽快处理 ...). Chinese has
  no spaces and short reports paraphrase freely, so characters and their pairs are the robust unit (no word
  segmenter, no model to ship); unigrams catch near-synonyms sharing a character (缺失 / 丢失).
  Threshold 0.25 (`dedup_min_similarity`), set on labelled pairs (tests/cases/test_dedup.py): paraphrases of the
  same matter score 0.41-0.71 except a synonym-only rewording (0.16, missed); different matters at the same
  place and category mostly score 0.0-0.24, but those sharing place words (3号楼楼道) reach 0.5. The list is
  a suggestion a person confirms before merging, so the threshold errs towards recall, and the ranking puts
  the closest and most alike first.
* Rank: score = 0.6 similarity + 0.3 (1 - distance / radius) + 0.1 if the same leaf; ties by distance.

Repeat complaint, flagged on the case at intake (`Case.repeat_complaint`, `repeat_count`): within
`repeat_window_days` (30), either at least `repeat_min_cases` (2) earlier cases of any category at the same
place, or at least one earlier case of the same caller (blind index of the phone) about a related category (the
hotline's own definition: the same person calling again about the same matter). "Same place" is within
`repeat_radius_m` (30 m: phone GPS and map picks of one spot scatter by 5-20 m, neighbouring doors are 30+ m
apart) or the same normalised address text (with a house number) within 250 m, for pins put at different gates
of one compound.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.cases import geocell
from zhili.cases import repository as repo
from zhili.cases.models import OPEN_STATUSES, STATUS_LABEL, Case, CaseStatus
from zhili.cases.schemas import DuplicateCandidate, DuplicatesIn, DuplicatesOut, Ref
from zhili.config import Settings
from zhili.kit import clock
from zhili.kit.errors import NotFound, ValidationFailed
from zhili.taxonomy import lookup as taxonomy
from zhili.taxonomy.models import Category

MAX_CANDIDATES = 5
ADDRESS_RADIUS_M = 250.0
BOILERPLATE = ("居民来电反映", "来电人反映", "市民反映", "居民反映", "群众反映", "来电人称", "来电反映", "来电称",
               "请尽快处理", "请及时处理", "请相关部门处理", "希望尽快解决", "希望相关部门", "尽快处理", "反映")
_RUNS = re.compile(r"[0-9a-z\u3400-\u9fff\uf900-\ufaff]+")
_ADDRESS_NOISE = re.compile(r"[^0-9a-z\u3400-\u9fff]+")


# ---- text ------------------------------------------------------------------------------------------------------

def text_vector(text: str) -> dict[str, float]:
    """Character unigrams (0.5) and bigrams (1.0) of the text's runs of Chinese characters, letters and digits."""
    t = unicodedata.normalize("NFKC", text).lower()
    for phrase in BOILERPLATE:
        if phrase in t:
            t = t.replace(phrase, " ")
    runs = _RUNS.findall(t)
    pairs = Counter(run[i:i + 2] for run in runs for i in range(len(run) - 1))
    vec: dict[str, float] = {ch: 0.5 * n for ch, n in Counter("".join(runs)).items()}
    for pair, n in pairs.items():
        vec[pair] = float(n)
    return vec


def similarity(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine of two text vectors, 0 when either is empty."""
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b[k] for k, v in a.items() if k in b)
    if dot == 0:
        return 0.0
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


def _normal_address(address: str) -> str:
    """An address usable for "same place": NFKC, no spaces or punctuation, with a house number in it."""
    a = _ADDRESS_NOISE.sub("", unicodedata.normalize("NFKC", address or "").lower())
    return a if len(a) >= 5 and any(c.isdigit() for c in a) else ""


# ---- categories ------------------------------------------------------------------------------------------------

class _Family:
    """A category with its related ones: itself and its siblings under the same parent."""

    def __init__(self, session: Session, code: str) -> None:
        rows = repo.category_family(session, code)
        me = next((r for r in rows if r.code == code), None)
        if me is None:
            raise ValidationFailed(f"未知的事项分类：{code}", field="category")
        self.id: int = me.id
        self.names = {r.id: (r.code, r.name) for r in rows}
        self.parent_name = self.names[me.parent_id][1] if me.parent_id in self.names else None
        self.related = sorted({me.id} | {r.id for r in rows if me.parent_id is not None
                                         and r.parent_id == me.parent_id})


def _radius(settings: Settings, radius_m: float | None) -> float:
    r = settings.dedup_radius_m if radius_m is None else radius_m
    if not math.isfinite(r) or r < 1 or r > settings.dedup_max_radius_m:
        raise ValidationFailed(f"查找半径应在 1 到 {settings.dedup_max_radius_m:g} 米之间", field="radius_m")
    return float(r)


# ---- candidates ------------------------------------------------------------------------------------------------

def candidates(session: Session, actor: Actor, *, lon: float, lat: float, category_code: str, text: str,
               radius_m: float | None = None, exclude_case_id: int | None = None, limit: int = MAX_CANDIDATES,
               settings: Settings | None = None) -> list[DuplicateCandidate]:
    """Ranked duplicate candidates among the cases `actor` may see (see the module docstring)."""
    settings = settings or Settings()
    radius = _radius(settings, radius_m)
    query = text_vector(text)
    if not query:
        raise ValidationFailed("请先填写诉求标题或描述", field="title")
    family = _Family(session, category_code)
    now = clock.now()
    rows = repo.dedup_pool(session, actor, lon=lon, lat=lat, radius_m=radius,
                           cells=geocell.cells_around(lon, lat, radius), category_ids=family.related,
                           closed_since=now - timedelta(days=settings.dedup_closed_days),
                           exclude_id=exclude_case_id)
    scored: list[tuple[float, float, float, Any]] = []
    for row in rows:
        distance = geocell.distance_m(lon, lat, row.lon, row.lat)
        if distance > radius:
            continue
        sim = similarity(query, text_vector(f"{row.title}\n{row.description or ''}"))
        if sim < settings.dedup_min_similarity:
            continue
        same = row.category_id == family.id
        score = 0.6 * sim + 0.3 * (1 - distance / radius) + (0.1 if same else 0.0)
        scored.append((score, distance, sim, row))
    scored.sort(key=lambda t: (-t[0], t[1], -t[3].id))
    best = scored[:max(0, min(limit, MAX_CANDIDATES))]
    return [_candidate(row, score, distance, sim, family.id, family.parent_name, family.names, now)
            for score, distance, sim, row in best]


def _candidate(row: Any, score: float, distance: float, sim: float, category_id: int, parent_name: str | None,
               names: dict[int, tuple[str, str]], now: datetime) -> DuplicateCandidate:
    status = CaseStatus(row.status)
    same = row.category_id == category_id
    code, name = names.get(row.category_id, ("?", "?"))
    why = f"相距 {round(distance)} 米，描述相似度 {sim:.2f}，" + ("同类事项" if same else f"相近事项（同属“{parent_name}”）")
    if status == CaseStatus.closed and row.closed_at is not None:
        days = max(0, (now - row.closed_at).days)
        why += "，今日已结案" if days == 0 else f"，{days} 天前已结案"
    return DuplicateCandidate(
        number=row.number, title=row.title, status=status.value, status_label=STATUS_LABEL[status],
        category=Ref(code=code, name=name), same_category=same, address=row.address or "",
        received_at=row.received_at, closed_at=row.closed_at, distance_m=round(distance),
        similarity=round(sim, 2), score=round(score, 3), why=why, mergeable=status in OPEN_STATUSES)


def for_new(session: Session, actor: Actor, settings: Settings, data: DuplicatesIn) -> DuplicatesOut:
    """Candidates for a report being taken (the intake form asks while the operator types). Staff who take
    reports only: a resident must not learn of other people's cases."""
    actor.require("cases.intake")
    actor.require("cases.read")
    radius = _radius(settings, data.radius_m)
    found = candidates(session, actor, lon=data.lon, lat=data.lat, category_code=data.category,
                       text=f"{data.title}\n{data.description}", radius_m=radius, settings=settings)
    return DuplicatesOut(radius_m=radius, candidates=found)


def for_case(session: Session, actor: Actor, settings: Settings, number: str,
             radius_m: float | None = None) -> DuplicatesOut:
    """Candidates for a case already in (the case itself excluded); out of scope answers 404."""
    actor.require("cases.read")
    radius = _radius(settings, radius_m)
    case = repo.case_by_number(session, actor, number) if number and len(number) <= 24 else None
    if case is None:
        raise NotFound("案件不存在或不在您的辖区内", field="number")
    code = taxonomy.category_refs(session, [case.category_id]).get(case.category_id)
    if code is None:
        return DuplicatesOut(radius_m=radius, candidates=[])
    found = candidates(session, actor, lon=case.lon, lat=case.lat, category_code=code[0],
                       text=f"{case.title}\n{case.description}", radius_m=radius, exclude_case_id=case.id,
                       settings=settings)
    return DuplicatesOut(radius_m=radius, candidates=found)


# ---- repeat complaints -----------------------------------------------------------------------------------------

def flag_repeat(session: Session, settings: Settings, case: Case, category: Category) -> None:
    """Set `case.repeat_complaint` and `repeat_count` from the cases received before it (call before the new
    case is added to the session, so it does not count itself)."""
    since = case.received_at - timedelta(days=settings.repeat_window_days)
    address = _normal_address(case.address)
    reach = max(settings.repeat_radius_m, ADDRESS_RADIUS_M if address else 0.0)
    place: set[int] = set()
    for row in repo.recent_near(session, geocell.cells_around(case.lon, case.lat, reach), since):
        distance = geocell.distance_m(case.lon, case.lat, row.lon, row.lat)
        if distance <= settings.repeat_radius_m or (address and distance <= reach
                                                    and _normal_address(row.address) == address):
            place.add(row.id)
    caller: set[int] = set()
    if case.caller_phone_bidx:
        earlier = repo.recent_by_caller(session, case.caller_phone_bidx, since)
        if earlier:  # most callers are new: the category family is looked up only when there is something to match
            related = _Family(session, category.code).related
            caller = {r.id for r in earlier if r.category_id in related}
    case.repeat_complaint = len(place) >= settings.repeat_min_cases or bool(caller)
    case.repeat_count = len(place | caller)

