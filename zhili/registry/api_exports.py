"""Bulk export JSON routes (/api/registry/exports): list, ask, approve, reject, download. Thin: parse, call the
service, answer. Only the requester downloads, and only an approved, unexpired export (see exports.py)."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse

from zhili.auth.deps import CurrentActor
from zhili.kit.pagination import MAX_ID
from zhili.registry import exports
from zhili.registry.schemas_exports import DecisionIn, ExportCreate, ExportList, ExportRead
from zhili.web.deps import AppSettings, DbSession

router = APIRouter(prefix="/api/registry/exports", tags=["registry"])
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("", response_model=ExportList)
def listing(actor: CurrentActor, session: DbSession) -> ExportList:
    """My export requests, and those I may approve (registry.approve over the requester's area)."""
    return exports.listing(session, actor)


@router.post("", response_model=ExportRead, status_code=201)
def create(body: ExportCreate, actor: CurrentActor, session: DbSession, settings: AppSettings) -> ExportRead:
    """Ask for an export (registry.export) of one kind, filtered inside my scope, with a reason."""
    return exports.one(session, actor, exports.request_export(session, actor, settings, body))


@router.post("/{request_id}/approve", response_model=ExportRead)
def approve(request_id: Id, actor: CurrentActor, session: DbSession, settings: AppSettings,
            body: DecisionIn | None = None) -> ExportRead:
    """Approve (registry.approve over the requester's area; never one's own request): the file is written."""
    return exports.one(session, actor, exports.approve(session, actor, settings, request_id,
                                                       body.note if body else ""))


@router.post("/{request_id}/reject", response_model=ExportRead)
def reject(request_id: Id, body: DecisionIn, actor: CurrentActor, session: DbSession) -> ExportRead:
    """Reject with a note (required)."""
    return exports.one(session, actor, exports.reject(session, actor, request_id, body.note))


@router.get("/{request_id}/download", response_class=FileResponse,
            responses={200: {"content": {exports.FORMATS["xlsx"]: {}, "text/csv": {}}}})
def download(request_id: Id, actor: CurrentActor, session: DbSession, settings: AppSettings,
             format: Annotated[Literal["xlsx", "csv"], Query()] = "xlsx") -> FileResponse:
    """The approved file with full values, for its requester until it expires (audited)."""
    path, name, media = exports.download(session, actor, settings, request_id, format)
    return FileResponse(path, media_type=media,
                        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                                 "Cache-Control": "no-store"})
