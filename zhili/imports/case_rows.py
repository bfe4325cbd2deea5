"""One source row -> an imported case's facts and its reconstructed timeline, or the reason it is refused.
Pure: no database (categories and departments come resolved by the caller's lookups).

Milestones follow the closed loop received -> registered -> dispatched -> in_progress -> handled -> closed (or
received -> rejected). A milestone the source does not record is taken from the previous one (registered at
opening, dispatched when registered, acknowledged when dispatched, handled when closed); its event says
`inferred`. Every recorded time must not precede the one before it, nor lie in the future.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from zhili.cases import states
from zhili.cases.models import CaseStatus, Channel, Satisfaction
from zhili.imports.case_mapping import CaseMapping
from zhili.imports.mapping import DateParser, zone
from zhili.imports.reader import Row

S = CaseStatus
ACTOR = "历史导入"
CHAIN = (S.received, S.registered, S.dispatched, S.in_progress, S.handled, S.closed)
# The transition that reaches each status of the chain, and the milestone column it stamps.
STEP = {S.registered: ("register", "registered_at"), S.dispatched: ("dispatch", "dispatched_at"),
        S.in_progress: ("acknowledge", "acknowledged_at"), S.handled: ("reply", "handled_at"),
        S.closed: ("verify_ok", "closed_at")}
SOURCE_FIELD = {"registered_at": "registered", "dispatched_at": "dispatched", "acknowledged_at": "acknowledged",
                "handled_at": "handled", "closed_at": "closed"}
LABEL = {"id": "编号", "opened": "受理时间", "deadline": "办结时限", "registered": "立案时间", "dispatched": "派遣时间",
         "acknowledged": "签收时间", "handled": "处置时间", "closed": "办结时间", "status": "状态", "category": "分类",
         "department": "部门", "lon": "经度", "lat": "纬度", "address": "地址", "channel": "渠道",
         "satisfaction": "满意度", "title": "标题", "description": "描述"}


class RowError(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass
class ParsedCase:
    row: Row
    source_id: str
    status: CaseStatus
    category_id: int | None  # None: an unknown text, filed under the imported branch (`category_text`)
    category_text: str
    department_id: int | None
    channel: Channel
    title: str
    description: str
    address: str
    lon: float | None
    lat: float | None
    times: dict[str, datetime]  # milestone column -> time (received_at, registered_at, ..., closed_at)
    deadline: datetime | None
    satisfaction: Satisfaction | None
    events: list[dict[str, Any]] = field(default_factory=list)  # without case_id / id


class RowParser:
    """Parses rows of one mapping. `category` and `department` map a source text to our id, None when unknown;
    `now` bounds the times (nothing may happen in the future)."""

    def __init__(self, mapping: CaseMapping, category: Callable[[str], int | None],
                 department: Callable[[str], int | None], now: datetime) -> None:
        self.m = mapping
        self.cols = mapping.columns
        self.dates = DateParser(mapping.date_formats, zone(mapping.timezone))
        self.category = category
        self.department = department
        self.now = now

    def _cell(self, row: Row, name: str) -> str:
        col = getattr(self.cols, name)
        return row.text(col) if col else ""

    def _required(self, row: Row, name: str) -> str:
        value = self._cell(row, name)
        if not value:
            raise RowError(name, f"{LABEL[name]}为空")
        return value

    def _time(self, row: Row, name: str) -> datetime | None:
        col = getattr(self.cols, name)
        if not col:
            return None
        raw = row.values.get(col)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        try:
            at = self.dates.parse(raw)
        except ValueError as exc:
            raise RowError(name, f"{LABEL[name]}：{exc}") from exc
        if at > self.now:
            raise RowError(name, f"{LABEL[name]}晚于当前时间")
        return at

    def parse(self, row: Row) -> ParsedCase:
        """The case of `row`; RowError(field, reason) when it must be refused."""
        source_id = self._required(row, "id")
        if len(source_id) > 100:
            raise RowError("id", "编号超过 100 个字符")
        status_text = self._required(row, "status")
        status = self.m.status.get(status_text)
        if status is None:
            raise RowError("status", f"未知的状态“{status_text}”（映射文件 status 表中没有）")
        opened = self._time(row, "opened")
        if opened is None:
            raise RowError("opened", "受理时间为空")
        deadline = self._time(row, "deadline")
        if deadline is not None and deadline < opened:
            raise RowError("deadline", "办结时限早于受理时间")
        category_text = self._required(row, "category")
        category_id = self.category(category_text)
        if category_id is None and self.m.unknown_category == "reject":
            raise RowError("category", f"未知的分类“{category_text}”")
        department_id = None
        dept_text = self._cell(row, "department")
        if dept_text:
            department_id = self.department(dept_text)
            if department_id is None and self.m.unknown_department == "reject":
                raise RowError("department", f"未知的部门“{dept_text}”")
        channel = self.m.default_channel
        channel_text = self._cell(row, "channel")
        if channel_text:
            channel = self.m.channel.get(channel_text, self.m.default_channel)
        lon = lat = None
        lon_text, lat_text = self._cell(row, "lon"), self._cell(row, "lat")
        address = self._cell(row, "address")
        if lon_text or lat_text:
            try:
                lon, lat = float(lon_text), float(lat_text)
            except ValueError:
                raise RowError("lon" if not _is_float(lon_text) else "lat", "经纬度不是数字") from None
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise RowError("lon", "经纬度超出范围")
        elif not address:
            raise RowError("address" if self.cols.address else "lon", "位置为空（经纬度和地址都没有）")
        satisfaction = None
        sat_text = self._cell(row, "satisfaction")
        if sat_text:
            satisfaction = self.m.satisfaction.get(sat_text)
            if satisfaction is None:
                raise RowError("satisfaction", f"未知的满意度“{sat_text}”")
        description = self._cell(row, "description")
        title = self._cell(row, "title")
        if not title:
            title = description.strip().splitlines()[0][:30] if description.strip() else category_text
        parsed = ParsedCase(row=row, source_id=source_id, status=S(status), category_id=category_id,
                            category_text=category_text, department_id=department_id, channel=channel,
                            title=title[:100], description=description, address=address[:200], lon=lon, lat=lat,
                            times={"received_at": opened}, deadline=deadline, satisfaction=satisfaction)
        self._timeline(row, parsed, status_text)
        if satisfaction is not None and parsed.status != S.closed:
            parsed.satisfaction = None  # only a closed case is followed up
        return parsed

    def _timeline(self, row: Row, p: ParsedCase, status_text: str) -> None:
        opened = p.times["received_at"]
        given = {col: self._time(row, src) for col, src in SOURCE_FIELD.items()}
        closed = given["closed_at"]
        if closed is not None and closed < opened:
            raise RowError("closed", "办结时间早于受理时间")
        ev = p.events
        ev.append(_event(opened, "intake", None, S.received, detail={"source_id": p.source_id}))
        if p.status == S.rejected:
            at = closed or given["registered_at"] or opened
            p.times["closed_at"] = at
            ev.append(_event(at, "reject", S.received, S.rejected, reason=f"源系统状态：{status_text}"))
            return
        if p.status != S.closed and closed is not None:
            raise RowError("closed", f"状态“{status_text}”未结案，但填写了办结时间")
        if p.status == S.closed and closed is None:
            raise RowError("closed", "已结案但办结时间为空")
        target = CHAIN.index(p.status)
        previous, current = opened, S.received
        for status in CHAIN[1:target + 1]:
            action, col = STEP[status]
            recorded = given[col]
            inferred = recorded is None
            at = recorded or (closed if col == "handled_at" and closed is not None else previous)
            if at < previous:
                raise RowError(SOURCE_FIELD[col], f"{LABEL[SOURCE_FIELD[col]]}早于上一环节的时间")
            assert states.allowed(action, current)  # the chain follows the transition table
            detail: dict[str, Any] = {"inferred": True} if inferred else {}
            if action == "dispatch" and p.department_id is not None:
                detail["department_id"] = p.department_id
            ev.append(_event(at, action, current, status, detail=detail or None))
            p.times[col] = at
            previous, current = at, status
        if p.satisfaction is not None and p.status == S.closed:
            p.times["rated_at"] = p.times["closed_at"]


def _event(at: datetime, action: str, frm: CaseStatus | None, to: CaseStatus, *, reason: str | None = None,
           detail: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"at": at, "actor_id": None, "actor_name": ACTOR, "action": action,
            "from_status": frm.value if frm else None, "to_status": to.value, "reason": reason, "detail": detail,
            "attachment_ids": None}


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
