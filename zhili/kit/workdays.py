"""China's working-day clock: working time between two instants, and the instant a working-time limit runs out.

Pure and deterministic (no database, no clock reads); `zhili.workcal.service.calendar_for` builds one from the
database. Semantics:

- A *working day* is Monday-Friday, unless `exceptions` says otherwise: `True` makes a day a working day (a
  make-up Saturday or Sunday, 调休上班), `False` a day off (a statutory holiday on a weekday). Exceptions apply in
  every year; a year not in `covered_years` has no official schedule entered, so it falls back to plain
  Monday-Friday (plus any exceptions already typed), and `uncovered_years()` names it so callers can warn.
- *Working time* is counted only inside the configured periods (default 08:30-12:00 and 13:30-17:30, 7.5 h) of
  working days, in local wall-clock time of `tz` (Asia/Shanghai). Instants are aware datetimes in any zone (naive
  ones are taken as UTC, as the database stores them); results are UTC-aware.
- `add(start, N, "work_hours")` is N*3600 working seconds; `add(start, N, "work_days")` is N * `day_seconds`
  working seconds. So a working day is an amount of working time, not "the same clock time N calendar working
  days later": 1 working day from Monday 10:00 ends Tuesday 10:00, from Friday 16:00 it ends at 16:00 of the next
  working day (holidays skipped, make-up days counted), and from a start outside working time (night, lunch
  break, weekend, holiday) counting begins at the next working period. `"hours"` are natural hours (a plain
  timedelta).
- The deadline is the *earliest* instant at which the working time has elapsed: a limit that runs out exactly at
  the end of a period ends there (12:00 or 17:30), not at the start of the next period.

Whole working days are skipped arithmetically (weekday counting plus a bisect over the sorted exceptions), so a
deadline or a span of months costs microseconds, independent of its length.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UNITS = ("work_hours", "work_days", "hours")
_DAY = 86400
_PERIOD = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_MAX_DAY = date(9999, 12, 1)


def parse_periods(text: str) -> tuple[tuple[int, int], ...]:
    """'08:30-12:00,13:30-17:30' -> ((30600, 43200), (48600, 63000)): seconds after local midnight."""
    periods: list[tuple[int, int]] = []
    parts = [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]
    if not parts:
        raise ValueError("工作时段不能为空，格式如 08:30-12:00,13:30-17:30")
    for part in parts:
        m = _PERIOD.match(part)
        if not m:
            raise ValueError(f"工作时段 {part!r} 格式错误，应为 HH:MM-HH:MM，如 08:30-12:00")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise ValueError(f"工作时段 {part!r} 的时间无效")
        start, end = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
        if end <= start:
            raise ValueError(f"工作时段 {part!r} 的结束时间应晚于开始时间")
        if periods and start < periods[-1][1]:
            raise ValueError(f"工作时段 {part!r} 与前一时段重叠或顺序颠倒，时段应按时间先后排列且互不重叠")
        periods.append((start, end))
    return tuple(periods)


def _weekdays_between(a: date, b: date) -> int:
    """Monday-Friday days in [a, b)."""
    days = (b - a).days
    if days <= 0:
        return 0
    weeks, rest = divmod(days, 7)
    first = a.weekday()
    return weeks * 5 + sum(1 for i in range(rest) if (first + i) % 7 < 5)


class WorkCalendar:
    def __init__(self, exceptions: Mapping[date, bool], covered_years: Iterable[int],
                 periods: str = "08:30-12:00,13:30-17:30", tz: str = "Asia/Shanghai") -> None:
        self.periods = parse_periods(periods)
        try:
            self.tz = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"未知的时区 {tz!r}") from exc
        self.exceptions: dict[date, bool] = dict(exceptions)
        self.covered_years = frozenset(covered_years)
        self._day_seconds = float(sum(e - s for s, e in self.periods))
        # Sorted exception days and the running sum of how each changes the Monday-Friday count (+1, -1 or 0).
        self._ex_days = sorted(self.exceptions)
        self._ex_prefix = [0]
        for d in self._ex_days:
            self._ex_prefix.append(self._ex_prefix[-1] + int(self.exceptions[d]) - int(d.weekday() < 5))

    @property
    def day_seconds(self) -> float:
        """Working seconds in one working day (7.5 h with the default periods)."""
        return self._day_seconds

    def is_workday(self, d: date) -> bool:
        found = self.exceptions.get(d)
        return d.weekday() < 5 if found is None else found

    def workdays_between(self, a: date, b: date) -> int:
        """Working days in [a, b)."""
        if b <= a:
            return 0
        lo, hi = bisect_left(self._ex_days, a), bisect_left(self._ex_days, b)
        return _weekdays_between(a, b) + self._ex_prefix[hi] - self._ex_prefix[lo]

    # -- local time helpers -------------------------------------------------------------------------------------
    def _local(self, value: datetime) -> tuple[date, float]:
        local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(self.tz)
        return local.date(), local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6

    def _instant(self, d: date, seconds: float) -> datetime:
        wall = datetime(d.year, d.month, d.day, tzinfo=self.tz) + timedelta(seconds=seconds)
        return wall.astimezone(UTC)

    def _overlap(self, t0: float, t1: float) -> float:
        """Working seconds of one working day between second-of-day t0 and t1."""
        return sum(max(0.0, min(e, t1) - max(s, t0)) for s, e in self.periods)

    # -- the clock ----------------------------------------------------------------------------------------------
    def working_seconds(self, start: datetime, end: datetime) -> float:
        """Working time in [start, end); 0 when end <= start."""
        d0, t0 = self._local(start)
        d1, t1 = self._local(end)
        if (d1, t1) <= (d0, t0):
            return 0.0
        if d0 == d1:
            return self._overlap(t0, t1) if self.is_workday(d0) else 0.0
        first = self._overlap(t0, _DAY) if self.is_workday(d0) else 0.0
        last = self._overlap(0, t1) if self.is_workday(d1) else 0.0
        return first + last + self.workdays_between(d0 + timedelta(days=1), d1) * self._day_seconds

    def _nth_workday_after(self, d: date, n: int) -> date:
        """The n-th working day strictly after d (n >= 1)."""
        first = d + timedelta(days=1)
        span = n * 7 // 5 + 7
        room = (_MAX_DAY - first).days
        while True:
            if span > room:
                raise ValueError("期限超出可计算的日期范围")
            if self.workdays_between(first, first + timedelta(days=span)) >= n:
                break
            span *= 2
        lo, hi = 1, span  # the answer is first + (k - 1) days for the smallest k with count(first, first+k) >= n
        while lo < hi:
            mid = (lo + hi) // 2
            if self.workdays_between(first, first + timedelta(days=mid)) >= n:
                hi = mid
            else:
                lo = mid + 1
        return first + timedelta(days=lo - 1)

    def _in_day(self, d: date, t: float, remaining: float) -> datetime | None:
        """The instant on working day d, counting from second-of-day t, when `remaining` runs out; None if not."""
        for s, e in self.periods:
            if e <= t:
                continue
            begin = max(float(s), t)
            if remaining <= e - begin:
                return self._instant(d, begin + remaining)
            remaining -= e - begin
        return None

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The earliest instant (UTC) at which `seconds` of working time have elapsed since `start`."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("工作时长应为非负的有限数")
        d, t = self._local(start)
        if seconds == 0:
            return (start if start.tzinfo else start.replace(tzinfo=UTC)).astimezone(UTC)
        remaining = float(seconds)
        if self.is_workday(d):
            found = self._in_day(d, t, remaining)
            if found is not None:
                return found
            remaining -= self._overlap(t, _DAY)
        whole = max(1, math.ceil(remaining / self._day_seconds))
        target = self._nth_workday_after(d, whole)
        rest = remaining - (whole - 1) * self._day_seconds
        found = self._in_day(target, 0.0, min(rest, self._day_seconds))
        assert found is not None
        return found

    def add(self, start: datetime, value: float, unit: str) -> datetime:
        """start + value in `unit`: "work_hours", "work_days" (value * day_seconds of working time) or "hours"."""
        if not math.isfinite(value) or value < 0:
            raise ValueError("期限数值应为非负的有限数")
        if unit == "work_hours":
            return self.add_working_seconds(start, value * 3600)
        if unit == "work_days":
            return self.add_working_seconds(start, value * self._day_seconds)
        if unit == "hours":
            try:
                return (start if start.tzinfo else start.replace(tzinfo=UTC)).astimezone(UTC) + timedelta(hours=value)
            except OverflowError as exc:
                raise ValueError("期限超出可计算的日期范围") from exc
        raise ValueError(f"未知的期限单位 {unit!r}，应为 work_hours、work_days 或 hours")

    def uncovered_years(self, start: datetime, end: datetime) -> list[int]:
        """Years touched by [start, end] (local dates) whose official schedule has not been entered."""
        y0, y1 = sorted((self._local(start)[0].year, self._local(end)[0].year))
        return [y for y in range(y0, y1 + 1) if y not in self.covered_years]
