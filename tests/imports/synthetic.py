"""A synthetic export of another system's cases with a known answer: which rows are good, which closed ones met
their deadline, and which rows are bad and why (with their row numbers). Streams, so the benchmark writes 1 M rows
with it. The columns are those of zhili/imports/examples/cases_mapping.yaml."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
HEADER = ["工单编号", "受理时间", "立案时间", "派遣时间", "办结时限", "办结时间", "工单状态", "问题类别", "承办单位", "经度", "纬度",
          "事发地址", "来源渠道", "标题", "诉求内容", "回访满意度"]
MAPPED = ["占道经营", "机动车乱停", "噪声扰民", "暴露垃圾", "物业服务"]
UNKNOWN = ["井盖破损", "咨询类"]  # filed under the imported branch
OPEN = {"办理中": "in_progress", "已派遣": "dispatched", "待派遣": "registered", "待核查": "handled"}
BAD_KINDS = ("deadline_before", "closed_before", "outside", "unknown_status", "empty_category", "bad_date",
             "duplicate", "closed_without_time")
BAD_FIELD = {"deadline_before": "deadline", "closed_before": "closed", "outside": "lon", "unknown_status": "status",
             "empty_category": "category", "bad_date": "opened", "duplicate": "id", "closed_without_time": "closed"}


@dataclass
class Answer:
    rows: int = 0
    good: int = 0
    closed: int = 0
    ontime: int = 0  # closed on or before the deadline
    overdue_closed: int = 0
    rejected_status: int = 0  # "不予受理"
    open: int = 0
    unknown_category_rows: int = 0
    satisfied: int = 0
    rated: int = 0
    bad: dict[int, str] = field(default_factory=dict)  # row number -> expected field
    received_days: dict[str, int] = field(default_factory=dict)  # local day -> good rows received (incl. rejected)


def _fmt(at: datetime, slash: bool) -> str:
    local = at.astimezone(TZ)
    return local.strftime("%Y/%m/%d %H:%M") if slash else local.strftime("%Y-%m-%d %H:%M:%S")


def rows(n: int, points: Sequence[tuple[float, float]], *, start: datetime, span_days: int = 330, seed: int = 5,
         bad_every: int = 17, answer: Answer | None = None) -> Iterator[list[str]]:
    """`n` data rows (the header not included); every `bad_every`-th row is bad in one of BAD_KINDS."""
    rng = random.Random(seed)
    ans = answer if answer is not None else Answer()
    step = span_days * 86400 / max(n, 1)
    last_id = ""
    for i in range(n):
        number = i + 2  # header is row 1
        opened = (start + timedelta(seconds=int(i * step))).replace(second=0, microsecond=0)
        sid = f"GD{i:08d}"
        lon, lat = points[rng.randrange(len(points))]
        bad = BAD_KINDS[(i // bad_every) % len(BAD_KINDS)] if i % bad_every == bad_every - 1 and i else None
        if bad == "duplicate" and not last_id:
            bad = "bad_date"
        r = rng.random()
        status = "已办结" if r < 0.72 else "不予受理" if r < 0.77 else rng.choice(sorted(OPEN))
        category = rng.choice(MAPPED) if rng.random() < 0.9 else rng.choice(UNKNOWN)
        deadline = opened + timedelta(hours=rng.choice((24, 48, 72)))
        closed = opened + timedelta(minutes=rng.randrange(60, 96 * 60)) if status in ("已办结", "不予受理") else None
        registered = opened + timedelta(minutes=rng.randrange(1, 30)) if rng.random() < 0.5 else None
        dispatched = (registered or opened) + timedelta(minutes=rng.randrange(1, 60)) if (
            registered and status != "不予受理" and rng.random() < 0.7) else None
        if closed is not None and dispatched is not None and closed < dispatched:
            closed = dispatched + timedelta(minutes=5)
        if closed is not None and registered is not None and closed < registered:
            closed = registered + timedelta(minutes=5)
        satisfaction = rng.choice(("满意", "满意", "基本满意", "不满意", "")) if status == "已办结" else ""
        slash = rng.random() < 0.3
        cells: dict[str, Any] = {
            "工单编号": sid, "受理时间": _fmt(opened, slash), "立案时间": _fmt(registered, slash) if registered else "",
            "派遣时间": _fmt(dispatched, slash) if dispatched else "", "办结时限": _fmt(deadline, slash),
            "办结时间": _fmt(closed, slash) if closed else "", "工单状态": status, "问题类别": category,
            "承办单位": rng.choice(("城管局", "住建局", "", "某未知局")), "经度": f"{lon:.6f}", "纬度": f"{lat:.6f}", "事发地址": "",
            "来源渠道": rng.choice(("12345", "网格上报", "随手拍", "")), "标题": f"合成工单{i}",
            "诉求内容": f"第{i}号合成诉求：{category}", "回访满意度": satisfaction}
        if bad == "deadline_before":
            cells["办结时限"] = _fmt(opened - timedelta(hours=1), False)
        elif bad == "closed_before":
            cells["工单状态"], cells["办结时间"] = "已办结", _fmt(opened - timedelta(hours=2), False)
        elif bad == "outside":
            cells["经度"], cells["纬度"] = "130.000000", "45.000000"
        elif bad == "unknown_status":
            cells["工单状态"] = "神秘状态"
        elif bad == "empty_category":
            cells["问题类别"] = ""
        elif bad == "bad_date":
            cells["受理时间"] = "2025年13月45日"
        elif bad == "duplicate":
            cells["工单编号"] = last_id
        elif bad == "closed_without_time":
            cells["工单状态"], cells["办结时间"] = "已办结", ""
        ans.rows += 1
        if bad is not None:
            ans.bad[number] = BAD_FIELD[bad]
        else:
            last_id = sid
            ans.good += 1
            day = opened.astimezone(TZ).date().isoformat()
            ans.received_days[day] = ans.received_days.get(day, 0) + 1
            if category in UNKNOWN:
                ans.unknown_category_rows += 1
            if status == "已办结":
                assert closed is not None
                ans.closed += 1
                ans.ontime += closed <= deadline
                ans.overdue_closed += closed > deadline
                if satisfaction:
                    ans.rated += 1
                    ans.satisfied += satisfaction in ("满意", "基本满意")
            elif status == "不予受理":
                ans.rejected_status += 1
            else:
                ans.open += 1
        yield [str(cells[h]) for h in HEADER]


def write_csv(path: Path, n: int, points: Sequence[tuple[float, float]], *, start: datetime,
              encoding: str = "utf-8-sig", **kw: Any) -> Answer:
    answer = Answer()
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows(n, points, start=start, answer=answer, **kw))
    return answer


def write_xlsx(path: Path, n: int, points: Sequence[tuple[float, float]], *, start: datetime, **kw: Any) -> Answer:
    from openpyxl import Workbook

    answer = Answer()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADER)
    for r in rows(n, points, start=start, answer=answer, **kw):
        ws.append(r)
    wb.save(path)
    return answer
