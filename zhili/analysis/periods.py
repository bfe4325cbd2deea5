"""The page's period picker as a pure rule: a day, the week (Monday-Sunday) or month around an anchor day, or a
custom range."""

from __future__ import annotations

from datetime import date, timedelta

from zhili.kit.errors import ValidationFailed

PERIODS = {"day": "日", "week": "周", "month": "月", "custom": "自定义"}


def period(kind: str, anchor: date, start: date | None = None, end: date | None = None) -> tuple[date, date]:
    if kind == "day":
        return anchor, anchor
    if kind == "week":
        monday = anchor - timedelta(days=anchor.weekday())
        return monday, monday + timedelta(days=6)
    if kind == "month":
        first = anchor.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        return first, nxt - timedelta(days=1)
    if kind == "custom":
        if start is None or end is None:
            raise ValidationFailed("自定义统计期需填写开始和结束日期", field="start" if start is None else "end")
        return start, end
    raise ValidationFailed(f"未知的统计期类型“{kind}”", field="period")


def parse_day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(f"日期格式应为 YYYY-MM-DD：“{value[:20]}”", field=field) from None
