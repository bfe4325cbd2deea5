"""Bulk exports containing personal data, with a second person's approval (个人信息批量导出审批).

- A holder of registry.export asks for one kind (person / house / vehicle / place) with filters inside its own
  scope (area code, grid code, residency, tag) and a reason. The request carries the requester's area
  (`area_path`: the common ancestor of its area scopes, or of its grids' communities).
- A holder of registry.approve whose area subtree covers that area, and who is not the requester, approves or
  rejects it with a note (compare-and-set: two approvers never both decide). Others: 404 as if missing; the
  requester itself: 403 with the reason.
- On approval the files are written (xlsx with openpyxl write-only, and csv UTF-8 with BOM) from the rows the
  *requester* may see now (repository.visible with its current scope and its fields), with the full values of the
  personal fields: that is what the approval is for. Minors under fields.MINOR_AGE are left out and counted;
  sensitive tags are left out unless the requester holds pii.reveal.
- Only the requester downloads, until `expires_at` (setting export_expiry_hours); the retention job then deletes
  the files. A file missing on this machine (another replica wrote it, storage not shared) is written again.
- Every step is audited: registry.export.request / approve / reject / download.
Never commits.
"""

from __future__ import annotations

import csv
import os
import re
import secrets
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from zhili.addresses.models import Address
from zhili.auth import audit
from zhili.auth.actor import Actor
from zhili.config import Settings
from zhili.kit import clock
from zhili.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from zhili.registry import repository_browse as browse
from zhili.registry import repository_exports as repo
from zhili.registry.fields import LABELS, TAGS
from zhili.registry.models import (
    KIND_LABEL,
    EntityKind,
    ExportRequest,
    ExportStatus,
    Household,
    Person,
    Residency,
)
from zhili.registry.present import RESIDENCY_LABEL, is_minor, tags_shown
from zhili.registry.repository import MODELS, Scope, scope_of
from zhili.registry.schemas_exports import ExportCreate, ExportList, ExportRead
from zhili.registry.values import field_value
from zhili.registry.verify import local_today

STATUS_LABEL = {ExportStatus.pending: "待审批", ExportStatus.approved: "已批准", ExportStatus.rejected: "已驳回",
                ExportStatus.downloaded: "已下载", ExportStatus.expired: "已过期"}
FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv; charset=utf-8"}
_KEY = re.compile(r"^[0-9a-f]{32}$")


# ---- files ------------------------------------------------------------------------------------------------------

def export_dir(settings: Settings) -> Path:
    return settings.var_dir / "exports"


def file_path(settings: Settings, file_key: str, fmt: str) -> Path:
    if not _KEY.match(file_key) or fmt not in FORMATS:
        raise NotFound("导出文件不存在", field="format")
    return export_dir(settings) / f"{file_key}.{fmt}"


def delete_files(settings: Settings, file_key: str | None) -> int:
    """Delete a request's files; how many there were."""
    if not file_key or not _KEY.match(file_key):
        return 0
    n = 0
    for fmt in FORMATS:
        try:
            (export_dir(settings) / f"{file_key}.{fmt}").unlink()
            n += 1
        except FileNotFoundError:
            pass
    return n


def _cell(value: object) -> object:
    """Text a spreadsheet would run as a formula (=, +, -, @) is written as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


# ---- the rows ----------------------------------------------------------------------------------------------------

def _filters(session: Session, scope: Scope, kind: EntityKind, params: dict[str, Any]) -> list[ColumnElement[bool]]:
    """The request's filters, checked against `scope` (404 for a place outside it, 422 for a bad value)."""
    model = MODELS[kind]
    out: list[ColumnElement[bool]] = []
    if params.get("area_code"):
        area = browse.area_by_code(session, params["area_code"])
        if area is None or not browse.area_allowed(session, scope, kind, area.path):
            raise NotFound("区划不存在或不在您的辖区内", field="area_code")
        out.append(browse.in_subtree(kind, area.path))
    if params.get("grid_code"):
        grid = browse.grid_by_code(session, params["grid_code"])
        if grid is None or not browse.grid_allowed(scope, kind, grid.id, grid.area_path):
            raise NotFound("网格不存在或不在您的辖区内", field="grid_code")
        out.append(model.grid_id == grid.id)
    if params.get("residency"):
        if kind != EntityKind.person:
            raise ValidationFailed("只有人口可以按户籍类型筛选", field="residency")
        out.append(Person.residency == Residency(params["residency"]))
    if params.get("tag"):
        if kind not in (EntityKind.person, EntityKind.place):
            raise ValidationFailed("只有人口和场所可以按标签筛选", field="tag")
        if kind == EntityKind.person and params["tag"] not in TAGS:
            raise ValidationFailed("未知的人群标签", field="tag")
        out.append(browse.with_tag(kind, params["tag"]))
    return out


def _prefetch(session: Session, kind: EntityKind, items: Sequence[Any]) -> list[Any]:
    """Load what field_value looks up (addresses, households, owners) for a chunk at once; the returned list keeps
    them in the session's identity map while the chunk is written."""
    from sqlalchemy import select

    kept: list[Any] = []
    addresses = sorted({e.address_id for e in items if e.address_id})
    if addresses:
        kept += session.scalars(select(Address).where(Address.id.in_(addresses))).all()
    if kind == EntityKind.person:
        households = sorted({e.household_id for e in items if e.household_id})
        if households:
            kept += session.scalars(select(Household).where(Household.id.in_(households))).all()
    if kind in (EntityKind.house, EntityKind.vehicle):
        owners = sorted({e.owner_person_id for e in items if e.owner_person_id})
        if owners:
            kept += session.scalars(select(Person).where(Person.id.in_(owners))).all()
    return kept


def write_files(session: Session, settings: Settings, requester: Actor, kind: EntityKind,
                params: dict[str, Any]) -> tuple[str, int, int]:
    """Write the xlsx and csv of what `requester` may see; (file key, rows written, minors left out)."""
    from openpyxl import Workbook

    scope = scope_of(session, requester)
    filters = _filters(session, scope, kind, params)
    allowed = scope.fields_for(kind)
    fields = [f for f in LABELS[kind] if f in allowed]
    if not fields:
        raise Forbidden("申请人无权查看该类数据", field="kind")
    can_reveal = requester.can("pii.reveal")
    today = local_today(settings)
    key = secrets.token_hex(16)
    folder = export_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    tmp_csv, tmp_xlsx = folder / f".{key}.csv.part", folder / f".{key}.xlsx.part"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(f"{KIND_LABEL[kind]}导出")
    header = ["编号", *(LABELS[kind][f] for f in fields)]
    ws.append(header)
    written = minors = 0
    try:
        with tmp_csv.open("w", encoding="utf-8-sig", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(header)
            for chunk in repo.rows(session, scope, kind, filters):
                kept = _prefetch(session, kind, chunk)
                for entity in chunk:
                    if is_minor(entity, kind, today):
                        minors += 1
                        continue
                    row: list[object] = [entity.id]
                    for f in fields:
                        if kind == EntityKind.person and f == "tags":
                            row.append(tags_shown(entity.tags, can_reveal)[0])
                        else:
                            row.append(field_value(session, kind, entity, f) or "")
                    row = [_cell(v) for v in row]
                    out.writerow(row)
                    ws.append(row)
                    written += 1
                for obj in [*chunk, *kept]:  # memory stays flat: the chunk is written
                    if obj in session:
                        session.expunge(obj)
        wb.save(str(tmp_xlsx))
        os.replace(tmp_csv, folder / f"{key}.csv")
        os.replace(tmp_xlsx, folder / f"{key}.xlsx")
    finally:
        tmp_csv.unlink(missing_ok=True)
        tmp_xlsx.unlink(missing_ok=True)
    return key, written, minors


# ---- the use cases --------------------------------------------------------------------------------------------

def _common_path(paths: Sequence[str]) -> str | None:
    """The deepest area path containing every path ("/a/b/c/" and "/a/b/d/" -> "/a/b/")."""
    if not paths:
        return None
    parts = [p.strip("/").split("/") for p in paths]
    common: list[str] = []
    for segs in zip(*parts, strict=False):
        if len(set(segs)) != 1:
            break
        common.append(segs[0])
    return "/" + "".join(s + "/" for s in common)


def request_export(session: Session, actor: Actor, settings: Settings, body: ExportCreate) -> ExportRequest:
    actor.require("registry.export")
    kind = EntityKind(body.kind)
    scope = scope_of(session, actor)
    if not scope.fields_for(kind):
        raise Forbidden("您无权查看该类数据，不能申请导出", field="kind")
    params = body.model_dump(exclude={"kind", "reason"}, exclude_none=True)
    _filters(session, scope, kind, params)  # checked now: the requester asks only inside its scope
    area = _common_path([*actor.area_paths, *browse.grid_area_paths(session, actor.grid_ids)])
    if area is None:
        raise Forbidden("您没有区域或网格辖区，不能申请导出", field="kind")
    req = ExportRequest(kind=kind.value, params=params, reason=body.reason.strip(), status=ExportStatus.pending,
                        requested_by=actor.user_id, requested_at=clock.now(), area_path=area)
    session.add(req)
    session.flush()
    audit.record(session, "registry.export.request", entity_type="export_request", entity_id=req.id,
                 detail={"kind": kind.value, "params": params, "reason": req.reason})
    return req


def _for_decision(session: Session, actor: Actor, request_id: int) -> ExportRequest:
    actor.require("registry.approve")
    req = repo.request(session, actor, request_id)
    if req is None or not repo.may_decide(actor, req):
        raise NotFound("导出申请不存在或不在您的审批范围内", field="request_id")
    if req.requested_by == actor.user_id:
        raise Forbidden("不能审批自己提交的导出申请：须由申请人以外的另一人审批", code="self_approval")
    if req.status != ExportStatus.pending:
        raise Conflict(f"该申请已处理（{STATUS_LABEL[req.status]}）", code="decided")
    return req


def approve(session: Session, actor: Actor, settings: Settings, request_id: int, note: str) -> ExportRequest:
    req = _for_decision(session, actor, request_id)
    requester = repo.actor_of(session, req.requested_by)
    if requester is None or not requester.can("registry.export"):
        raise Conflict("申请人已停用或已无导出权限，不能批准", code="requester_gone")
    now = clock.now()
    if not repo.set_status(session, req.id, ExportStatus.pending, status=ExportStatus.approved,
                           decided_by=actor.user_id, decided_at=now, decision_note=note.strip()):
        raise Conflict("该申请刚被他人处理", code="decided")
    key, written, minors = write_files(session, settings, requester, EntityKind(req.kind), dict(req.params))
    req.file_key, req.row_count = key, written
    req.params = {**req.params, "minors_left_out": minors}
    req.expires_at = now + timedelta(hours=settings.export_expiry_hours)
    audit.record(session, "registry.export.approve", entity_type="export_request", entity_id=req.id,
                 detail={"requested_by": req.requested_by, "rows": written, "minors_left_out": minors,
                         "note": req.decision_note, "expires_at": req.expires_at})
    return req


def reject(session: Session, actor: Actor, request_id: int, note: str) -> ExportRequest:
    req = _for_decision(session, actor, request_id)
    if not note.strip():
        raise ValidationFailed("驳回时请填写理由", field="note")
    if not repo.set_status(session, req.id, ExportStatus.pending, status=ExportStatus.rejected,
                           decided_by=actor.user_id, decided_at=clock.now(), decision_note=note.strip()):
        raise Conflict("该申请刚被他人处理", code="decided")
    audit.record(session, "registry.export.reject", entity_type="export_request", entity_id=req.id,
                 detail={"requested_by": req.requested_by, "note": note.strip()})
    return req


def download(session: Session, actor: Actor, settings: Settings, request_id: int,
             fmt: str) -> tuple[Path, str, str]:
    """(path, file name, media type) of an approved export, for its requester only."""
    if fmt not in FORMATS:
        raise ValidationFailed("格式应为 xlsx 或 csv", field="format")
    req = repo.request(session, actor, request_id)
    if req is None:
        raise NotFound("导出申请不存在或不在您的辖区内", field="request_id")
    if req.requested_by != actor.user_id:
        raise Forbidden("只有申请人本人可以下载导出文件", code="not_requester")
    actor.require("registry.export")
    now = clock.now()
    if req.status == ExportStatus.pending:
        raise Conflict("该导出申请尚待审批，批准后才能下载", code="not_approved")
    if req.status == ExportStatus.rejected:
        raise Conflict("该导出申请已被驳回，不能下载", code="rejected")
    if req.status == ExportStatus.expired or req.expires_at is None or clock.as_utc(req.expires_at) <= now:
        raise Conflict("下载期限已过，请重新申请", code="expired")
    path = file_path(settings, req.file_key or "0" * 32, fmt)
    if not req.file_key or not path.exists():  # written on another machine, or lost: write it again
        delete_files(settings, req.file_key)
        key, req.row_count, minors = write_files(session, settings, actor, EntityKind(req.kind),
                                                 {k: v for k, v in req.params.items() if k != "minors_left_out"})
        req.file_key, req.params = key, {**req.params, "minors_left_out": minors}
        path = file_path(settings, key, fmt)
    req.status = ExportStatus.downloaded
    req.downloaded_at = req.downloaded_at or now
    audit.record(session, "registry.export.download", entity_type="export_request", entity_id=req.id,
                 detail={"format": fmt, "rows": req.row_count})
    name = f"{KIND_LABEL[EntityKind(req.kind)]}导出-{req.id}.{fmt}"
    return path, name, FORMATS[fmt]


# ---- reading ----------------------------------------------------------------------------------------------------

def _filters_shown(session: Session, params: dict[str, Any]) -> dict[str, str]:
    shown = {}
    if params.get("area_code"):
        area = browse.area_by_code(session, params["area_code"])
        shown["区域"] = area.name if area else params["area_code"]
    if params.get("grid_code"):
        grid = browse.grid_by_code(session, params["grid_code"])
        shown["网格"] = grid.name if grid else params["grid_code"]
    if params.get("residency"):
        shown["户籍类型"] = RESIDENCY_LABEL.get(params["residency"], params["residency"])
    if params.get("tag"):
        shown["标签"] = TAGS.get(params["tag"], params["tag"])
    return shown


def read(session: Session, actor: Actor, req: ExportRequest, names: dict[int, str]) -> ExportRead:
    now = clock.now()
    expired = req.expires_at is not None and clock.as_utc(req.expires_at) <= now
    status = ExportStatus.expired if expired and req.status in (ExportStatus.approved, ExportStatus.downloaded) \
        else req.status
    mine = req.requested_by == actor.user_id
    return ExportRead(
        id=req.id, kind=req.kind, kind_label=KIND_LABEL[EntityKind(req.kind)],
        filters=_filters_shown(session, req.params), reason=req.reason, status=status.value,
        status_label=STATUS_LABEL[status], requested_by=names.get(req.requested_by, f"#{req.requested_by}"),
        requested_at=req.requested_at, decided_by=names.get(req.decided_by) if req.decided_by else None,
        decided_at=req.decided_at, decision_note=req.decision_note, row_count=req.row_count,
        minors_left_out=req.params.get("minors_left_out"), expires_at=req.expires_at, mine=mine,
        can_decide=status == ExportStatus.pending and not mine and repo.may_decide(actor, req),
        downloadable=mine and status in (ExportStatus.approved, ExportStatus.downloaded))


def listing(session: Session, actor: Actor) -> ExportList:
    if not (actor.can("registry.export") or actor.can("registry.approve")):
        actor.require("registry.export")
    items = repo.requests(session, actor)
    names = repo.user_names(session, [i.requested_by for i in items] + [i.decided_by for i in items])
    return ExportList(items=[read(session, actor, r, names) for r in items], can_request=actor.can("registry.export"),
                      can_approve=actor.can("registry.approve"))


def one(session: Session, actor: Actor, req: ExportRequest) -> ExportRead:
    return read(session, actor, req, repo.user_names(session, [req.requested_by, req.decided_by]))
