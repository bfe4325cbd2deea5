"""Feedback batches as the API and the pages show them (schemas_feedback): personal values always masked here; the
full values only travel in the owning department's own files (feedback.export)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.config import Settings
from zhili.org.models import Department
from zhili.registry import feedback
from zhili.registry import repository_feedback as repo
from zhili.registry.fields import LABELS
from zhili.registry.models import KIND_LABEL, FeedbackBatch
from zhili.registry.schemas_feedback import BatchDetail, BatchRead, ItemRead


def batch_read(session: Session, batch: FeedbackBatch, department: Department | None = None,
               applied: int | None = None) -> BatchRead:
    department = department or repo.department(session, batch.department_id)
    assert department is not None
    if applied is None:
        applied = feedback.applied_counts(session, [batch.id]).get(batch.id, 0)
    return BatchRead(id=batch.id, number=batch.number, department_code=department.code,
                     department_name=department.short_name, status=batch.status.value,
                     status_label=feedback.STATUS_LABEL[batch.status], item_count=batch.item_count,
                     applied_count=applied, created_at=batch.created_at, acknowledged_at=batch.acknowledged_at,
                     applied_at=batch.applied_at, note=batch.note)


def batch_detail(session: Session, actor: Actor, settings: Settings, batch_id: int) -> BatchDetail:
    """Personal values masked for everyone here (full values only in the owning department's files)."""
    batch = feedback.get(session, actor, batch_id)
    rows = feedback.rows(session, batch, full=False, settings=settings, can_reveal=actor.can("pii.reveal"))
    items = [ItemRead(id=r.correction.id, kind=r.kind.value, kind_label=KIND_LABEL[r.kind],
                      entity_id=r.correction.entity_id, entity=r.entity, field=r.correction.field,
                      label=LABELS[r.kind].get(r.correction.field, r.correction.field),
                      old_value=r.old_value, new_value=r.new_value, reason=r.correction.reason,
                      evidence_url=r.evidence_url, by=r.correction.by_name, at=r.correction.at,
                      applied=r.correction.applied_at is not None) for r in rows]
    return BatchDetail(**batch_read(session, batch).model_dump(), items=items)
