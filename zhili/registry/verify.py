"""Verification on site (核查): making the tasks (daily job), and completing one (a grid worker confirms or corrects
the entity's fields). Never commits: the request or the job runner owns the transaction.

Generation (`generate`): every entity is judged by registry/tasks.py (conflict, incomplete, invalid, stale); an
entity with an open task keeps it (its reasons brought up to date) or, when no reason is left, the task is
cancelled; the others compete for at most `registry_tasks_per_grid` new tasks per grid. At most one open task per
entity is the partial unique index: each insert runs in a savepoint, and losing the race to another run (the index
refuses the row) just skips it. Two runs choose the same entities in the same order, so they neither exceed the cap
together nor deadlock.

Completing (`complete`): every confirmed or corrected field gets confirmed[field] = today (local) and the entity
verified_at = now (a value that fails its check cannot be confirmed, only corrected); a correction goes through
values.apply (source 网格核查, checked: a bad value names the field and the caller rolls everything back) and is
kept as a `Correction` (old and new value, reason, evidence, who, when, the owning department); open conflicts on
those fields are resolved; the task is done (compare-and-set: a task another worker finished or the job cancelled
answers 409).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhili.auth import audit
from zhili.auth.actor import Actor
from zhili.config import Settings
from zhili.kit import clock
from zhili.kit.crypto import decrypt
from zhili.kit.errors import Conflict as Stale
from zhili.kit.errors import NotFound, ValidationFailed
from zhili.registry import repository_verify as repo
from zhili.registry import tasks as rules
from zhili.registry import values
from zhili.registry.fields import LABELS, PERSONAL, REQUIRED, SENSITIVE_TAGS, TAGS, owner_of
from zhili.registry.models import Correction, EntityKind, PersonStatus, TaskStatus, VerifyTask
from zhili.registry.present import is_minor
from zhili.registry.repository import Scope, get_visible, scope_of
from zhili.registry.schemas_verify import CompleteIn
from zhili.registry.validate import InvalidValue
from zhili.workcal.service import calendar_for, local_today

SOURCE = "网格核查"
# Fields whose filled value is checked for the `invalid` reason (an unmatched address is invalid too).
CHECKED: dict[EntityKind, tuple[str, ...]] = {
    EntityKind.person: ("name", "id_number", "phone"), EntityKind.house: (),
    EntityKind.vehicle: ("plate",), EntityKind.place: ("credit_code", "contact_phone"),
}


REFERENCES = {"address": ("address_id", "address_text"), "owner": ("owner_person_id",), "household": ("household_id",)}


def judged_columns(kind: EntityKind) -> list[str]:
    """The columns `facts_of` reads (a run selects only these)."""
    names = ["grid_id", "area_path", "verified_at", "address_id", "address_text"]
    for f in (*REQUIRED[kind], *CHECKED[kind]):
        for c in REFERENCES.get(f, (f,)):
            if c not in names:
                names.append(c)
    return names


# ---- judging one entity ---------------------------------------------------------------------------------------

def _empty(raw: Any) -> bool:
    return raw is None or raw == "" or raw == []


def is_missing(entity: Any, name: str) -> bool:
    if name == "address":
        return entity.address_id is None and not entity.address_text
    if name == "owner":
        return entity.owner_person_id is None
    if name == "household":
        return entity.household_id is None
    return _empty(getattr(entity, name, None))


def invalid_fields(kind: EntityKind, entity: Any, today: date, *, ciphertext: bool = False) -> list[str]:
    """The filled fields that fail their check. `ciphertext`: personal fields come encrypted (generation's rows)."""
    found = []
    if entity.address_id is None and entity.address_text:
        found.append("address")  # the source's text matched no standard address
    for name in CHECKED[kind]:
        raw = getattr(entity, name)
        if _empty(raw):
            continue
        if ciphertext and name in PERSONAL[kind]:
            raw = decrypt(raw)
        try:
            values.normalise(kind, name, raw, today=today)
        except InvalidValue:
            found.append(name)
    return found


def facts_of(kind: EntityKind, entity: Any, conflicts: list[str] | None, today: date, *, check: bool = True,
             ciphertext: bool = False) -> rules.Facts:
    """What the rules need of one entity; `check=False` leaves out the (costly) validity checks."""
    return rules.Facts(kind=kind, entity_id=entity.id, grid_id=entity.grid_id, area_path=entity.area_path,
                       verified_at=entity.verified_at, conflicts=tuple(conflicts or ()),
                       missing=tuple(f for f in REQUIRED[kind] if is_missing(entity, f)),
                       invalid=tuple(invalid_fields(kind, entity, today, ciphertext=ciphertext)) if check else ())


# ---- generation -----------------------------------------------------------------------------------------------

@dataclass
class Generated:
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    skipped: int = 0  # another run opened the same entity's task first
    task_ids: list[int] = field(default_factory=list)


def generate(session: Session, settings: Settings, *, by: int | None = None) -> Generated:
    """Open, update and cancel verification tasks (see the module docstring)."""
    now = clock.now()
    today = local_today(settings)
    stale_before = rules.months_before(now, settings.registry_stale_months)
    due = calendar_for(session, settings).add(now, settings.registry_task_due_work_days, "work_days")
    due_on = due.astimezone(ZoneInfo(settings.timezone)).date()
    result = Generated()
    open_tasks = repo.open_task_map(session)
    picker = rules.Picker(settings.registry_tasks_per_grid)
    for kind in EntityKind:
        conflicts = repo.conflict_fields(session, kind)
        for entity in repo.entities(session, kind, judged_columns(kind)):
            task = open_tasks.pop((kind, entity.id), None)
            # Validity is checked where it can matter: stale entities and open tasks. An entity verified within
            # the period had its values checked then (a confirmation of a value that fails its check is refused)
            # and every later write (import, correction) checks them too.
            check = task is not None or entity.verified_at is None or entity.verified_at < stale_before
            found = rules.candidate(facts_of(kind, entity, conflicts.get(entity.id), today, check=check,
                                             ciphertext=True), stale_before)
            if task is None:
                if found is not None:
                    picker.offer(found)
            elif found is None:
                result.cancelled += repo.close_task(session, task.id, TaskStatus.cancelled, by=by, at=now,
                                                    note="核查原因已消除，任务自动取消")
            elif _refresh(task, found, entity):
                result.updated += 1
    for task in open_tasks.values():  # the entity left (moved out, deceased, anonymised or removed)
        result.cancelled += repo.close_task(session, task.id, TaskStatus.cancelled, by=by, at=now,
                                            note="对象已不在册，任务自动取消")
    for c in picker.chosen():
        task = VerifyTask(kind=c.facts.kind, entity_id=c.facts.entity_id, reasons=list(c.reasons),
                          fields=list(c.fields), status=TaskStatus.open, grid_id=c.facts.grid_id,
                          area_path=c.facts.area_path, created_at=now, due_on=due_on, note="")
        try:
            with session.begin_nested():
                session.add(task)
                session.flush()
        except IntegrityError:
            result.skipped += 1
            continue
        result.created += 1
        result.task_ids.append(task.id)
    session.flush()
    if result.created or result.cancelled:
        audit.record(session, "registry.tasks.generate", entity_type="registry_task",
                     detail={"created": result.created, "updated": result.updated, "cancelled": result.cancelled,
                             "skipped": result.skipped})
    return result


def _refresh(task: VerifyTask, found: rules.Candidate, entity: Any) -> bool:
    """Bring an open task's reasons, fields and place up to date with its entity; True when something changed."""
    new = {"reasons": list(found.reasons), "fields": list(found.fields), "grid_id": entity.grid_id,
           "area_path": entity.area_path}
    changed = {k: v for k, v in new.items() if getattr(task, k) != v}
    for k, v in changed.items():
        setattr(task, k, v)
    return bool(changed)


def generate_job(session: Session, settings: Settings) -> dict[str, int]:
    r = generate(session, settings)
    return {"created": r.created, "updated": r.updated, "cancelled": r.cancelled, "skipped": r.skipped}


def generate_now(session: Session, actor: Actor, settings: Settings) -> Generated:
    actor.require("registry.manage")
    return generate(session, settings, by=actor.user_id or None)


# ---- completing a task ----------------------------------------------------------------------------------------

@dataclass
class Completed:
    task: VerifyTask
    confirmed: list[str]
    corrections: list[Correction]
    conflicts_resolved: int
    minor: bool  # the entity is a minor: its name and birth date are masked too when shown


def open_for(session: Session, actor: Actor, task_id: int) -> tuple[Scope, VerifyTask, Any]:
    """The task (in the actor's scope) and its entity; 404 for anything out of scope or missing."""
    actor.require("registry.verify")
    scope = scope_of(session, actor)
    task = repo.task(session, scope, task_id)
    entity = get_visible(session, scope, task.kind, task.entity_id) if task is not None else None
    if task is None or entity is None:
        raise NotFound("核查任务不存在或不在您的辖区内", field="task_id")
    return scope, task, entity


def _check_items(kind: EntityKind, scope: Scope, body: CompleteIn) -> None:
    allowed = scope.fields_for(kind)
    seen: set[str] = set()
    for item in body.items:
        if item.field not in LABELS[kind] or item.field not in allowed:
            raise ValidationFailed(f"未知的字段“{item.field[:32]}”", field=item.field)
        if item.field in seen:
            raise ValidationFailed(f"{LABELS[kind][item.field]}：重复提交", field=item.field)
        seen.add(item.field)
        if item.action == "correct" and not item.reason.strip():
            raise ValidationFailed(f"{LABELS[kind][item.field]}：请填写更正原因", field=item.field)


def _keep_hidden_tags(actor: Actor, kind: EntityKind, entity: Any, field: str, value: str | None) -> str | None:
    """A worker who cannot see a person's sensitive tags (pii.reveal) corrects the others: the hidden ones stay."""
    if kind != EntityKind.person or field != "tags" or actor.can("pii.reveal"):
        return value
    hidden = [TAGS.get(t, t) for t in entity.tags or () if t in SENSITIVE_TAGS]
    return "、".join([*([value] if value else []), *hidden]) or None


def complete(session: Session, actor: Actor, settings: Settings, task_id: int, body: CompleteIn,
             evidence: dict[str, str] | None = None) -> Completed:
    """Confirm or correct the task's entity field by field (see the module docstring)."""
    scope, task, entity = open_for(session, actor, task_id)
    if task.status != TaskStatus.open:
        raise Stale("该核查任务已完成或已取消，请返回列表刷新", code="task_closed", field="task_id")
    kind = task.kind
    _check_items(kind, scope, body)
    now, today = clock.now(), local_today(settings)
    departments = repo.functional_departments(session)
    evidence = evidence or {}
    failing = invalid_fields(kind, entity, today)
    confirmed: list[str] = []
    corrections: list[Correction] = []
    for item in body.items:
        confirmed.append(item.field)
        if item.action == "confirm":
            if item.field in failing:  # confirming it would keep a bad value "fresh" for months
                raise ValidationFailed(f"{LABELS[kind][item.field]}：当前值未通过校验，不能确认无误，请选择“更正”"
                                       "并填写正确的值", field=item.field)
            continue
        old = values.field_value(session, kind, entity, item.field)
        value = _keep_hidden_tags(actor, kind, entity, item.field, item.value)
        values.apply(session, kind, entity, item.field, value, source=SOURCE, at=now, confirmed=True)
        if kind == EntityKind.person and item.field == "status":
            entity.moved_out_on = (item.moved_out_on or today) if entity.status == PersonStatus.moved_out else None
        new = values.field_value(session, kind, entity, item.field)
        if new == old:
            continue  # the same value typed again: a confirmation
        code = owner_of(kind, item.field)
        owner = departments.get(code) if code else None
        c = Correction(kind=kind, entity_id=entity.id, field=item.field, old_value=old, new_value=new,
                       reason=item.reason.strip()[:500], evidence=evidence.get(item.field), task_id=task.id,
                       by_user_id=actor.user_id or None, by_name=actor.display_name[:64], at=now,
                       area_path=entity.area_path, owner_department_id=owner.id if owner else None)
        session.add(c)
        corrections.append(c)
    entity.confirmed = {**(entity.confirmed or {}), **{f: today.isoformat() for f in confirmed}}
    entity.verified_at = now
    entity.updated_at = now
    resolved = repo.resolve_conflicts(session, kind, entity.id, confirmed, by=actor.user_id or None, at=now)
    if not repo.close_task(session, task.id, TaskStatus.done, by=actor.user_id or None, at=now, note=body.note):
        raise Stale("该核查任务已被他人完成或已取消，本次提交未保存", code="task_closed", field="task_id")
    session.flush()
    session.refresh(task)
    audit.record(session, "registry.verify", entity_type=kind.value, entity_id=entity.id,
                 detail={"task": task.id, "confirmed": confirmed, "corrected": [c.field for c in corrections],
                         "corrections": [c.id for c in corrections], "conflicts_resolved": resolved})
    return Completed(task=task, confirmed=confirmed, corrections=corrections, conflicts_resolved=resolved,
                     minor=is_minor(entity, kind, today))
