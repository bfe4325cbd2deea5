"""When, what and where the demo history's cases happen: the day, the hour, the category mix and the hotspots.

Why: analyses, forecasts and the classifier are only worth demonstrating on data with the shape of a real year:
fewer reports on weekends and holidays, more noise complaints on summer nights, typhoon spikes of flooding and
fallen trees in July-September, wage arrears before the Spring Festival, and places that keep producing the same
complaints (markets, construction sites, old residential blocks, schools). Pure: no database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from zhili.kit.workdays import WorkCalendar

# Relative frequency of each leaf (default 1.0): the everyday complaints of an urban district dominate.
BASE_WEIGHT: dict[str, float] = {
    "SJ0102": 9, "SJ0504": 8, "ZL0501": 7, "SJ0503": 6, "ZL0601": 6, "SJ0501": 5, "ZL0302": 5, "ZL0201": 5,
    "BJ0109": 5, "SJ0101": 4, "SJ0104": 4, "SJ0110": 4, "SJ0505": 4, "ZL0701": 4, "ZL0101": 4, "SJ0301": 4,
    "SJ0107": 3, "SJ0201": 3, "BJ0207": 3, "BJ0206": 3, "SJ0506": 3, "ZL0604": 3, "ZL0603": 3, "ZL0602": 3,
    "SJ0302": 3, "ZL0503": 3, "ZL0504": 3, "SJ0304": 3, "ZL0107": 3, "SJ0502": 3, "SJ0103": 2.5, "ZL0301": 2.5,
    "BJ0402": 2.5, "ZL1203": 2, "ZL0502": 2, "SJ0507": 2, "ZL0801": 2, "ZL0802": 2, "ZL0807": 2, "ZL1002": 2,
    "ZL0204": 2, "ZL0205": 2, "SJ0303": 2, "ZL0702": 2, "ZL0703": 1.5, "ZL0806": 1.5, "ZL0805": 1.5,
    "SJ0409": 0.15, "ZL0902": 0.1, "ZL0901": 0.3, "ZL1304": 0.3, "ZL1303": 0.3, "BJ0401": 0.3, "ZL1102": 0.2,
    "ZL1101": 0.4, "ZL1103": 0.3, "ZL0605": 0.4, "SJ0405": 0.6, "ZL1401": 0.3, "BJ0606": 0.3, "BJ0406": 0.4,
    "SJ0403": 0.6, "SJ0406": 0.5, "SJ0401": 0.5, "ZL0203": 0.4, "ZL0303": 0.6, "ZL1003": 0.6, "ZL1005": 0.5,
    "ZL0106": 0.6, "ZL0103": 0.6, "ZL0104": 0.8, "ZL1204": 0.6, "ZL1004": 0.8, "SJ0509": 0.5, "BJ0107": 0.5,
}

NOISE = frozenset({"ZL0501", "ZL0502", "ZL0503", "ZL0504", "ZL0505", "SJ0301", "SJ0507"})
FLOOD = frozenset({"SJ0404", "SJ0407", "ZL1402", "BJ0603", "SJ0408", "BJ0104", "SJ0401", "ZL1401"})
SUMMER_SMELL = frozenset({"SJ0110", "SJ0104", "BJ0302", "SJ0105", "ZL1001", "ZL0807", "ZL0604", "SJ0109"})
WORK_MATTERS = frozenset({"ZL0701", "ZL0702", "ZL0703", "ZL1201", "ZL1202", "ZL1403"})

# Hotspot kinds and the leaves they attract (share of that leaf's cases placed at such a hotspot).
HOTSPOT_LEAVES: dict[str, dict[str, float]] = {
    "market": {"SJ0503": 0.7, "SJ0501": 0.5, "SJ0502": 0.5, "SJ0102": 0.3, "SJ0104": 0.3, "ZL0402": 0.5,
               "ZL1203": 0.4, "ZL0404": 0.3, "SJ0505": 0.3, "ZL0202": 0.3, "SJ0101": 0.2, "BJ0301": 0.3},
    "site": {"SJ0301": 0.85, "SJ0302": 0.9, "SJ0303": 0.7, "ZL0503": 0.85, "SJ0308": 0.6, "SJ0306": 0.9,
             "SJ0307": 0.4, "SJ0103": 0.4, "ZL0701": 0.3, "ZL1403": 0.3},
    "old_block": {"ZL0302": 0.6, "ZL0201": 0.6, "ZL0604": 0.5, "ZL0601": 0.4, "ZL0101": 0.4, "ZL0501": 0.4,
                  "BJ0501": 0.6, "BJ0503": 0.7, "BJ0302": 0.6, "SJ0408": 0.4, "ZL0204": 0.5, "ZL0603": 0.4,
                  "SJ0304": 0.3, "ZL0206": 0.4, "SJ0111": 0.4},
    "school": {"ZL0403": 0.9, "ZL0804": 0.5, "SJ0501": 0.15, "BJ0201": 0.2, "SJ0504": 0.15},
    "park": {"ZL0504": 0.7, "BJ0602": 0.4, "BJ0403": 0.3, "BJ0407": 0.6, "BJ0406": 0.6, "SJ0106": 0.3},
    "enterprise": {"ZL0701": 0.4, "ZL0702": 0.5, "ZL1403": 0.6, "ZL1003": 0.5, "ZL1002": 0.4, "ZL0203": 0.5,
                   "ZL1201": 0.7, "ZL0303": 0.4},
    "hospital": {"ZL0106": 0.8, "ZL0805": 0.4, "SJ0504": 0.1},
    "transport_hub": {"SJ0506": 0.6, "SJ0505": 0.3, "BJ0205": 0.4, "SJ0509": 0.5, "SJ0204": 0.4},
    "rural": {"ZL1004": 0.95, "ZL0103": 0.9, "ZL1204": 0.9, "ZL0104": 0.7, "BJ0401": 0.6, "ZL1401": 0.8,
              "SJ0108": 0.6, "ZL1005": 0.5, "ZL1001": 0.4, "ZL1402": 0.4},
}
# Which text place to prefer for a hotspot kind (see texts.PLACES).
HOTSPOT_PLACE = {"market": "market", "site": "site", "old_block": "home", "school": "school", "park": "park",
                 "enterprise": "company", "hospital": "hospital", "transport_hub": "station", "rural": "village"}


def season_factor(code: str, month: int) -> float:
    """How much more (or less) often a leaf is reported in `month` than on average."""
    if code in NOISE:
        return {6: 1.7, 7: 2.0, 8: 1.9, 5: 1.3, 9: 1.3}.get(month, 0.8)
    if code in FLOOD:
        return {6: 2.0, 7: 2.4, 8: 2.6, 9: 2.2, 5: 1.2}.get(month, 0.4)
    if code == "SJ0405":
        return {12: 2.5, 1: 4.0, 2: 3.0}.get(month, 0.0)
    if code in ("ZL1004", "SJ0108"):
        return {5: 2.5, 6: 2.5, 10: 2.5, 11: 2.5}.get(month, 0.4)
    if code == "ZL0701":
        return {12: 2.2, 1: 3.0, 2: 1.5}.get(month, 0.8)
    if code == "ZL0804":
        return {4: 2.0, 5: 3.0, 6: 3.0, 7: 2.5, 8: 2.0}.get(month, 0.3)
    if code in ("ZL0901", "ZL0902"):
        return {12: 2.5, 1: 2.5, 2: 2.0, 3: 1.5}.get(month, 0.5)
    if code in SUMMER_SMELL:
        return {6: 1.4, 7: 1.6, 8: 1.6, 9: 1.2}.get(month, 0.85)
    if code == "SJ0101":
        return {11: 1.6, 12: 1.5}.get(month, 0.95)
    return 1.0


@dataclass(frozen=True)
class DayPlan:
    day: date
    weight: float
    workday: bool
    holiday: bool
    typhoon: bool


def typhoon_days(rng: np.random.Generator, start: date, end: date) -> set[date]:
    """Two or three typhoons a year between mid-July and September, each hitting for three days."""
    out: set[date] = set()
    for year in range(start.year, end.year + 1):
        n = int(rng.integers(2, 4))
        for _ in range(n):
            first = date(year, 7, 15) + timedelta(days=int(rng.integers(0, 75)))
            out.update(first + timedelta(days=k) for k in range(3))
    return {d for d in out if start <= d <= end}


def day_plans(cal: WorkCalendar, start: date, end: date, typhoons: set[date]) -> list[DayPlan]:
    """Every local day in [start, end] with its relative volume: weekends ~60 %, holidays ~45 %, a typhoon day
    ~170 %, summer a little busier and the Spring Festival fortnight quiet."""
    out: list[DayPlan] = []
    d = start
    while d <= end:
        workday = cal.is_workday(d)
        # A day off is a holiday when the official schedule lists it, or it is a weekend touching one.
        holiday = not workday and (cal.exceptions.get(d) is False or any(
            cal.exceptions.get(d + timedelta(days=k)) is False for k in (-2, -1, 1, 2)))
        w = 1.0 if workday else (0.45 if holiday else 0.62)
        w *= 1.0 + 0.12 * math.sin((d.timetuple().tm_yday - 100) / 365 * 2 * math.pi)  # summer busier
        typhoon = d in typhoons
        if typhoon:
            w *= 1.7
        out.append(DayPlan(d, w, workday, holiday, typhoon))
        d += timedelta(days=1)
    return out


def category_weights(codes: list[str], month: int, day: DayPlan) -> np.ndarray:
    """Probability of each leaf on `day`."""
    w = np.array([BASE_WEIGHT.get(c, 1.0) * season_factor(c, month) for c in codes], dtype=np.float64)
    for i, c in enumerate(codes):
        if day.typhoon and c in FLOOD:
            w[i] *= 25.0
        if not day.workday and c in WORK_MATTERS:
            w[i] *= 0.4
        if not day.workday and c in NOISE:
            w[i] *= 1.4
    return w / w.sum()


# Hour-of-day profiles (local time), as weights for hours 0..23.
HOTLINE_HOURS = np.array([0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.6, 1.5, 3.5, 5.0, 5.2, 4.5, 2.8, 3.0, 4.6, 4.8, 4.4,
                          3.6, 2.6, 2.4, 2.2, 1.8, 1.2, 0.6])
GRID_HOURS = np.array([0, 0, 0, 0, 0, 0, 0, 0.3, 3.0, 5.0, 5.0, 3.0, 0.5, 1.0, 4.0, 5.0, 4.5, 2.0, 0.3, 0, 0, 0,
                       0, 0], dtype=np.float64)
RESIDENT_HOURS = np.array([0.5, 0.3, 0.2, 0.1, 0.1, 0.2, 0.8, 2.0, 3.0, 3.2, 3.0, 2.8, 2.6, 2.6, 2.8, 2.8, 2.8,
                           2.8, 3.0, 3.4, 3.8, 3.6, 2.4, 1.2])
NOISE_HOURS = np.array([4.0, 3.0, 1.5, 0.6, 0.3, 0.5, 1.0, 1.5, 1.5, 1.5, 1.5, 1.2, 1.2, 1.5, 1.5, 1.5, 1.5, 1.5,
                        1.8, 2.5, 3.5, 5.0, 6.5, 6.0])
HOURS = {name: p / p.sum() for name, p in (("hotline", HOTLINE_HOURS), ("grid", GRID_HOURS),
                                          ("resident", RESIDENT_HOURS), ("noise", NOISE_HOURS))}
