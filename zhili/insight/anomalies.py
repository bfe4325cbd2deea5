"""Anomaly rules (pure): whether a day's count lies outside its interval, how loud that is, and what the alert
says. Intervals come from the forecast (categories, streets: see forecast.py `check`) or, for grids, from a Poisson
interval around the grid's own baseline rate.

A count above its interval is unusual; at least twice the upper bound (and at least 5 above it) is critical. A
count below a lower bound is unusual too (a quiet day for a busy street can mean an intake channel is down), but
only a warning. Today's count so far is scaled to a whole day by the share of the day elapsed, and judged only
from noon on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from scipy.stats import poisson

KIND_LABEL = {"category": "事项", "street": "街道", "grid": "网格", "total": "全区"}
MIN_DAY_SHARE = 0.5


@dataclass(frozen=True)
class Finding:
    kind: str  # category / street / grid / total
    subject_key: str
    subject_label: str
    day: date
    observed: int  # the count so far for a partial day
    projected: float  # the whole day's count (= observed for a complete day)
    lo: float
    hi: float
    level: str  # warning / critical
    partial: bool


def poisson_interval(rate: float, level: float = 0.99) -> tuple[float, float]:
    tail = (1 - level) / 2
    if rate <= 0:
        return 0.0, 0.0
    return float(poisson.ppf(tail, rate)), float(poisson.ppf(1 - tail, rate))


def judge(projected: float, lo: float, hi: float) -> str | None:
    """"critical", "warning" or None (inside the interval)."""
    if projected > hi:
        return "critical" if projected >= 2 * max(hi, 1.0) and projected - hi >= 5 else "warning"
    if projected < lo:
        return "warning"
    return None


def finding(kind: str, key: str, label: str, day: date, observed: int, lo: float, hi: float,
            day_share: float = 1.0) -> Finding | None:
    """The finding for one subject and day, or None when the count is inside its interval (or the day is too
    young to judge)."""
    partial = day_share < 1.0
    if partial and day_share < MIN_DAY_SHARE:
        return None
    projected = observed / day_share if partial else float(observed)
    if partial and projected < lo:
        return None  # a slow morning is not news
    level = judge(projected, lo, hi)
    if level is None:
        return None
    return Finding(kind=kind, subject_key=key, subject_label=label, day=day, observed=observed,
                   projected=round(projected, 1), lo=lo, hi=hi, level=level, partial=partial)


def _count(v: float) -> str:
    return str(round(v))


def message(f: Finding) -> tuple[str, str]:
    """(title, body) in the center's words, e.g. "首南街道 11月27日 受理 42 件，预期 12-20 件"."""
    day = f"{f.day.month}月{f.day.day}日"
    what = "受理" if f.kind in ("street", "grid", "total") else ""
    direction = "偏高" if f.projected > f.hi else "偏低"
    title = f"{f.subject_label} {day} {what}{_count(f.observed)} 件，预期 {_count(f.lo)}-{_count(f.hi)} 件"
    if f.partial:
        title = (f"{f.subject_label} {day} 截至目前 {what}{_count(f.observed)} 件（全天折算约 {_count(f.projected)} 件），"
                 f"预期 {_count(f.lo)}-{_count(f.hi)} 件")
    body = (f"{KIND_LABEL.get(f.kind, f.kind)}「{f.subject_label}」{day}案件量{direction}，"
            f"{'严重' if f.level == 'critical' else ''}超出预测区间，请关注。")
    return title, body
