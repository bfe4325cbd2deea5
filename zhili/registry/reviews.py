"""The match review queue: source records whose match to an entity was uncertain (registry/matching.py) wait here,
parked without an entity, until someone with registry.manage decides.

- linked: the record joins the candidate; its values merge in like an import's (registry/merge.py: empty fields
  filled, disagreements kept side by side as conflicts);
- separate: the record becomes a new entity of its own.
Reading is scoped like the entities (repository_reviews.reviews_visible); a review out of scope answers 404 like a
missing one, a decided one 409. Every decision is audited. Never commits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from zhili.auth import audit
from zhili.auth.actor import Actor
from zhili.kit import clock
from zhili.kit.errors import Conflict, NotFound, ValidationFailed
from zhili.registry import merge, values
from zhili.registry import repository_import as import_repo
from zhili.registry import repository_reviews as repo
from zhili.registry.fields import LABELS, MINOR_AGE
from zhili.registry.models import KIND_LABEL, EntityKind, MatchReview, ReviewStatus, SourceRecord
from zhili.registry.present import age_on, mask_value, person_name
from zhili.registry.repository import MODELS, scope_of
from zhili.registry.schemas_reviews import ReviewPage, ReviewRead, ReviewSide
from zhili.registry.validate import InvalidValue

ORDER = ("name", "plate", "id_number", "phone", "contact_phone", "birth_date", "sex", "residency", "kind",
         "credit_code", "address", "household", "owner")
"""The order a separated record's fields are applied in (the address before the household made at it)."""


def _birth(raw: dict[str, Any]) -> date | None:
    text = str(raw.get("birth_date") or "")
    idn = str(raw.get("id_number") or "")
    try:
        return date.fromisoformat(text) if text else date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14])) \
            if len(idn) == 18 else None
    except ValueError:
        return None


def _side(kind: EntityKind, raw: dict[str, Any], source: str, today: date) -> ReviewSide:
    birth = _birth(raw)
    age = age_on(birth, today)
    minor = kind == EntityKind.person and age is not None and age < MINOR_AGE
    phone_field = "contact_phone" if kind == EntityKind.place else "phone"
    return ReviewSide(
        name=person_name(raw.get("name"), birth, today) if kind == EntityKind.person else str(raw.get("name") or ""),
        id_number=mask_value(kind, "id_number", raw.get("id_number"), minor=minor),
        birth_date=mask_value(kind, "birth_date", birth, minor=minor) if birth else "",
        phone=mask_value(kind, phone_field, raw.get(phone_field), minor=minor),
        address=str(raw.get("address") or ""), source=source)


def _entity_side(session: Session, kind: EntityKind, entity: Any, today: date) -> ReviewSide:
    raw = {f: getattr(entity, f, None) for f in ("name", "id_number", "phone", "contact_phone")}
    raw["birth_date"] = entity.birth_date.isoformat() if getattr(entity, "birth_date", None) else None
    raw["address"] = values.field_value(session, kind, entity, "address") or ""
    return _side(kind, raw, f"#{entity.id}", today)


def _read(session: Session, review: MatchReview, record: SourceRecord, today: date) -> ReviewRead:
    kind = EntityKind(review.kind)
    candidate = session.get(MODELS[kind], review.candidate_id)
    empty = ReviewSide(name="（已删除）", id_number="", birth_date="", phone="", address="", source="")
    return ReviewRead(
        id=review.id, kind=kind.value, kind_label=KIND_LABEL[kind], status=review.status.value,
        score=review.score, reasons={k: float(v) for k, v in (review.reasons or {}).items()},
        record_id=record.id, candidate_id=review.candidate_id,
        record=_side(kind, record.values or {}, record.source, today),
        candidate=_entity_side(session, kind, candidate, today) if candidate is not None else empty,
        created_at=review.created_at, decided_at=review.decided_at, entity_id=record.entity_id)


def list_reviews(session: Session, actor: Actor, status: str | None = "open", offset: int = 0) -> ReviewPage:
    actor.require("registry.read")
    scope = scope_of(session, actor)
    wanted = ReviewStatus(status) if status else None
    rows, total = repo.list_reviews(session, scope, wanted, offset)
    today = clock.now().date()
    return ReviewPage(items=[_read(session, r, rec, today) for r, rec in rows], total=total)


def decide(session: Session, actor: Actor, review_id: int, decision: str) -> ReviewRead:
    actor.require("registry.manage")
    found = repo.get_review(session, scope_of(session, actor), review_id)
    if found is None:
        raise NotFound()
    review, record = found
    if review.status != ReviewStatus.open:
        raise Conflict("该匹配已处理", field="decision")
    kind = EntityKind(review.kind)
    now = clock.now()
    entity: Any
    if decision == "linked":
        entity = session.get(MODELS[kind], review.candidate_id)
        if entity is None:
            raise Conflict("候选对象已不存在，请选择“不是同一对象”", field="decision")
        _link(session, kind, entity, record)
    elif decision == "separate":
        entity = _separate(session, kind, record)
    else:
        raise ValidationFailed("decision 应为 linked 或 separate", field="decision")
    record.entity_id = entity.id
    review.status = ReviewStatus(decision)
    review.decided_by = actor.user_id or None
    review.decided_at = now
    session.flush()
    audit.record(session, "registry.review", entity_type="registry_match_reviews", entity_id=review.id,
                 detail={"decision": decision, "kind": kind.value, "record_id": record.id, "entity_id": entity.id,
                         "score": review.score})
    return _read(session, review, record, now.date())


def _typed(kind: EntityKind, field: str, value: Any) -> Any:
    try:
        return values.normalise(kind, field, value, today=clock.now().date())
    except InvalidValue as exc:
        raise ValidationFailed(f"{LABELS[kind].get(field, field)}：{exc.reason}", field=field) from None


def _link(session: Session, kind: EntityKind, entity: Any, record: SourceRecord) -> None:
    incoming = []
    for field, raw in (record.values or {}).items():
        typed = _typed(kind, field, raw)
        if typed is None:
            continue
        try:
            cols = values.resolve(session, kind, entity, field, typed, record.imported_at)
        except InvalidValue:
            if field != "address":
                continue  # e.g. an ID number another entity holds: kept on the record, not merged
            cols = {**values.UNPLACED, "address_text": str(raw)[:200]}
        display = cols.get("address_text", "") if field == "address" else values.display(kind, field, typed)
        incoming.append(merge.Incoming(field, cols, display))
    depts = import_repo.department_codes(session)
    merge.merge(session, kind, entity, incoming, source=record.source, source_dept=depts.get(record.source),
                at=record.imported_at)


def _separate(session: Session, kind: EntityKind, record: SourceRecord) -> Any:
    at = record.imported_at
    model = MODELS[kind]
    entity = model(provenance={}, confirmed={}, created_at=clock.now(), updated_at=at)
    raw = dict(record.values or {})
    ordered = sorted(raw, key=lambda f: ORDER.index(f) if f in ORDER else len(ORDER))
    for field in ordered:
        try:
            values.apply(session, kind, entity, field, raw[field], source=record.source, at=at)
        except ValidationFailed:
            if field != "address":
                raise
            entity.address_text = str(raw[field])[:200]
    session.add(entity)
    session.flush()
    return entity
