"""Queries of bulk export requests and the rows they export.

- A request is readable by its requester, and by a holder of registry.approve whose area subtree covers the
  request's `area_path` (the requester's area); by nobody else (404, as if missing).
- The rows of an export start from repository.visible() with the *requester's* scope: an approval never widens
  what the requester may see.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, update
from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.auth.models import User
from zhili.auth.repository import build_actor
from zhili.registry.models import EntityKind, ExportRequest, ExportStatus, Person, PersonStatus
from zhili.registry.repository import MODELS, Scope, subtree, visible


def _approvable(actor: Actor) -> ColumnElement[bool]:
    if not actor.can("registry.approve") or not actor.area_paths:
        return false()
    return or_(*(subtree(ExportRequest.area_path, p) for p in actor.area_paths))


def readable(actor: Actor) -> ColumnElement[bool]:
    return or_(ExportRequest.requested_by == actor.user_id, _approvable(actor))


def requests(session: Session, actor: Actor, limit: int = 200) -> list[ExportRequest]:
    return list(session.scalars(select(ExportRequest).where(readable(actor))
                                .order_by(ExportRequest.id.desc()).limit(limit)))


def request(session: Session, actor: Actor, request_id: int) -> ExportRequest | None:
    return session.scalars(select(ExportRequest).where(ExportRequest.id == request_id, readable(actor))).first()


def may_decide(actor: Actor, req: ExportRequest) -> bool:
    """The actor holds registry.approve over the request's area (not whether it is the requester)."""
    return actor.can("registry.approve") and actor.in_area(req.area_path)


def set_status(session: Session, request_id: int, old: ExportStatus, **values: Any) -> bool:
    """Compare-and-set: False when another approver decided first."""
    done = session.execute(update(ExportRequest).where(ExportRequest.id == request_id, ExportRequest.status == old)
                           .values(**values).execution_options(synchronize_session="fetch"))
    return bool(getattr(done, "rowcount", 0))


def user_names(session: Session, ids: Sequence[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(wanted))).tuples().all())


def actor_of(session: Session, user_id: int) -> Actor | None:
    """The requester as it is now (its current roles and scopes); None when it is gone or inactive."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    return build_actor(session, user, via="export")


def rows(session: Session, scope: Scope, kind: EntityKind, filters: Sequence[ColumnElement[bool]],
         chunk: int = 1000) -> Iterator[list[Any]]:
    """The entities the scope sees that match the filters, oldest first, `chunk` at a time (keyset on id); the
    caller expunges a chunk once written, so memory stays flat whatever the size."""
    model = MODELS[kind]
    where = [visible(scope, kind), *filters]
    if kind == EntityKind.person:
        where.append(Person.status != PersonStatus.anonymised)
    last = 0
    while True:
        items: list[Any] = list(session.scalars(select(model).where(model.id > last, *where)
                                                .order_by(model.id).limit(chunk)))
        if not items:
            return
        yield items
        last = items[-1].id
