"""数据反哺: corrections confirmed on site go back, in batches, to the department that owns the fields.

- A holder of registry.manage makes the batches: one per owning department with its pending corrections (not
  applied, not in a batch still waiting) in the manager's areas, numbered FK-<code>-<yyyymmdd>-<nnn> (per
  department and local day). Taking the corrections is one compare-and-set UPDATE, so two managers at once never
  put a correction in two batches.
- States sent -> acknowledged -> applied (repository_feedback.set_status, compare-and-set), recorded by the
  department's own users (registry.feedback; other departments' batches answer 404 as if missing). Applying may
  name the items applied; the rest return to the pool for the next batch. An applied correction is never sent
  again.
- Files (xlsx, csv with BOM): personal values in full for the owning department's users (their own data, to be
  applied; every download is audited `registry.feedback.download`), masked for everyone else.
Never commits.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhili.auth import audit
from zhili.auth.actor import Actor
from zhili.config import Settings
from zhili.kit import clock
from zhili.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from zhili.kit.masking import mask_id_number
from zhili.org.models import Department
from zhili.registry import repository_feedback as repo
from zhili.registry.fields import LABELS
from zhili.registry.models import KIND_LABEL, BatchStatus, Correction, EntityKind, FeedbackBatch
from zhili.registry.present import is_minor, person_name
from zhili.registry.repository_verify import by_ids
from zhili.registry.verify_read import shown
from zhili.workcal.service import local_today

STATUS_LABEL = {BatchStatus.sent: "已推送", BatchStatus.acknowledged: "已签收", BatchStatus.applied: "已采纳"}
COLUMNS = ["序号", "对象类型", "对象编号", "对象", "字段", "原值", "新值", "更正原因", "现场照片", "核查人", "核查时间",
           "采纳"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _may_see(actor: Actor) -> None:
    if not (actor.can("registry.manage") or actor.can("registry.feedback")):
        actor.require("registry.feedback")


def get(session: Session, actor: Actor, batch_id: int) -> FeedbackBatch:
    _may_see(actor)
    found = repo.batch(session, actor, batch_id)
    if found is None:
        raise NotFound("反哺批次不存在或不属于您的部门", field="batch_id")
    return found


def owns(actor: Actor, batch: FeedbackBatch) -> bool:
    """The actor is a user of the batch's department (it sees its own data in full in the files)."""
    return actor.can("registry.feedback") and batch.department_id in actor.department_ids


# ---- making batches -------------------------------------------------------------------------------------------

def _number(session: Session, code: str, settings: Settings) -> str:
    prefix = f"FK-{code}-{local_today(settings):%Y%m%d}-"
    last = repo.last_number(session, prefix)
    seq = int(last.rsplit("-", 1)[-1]) + 1 if last and last.rsplit("-", 1)[-1].isdigit() else 1
    return f"{prefix}{seq:03d}"


def create_batches(session: Session, actor: Actor, settings: Settings) -> list[FeedbackBatch]:
    """One batch per owning department with pending corrections (in the manager's areas); [] when none are."""
    actor.require("registry.manage")
    now = clock.now()
    made = []
    for department_id in repo.departments_with_pending(session, actor):
        department = repo.department(session, department_id)
        if department is None:
            continue
        code = department.code.rsplit("-", 1)[-1]
        batch = None
        for _ in range(5):  # a number another manager took a moment earlier: the next one
            try:
                with session.begin_nested():
                    batch = FeedbackBatch(number=_number(session, code, settings), department_id=department_id,
                                          status=BatchStatus.sent, item_count=0, created_at=now,
                                          created_by=actor.user_id or None, note="")
                    session.add(batch)
                    session.flush()
                break
            except IntegrityError:
                batch = None
        if batch is None:
            raise Conflict("批次编号冲突，请稍后重试", code="busy")
        taken = repo.take_pending(session, actor, department_id, batch.id)
        if not taken:  # another manager's batch took them
            session.delete(batch)
            session.flush()
            continue
        batch.item_count = taken
        made.append(batch)
        audit.record(session, "registry.feedback.create", entity_type="feedback_batch", entity_id=batch.id,
                     detail={"number": batch.number, "department": department.code, "items": taken})
    return made


# ---- the department's answers ---------------------------------------------------------------------------------

def _own(session: Session, actor: Actor, batch_id: int) -> FeedbackBatch:
    actor.require("registry.feedback")
    batch = get(session, actor, batch_id)
    if batch.department_id not in actor.department_ids:
        raise Forbidden("只有该批次的主管部门可以签收或采纳", code="not_owner")
    return batch


def acknowledge(session: Session, actor: Actor, batch_id: int) -> FeedbackBatch:
    batch = _own(session, actor, batch_id)
    if not repo.set_status(session, batch.id, BatchStatus.sent, BatchStatus.acknowledged, acknowledged_at=clock.now(),
                           acknowledged_by=actor.user_id or None):
        raise Conflict(f"批次当前状态为“{STATUS_LABEL[batch.status]}”，不能签收", code="bad_state", field="status")
    session.refresh(batch)
    audit.record(session, "registry.feedback.acknowledge", entity_type="feedback_batch", entity_id=batch.id,
                 detail={"number": batch.number})
    return batch


def apply(session: Session, actor: Actor, batch_id: int, item_ids: Sequence[int] | None,
          note: str = "") -> FeedbackBatch:
    """The department applied the named items (all when None); the rest return to the pool."""
    batch = _own(session, actor, batch_id)
    if batch.status != BatchStatus.acknowledged:
        raise Conflict(f"批次当前状态为“{STATUS_LABEL[batch.status]}”，请先签收再采纳", code="bad_state",
                       field="status")
    ids = {c.id for c in repo.items(session, batch.id)}
    chosen = ids if item_ids is None else set(item_ids)
    unknown = sorted(chosen - ids)
    if unknown:
        raise ValidationFailed(f"更正 {unknown[0]} 不在本批次中", field="item_ids")
    now = clock.now()
    if not repo.set_status(session, batch.id, BatchStatus.acknowledged, BatchStatus.applied, applied_at=now,
                           applied_by=actor.user_id or None):
        raise Conflict("批次已被他人处理，请刷新", code="bad_state", field="status")
    applied, returned = repo.mark_applied(session, batch.id, sorted(chosen), now)
    text = f"采纳 {applied} 项" + (f"，{returned} 项退回待下批" if returned else "") + (f"。{note}" if note else "")
    session.refresh(batch)
    batch.note = text[:500]
    audit.record(session, "registry.feedback.apply", entity_type="feedback_batch", entity_id=batch.id,
                 detail={"number": batch.number, "applied": sorted(chosen), "returned": returned})
    return batch


# ---- what is shown and exported -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    correction: Correction
    kind: EntityKind
    entity: str
    old_value: str
    new_value: str
    evidence_url: str | None


def _entity_text(kind: EntityKind, entity: Any, full: bool, today: Any) -> str:
    if entity is None:
        return ""
    if kind == EntityKind.person:
        name = entity.name if full else person_name(entity.name, entity.birth_date, today)
        idn = entity.id_number if full else mask_id_number(entity.id_number)
        return f"{name}（{idn}）" if idn else name
    if kind == EntityKind.vehicle:
        return entity.plate
    if kind == EntityKind.place:
        return entity.name + (f"（{entity.credit_code}）" if entity.credit_code else "")
    return entity.address_text or f"房屋 #{entity.id}"


def _value(kind: EntityKind, field: str, text: str | None, full: bool, minor: bool, can_reveal: bool) -> str:
    if full:
        return text or ""
    return shown(kind, field, text, minor=minor, can_reveal=can_reveal)


def rows(session: Session, batch: FeedbackBatch, *, full: bool, settings: Settings, base_url: str = "",
         can_reveal: bool = False) -> list[Row]:
    """The batch's corrections as shown: personal values in full only when `full` (the owning department); a
    person's sensitive tags only then or when `can_reveal`."""
    items = repo.items(session, batch.id)
    entities: dict[tuple[EntityKind, int], Any] = {}
    for kind in EntityKind:
        entities |= {(kind, i): e for i, e in
                     by_ids(session, kind, [c.entity_id for c in items if c.kind == kind]).items()}
    today = local_today(settings)
    out = []
    for c in items:
        entity = entities.get((c.kind, c.entity_id))
        minor = entity is not None and is_minor(entity, c.kind, today)
        out.append(Row(correction=c, kind=c.kind, entity=_entity_text(c.kind, entity, full, today),
                       old_value=_value(c.kind, c.field, c.old_value, full, minor, can_reveal),
                       new_value=_value(c.kind, c.field, c.new_value, full, minor, can_reveal),
                       evidence_url=f"{base_url}/api/registry/corrections/{c.id}/evidence" if c.evidence else None))
    return out


def _cell(value: object) -> object:
    """Text a spreadsheet would run as a formula (=, +, -, @) is written as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _table(rows_: list[Row], tz: ZoneInfo) -> list[list[object]]:
    table: list[list[object]] = []
    for i, r in enumerate(rows_, 1):
        c = r.correction
        table.append([i, KIND_LABEL[r.kind], c.entity_id, r.entity, LABELS[r.kind].get(c.field, c.field),
                      r.old_value, r.new_value, c.reason, r.evidence_url or "", c.by_name,
                      c.at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), "是" if c.applied_at else ""])
    return [[_cell(v) for v in row] for row in table]


def export(session: Session, actor: Actor, settings: Settings, batch_id: int, fmt: str,
           base_url: str = "") -> tuple[bytes, str, str]:
    """The batch as xlsx or csv: (content, file name, media type). Every download is audited."""
    batch = get(session, actor, batch_id)
    full = owns(actor, batch)
    found = rows(session, batch, full=full, settings=settings, base_url=base_url, can_reveal=actor.can("pii.reveal"))
    table = _table(found, ZoneInfo(settings.timezone))
    audit.record(session, "registry.feedback.download", entity_type="feedback_batch", entity_id=batch.id,
                 detail={"number": batch.number, "format": fmt, "full": full, "rows": len(table)})
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(COLUMNS)
        writer.writerows(table)
        return ("\ufeff" + buf.getvalue()).encode("utf-8"), f"{batch.number}.csv", "text/csv; charset=utf-8"
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("数据反哺")
    for col, width in zip("ABCDEFGHIJKL", (6, 8, 10, 36, 14, 24, 24, 30, 40, 10, 17, 6), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    from openpyxl.cell import WriteOnlyCell

    head = []
    for name in COLUMNS:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = Font(bold=True)
        head.append(cell)
    ws.append(head)
    for row in table:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), f"{batch.number}.xlsx", XLSX


# ---- lists ----------------------------------------------------------------------------------------------------

def listing(session: Session, actor: Actor) -> tuple[list[tuple[FeedbackBatch, Department]],
                                                     list[tuple[Department, int]]]:
    _may_see(actor)
    return list(repo.batches(session, actor)), repo.pending_counts(session, actor)


def applied_counts(session: Session, batch_ids: Sequence[int]) -> dict[int, int]:
    from sqlalchemy import func

    if not batch_ids:
        return {}
    return dict(session.execute(select(Correction.batch_id, func.count()).where(
        Correction.batch_id.in_(list(batch_ids)), Correction.applied_at.is_not(None))
        .group_by(Correction.batch_id)).tuples().all())  # type: ignore[arg-type]


def evidence_of(session: Session, actor: Actor, settings: Settings, correction_id: int) -> tuple[str, str]:
    """(sha256, ext) of a correction's photo, for those who may see the correction: the owning department, a
    manager in its area, or a place scope (grid, community, street) over its entity. 404 otherwise."""
    from zhili.registry.repository import get_visible, scope_of

    c = session.get(Correction, correction_id)
    ok = False
    if c is not None and c.evidence:
        owner = actor.can("registry.feedback") and c.owner_department_id in actor.department_ids
        manager = actor.can("registry.manage") and any((c.area_path or "").startswith(p) for p in actor.area_paths)
        ok = owner or manager
        if not ok:
            scope = scope_of(session, actor)
            ok = scope.places_visible and get_visible(session, scope, c.kind, c.entity_id) is not None
    if not ok or c is None or not c.evidence or "." not in c.evidence:
        raise NotFound("照片不存在或您无权查看", field="correction_id")
    sha, ext = c.evidence.split(".", 1)
    return sha, ext
