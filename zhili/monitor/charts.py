"""The cockpit's charts as tables: trend (received and closed per day), top categories, top streets, and the
grids with most open cases. Figures come from the indicators contract (zhili.analysis.service), so the cockpit
says what the indicator pages and reports say; the grid table from the same open-case query as the heat layer.

Each chart is one `Chart` (columns + rows): the page draws it, shows it as a table on request, and
`to_csv` writes the same rows (UTF-8 with BOM, so that Excel opens the Chinese right).
"""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy.orm import Session

from zhili.analysis import service as analysis
from zhili.auth.actor import Actor
from zhili.kit.errors import NotFound
from zhili.monitor import repository as repo
from zhili.monitor.schemas import Chart, Column
from zhili.monitor.service import Where, local_day, resolve

TOP = 10
TOP_GRIDS = 20
CHARTS = {"trend": "受理与结案趋势", "categories": "高发事项分类", "streets": "辖区受理排行", "grids": "在办案件最多的网格"}
# A street (or a community) ranks its communities: its own single street would be no ranking.
LOCAL_LEVELS = ("street", "community")


def period(days: int, tz: str) -> tuple[date, date]:
    today, _, _ = local_day(tz)
    return today - timedelta(days=days - 1), today


# Charts drawn from the indicators' rollup, which itself moves at most once per `analysis_refresh_seconds`: one
# process keeps each viewer scope's answer that long instead of recomputing it for every open cockpit (at a
# district's load the rankings were the costliest call of the cockpit). The grid table counts open cases live.
ROLLUP_CHARTS = ("trend", "categories", "streets")
_memo: dict[tuple[object, ...], tuple[float, Chart]] = {}
_memo_lock = threading.Lock()
MEMO_SIZE = 512


def chart(session: Session, actor: Actor, name: str, area: str | None, days: int, tz: str,
          ttl: float = 0.0) -> Chart:
    builder = BUILDERS.get(name)
    if builder is None:
        raise NotFound("没有这个图表", field="name")
    where = resolve(session, actor, area)  # scope checks run on every call, cached or not
    start, end = period(days, tz)
    key = (str(session.get_bind().engine.url), name, where.name, where.area_id, days, start, actor.area_paths,
           actor.grid_ids, actor.department_ids, actor.permissions)
    if ttl > 0 and name in ROLLUP_CHARTS:
        hit = _memo.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
    columns, rows = builder(session, actor, where, start, end)
    out = Chart(name=name, title=CHARTS[name], start=start.isoformat(), end=end.isoformat(), scope=where.name,
                columns=columns, rows=rows)
    if ttl > 0 and name in ROLLUP_CHARTS:
        with _memo_lock:
            if len(_memo) >= MEMO_SIZE:
                now = time.monotonic()
                for k in [k for k, (expires, _) in _memo.items() if expires <= now] or list(_memo)[:MEMO_SIZE // 4]:
                    _memo.pop(k, None)
            _memo[key] = (time.monotonic() + ttl, out)
    return out


Rows = list[list[str | int | float | None]]


def _filters(where: Where) -> dict[str, int]:
    return {"area_id": where.area_id} if where.area_id is not None else {}


def _trend(session: Session, actor: Actor, where: Where, start: date, end: date) -> tuple[list[Column], Rows]:
    received = _one_series(analysis.daily_counts(session, actor, start, end, None, "received", **_filters(where)))
    closed = _one_series(analysis.daily_counts(session, actor, start, end, None, "closed", **_filters(where)))
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    rows: Rows = [[d.isoformat(), received.get(d, 0), closed.get(d, 0)] for d in days]
    return [Column(key="day", label="日期", unit="day"), Column(key="received", label="受理量", unit="count"),
            Column(key="closed", label="结案量", unit="count")], rows


def _one_series(series: dict[str | int | None, tuple[str, dict[date, int]]]) -> dict[date, int]:
    total: dict[date, int] = {}
    for _label, by_day in series.values():
        for d, n in by_day.items():
            total[d] = total.get(d, 0) + int(n)
    return total


def _ranking(by: str, label: str, extra: tuple[str, str, str]) -> Callable[..., tuple[list[Column], Rows]]:
    def build(session: Session, actor: Actor, where: Where, start: date, end: date) -> tuple[list[Column], Rows]:
        dim, name = by, label
        if by == "street" and where.level in LOCAL_LEVELS:
            dim, name = "community", "社区"
        q = analysis.IndicatorQuery(start=start, end=end, by=dim, area_id=where.area_id)
        table = analysis.indicators(session, actor, q)
        ranked = sorted(table.rows, key=lambda r: -(r.values.get("received") or 0))
        rows: Rows = []
        for r in ranked[:TOP]:
            if not r.values.get("received"):
                continue
            value = r.values.get(extra[0])
            rows.append([r.label, int(r.values.get("received") or 0), int(r.values.get("closed") or 0),
                         None if value is None else round(float(value), 4)])
        return [Column(key="label", label=name), Column(key="received", label="受理量", unit="count"),
                Column(key="closed", label="结案量", unit="count"),
                Column(key=extra[0], label=extra[1], unit=extra[2])], rows
    return build


def _grids(session: Session, actor: Actor, where: Where, start: date, end: date) -> tuple[list[Column], Rows]:
    counts = repo.open_by_grid(session, where.clause)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1][1], -kv[1][3], kv[0]))[:TOP_GRIDS]
    rows: Rows = [[name, code, n, y, r] for code, (name, n, y, r) in ranked]
    return [Column(key="label", label="网格"), Column(key="code", label="网格编码"),
            Column(key="open", label="在办", unit="count"), Column(key="yellow", label="黄色预警", unit="count"),
            Column(key="red", label="红色超期", unit="count")], rows


BUILDERS: dict[str, Callable[..., tuple[list[Column], Rows]]] = {
    "trend": _trend,
    "categories": _ranking("category", "事项分类", ("close_rate", "结案率", "rate")),
    "streets": _ranking("street", "镇街", ("ontime_rate", "按期处置率", "rate")),
    "grids": _grids,
}


def to_csv(c: Chart) -> str:
    """The chart's rows as CSV with a header of Chinese labels, preceded by a BOM; rates as percentages."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([col.label + ("(%)" if col.unit == "rate" else "") for col in c.columns])
    for row in c.rows:
        w.writerow([_cell(col, v) for col, v in zip(c.columns, row, strict=True)])
    return "\ufeff" + buf.getvalue()


def _cell(col: Column, v: str | int | float | None) -> str | int | float:
    if v is None:
        return ""
    if col.unit == "rate":
        return round(float(v) * 100, 2)
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v  # a name is never run as a spreadsheet formula
    return v


def csv_filename(c: Chart) -> str:
    return f"monitor-{c.name}-{c.start}-{c.end}.csv"
