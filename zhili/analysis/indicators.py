"""The standard indicators (标准指标), defined once: what each counts, its formula in Chinese, and the pure function
that turns additive measures into values. No database here.

Two kinds of cases are counted, and a case is never counted when it was merged into another (并案: the master
counts once, the merged duplicates never):
- intake measures (受理口径) count the cases *received* in the period, by the local day (Asia/Shanghai) of
  `received_at`: received, registered, rejected, dispatched, sent back, repeat complaints, grid reports,
  self-handled, and how many of them are closed now;
- closure measures (结案口径) count the cases *closed* in the period, by the local day of `closed_at`, and only
  cases whose status is closed now (a case reopened after closing counts again on the day it closes again): on
  time, overdue, reworked, extended, rated, satisfied and the handling times.

`Measures` holds the additive sums; a rollup row, a period and a breakdown row all add the same way. Medians cannot
be added: they are computed from the per-case durations and passed in beside the sums.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Literal

Unit = Literal["count", "rate", "hours"]


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    unit: Unit
    formula: str
    higher_is_better: bool
    basis: str = "受理"  # 受理口径 (by received day) or 结案口径 (by closed day)


def _i(key: str, label: str, unit: Unit, formula: str, higher: bool, basis: str = "受理") -> Indicator:
    return Indicator(key, label, unit, formula, higher, basis)


_INTAKE = "按受理日（北京时间）统计期内受理的案件；并案（被合并的重复件）不计，主件计一次。"
_CLOSURE = "按结案日（北京时间）统计期内结案、当前仍为已结案状态的案件；并案不计。"

INDICATORS: dict[str, Indicator] = {i.key: i for i in (
    _i("received", "受理量", "count", f"受理量 = 期内受理的案件数。{_INTAKE}", True),
    _i("registered", "立案量", "count",
       f"立案量 = 期内受理且已立案的案件数（含网格员就地处置的案件，它们在上报时即立案并结案）。{_INTAKE}", True),
    _i("closed", "结案量", "count", f"结案量 = 期内结案的案件数。{_CLOSURE}", True, "结案"),
    _i("register_rate", "立案率", "rate",
       "立案率 = (立案 + 就地处置) ÷ (立案 + 就地处置 + 不予立案)。尚待立案审核的案件不进入分母。" + _INTAKE, True),
    _i("dispatch_accuracy", "派遣准确率", "rate",
       "派遣准确率 = 1 − 被退回过的案件 ÷ 已派遣的案件（派遣次数 ≥ 1）。一件案件无论被退回几次只计一次。" + _INTAKE,
       True),
    _i("ontime_rate", "按期处置率", "rate",
       "按期处置率 = 按期结案 ÷ 有处置期限的结案；按期指结案时间不晚于处置期限（closed_at ≤ deadline_at，"
       "期限已含批准的延期）。没有期限的案件（如就地处置）不进入分母。" + _CLOSURE, True, "结案"),
    _i("close_rate", "结案率", "rate",
       "结案率 = 已结案 ÷ (受理 − 不予立案)：期内受理的案件中，当前已结案的比例。" + _INTAKE, True),
    _i("rework_rate", "返工率", "rate", "返工率 = 核查不通过返工过（至少一次）的结案 ÷ 结案。" + _CLOSURE, False, "结案"),
    _i("extension_rate", "延期率", "rate", "延期率 = 延期过（至少一次获批延期）的结案 ÷ 结案。" + _CLOSURE, False, "结案"),
    _i("satisfaction_rate", "满意率", "rate",
       "满意率 = (满意 + 基本满意) ÷ 已回访评价的结案。未评价的不进入分母。" + _CLOSURE, True, "结案"),
    _i("avg_work_hours", "平均处置时长(工作小时)", "hours",
       "从受理到结案的工作时间（按工作日历与作息时段，节假日与非工作时段不计）的平均值，单位小时。" + _CLOSURE,
       False, "结案"),
    _i("median_work_hours", "处置时长中位数(工作小时)", "hours",
       "从受理到结案的工作时间的中位数（偶数件时取中间两件的平均），单位小时。" + _CLOSURE, False, "结案"),
    _i("avg_wall_hours", "平均处置时长(自然小时)", "hours",
       "从受理到结案的自然时间的平均值，单位小时。" + _CLOSURE, False, "结案"),
    _i("median_wall_hours", "处置时长中位数(自然小时)", "hours",
       "从受理到结案的自然时间的中位数，单位小时。" + _CLOSURE, False, "结案"),
    _i("repeat_rate", "重复投诉率", "rate",
       "重复投诉率 = 受理时判定为重复投诉的案件 ÷ 受理量（未判定的计为非重复）。" + _INTAKE, False),
    _i("self_handled_rate", "小事不出网格率", "rate",
       "小事不出网格率 = 网格员就地处置的案件 ÷ 网格员上报的案件（渠道为网格员上报）。" + _INTAKE, True),
    _i("overdue_closed", "超期结案量", "count",
       "超期结案量 = 结案时间晚于处置期限的结案数（closed_at > deadline_at）。" + _CLOSURE, False, "结案"),
)}

KEYS = tuple(INDICATORS)


@dataclass
class Measures:
    """Additive sums. Intake fields count cases by received day, closure fields by closed day."""

    # intake (受理口径)
    received: int = 0
    registered: int = 0  # registered_at set (self-handled included)
    rejected: int = 0  # status rejected (不予立案)
    dispatched: int = 0  # dispatch_count >= 1
    sent_back: int = 0  # dispatched and send_back_count >= 1
    intake_closed: int = 0  # received in the period and closed now
    repeat: int = 0  # repeat_complaint is true
    grid_reported: int = 0  # channel grid
    self_handled: int = 0  # channel grid and self_handled
    # closure (结案口径)
    closed: int = 0
    with_deadline: int = 0
    ontime: int = 0  # closed_at <= deadline_at
    overdue: int = 0  # closed_at > deadline_at
    reworked: int = 0
    extended: int = 0
    rated: int = 0
    satisfied: int = 0  # satisfied or basic
    wall_seconds: float = 0.0
    work_seconds: float = 0.0

    def add(self, other: Measures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @classmethod
    def total(cls, items: Iterable[Measures]) -> Measures:
        out = cls()
        for m in items:
            out.add(m)
        return out


MEASURE_FIELDS = tuple(f.name for f in fields(Measures))
INTAKE_FIELDS = MEASURE_FIELDS[:MEASURE_FIELDS.index("closed")]
CLOSURE_FIELDS = MEASURE_FIELDS[MEASURE_FIELDS.index("closed"):]


@dataclass(frozen=True)
class Medians:
    work_hours: float | None = None
    wall_hours: float | None = None


def _rate(num: float, den: float) -> float | None:
    return num / den if den else None


def values(m: Measures, medians: Medians | None = None) -> dict[str, float | None]:
    """Every indicator of INDICATORS from the sums (and the medians, computed elsewhere). An empty denominator
    gives None (shown as "—"), never 0 or a division error."""
    med = medians or Medians()
    hours = 3600.0
    out: dict[str, float | None] = {
        "received": m.received,
        "registered": m.registered,
        "closed": m.closed,
        "register_rate": _rate(m.registered, m.registered + m.rejected),
        "dispatch_accuracy": None if not m.dispatched else 1 - m.sent_back / m.dispatched,
        "ontime_rate": _rate(m.ontime, m.with_deadline),
        "close_rate": _rate(m.intake_closed, m.received - m.rejected),
        "rework_rate": _rate(m.reworked, m.closed),
        "extension_rate": _rate(m.extended, m.closed),
        "satisfaction_rate": _rate(m.satisfied, m.rated),
        "avg_work_hours": None if not m.closed else m.work_seconds / m.closed / hours,
        "median_work_hours": med.work_hours,
        "avg_wall_hours": None if not m.closed else m.wall_seconds / m.closed / hours,
        "median_wall_hours": med.wall_hours,
        "repeat_rate": _rate(m.repeat, m.received),
        "self_handled_rate": _rate(m.self_handled, m.grid_reported),
        "overdue_closed": m.overdue,
    }
    assert tuple(out) == KEYS
    return out


def median(sorted_values: list[float]) -> float | None:
    """The median of an ascending list: the middle value, or the mean of the two middle ones."""
    n = len(sorted_values)
    if not n:
        return None
    mid = n // 2
    return sorted_values[mid] if n % 2 else (sorted_values[mid - 1] + sorted_values[mid]) / 2


def fmt(key: str, value: float | None) -> str:
    """A value as shown in tables and CSV: rates as percentages with one decimal, hours with one decimal."""
    if value is None:
        return "—"
    unit = INDICATORS[key].unit
    if unit == "rate":
        return f"{value * 100:.1f}%"
    if unit == "hours":
        return f"{value:.1f}"
    return f"{int(value)}"


def case_measures(*, status: str, registered: bool, dispatch_count: int, send_back_count: int,
                  repeat_complaint: bool | None, channel: str, self_handled: bool, closed: bool,
                  deadline_at: datetime | None, closed_at: datetime | None, rework_count: int,
                  extension_count: int, satisfaction: str | None, wall_seconds: float | None,
                  work_seconds: float | None) -> tuple[Measures, Measures]:
    """What one (not merged) case adds on its received day (intake) and on its closed day (closure). `closed`:
    its status is closed now; the closure part is empty otherwise."""
    intake = Measures(received=1, registered=int(registered), rejected=int(status == "rejected"),
                      dispatched=int(dispatch_count > 0), sent_back=int(dispatch_count > 0 and send_back_count > 0),
                      intake_closed=int(closed), repeat=int(bool(repeat_complaint)),
                      grid_reported=int(channel == "grid"), self_handled=int(channel == "grid" and self_handled))
    closure = Measures()
    if closed:
        has_deadline = deadline_at is not None and closed_at is not None
        on_time = has_deadline and closed_at <= deadline_at  # type: ignore[operator]
        closure = Measures(closed=1, with_deadline=int(has_deadline), ontime=int(on_time),
                           overdue=int(has_deadline and not on_time), reworked=int(rework_count > 0),
                           extended=int(extension_count > 0), rated=int(satisfaction is not None),
                           satisfied=int(satisfaction in ("satisfied", "basic")),
                           wall_seconds=wall_seconds or 0.0, work_seconds=work_seconds or 0.0)
    return intake, closure
