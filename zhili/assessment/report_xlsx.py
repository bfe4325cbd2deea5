"""The monthly report as an Excel workbook (openpyxl): 概览 (this month vs the previous, with a native bar chart of
daily intake), 按镇街 (with a native bar chart), 按部门, 按分类, one 排名 sheet per scheme, 超期清单. Chinese
headers, number formats per unit (rates as percentages), widths, frozen header rows."""

from __future__ import annotations

from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from zhili.analysis.indicators import INDICATORS
from zhili.analysis.service import IndicatorRow
from zhili.assessment.report import TABLE_KEYS, ReportData

TZ = ZoneInfo("Asia/Shanghai")
HEAD = Font(bold=True, color="FFFFFF")
HEAD_FILL = PatternFill("solid", fgColor="2F6FB0")
FORMATS = {"count": "#,##0", "rate": "0.0%", "hours": "0.0"}


def _header(ws: Worksheet, row: int, names: list[str], widths: list[int]) -> None:
    for col, (name, width) in enumerate(zip(names, widths, strict=True), 1):
        cell = ws.cell(row=row, column=col, value=name)
        cell.font, cell.fill = HEAD, HEAD_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(row=row + 1, column=2)


def _title(ws: Worksheet, text: str) -> None:
    ws.cell(row=1, column=1, value=text).font = Font(bold=True, size=14)


def _fmt(cell: Any, unit: str) -> None:
    cell.number_format = FORMATS.get(unit, "General")


def _summary(wb: Workbook, d: ReportData) -> None:
    ws = wb.active
    assert ws is not None
    ws.title = "概览"
    _title(ws, f"{d.title}（{d.period.title}）")
    ws.cell(row=2, column=1, value=f"对比上期：{d.previous.title}；生成时间："
            f"{d.generated_at.astimezone(TZ):%Y-%m-%d %H:%M}")
    _header(ws, 4, ["指标", "本月", "上月", "变化", "口径"], [26, 14, 14, 14, 80])
    for i, s in enumerate(d.summary, 5):
        ws.cell(row=i, column=1, value=s.label)
        for col, v in ((2, s.current), (3, s.previous), (4, s.change)):
            _fmt(ws.cell(row=i, column=col, value=v), s.unit)
        ws.cell(row=i, column=5, value=INDICATORS[s.key].formula)
    start = 5 + len(d.summary) + 2
    ws.cell(row=start, column=1, value="日期").font = Font(bold=True)
    ws.cell(row=start, column=2, value="受理量").font = Font(bold=True)
    for i, (day, n) in enumerate(d.daily, start + 1):
        ws.cell(row=i, column=1, value=day).number_format = "yyyy-mm-dd"
        ws.cell(row=i, column=2, value=n).number_format = "#,##0"
    if d.daily:
        chart = BarChart()
        chart.title, chart.y_axis.title, chart.legend = "每日受理量", "件", None
        chart.add_data(Reference(ws, min_col=2, min_row=start, max_row=start + len(d.daily)), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=start + 1, max_row=start + len(d.daily)))
        chart.width, chart.height = 24, 8
        ws.add_chart(chart, f"D{start}")


def _breakdown(wb: Workbook, name: str, first: str, rows: list[IndicatorRow], chart: bool = False) -> None:
    ws = wb.create_sheet(name)
    keys = [k for k in TABLE_KEYS if k in INDICATORS]
    _header(ws, 1, [first] + [INDICATORS[k].label for k in keys], [24] + [13] * len(keys))
    for i, r in enumerate(rows, 2):
        ws.cell(row=i, column=1, value=r.label)
        for col, k in enumerate(keys, 2):
            _fmt(ws.cell(row=i, column=col, value=r.values.get(k)), INDICATORS[k].unit)
    if chart and rows:
        c = BarChart()
        c.type, c.title, c.legend = "bar", f"{first}受理量", None
        n = min(len(rows), 20)
        c.add_data(Reference(ws, min_col=2, min_row=1, max_row=1 + n), titles_from_data=True)
        c.set_categories(Reference(ws, min_col=1, min_row=2, max_row=1 + n))
        c.width, c.height = 18, 10
        ws.add_chart(c, f"{get_column_letter(len(keys) + 3)}2")


def _rankings(wb: Workbook, d: ReportData) -> None:
    for n, block in enumerate(d.rankings, 1):
        ws = wb.create_sheet(f"排名{n}-{block.unit_kind}"[:31])
        ws.cell(row=1, column=1, value=f"{block.scheme}（{d.period.title}）").font = Font(bold=True, size=13)
        _header(ws, 2, ["名次", "考核对象", "总分", "指标得分", "扣分", "名次变化"], [8, 40, 10, 10, 10, 10])
        for i, r in enumerate(block.rows, 3):
            ws.cell(row=i, column=1, value=r.rank)
            ws.cell(row=i, column=2, value=r.label)
            for col, v in ((3, r.total), (4, r.base), (5, r.deduction)):
                ws.cell(row=i, column=col, value=v).number_format = "0.00"
            ws.cell(row=i, column=6, value=r.change).number_format = "+0;-0;0"


def _overdue(wb: Workbook, d: ReportData) -> None:
    ws = wb.create_sheet("超期清单")
    _header(ws, 1, ["案件编号", "标题", "主办部门", "社区", "处置期限", "结案时间", "超期(小时)"],
            [20, 40, 24, 16, 18, 18, 12])
    for i, o in enumerate(d.overdue, 2):
        ws.cell(row=i, column=1, value=o.number)
        ws.cell(row=i, column=2, value=o.title)
        ws.cell(row=i, column=3, value=o.department)
        ws.cell(row=i, column=4, value=o.community)
        ws.cell(row=i, column=5, value=o.deadline.astimezone(TZ).replace(tzinfo=None)).number_format = \
            "yyyy-mm-dd hh:mm"
        c = ws.cell(row=i, column=6, value=o.closed.astimezone(TZ).replace(tzinfo=None) if o.closed else "未结案")
        c.number_format = "yyyy-mm-dd hh:mm"
        ws.cell(row=i, column=7, value=o.late_hours).number_format = "0.0"
    if d.overdue_truncated:
        ws.cell(row=len(d.overdue) + 2, column=1, value=f"仅列出前 {len(d.overdue)} 件")


def workbook_bytes(d: ReportData) -> bytes:
    wb = Workbook()
    _summary(wb, d)
    _breakdown(wb, "按镇街", "镇街", d.by_street, chart=True)
    _breakdown(wb, "按部门", "主办部门", d.by_department)
    _breakdown(wb, "按分类", "事项分类", d.by_category)
    _rankings(wb, d)
    _overdue(wb, d)
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
