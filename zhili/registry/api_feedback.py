"""Feedback JSON routes (/api/registry/feedback): batches per owning department, their files, the department's
acknowledgement and application; and a correction's photo (evidence). Thin: parse, call the service, shape."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Body, Path, Request
from fastapi.responses import FileResponse, Response

from zhili.auth.deps import CurrentActor
from zhili.registry import feedback
from zhili.registry.feedback_read import batch_detail, batch_read
from zhili.registry.schemas_feedback import ApplyIn, BatchDetail, BatchList, BatchRead, PendingRead
from zhili.web.deps import AppSettings, DbSession

router = APIRouter(prefix="/api/registry", tags=["registry"])
BatchId = Annotated[int, Path(ge=1, le=2_000_000_000)]
CorrectionId = Annotated[int, Path(ge=1, le=2_000_000_000)]
MEDIA = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@router.get("/feedback/batches", response_model=BatchList)
def batches(actor: CurrentActor, session: DbSession) -> BatchList:
    """Batches I may see (registry.manage: every department's; registry.feedback: my department's), and the
    corrections still waiting for a batch, per department."""
    found, pending = feedback.listing(session, actor)
    applied = feedback.applied_counts(session, [b.id for b, _ in found])
    return BatchList(batches=[batch_read(session, b, d, applied.get(b.id, 0)) for b, d in found],
                     pending=[PendingRead(department_code=d.code, department_name=d.short_name, count=n)
                              for d, n in pending])


@router.post("/feedback/batches", response_model=list[BatchRead], status_code=201)
def create(actor: CurrentActor, session: DbSession, settings: AppSettings) -> list[BatchRead]:
    """One batch per owning department with pending corrections (registry.manage); [] when there are none."""
    return [batch_read(session, b) for b in feedback.create_batches(session, actor, settings)]


def _download(content: bytes, filename: str, media_type: str) -> Response:
    return Response(content, media_type=media_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


@router.get("/feedback/batches/{batch_id}.xlsx", response_class=Response,
            responses={200: {"content": {feedback.XLSX: {}}}})
def batch_xlsx(batch_id: BatchId, request: Request, actor: CurrentActor, session: DbSession,
               settings: AppSettings) -> Response:
    """The batch as a workbook: personal values in full for the owning department (audited), masked otherwise."""
    return _download(*feedback.export(session, actor, settings, batch_id, "xlsx", str(request.base_url).rstrip("/")))


@router.get("/feedback/batches/{batch_id}.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "UTF-8 CSV with BOM"}})
def batch_csv(batch_id: BatchId, request: Request, actor: CurrentActor, session: DbSession,
              settings: AppSettings) -> Response:
    return _download(*feedback.export(session, actor, settings, batch_id, "csv", str(request.base_url).rstrip("/")))


@router.get("/feedback/batches/{batch_id}", response_model=BatchDetail)
def batch(batch_id: BatchId, actor: CurrentActor, session: DbSession, settings: AppSettings) -> BatchDetail:
    return batch_detail(session, actor, settings, batch_id)


@router.post("/feedback/batches/{batch_id}/acknowledge", response_model=BatchRead)
def acknowledge(batch_id: BatchId, actor: CurrentActor, session: DbSession) -> BatchRead:
    """签收: the owning department received the batch (sent -> acknowledged)."""
    return batch_read(session, feedback.acknowledge(session, actor, batch_id))


@router.post("/feedback/batches/{batch_id}/apply", response_model=BatchRead)
def apply(batch_id: BatchId, actor: CurrentActor, session: DbSession,
          body: Annotated[ApplyIn | None, Body()] = None) -> BatchRead:
    """采纳: the department applied the named corrections (all when none are named); the rest go to the next
    batch (acknowledged -> applied)."""
    body = body or ApplyIn()
    return batch_read(session, feedback.apply(session, actor, batch_id, body.item_ids, body.note))


@router.get("/corrections/{correction_id}/evidence", response_class=FileResponse)
def evidence(correction_id: CorrectionId, actor: CurrentActor, session: DbSession,
             settings: AppSettings) -> Response:
    """The photo taken on site with a correction."""
    from zhili.files import store

    sha, ext = feedback.evidence_of(session, actor, settings, correction_id)
    return FileResponse(store.photo_path(settings, sha, ext), media_type=MEDIA.get(ext, "application/octet-stream"),
                        headers={"Cache-Control": "private, max-age=3600"})
