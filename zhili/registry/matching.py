"""Matching source records to entities, and which value stays current when sources disagree. Pure: no database.

Matching (per record, in this order)
1. Exact on the identity key: people by the ID number's blind index, vehicles by plate, places by the unified social
   credit code, houses by the standard address. Found -> the record joins that entity.
2. Otherwise (people and places only) fuzzy against the entities at the same standard address or in the same
   building: name similarity (rapidfuzz ratio), same address (1.0) or same building (0.7), and for people the birth
   date (same 1.0, unknown 0.5; two different known dates halve the score: a namesake parent or child). Two
   entities holding different ID numbers are never the same person.
   score >= LINK -> linked; REVIEW <= score < LINK -> a match review (the record waits, entity_id null, for a
   person to decide); below -> a new entity.

Merging a record into an entity, field by field
- the entity's field is empty (or was never given by any source) -> filled from the record;
- equal -> the record's source is added to the field's provenance ([source, at, other source, ...]);
- different -> a `Conflict` keeps every source's value side by side (encrypted), and the current value is chosen by
  `incoming_wins`:
    1. the value came from the same source -> the source corrected itself: the new value;
    2. the current value was confirmed on site (source "网格核查") on or after the day of the incoming row -> it stays;
    3. the incoming source is the department owning the field (fields.OWNERS) -> its value;
    4. the current value came from the owning department -> it stays;
    5. otherwise the current value stays (a second non-owning source does not displace the first; the conflict
       makes a verification task, and the grid worker's answer settles it).
  Unchanged rows of a re-run write nothing, so a department's stale export never undoes a newer confirmation; a
  changed row re-merges only the fields that changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from rapidfuzz import fuzz

from zhili.registry.models import EntityKind

SITE_SOURCE = "网格核查"
LINK = 0.9
REVIEW = 0.7
SAME_BUILDING = 0.7
FUZZY_KINDS = frozenset({EntityKind.person, EntityKind.place})


@dataclass(frozen=True)
class Features:
    """What fuzzy matching compares. `building` identifies the building (road, number, suffix, building)."""

    name: str
    address_id: int | None = None
    building: tuple[int, int, str, str] | None = None
    birth_date: date | None = None
    identity: str | None = None  # the identity key (blind index, plate, credit code) when known


@dataclass(frozen=True)
class Score:
    value: float
    reasons: dict[str, float] = field(default_factory=dict)

    @property
    def decision(self) -> str:
        return "linked" if self.value >= LINK else "review" if self.value >= REVIEW else "new"


def name_similarity(a: str, b: str) -> float:
    return fuzz.ratio(a, b) / 100 if a and b else 0.0


def address_similarity(a: Features, b: Features) -> float:
    if a.address_id is not None and a.address_id == b.address_id:
        return 1.0
    if a.building is not None and a.building == b.building:
        return SAME_BUILDING
    return 0.0


def score(kind: EntityKind, record: Features, candidate: Features) -> Score:
    """How likely the record describes the candidate entity (0..1), with the per-feature similarities."""
    if record.identity and candidate.identity and record.identity != candidate.identity:
        return Score(0.0, {"identity": 0.0})
    name = name_similarity(record.name, candidate.name)
    where = address_similarity(record, candidate)
    if kind != EntityKind.person:
        return Score(round(0.7 * name + 0.3 * where, 4), {"name": name, "address": where})
    if record.birth_date is None or candidate.birth_date is None:
        birth = 0.5
    else:
        birth = 1.0 if record.birth_date == candidate.birth_date else 0.0
    value = 0.5 * name + 0.3 * birth + 0.2 * where
    if birth == 0.0:
        value *= 0.5
    return Score(round(value, 4), {"name": name, "birth_date": birth, "address": where})


def best(kind: EntityKind, record: Features, candidates: list[tuple[int, Features]]) -> tuple[int, Score] | None:
    """The best-scoring candidate (entity id, score); ties go to the lower id (the older entity)."""
    found: tuple[int, Score] | None = None
    for entity_id, cand in sorted(candidates, key=lambda c: c[0]):
        s = score(kind, record, cand)
        if found is None or s.value > found[1].value:
            found = (entity_id, s)
    return found


def incoming_wins(*, owner: str | None, current_source: str | None, confirmed_on: date | None,
                  incoming_source: str, incoming_dept: str | None, as_of: date) -> bool:
    """Whether a differing incoming value becomes current (the rule in the module docstring)."""
    if current_source == incoming_source:
        return True
    if current_source == SITE_SOURCE and confirmed_on is not None and confirmed_on >= as_of:
        return False
    return owner is not None and incoming_dept == owner  # else the current value stays (rules 4 and 5)
