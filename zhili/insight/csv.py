"""CSV (UTF-8 with BOM, for Excel) of a forecast series: its recent history and its forecast with interval."""

from __future__ import annotations

import csv
import io

from zhili.insight.schemas import PointRead, SeriesDetail


def series_csv(detail: SeriesDetail) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    w = csv.writer(out)
    w.writerow(["序列", "日期", "实际", "预测", "下限", "上限"])
    for day, n in detail.history:
        w.writerow([detail.series.label, day.isoformat(), n, "", "", ""])
    for p in detail.points:
        w.writerow([detail.series.label, p.day.isoformat(), "", f"{p.yhat:.2f}", f"{p.lo:.0f}", f"{p.hi:.0f}"])
    return out.getvalue()


def all_csv(rows: list[tuple[str, str, PointRead]]) -> str:
    """(label, kind, point) rows: every visible series' forecast."""
    out = io.StringIO()
    out.write("\ufeff")
    w = csv.writer(out)
    w.writerow(["序列", "类型", "日期", "预测", "下限", "上限"])
    for label, kind, p in rows:
        w.writerow([label, kind, p.day.isoformat(), f"{p.yhat:.2f}", f"{p.lo:.0f}", f"{p.hi:.0f}"])
    return out.getvalue()
