"""Assessment periods (pure): a month "2026-10" or a custom span of local days, checked, and the period before."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from zhili.kit.errors import ValidationFailed

MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        if self.start.day == 1 and self.end == month_end(self.start):
            return f"{self.start.year}-{self.start.month:02d}"
        return f"{self.start.isoformat()}~{self.end.isoformat()}"

    @property
    def title(self) -> str:
        if self.start.day == 1 and self.end == month_end(self.start):
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The month before a whole month; otherwise the span of the same length just before."""
        if self.start.day == 1 and self.end == month_end(self.start):
            end = self.start - timedelta(days=1)
            return Period(end.replace(day=1), end)
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


def month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def parse_month(text: str, today: date, field: str = "month") -> Period:
    """"2026-10" -> that month. A malformed month, month 13, or a month not yet begun is a 422 in Chinese."""
    m = MONTH.match((text or "").strip())
    if not m:
        raise ValidationFailed(f"月份“{text}”格式不对，应为 YYYY-MM（如 2026-10）", field=field)
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12 or year < 2000:
        raise ValidationFailed(f"月份“{text}”不存在：月份应在 1 到 12 之间", field=field)
    start = date(year, month, 1)
    if start > today:
        raise ValidationFailed(f"{year}年{month}月尚未开始，不能考核或出报告", field=field)
    return Period(start, month_end(start))


def custom(start: date, end: date, today: date) -> Period:
    if start > end:
        raise ValidationFailed("开始日期不能晚于结束日期", field="end")
    if start > today:
        raise ValidationFailed("考核期尚未开始", field="start")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed(f"考核期最长 {MAX_DAYS} 天", field="end")
    return Period(start, end)


def last_full_month(today: date) -> Period:
    end = today.replace(day=1) - timedelta(days=1)
    return Period(end.replace(day=1), end)
