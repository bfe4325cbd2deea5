"""Server-made SVG charts (no JavaScript: the PDF renderer runs none, and the history page needs none):
horizontal bars for rankings and breakdowns, a line for a series over time. Pure functions returning markup."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

FONT = "ZhiliCJK, 'Noto Sans CJK SC', 'Noto Serif CJK SC', 'WenQuanYi Micro Hei', sans-serif"
BAR = "#2f6fb0"
LINE = "#c0392b"


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def hbar(labels: Sequence[str], values: Sequence[float], *, title: str = "", width: int = 640,
         fmt: Callable[[float], str] = _fmt, limit: int = 15) -> str:
    """One bar per label, longest first as given, at most `limit` bars."""
    pairs = list(zip(labels, values, strict=True))[:limit]
    row, top, left, right = 22, 30 if title else 8, 150, 60
    height = top + row * max(1, len(pairs)) + 10
    top_value = max((v for _, v in pairs), default=0) or 1
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="12" role="img">']
    if title:
        out.append(f'<text x="0" y="18" font-size="14" font-weight="bold">{escape(title)}</text>')
    if not pairs:
        out.append(f'<text x="0" y="{top + 14}" fill="#777">无数据</text>')
    for i, (label, v) in enumerate(pairs):
        y = top + i * row
        w = max(0.0, (width - left - right) * v / top_value)
        short = label if len(label) <= 11 else label[:10] + "…"
        out.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{escape(short)}</text>')
        out.append(f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" fill="{BAR}"/>')
        out.append(f'<text x="{left + w + 4:.1f}" y="{y + 15}">{escape(fmt(v))}</text>')
    out.append("</svg>")
    return "".join(out)


def line(labels: Sequence[str], values: Sequence[float | None], *, title: str = "", width: int = 640,
         height: int = 220, fmt: Callable[[float], str] = _fmt) -> str:
    """A polyline over evenly spaced labels; None leaves a gap. The first, last and highest points are labelled."""
    top, bottom, left, right = 30 if title else 10, 28, 44, 16
    plot_w, plot_h = width - left - right, height - top - bottom
    known = [v for v in values if v is not None]
    lo, hi = min([*known, 0.0]), max([*known, 1.0])
    span = (hi - lo) or 1.0
    n = len(values)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * (v - lo) / span

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="11" role="img">']
    if title:
        out.append(f'<text x="0" y="18" font-size="14" font-weight="bold">{escape(title)}</text>')
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>')
    for v in (lo, hi):
        out.append(f'<text x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end" fill="#555">{escape(fmt(v))}</text>')
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, val in enumerate(values):
        if val is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{x(i):.1f},{y(val):.1f}")
    if segment:
        segments.append(segment)
    for seg in segments:
        out.append(f'<polyline fill="none" stroke="{LINE}" stroke-width="2" points="{" ".join(seg)}"/>')
        if len(seg) == 1:
            cx, cy = seg[0].split(",")
            out.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{LINE}"/>')
    if n:
        step = max(1, n // 8)
        for i in range(0, n, step):
            out.append(f'<text x="{x(i):.1f}" y="{height - 8}" text-anchor="middle" fill="#555">'
                       f'{escape(labels[i])}</text>')
    if known:
        peak = max(range(n), key=lambda i: v if (v := values[i]) is not None else float("-inf"))
        pv = values[peak]
        if pv is not None:
            out.append(f'<text x="{x(peak):.1f}" y="{y(pv) - 6:.1f}" text-anchor="middle">{escape(fmt(pv))}</text>')
    out.append("</svg>")
    return "".join(out)
