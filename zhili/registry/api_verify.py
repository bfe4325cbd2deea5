"""Verification JSON routes (/api/registry/tasks): my open tasks, one task, completing it, and (registry.manage)
generating the tasks now. Thin: parse, call the service, shape the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from zhili.auth.deps import CurrentActor
from zhili.registry import repository_verify as repo
from zhili.registry import verify, verify_read
from zhili.registry.schemas_verify import CompleteIn, CompleteRead, GenerateRead, TaskDetail, TaskPage
from zhili.web.deps import AppSettings, DbSession

router = APIRouter(prefix="/api/registry/tasks", tags=["registry"])
TaskId = Annotated[int, Path(ge=1, le=2_000_000_000)]


@router.get("", response_model=TaskPage)
def tasks(actor: CurrentActor, session: DbSession, settings: AppSettings,
          offset: int = Query(default=0, ge=0, le=100_000)) -> TaskPage:
    """Open verification tasks in my grids (grid worker) or area (community worker), the earliest due first."""
    return verify_read.list_tasks(session, actor, settings, offset)


@router.post("/generate", response_model=GenerateRead)
def generate(actor: CurrentActor, session: DbSession, settings: AppSettings) -> GenerateRead:
    """Run the daily task generation now (registry.manage)."""
    r = verify.generate_now(session, actor, settings)
    return GenerateRead(created=r.created, updated=r.updated, cancelled=r.cancelled, skipped=r.skipped)


@router.get("/{task_id}", response_model=TaskDetail)
def task(task_id: TaskId, actor: CurrentActor, session: DbSession, settings: AppSettings) -> TaskDetail:
    return verify_read.task_detail(session, actor, settings, task_id)


@router.post("/{task_id}/complete", response_model=CompleteRead)
def complete(task_id: TaskId, body: CompleteIn, actor: CurrentActor, session: DbSession,
             settings: AppSettings) -> CompleteRead:
    """Confirm or correct fields (a correction needs a reason; a bad value answers 422 naming the field, and
    nothing is saved); the task is done."""
    done = verify.complete(session, actor, settings, task_id, body)
    owners = {d.id: d.short_name for d in repo.functional_departments(session).values()}
    return CompleteRead(task_id=done.task.id, status=done.task.status.value, confirmed=done.confirmed,
                        corrections=verify_read.corrections_read(done.task.kind, done.corrections, owners,
                                                                done.minor, actor.can("pii.reveal")),
                        conflicts_resolved=done.conflicts_resolved)
