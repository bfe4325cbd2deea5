"""One batch of parsed rows -> cases, parts, timeline events and import keys, in the caller's transaction.

Core inserts (no ORM hooks, no per-row audit): the writer fills what hooks would (`geo_cell`), numbers cases from
the day counters (reserved a block per day, so live intake continues after them), places each case in its
micro-grid, grid and community from the point (an address is resolved first), and refuses a row whose point
lies outside every grid of the deployment. A row refused here writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.orm import Session

from zhili.addresses import service as addresses
from zhili.auth.actor import Actor
from zhili.cases import geocell
from zhili.cases.models import CaseStatus, WarnLevel
from zhili.config import Settings
from zhili.imports import repository as repo
from zhili.imports.case_lookups import CategoryLookup
from zhili.imports.case_rows import ParsedCase
from zhili.kit.errors import ZhiliError
from zhili.org import spatial

S = CaseStatus
KIND = "case"
PART_STATUS = {S.dispatched: "dispatched", S.in_progress: "in_progress", S.handled: "handled", S.closed: "handled"}


@dataclass
class BatchResult:
    imported: int = 0
    present: int = 0
    rejected: list[tuple[ParsedCase, str, str]] | None = None  # (row, field, reason)
    first: datetime | None = None  # earliest received time imported
    last: datetime | None = None  # latest received or closed time imported

    def reject(self, p: ParsedCase, field: str, reason: str) -> None:
        if self.rejected is None:
            self.rejected = []
        self.rejected.append((p, field, reason))


class CaseWriter:
    def __init__(self, settings: Settings, actor: Actor, source: str, categories: CategoryLookup,
                 watermark: int, now: datetime) -> None:
        self.settings = settings
        self.actor = actor
        self.source = source
        self.categories = categories
        self.watermark = watermark
        self.now = now
        self.tz = ZoneInfo(settings.timezone)

    def write(self, session: Session, batch: list[ParsedCase]) -> BatchResult:
        out = BatchResult()
        fresh = self._fresh(session, batch, out)
        placed = self._place(session, fresh, out)
        keep: list[tuple[ParsedCase, tuple[int | None, int, int, str]]] = []
        cats: list[int] = []
        for p, where in placed:
            cat = p.category_id or self.categories(p.category_text)  # not stored on p: a retry may roll it back
            if cat is None:
                try:
                    cat = self.categories.create(session, self.actor, p.category_text)
                except ZhiliError as exc:
                    out.reject(p, "category", f"无法建立导入分类“{p.category_text[:20]}”：{exc.message}")
                    continue
            keep.append((p, where))
            cats.append(cat)
        if not keep:
            return out
        numbers = self._numbers(session, [p for p, _ in keep])
        rows = [self._case_row(p, where, number, cat)
                for (p, where), number, cat in zip(keep, numbers, cats, strict=True)]
        ids = repo.insert_cases(session, rows)
        events: list[dict[str, Any]] = []
        parts: list[dict[str, Any]] = []
        keys: list[dict[str, Any]] = []
        for (p, _), case_id in zip(keep, ids, strict=True):
            events += [{**e, "case_id": case_id} for e in p.events]
            if p.department_id is not None and p.status in PART_STATUS:
                parts.append(self._part(p, case_id))
            keys.append({"kind": KIND, "source": self.source, "source_id": p.source_id, "target_id": case_id,
                         "imported_at": self.now})
            received = p.times["received_at"]
            latest = max(p.times.values())
            out.first = received if out.first is None else min(out.first, received)
            out.last = latest if out.last is None else max(out.last, latest)
        repo.insert_events(session, events)
        repo.insert_parts(session, parts)
        repo.insert_keys(session, keys)
        out.imported = len(keep)
        return out

    def _fresh(self, session: Session, batch: list[ParsedCase], out: BatchResult) -> list[ParsedCase]:
        """Rows not yet imported. A source id repeated in the file is refused in the run that imports its first
        copy (seen earlier in this batch, or in an earlier batch of this run: a key above the watermark); in a
        later run every copy counts as already present, like the rest of the file."""
        first_row: dict[str, int] = {}
        unique: list[ParsedCase] = []
        repeats: list[ParsedCase] = []
        for p in batch:
            if p.source_id in first_row:
                repeats.append(p)
            else:
                first_row[p.source_id] = p.row.number
                unique.append(p)
        known = repo.existing_keys(session, KIND, self.source, [p.source_id for p in unique])
        fresh = []
        for p in unique:
            found = known.get(p.source_id)
            if found is None:
                fresh.append(p)
            elif found[0] > self.watermark:
                out.reject(p, "id", f"编号“{p.source_id}”在文件中重复（前面的行已导入）")
            else:
                out.present += 1
        for p in repeats:
            found = known.get(p.source_id)
            if found is not None and found[0] <= self.watermark:
                out.present += 1
            else:
                out.reject(p, "id", f"编号“{p.source_id}”在文件中重复（首次出现在第 {first_row[p.source_id]} 行）")
        return fresh

    def _place(self, session: Session, batch: list[ParsedCase], out: BatchResult
               ) -> list[tuple[ParsedCase, tuple[int | None, int, int, str]]]:
        """(micro-grid id, grid id, community id, community path) of each row's point; outside -> reject."""
        geocoded: set[int] = set()
        for p in batch:
            if p.lon is None and p.address:
                geocoded.add(id(p))
                m = addresses.resolve(session, p.address, self.settings.geo_refresh_seconds)
                if m.matched and m.lon is not None and m.lat is not None:
                    p.lon, p.lat = m.lon, m.lat
        index = spatial.current_index(session, self.settings.geo_refresh_seconds)
        with_point = [p for p in batch if p.lon is not None and p.lat is not None]
        for p in batch:
            if p.lon is None:
                out.reject(p, "address", f"地址无法定位：“{p.address[:40]}”")
        if not with_point:
            return []
        lons = np.array([p.lon for p in with_point], dtype=float)
        lats = np.array([p.lat for p in with_point], dtype=float)
        micro = index.micro_index.locate_many(lons, lats)
        grid = index.locate_many(lons, lats)
        placed = []
        for p, mid, gid in zip(with_point, micro, grid, strict=True):
            if gid < 0:
                field = "address" if id(p) in geocoded else "lon"
                out.reject(p, field, f"坐标({p.lon:.6f}, {p.lat:.6f})不在本区任何网格内")
                continue
            aid, path = index.grid_to_area[int(gid)]
            placed.append((p, (int(mid) if mid >= 0 else None, int(gid), aid, path)))
        return placed

    def _numbers(self, session: Session, batch: list[ParsedCase]) -> list[str]:
        by_day: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(batch):
            by_day[p.times["received_at"].astimezone(self.tz).strftime("%Y%m%d")].append(i)
        out = [""] * len(batch)
        prefix = self.settings.case_number_prefix
        for day in sorted(by_day):
            members = sorted(by_day[day], key=lambda i: (batch[i].times["received_at"], i))
            first = repo.take_numbers(session, day, len(members))
            for k, i in enumerate(members):
                out[i] = f"{prefix}{day}-{first + k:06d}"
        return out

    def _case_row(self, p: ParsedCase, where: tuple[int | None, int, int, str], number: str,
                  category_id: int) -> dict[str, Any]:
        t = p.times
        assert p.lon is not None and p.lat is not None
        start = t.get("dispatched_at") or t.get("registered_at") or t["received_at"]
        deadline = p.deadline if p.status != S.rejected else None
        limit = yellow = None
        warn = WarnLevel.none
        if deadline is not None:
            limit = round(max((deadline - start).total_seconds(), 0.0) / 3600.0, 4)
            yellow = start + (deadline - start) * self.settings.warning_ratio if deadline >= start else deadline
            moment = t.get("closed_at") or self.now
            warn = WarnLevel.red if moment > deadline else WarnLevel.yellow if (
                p.status != S.closed and moment >= yellow) else WarnLevel.none
        closed = t.get("closed_at")
        return dict(
            number=number, version=1, title=p.title, description=p.description, channel=p.channel.value,
            category_id=category_id, priority="normal", status=p.status.value, status_before_suspend=None,
            level="district", lon=p.lon, lat=p.lat, geo_cell=geocell.cell_of(p.lon, p.lat), address=p.address,
            micro_grid_id=where[0], grid_id=where[1], area_id=where[2], area_path=where[3], reporter_user_id=None,
            caller_name=None, caller_phone=None, caller_phone_bidx=None, created_by=None,
            department_id=p.department_id if "dispatched_at" in t else None,
            dispatch_count=1 if "dispatched_at" in t else 0, designated=False, self_handled=False,
            rework_count=0, send_back_count=0, extension_count=0, reopen_count=0, escalation_count=0,
            master_id=None, reject_reason=p.events[-1]["reason"] if p.status == S.rejected else None,
            repeat_complaint=None, repeat_count=None,
            limit_value=limit, limit_unit="hours" if limit is not None else None,
            clock_started_at=start if deadline is not None else None, yellow_at=yellow, deadline_at=deadline,
            remaining_seconds=None, warn_level=warn.value, received_at=t["received_at"],
            registered_at=t.get("registered_at"), dispatched_at=t.get("dispatched_at"),
            acknowledged_at=t.get("acknowledged_at"), handled_at=t.get("handled_at"), closed_at=closed,
            suspended_at=None, updated_at=max(t.values()), satisfaction=p.satisfaction.value if p.satisfaction
            else None, satisfaction_comment=None, rated_at=t.get("rated_at"))

    def _part(self, p: ParsedCase, case_id: int) -> dict[str, Any]:
        t = p.times
        return dict(case_id=case_id, department_id=p.department_id, role="lead", status=PART_STATUS[p.status],
                    task="", reply=None, dispatch_no=1, dispatched_at=t["dispatched_at"],
                    acknowledged_at=t.get("acknowledged_at"), handled_at=t.get("handled_at"))
