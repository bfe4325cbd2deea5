"""Which entities need a verification on site (核查) and in what order. Pure: no database.

An entity needs a task for each of these reasons (`REASONS`, in priority order):
- conflict: an open `Conflict` on one of its fields (sources disagree);
- incomplete: a field of fields.REQUIRED is empty;
- invalid: a filled field fails its check (registry/validate.py);
- stale: not verified on site for `stale_months` months; never verified counts as stale.

A run opens at most `per_grid` new tasks per grid: conflicts first, then incomplete, then invalid, then the
oldest verification (never verified first), ties by entity id, so two runs over the same data choose the same
entities (which is what keeps two concurrent runs from opening more than the cap between them).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from zhili.registry.models import EntityKind

REASONS = ("conflict", "incomplete", "invalid", "stale")
REASON_LABEL = {"conflict": "多源冲突", "incomplete": "信息不全", "invalid": "信息有误", "stale": "久未核查"}
_NEVER = datetime(1900, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Facts:
    """What the rules need to know of one entity (gathered by registry/verify.py)."""

    kind: EntityKind
    entity_id: int
    grid_id: int | None
    area_path: str | None
    verified_at: datetime | None
    conflicts: tuple[str, ...] = ()  # fields with an open conflict
    missing: tuple[str, ...] = ()  # required fields that are empty
    invalid: tuple[str, ...] = ()  # filled fields that fail their check


@dataclass(frozen=True, order=True)
class Candidate:
    """An entity that needs a task, orderable by priority (`key`)."""

    key: tuple[int, datetime, str, int]
    facts: Facts = field(compare=False)
    reasons: tuple[str, ...] = field(compare=False)
    fields: tuple[str, ...] = field(compare=False)


def months_before(moment: datetime, months: int) -> datetime:
    """The same instant `months` calendar months earlier (the day clamped to the month's end: 31 Aug - 6 -> 28/29
    Feb)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
    return moment.replace(year=year, month=month, day=min(moment.day, last))


def reasons_of(facts: Facts, stale_before: datetime) -> tuple[str, ...]:
    """The reasons this entity needs a verification now, in priority order (empty: it needs none)."""
    found = []
    if facts.conflicts:
        found.append("conflict")
    if facts.missing:
        found.append("incomplete")
    if facts.invalid:
        found.append("invalid")
    if facts.verified_at is None or facts.verified_at < stale_before:
        found.append("stale")
    return tuple(found)


def fields_of(facts: Facts) -> tuple[str, ...]:
    """The fields to look at first: conflicting, then missing, then invalid (each once)."""
    return tuple(dict.fromkeys((*facts.conflicts, *facts.missing, *facts.invalid)))


def candidate(facts: Facts, stale_before: datetime) -> Candidate | None:
    reasons = reasons_of(facts, stale_before)
    if not reasons:
        return None
    rank = REASONS.index(reasons[0])
    return Candidate(key=(rank, facts.verified_at or _NEVER, facts.kind.value, facts.entity_id), facts=facts,
                     reasons=reasons, fields=fields_of(facts))


class Picker:
    """Keeps, per grid, the `per_grid` most urgent candidates seen so far (memory: grids x per_grid)."""

    def __init__(self, per_grid: int) -> None:
        self.per_grid = per_grid
        self.best: dict[int | None, list[Candidate]] = {}

    def offer(self, c: Candidate) -> None:
        kept = self.best.setdefault(c.facts.grid_id, [])
        if len(kept) >= self.per_grid and c >= kept[-1]:
            return
        bisect.insort(kept, c)
        if len(kept) > self.per_grid:
            kept.pop()

    def chosen(self) -> list[Candidate]:
        return [c for grid in sorted(self.best, key=lambda g: (g is None, g or 0)) for c in self.best[grid]]


def pick(candidates: Iterable[Candidate], per_grid: int) -> list[Candidate]:
    """At most `per_grid` candidates per grid (entities without a grid count as one more group), most urgent first."""
    picker = Picker(per_grid)
    for c in candidates:
        picker.offer(c)
    return picker.chosen()
