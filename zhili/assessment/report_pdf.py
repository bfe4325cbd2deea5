"""The monthly report as a PDF: an HTML template rendered by WeasyPrint (no JavaScript: the charts are SVG made on
the server). Chinese needs a CJK font offline: the one `make assets` vendors (FONT_DIR) when present, else the
system's Noto CJK (fonts-noto-cjk) through fontconfig."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from zhili.analysis.indicators import INDICATORS
from zhili.assessment import charts
from zhili.assessment.report import TABLE_KEYS, ReportData
from zhili.web.templating import templates

TZ = ZoneInfo("Asia/Shanghai")
FONT_DIR = Path(__file__).resolve().parent.parent / "web" / "static" / "vendor" / "fonts"
PDF_ROWS = 30  # per table in the PDF; the workbook has them all


def font_faces() -> list[str]:
    """file:// URLs of vendored CJK font files (any .woff2/.woff/.otf/.ttf under FONT_DIR)."""
    if not FONT_DIR.is_dir():
        return []
    return [p.as_uri() for p in sorted(FONT_DIR.rglob("*")) if p.suffix in (".woff2", ".woff", ".otf", ".ttf")]


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "rate":
        return f"{100 * value:.1f}%"
    if unit == "hours":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def change(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "rate":
        return f"{100 * value:+.1f} 个百分点"
    return f"{value:+,.1f}" if unit == "hours" else f"{value:+,.0f}"


def context(d: ReportData) -> dict[str, Any]:
    keys = [k for k in TABLE_KEYS if k in INDICATORS]
    street = d.by_street[:PDF_ROWS]
    days = [f"{day:%m-%d}" for day, _ in d.daily]
    return {
        "d": d, "keys": keys, "labels": {k: INDICATORS[k].label for k in keys},
        "units": {k: INDICATORS[k].unit for k in INDICATORS}, "fmt": fmt, "change": change, "rows": PDF_ROWS,
        "generated": d.generated_at.astimezone(TZ).strftime("%Y-%m-%d %H:%M"), "tz": TZ,
        "fonts": font_faces(), "font_family": charts.FONT,
        "daily_svg": charts.line(days, [float(n) for _, n in d.daily], title="每日受理量"),
        "street_svg": charts.hbar([r.label for r in street], [float(r.values.get("received") or 0) for r in street],
                                  title="各镇街受理量"),
        "ranking_svgs": [charts.hbar([r.label for r in b.rows], [r.total for r in b.rows],
                                     title=f"{b.scheme}（前 15 名）", fmt=lambda v: f"{v:.1f}")
                         for b in d.rankings],
    }


def weasyprint_html() -> Any:
    """WeasyPrint's HTML class, imported when a PDF is first asked for (pango via cffi is heavy). Importing it
    sets Pillow's process-wide `LOAD_TRUNCATED_IMAGES`, which would let a truncated photo upload pass as whole
    (zhili/files/store.py): the flag is put back; our PDFs embed only SVG."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import HTML

    ImageFile.LOAD_TRUNCATED_IMAGES = before
    return HTML


def pdf_bytes(d: ReportData) -> bytes:
    HTML = weasyprint_html()
    html = templates.env.get_template("assessment/report_pdf.html").render(**context(d))
    return bytes(HTML(string=html, base_url=str(FONT_DIR)).write_pdf())
