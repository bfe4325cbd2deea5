"""Small server-drawn SVG line charts (no script needed): lines, an optional interval band, day ticks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 900, 260, 44, 12, 12, 28


@dataclass
class Chart:
    width: int = W
    height: int = H
    lines: list[tuple[str, str, str]] = field(default_factory=list)  # (label, colour, path d)
    band: str | None = None  # polygon points
    ticks: list[tuple[float, str]] = field(default_factory=list)  # x, label
    yticks: list[tuple[float, str]] = field(default_factory=list)  # y, label
    divider: float | None = None  # x of "today"


def _fmt(v: float) -> str:
    return f"{v:.0f}" if v >= 10 else f"{v:.1f}".rstrip("0").rstrip(".")


def line_chart(days: Sequence[date], lines: Sequence[tuple[str, str, Sequence[float | None]]],
               band: tuple[Sequence[float | None], Sequence[float | None]] | None = None,
               divider: date | None = None) -> Chart:
    n = len(days)
    values = [v for _l, _c, vs in lines for v in vs if v is not None]
    if band:
        values += [v for v in band[1] if v is not None]
    top = max([*values, 1.0]) * 1.08
    bottom = min(0.0, min([*values, 0.0]))
    span_x = max(1, n - 1)

    def x(i: int) -> float:
        return round(PAD_L + (W - PAD_L - PAD_R) * i / span_x, 1)

    def y(v: float) -> float:
        return round(PAD_T + (H - PAD_T - PAD_B) * (1 - (v - bottom) / (top - bottom)), 1)

    chart = Chart()
    for label, colour, vs in lines:
        parts, pen = [], "M"
        for i, v in enumerate(vs):
            if v is None:
                pen = "M"
                continue
            parts.append(f"{pen}{x(i)},{y(float(v))}")
            pen = "L"
        chart.lines.append((label, colour, " ".join(parts)))
    if band:
        lo, hi = band
        upper = [(x(i), y(float(v))) for i, v in enumerate(hi) if v is not None]
        lower = [(x(i), y(float(v))) for i, v in reversed(list(enumerate(lo))) if v is not None]
        if upper and lower:
            chart.band = " ".join(f"{a},{b}" for a, b in upper + lower)
    step = max(1, n // 10)
    chart.ticks = [(x(i), f"{d.month}/{d.day}") for i, d in enumerate(days) if i % step == 0]
    chart.yticks = [(y(top * k / 4), _fmt(top * k / 4)) for k in range(5)]
    if divider is not None and divider in days:
        chart.divider = x(list(days).index(divider))
    return chart
