"""Every query of the Open311 adapter.

What the public endpoint may read is fixed here and nowhere else: cases filed through Open311 (they have an
Open311Request row) in categories marked public. Nothing here reads a reporter's contact details for output.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.orm import Session

from zhili.cases.models import Case, CaseEvent, CaseStatus
from zhili.open311.models import Open311Client, Open311Request, ServiceAttribute
from zhili.taxonomy.models import Category

# ---- clients ----------------------------------------------------------------------------------------------------


def client_by_key_hash(session: Session, key_hash: str) -> Open311Client | None:
    return session.scalars(select(Open311Client).where(Open311Client.key_hash == key_hash)).first()


def client_by_id(session: Session, client_id: int) -> Open311Client | None:
    return session.get(Open311Client, client_id)


def client_by_name(session: Session, name: str) -> Open311Client | None:
    return session.scalars(select(Open311Client).where(Open311Client.name == name)).first()


def clients(session: Session) -> list[Open311Client]:
    return list(session.scalars(select(Open311Client).order_by(Open311Client.active.desc(), Open311Client.id)))


def request_counts(session: Session) -> dict[int, int]:
    rows = session.execute(select(Open311Request.client_id, func.count()).group_by(Open311Request.client_id))
    return {cid: n for cid, n in rows}


def touch_client(session: Session, client_id: int, now: datetime, older_than: datetime) -> None:
    """Stamp last use with a plain UPDATE at most once a minute (no ORM change left to flush under a lock)."""
    session.execute(update(Open311Client)
                    .where(Open311Client.id == client_id,
                           or_(Open311Client.last_used_at.is_(None), Open311Client.last_used_at < older_than))
                    .values(last_used_at=now).execution_options(synchronize_session=False))


# ---- services ---------------------------------------------------------------------------------------------------


def public_services(session: Session) -> list[tuple[Category, str]]:
    """(leaf, its major's name) for every active public category without active children, in catalogue order."""
    parent = Category.__table__.alias("parent")
    child = Category.__table__.alias("child")
    has_children = select(child.c.id).where(child.c.parent_id == Category.id, child.c.active.is_(True)).exists()
    stmt = (select(Category, parent.c.name).outerjoin(parent, parent.c.id == Category.parent_id)
            .where(Category.public.is_(True), Category.active.is_(True), ~has_children)
            .order_by(parent.c.sort, Category.sort, Category.code))
    return [(c, name or "") for c, name in session.execute(stmt)]


def public_service(session: Session, code: str) -> Category | None:
    return next((c for c, _ in public_services(session) if c.code == code), None)


def attributes_of(session: Session, category_ids: Sequence[int]) -> dict[int, list[ServiceAttribute]]:
    out: dict[int, list[ServiceAttribute]] = {i: [] for i in category_ids}
    if category_ids:
        stmt = (select(ServiceAttribute).where(ServiceAttribute.category_id.in_(list(category_ids)))
                .order_by(ServiceAttribute.position, ServiceAttribute.code))
        for a in session.scalars(stmt):
            out[a.category_id].append(a)
    return out


def attribute_keys(session: Session) -> set[tuple[int, str]]:
    return {(c, k) for c, k in session.execute(select(ServiceAttribute.category_id, ServiceAttribute.code))}


def category_ids_by_code(session: Session, codes: Sequence[str]) -> dict[str, int]:
    return {code: i for i, code in session.execute(select(Category.id, Category.code)
                                                    .where(Category.code.in_(list(codes))))}


# ---- service requests -------------------------------------------------------------------------------------------


def _public() -> Select[tuple[Case, Open311Request, Category]]:
    return (select(Case, Open311Request, Category).join(Open311Request, Open311Request.case_id == Case.id)
            .join(Category, Category.id == Case.category_id).where(Category.public.is_(True)))


def public_requests(session: Session, *, numbers: Sequence[str] = (), codes: Sequence[str] = (),
                    statuses: Sequence[CaseStatus] = (), since: datetime | None = None,
                    until: datetime | None = None, offset: int = 0,
                    limit: int = 1000) -> list[tuple[Case, Open311Request, Category]]:
    """Newest first. `numbers` (the service_request_id list) overrides every other filter, as the spec says."""
    where: list[ColumnElement[bool]] = []
    if numbers:
        where.append(Case.number.in_(list(numbers)))
    else:
        if codes:
            where.append(Category.code.in_(list(codes)))
        if statuses:
            where.append(Case.status.in_(list(statuses)))
        if since is not None:
            where.append(Case.received_at >= since)
        if until is not None:
            where.append(Case.received_at <= until)
    stmt = _public().where(*where).order_by(Case.received_at.desc(), Case.id.desc()).offset(offset).limit(limit)
    return [(c, o, cat) for c, o, cat in session.execute(stmt)]


def public_request_by_token(session: Session, token: str) -> tuple[Case, Open311Request, Category] | None:
    row = session.execute(_public().where(Open311Request.token == token)).first()
    return (row[0], row[1], row[2]) if row else None


def latest_events(session: Session, case_ids: Sequence[int], actions: Sequence[str]) -> dict[int, CaseEvent]:
    """The newest event among `actions` of each case."""
    if not case_ids:
        return {}
    newest = (select(func.max(CaseEvent.id)).where(CaseEvent.case_id.in_(list(case_ids)),
                                                    CaseEvent.action.in_(list(actions)))
              .group_by(CaseEvent.case_id))
    return {e.case_id: e for e in session.scalars(select(CaseEvent).where(CaseEvent.id.in_(newest)))}


def case_numbers(session: Session, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {i: n for i, n in session.execute(select(Case.id, Case.number).where(Case.id.in_(list(ids))))}


def add(session: Session, obj: Any) -> None:
    session.add(obj)
    session.flush()
