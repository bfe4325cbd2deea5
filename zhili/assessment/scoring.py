"""The scoring rules, pure (no database): validate a scheme, turn a unit's figures into points, rank the units.

A scheme applies to one kind of unit and has items and deductions:

- an item scores one measure (an indicator of `zhili.analysis.indicators.INDICATORS`, or for grid workers one of
  WORKER_MEASURES) against a target: `linear` gives full marks (the item's weight) at or beyond the target, zero at
  or beyond the floor on the wrong side, a straight line between; `threshold` gives full marks when the target is
  met and zero otherwise. A measure with no data in the period (no case to count) scores full marks and is shown
  as 无数据: nothing went wrong that the unit could answer for.
- a deduction takes `points` per occurrence (overdue case, supervision order not answered in time, repeat
  complaint, rework), at most `cap` in all.

Total = sum of item points (weights add up to 100) - deductions, never below 0. Ranks are competition ranks
(1, 2, 2, 4) by total, ties broken by nothing: equal totals share a rank.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from zhili.analysis.indicators import INDICATORS
from zhili.kit.errors import ValidationFailed

UNIT_KINDS: dict[str, str] = {"department": "部门", "street": "镇街", "community": "社区", "grid": "网格",
                              "grid_worker": "网格员"}
METHODS: dict[str, str] = {"linear": "达标满分、低于目标线性递减、到底线为零", "threshold": "达标满分、未达标零分"}


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str  # count / rate / hours
    higher_is_better: bool


# Grid workers' own work, counted from the cases they filed and the verifications they did (see service.py).
WORKER_MEASURES: dict[str, Measure] = {
    "worker_reports": Measure("worker_reports", "本人上报案件数", "count", True),
    "worker_verifications": Measure("worker_verifications", "本人核查次数", "count", True),
}
DEDUCTION_KINDS: dict[str, str] = {
    "overdue_case": "超期案件（本期超期结案及期末仍超期未结）",
    "supervision_unanswered": "督办单未按时反馈",
    "repeat_complaint": "重复投诉",
    "rework": "返工案件",
}
WEIGHT_TOTAL = 100.0


def measures_for(unit_kind: str) -> dict[str, Measure]:
    out = {k: Measure(k, i.label, i.unit, i.higher_is_better) for k, i in INDICATORS.items()}
    if unit_kind == "grid_worker":
        out.update(WORKER_MEASURES)
    return out


@dataclass(frozen=True)
class Item:
    indicator: str
    weight: float
    target: float
    floor: float
    method: str = "linear"


@dataclass(frozen=True)
class Deduction:
    kind: str
    points: float  # per occurrence
    cap: float  # at most this many points in all
    limit_hours: float = 24.0  # supervision_unanswered only: how long a department has to answer


@dataclass(frozen=True)
class Scheme:
    unit_kind: str
    items: tuple[Item, ...]
    deductions: tuple[Deduction, ...] = ()


@dataclass(frozen=True)
class ItemResult:
    indicator: str
    label: str
    unit: str
    value: float | None
    target: float
    floor: float
    weight: float
    points: float
    method: str


@dataclass(frozen=True)
class DeductionResult:
    kind: str
    label: str
    count: int
    per: float
    cap: float
    points: float  # after the cap
    capped: bool


@dataclass(frozen=True)
class Breakdown:
    items: list[ItemResult]
    deductions: list[DeductionResult]
    base: float
    deduction: float
    total: float

    def as_dict(self) -> dict[str, Any]:
        return {"items": [vars(i) for i in self.items], "deductions": [vars(d) for d in self.deductions],
                "base": self.base, "deduction": self.deduction, "total": self.total}


@dataclass
class Problems:
    """Every error found in a scheme, so the form can show them all at once."""

    errors: list[tuple[str, str]] = field(default_factory=list)  # (field, Chinese message)

    def add(self, where: str, message: str) -> None:
        self.errors.append((where, message))

    def raise_if_any(self) -> None:
        if self.errors:
            where = self.errors[0][0]
            raise ValidationFailed("；".join(m for _, m in self.errors), field=where, code="invalid_scheme")


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    try:
        return float(str(v).strip())
    except (TypeError, ValueError):
        return None


def parse_scheme(unit_kind: str, items: Iterable[Mapping[str, Any]],
                 deductions: Iterable[Mapping[str, Any]] = ()) -> Scheme:
    """Check a scheme as a user typed it; raise ValidationFailed with every problem in Chinese."""
    p = Problems()
    if unit_kind not in UNIT_KINDS:
        p.add("unit_kind", f"考核对象类型应为 {'、'.join(f'{k}({v})' for k, v in UNIT_KINDS.items())} 之一")
    measures = measures_for(unit_kind)
    parsed: list[Item] = []
    seen: set[str] = set()
    items = list(items)
    if not items:
        p.add("items", "考核方案至少需要一项指标")
    for n, raw in enumerate(items, 1):
        where = f"items.{n - 1}"
        key = str(raw.get("indicator", "")).strip()
        m = measures.get(key)
        if m is None:
            p.add(f"{where}.indicator", f"第{n}项：未知的指标“{key}”")
            continue
        if key in seen:
            p.add(f"{where}.indicator", f"第{n}项：指标“{m.label}”重复")
        seen.add(key)
        weight, target, floor = _num(raw.get("weight")), _num(raw.get("target")), _num(raw.get("floor"))
        method = str(raw.get("method") or "linear")
        if method not in METHODS:
            p.add(f"{where}.method", f"第{n}项：计分方式应为 linear 或 threshold")
        if weight is None or weight <= 0 or weight > WEIGHT_TOTAL:
            p.add(f"{where}.weight", f"第{n}项（{m.label}）：权重应为 0 到 100 之间的数")
            continue
        if target is None:
            p.add(f"{where}.target", f"第{n}项（{m.label}）：目标值应为数字")
            continue
        if floor is None:
            floor = 0.0 if m.higher_is_better else (1.0 if m.unit == "rate" else target * 2)
        bad_range = [v for v in (target, floor) if v < 0 or (m.unit == "rate" and v > 1)]
        if bad_range:
            rng = "0 到 1 之间（如 0.9 表示 90%）" if m.unit == "rate" else "不小于 0"
            p.add(f"{where}.target", f"第{n}项（{m.label}）：目标值与底线应在 {rng}")
            continue
        if method == "linear" and (floor >= target if m.higher_is_better else floor <= target):
            side = "低于" if m.higher_is_better else "高于"
            p.add(f"{where}.floor", f"第{n}项（{m.label}）：零分底线应{side}目标值")
            continue
        parsed.append(Item(key, weight, target, floor, method))
    total = sum(_num(r.get("weight")) or 0.0 for r in items)
    if items and abs(total - WEIGHT_TOTAL) > 1e-6:
        p.add("items", f"各项权重之和应为 100，现为 {total:g}")
    ded: list[Deduction] = []
    kinds: set[str] = set()
    for n, raw in enumerate(deductions, 1):
        where = f"deductions.{n - 1}"
        kind = str(raw.get("kind", "")).strip()
        if kind not in DEDUCTION_KINDS:
            p.add(f"{where}.kind", f"第{n}项扣分：未知的扣分类型“{kind}”")
            continue
        if kind in kinds:
            p.add(f"{where}.kind", f"第{n}项扣分：“{DEDUCTION_KINDS[kind]}”重复")
        kinds.add(kind)
        per, cap = _num(raw.get("points")), _num(raw.get("cap"))
        hours = _num(raw.get("limit_hours", 24.0))
        if per is None or per <= 0 or per > WEIGHT_TOTAL:
            p.add(f"{where}.points", f"第{n}项扣分：每次扣分应为 0 到 100 之间的数")
            continue
        if cap is None or cap <= 0 or cap > WEIGHT_TOTAL:
            p.add(f"{where}.cap", f"第{n}项扣分：扣分上限应为 0 到 100 之间的数")
            continue
        if hours is None or hours <= 0 or hours > 24 * 90:
            p.add(f"{where}.limit_hours", f"第{n}项扣分：反馈时限应为 0 到 2160 小时")
            continue
        ded.append(Deduction(kind, per, cap, hours))
    p.raise_if_any()
    return Scheme(unit_kind, tuple(parsed), tuple(ded))


def item_points(value: float | None, item: Item, higher_is_better: bool) -> float:
    """Points for one measure. No data: full marks (see the module docstring)."""
    if value is None:
        return item.weight
    good = value >= item.target if higher_is_better else value <= item.target
    if good:
        return item.weight
    if item.method == "threshold":
        return 0.0
    span = item.target - item.floor
    share = (value - item.floor) / span  # the same formula both ways: span and distance share the sign
    return round(item.weight * min(1.0, max(0.0, share)), 4)


def score(scheme: Scheme, values: Mapping[str, float | None], counts: Mapping[str, int]) -> Breakdown:
    """A unit's score from its figures (indicator key -> value) and its deduction counts (kind -> occurrences)."""
    measures = measures_for(scheme.unit_kind)
    results: list[ItemResult] = []
    for it in scheme.items:
        m = measures[it.indicator]
        v = values.get(it.indicator)
        results.append(ItemResult(it.indicator, m.label, m.unit, v, it.target, it.floor, it.weight,
                                  item_points(v, it, m.higher_is_better), it.method))
    deds: list[DeductionResult] = []
    for d in scheme.deductions:
        n = int(counts.get(d.kind, 0))
        raw = n * d.points
        deds.append(DeductionResult(d.kind, DEDUCTION_KINDS[d.kind], n, d.points, d.cap, round(min(raw, d.cap), 4),
                                    raw > d.cap))
    base = round(sum(r.points for r in results), 4)
    deduction = round(sum(d.points for d in deds), 4)
    return Breakdown(results, deds, base, deduction, round(max(0.0, base - deduction), 2))


def competition_ranks(totals: Mapping[Any, float]) -> dict[Any, int]:
    """1, 2, 2, 4: a unit's rank is one more than the number of units with a strictly higher total."""
    ordered = sorted(totals.values(), reverse=True)
    first: dict[float, int] = {}
    for i, t in enumerate(ordered, 1):
        first.setdefault(t, i)
    return {k: first[t] for k, t in totals.items()}
