"""An indicator table as plain data: JSON-ready dicts, CSV text (UTF-8 with BOM, so Excel reads the Chinese) and
rows of formatted cells for tables. Pure."""

from __future__ import annotations

import csv
import io
from typing import Any

from zhili.analysis.indicators import INDICATORS, KEYS, fmt
from zhili.analysis.service import DIMENSION_LABEL, IndicatorRow, IndicatorTable


def definitions() -> list[dict[str, Any]]:
    return [{"key": i.key, "label": i.label, "unit": i.unit, "formula": i.formula,
             "higher_is_better": i.higher_is_better, "basis": i.basis} for i in INDICATORS.values()]


def _row(r: IndicatorRow) -> dict[str, Any]:
    return {"key": r.key, "label": r.label, "values": dict(r.values)}


def as_dict(t: IndicatorTable) -> dict[str, Any]:
    return {"start": t.query.start.isoformat(), "end": t.query.end.isoformat(), "by": t.query.by,
            "indicators": definitions(), "rows": [_row(r) for r in t.rows], "total": _row(t.total)}


def header(t: IndicatorTable) -> list[str]:
    first = DIMENSION_LABEL.get(t.query.by or "", "范围")
    return [first, *(INDICATORS[k].label + ("(%)" if INDICATORS[k].unit == "rate" else "") for k in KEYS)]


def cells(r: IndicatorRow) -> list[str]:
    return [r.label, *(fmt(k, r.values[k]) for k in KEYS)]


def as_csv(t: IndicatorTable) -> str:
    """The table as CSV with a BOM; rates in percent with one decimal, empty where undefined."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header(t))
    for r in [*t.rows, t.total]:
        w.writerow([r.label, *(_plain(k, r.values[k]) for k in KEYS)])
    return "\ufeff" + buf.getvalue()


def _plain(key: str, value: float | None) -> str:
    if value is None:
        return ""
    unit = INDICATORS[key].unit
    if unit == "rate":
        return f"{value * 100:.1f}"
    if unit == "hours":
        return f"{value:.2f}"
    return str(int(value))


def filename(t: IndicatorTable) -> str:
    by = t.query.by or "total"
    return f"indicators_{t.query.start:%Y%m%d}-{t.query.end:%Y%m%d}_{by}.csv"
