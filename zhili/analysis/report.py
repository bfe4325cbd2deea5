"""`zhili report indicators`: parse the period, compute as the system actor, render a rich table, JSON or CSV."""

from __future__ import annotations

import json
from datetime import date

from rich.table import Table
from sqlalchemy.orm import Session

from zhili.analysis import export, service
from zhili.analysis.indicators import INDICATORS, KEYS
from zhili.analysis.indicators import fmt as fmt_value
from zhili.auth.actor import system_actor
from zhili.config import Settings
from zhili.kit.errors import ValidationFailed

FORMATS = ("table", "json", "csv")
TRANSPOSE_UP_TO = 5


def parse(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(f"日期格式应为 YYYY-MM-DD：“{value[:20]}”", field=field) from None


def render_indicators(session: Session, start: str, end: str, by: str | None, fmt: str,
                      settings: Settings) -> str | Table:
    if fmt not in FORMATS:
        raise ValidationFailed(f"未知的输出格式“{fmt}”，可选：table、json、csv", field="format")
    q = service.IndicatorQuery(start=parse(start, "from"), end=parse(end, "to"), by=by or None)
    if q.start > q.end:
        raise ValidationFailed("开始日期不能晚于结束日期", field="to")
    table = service.indicators(session, system_actor(), q, settings)
    if fmt == "json":
        return json.dumps(export.as_dict(table), ensure_ascii=False, indent=2) + "\n"
    if fmt == "csv":
        return export.as_csv(table)
    title = f"指标 {q.start} 至 {q.end}" + (f"（按{service.DIMENSION_LABEL[q.by]}）" if q.by else "")
    if len(table.rows) <= TRANSPOSE_UP_TO:  # few groups: one indicator per line reads best in a terminal
        out = Table(title=title)
        out.add_column("指标")
        for r in [*table.rows, table.total]:
            out.add_column(r.label, justify="right")
        for key in KEYS:
            out.add_row(INDICATORS[key].label, *(fmt_value(key, r.values[key]) for r in [*table.rows, table.total]))
        return out
    out = Table(title=title)
    for h in export.header(table):
        out.add_column(h, no_wrap=True)
    for r in table.rows:
        out.add_row(*export.cells(r))
    out.add_row(*export.cells(table.total), style="bold")
    return out
