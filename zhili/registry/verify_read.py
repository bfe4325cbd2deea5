"""What a grid worker sees of its verification tasks: the list, and one task with its entity's fields (masked
through present.py), each field's source, date and freshness, and conflicting values side by side (masked)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.config import Settings
from zhili.registry import present as view
from zhili.registry import repository_verify as repo
from zhili.registry import values
from zhili.registry.fields import LABELS, owner_of
from zhili.registry.models import KIND_LABEL, Correction, EntityKind, VerifyTask
from zhili.registry.repository import scope_of
from zhili.registry.schemas_verify import (
    ConflictValue,
    CorrectionRead,
    TaskDetail,
    TaskField,
    TaskPage,
    TaskRead,
)
from zhili.registry.tasks import REASON_LABEL
from zhili.registry.verify import open_for
from zhili.workcal.service import local_today

PAGE = 100


def shown(kind: EntityKind, field: str, value: Any, *, minor: bool, can_reveal: bool) -> str:
    """A stored or source value (plain text, as values.field_value gives it) as the viewer may see it: personal
    values masked; a person's sensitive tags left out unless the viewer may reveal them."""
    if kind == EntityKind.person and field == "tags":
        items = value if isinstance(value, list) else [t for t in re.split(r"[、,，;；\s]+", str(value or "")) if t]
        codes = [values.TAG_BY_LABEL.get(str(t), str(t)) for t in items]
        text, hidden = view.tags_shown(codes, can_reveal)
        return text + (f"（另有 {hidden} 项敏感标签）" if hidden else "")
    return view.mask_value(kind, field, value, minor=minor)


def title_of(kind: EntityKind, entity: Any, address: str, today: date) -> str:
    if kind == EntityKind.person:
        return view.person_name(entity.name, entity.birth_date, today)
    if kind == EntityKind.vehicle:
        return entity.plate
    if kind == EntityKind.place:
        return entity.name
    return address or f"{KIND_LABEL[kind]} #{entity.id}"


def _read(task: VerifyTask, entity: Any, address: str, today: date) -> dict[str, Any]:
    labels = LABELS[task.kind]
    return dict(id=task.id, kind=task.kind.value, kind_label=KIND_LABEL[task.kind], entity_id=task.entity_id,
                title=title_of(task.kind, entity, address, today) if entity is not None else f"#{task.entity_id}",
                address=address, reasons=list(task.reasons), reason_labels=[REASON_LABEL.get(r, r) for r in task.reasons],
                fields=list(task.fields), field_labels=[labels.get(f, f) for f in task.fields],
                status=task.status.value, due_on=task.due_on, overdue=bool(task.due_on and task.due_on < today),
                created_at=task.created_at)


def list_tasks(session: Session, actor: Actor, settings: Settings, offset: int = 0) -> TaskPage:
    """My open tasks (a grid worker: its grids; a community worker: its community), the earliest due first."""
    actor.require("registry.verify")
    scope = scope_of(session, actor)
    tasks = repo.open_tasks(session, scope, PAGE, offset)
    entities = repo.entity_titles(session, tasks)
    today = local_today(settings)
    addresses: dict[tuple[EntityKind, int], str] = {}
    for kind in EntityKind:
        rows = [e for (k, _), e in entities.items() if k == kind]
        addresses |= {(kind, i): text for i, text in repo.address_texts(session, rows).items()}
    items = [TaskRead(**_read(t, entities.get((t.kind, t.entity_id)), addresses.get((t.kind, t.entity_id), ""),
                              today)) for t in tasks]
    return TaskPage(items=items, total=repo.count_open(session, scope))


def refs_of(session: Session, kind: EntityKind, entity: Any, today: date) -> dict[str, str]:
    """The display text of the fields that are not columns (present.REFS)."""
    refs = {"address": repo.address_texts(session, [entity]).get(entity.id, "")}
    if kind == EntityKind.person:
        refs["household"] = repo.household_number(session, entity.household_id)
    else:
        owner = repo.person_brief(session, getattr(entity, "owner_person_id", None))
        refs["owner"] = view.person_name(owner[0], owner[1], today) if owner else ""
    return refs


def task_detail(session: Session, actor: Actor, settings: Settings, task_id: int) -> TaskDetail:
    scope, task, entity = open_for(session, actor, task_id)
    today = local_today(settings)
    refs = refs_of(session, task.kind, entity, today)
    view_ = view.present(entity, task.kind, scope, today, refs=refs, stale_months=settings.registry_stale_months)
    conflicts = {c.field: c for c in repo.open_conflicts(session, task.kind, entity.id)}
    departments = {code: d.short_name for code, d in repo.functional_departments(session).items()}
    fields = []
    for f in view_.fields:
        c = conflicts.get(f.field)
        side = [ConflictValue(source=str(v.get("source", "")),
                              value=shown(task.kind, f.field, v.get("value"), minor=view_.minor,
                                                can_reveal=actor.can("pii.reveal")),
                              at=v.get("at")) for v in (c.values if c is not None else []) if isinstance(v, dict)]
        code = owner_of(task.kind, f.field)
        fields.append(TaskField(field=f.field, label=f.label, value=f.value, masked=f.masked, source=f.source,
                                at=f.at, confirmed=f.confirmed, fresh=f.fresh, flagged=f.field in task.fields,
                                conflict=side, owner=departments.get(code, code) if code else None, note=f.note))
    fields.sort(key=lambda x: (not x.flagged, not x.conflict))
    base = _read(task, entity, refs["address"], today)
    base["title"] = view_.title if task.kind != EntityKind.house else base["title"]
    return TaskDetail(**base, minor=view_.minor, entity_fields=fields, done_at=task.done_at, note=task.note)


def corrections_read(kind: EntityKind, corrections: Sequence[Correction], owners: dict[int, str],
                     minor: bool, can_reveal: bool) -> list[CorrectionRead]:
    return [CorrectionRead(id=c.id, field=c.field, label=LABELS[kind].get(c.field, c.field),
                           old_value=shown(kind, c.field, c.old_value, minor=minor, can_reveal=can_reveal),
                           new_value=shown(kind, c.field, c.new_value, minor=minor, can_reveal=can_reveal),
                           reason=c.reason,
                           owner=owners.get(c.owner_department_id or 0), has_evidence=bool(c.evidence))
            for c in corrections]
