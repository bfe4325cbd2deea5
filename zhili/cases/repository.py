"""Every query on cases. Reads go through `visible()`: deny by default, scoped to the actor's jurisdiction."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select, text, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.cases.models import (
    CLOSED_SQL,
    OPEN_SQL,
    OPEN_STATUSES,
    Attachment,
    Case,
    CaseCounter,
    CaseEvent,
    CasePart,
    CaseStatus,
    ExtensionRequest,
    IdempotencyKey,
    OrderStatus,
    PartStatus,
    RequestStatus,
    SupervisionOrder,
    WarnLevel,
)
from zhili.taxonomy.models import Category

CLOCK_RUNNING = (CaseStatus.dispatched, CaseStatus.in_progress)
COUNT_CAP = 10_000  # list totals are exact up to this, then shown as "10000+"


def visible(actor: Actor) -> ColumnElement[bool]:
    """Cases the actor may read: inside an area subtree or grid of theirs, assigned to a department of theirs
    (lead or co-handler, including earlier dispatches), or reported by them."""
    clauses: list[ColumnElement[bool]] = []
    if actor.can("cases.read"):
        clauses += [subtree(p) for p in actor.area_paths]
        if actor.grid_ids:
            clauses.append(Case.grid_id.in_(sorted(actor.grid_ids)))
        if actor.department_ids:
            clauses.append(Case.id.in_(select(CasePart.case_id)
                                       .where(CasePart.department_id.in_(sorted(actor.department_ids)))))
    if actor.can("cases.report") or actor.can("cases.intake"):
        clauses.append(Case.reporter_user_id == actor.user_id)
    return or_(*clauses) if clauses else false()


def subtree(path: str) -> ColumnElement[bool]:
    """Cases in the area subtree `path` ("/.../330212006000/") as a range over the byte-ordered area_path:
    every path below starts with `path`, and '/' sorts just before '0', so `path[:-1] + "0"` bounds them. An
    index range scan, where LIKE with a bound parameter would not use the index on PostgreSQL."""
    return and_(Case.area_path >= path, Case.area_path < path[:-1] + "0")


def case_by_number(session: Session, actor: Actor, number: str, *, for_update: bool = False) -> Case | None:
    stmt = select(Case).where(Case.number == number, visible(actor))
    return session.scalars(stmt).first()


def case_by_id_unscoped(session: Session, case_id: int) -> Case | None:
    return session.get(Case, case_id)


def case_by_number_unscoped(session: Session, number: str) -> Case | None:
    return session.scalars(select(Case).where(Case.number == number)).first()


def case_list(
    session: Session, actor: Actor, *, filters: Sequence[ColumnElement[bool]], before_id: int | None,
    offset: int, limit: int,
) -> tuple[list[Case], int]:
    """Newest first. `before_id` (keyset) keeps deep pages fast; the total is capped at COUNT_CAP."""
    where = [visible(actor), *filters]
    stmt: Select[Any] = select(Case).where(*where)
    if before_id is not None:
        stmt = stmt.where(Case.id < before_id)
    items = list(session.scalars(stmt.order_by(Case.id.desc()).offset(offset).limit(limit)))
    capped = select(Case.id).where(*where).limit(COUNT_CAP + 1).subquery()
    total = session.scalar(select(func.count()).select_from(capped)) or 0
    return items, int(total)


def status_counts(session: Session, actor: Actor, extra: Sequence[ColumnElement[bool]] = ()) -> dict[str, int]:
    """Open cases by status (the work queues). Closed, rejected and merged cases are the bulk of a year and are
    not counted here: the queue badges stay an index scan over open cases however many years are kept."""
    rows = session.execute(select(Case.status, func.count())
                           .where(Case.status.in_(OPEN_STATUSES), visible(actor), *extra).group_by(Case.status))
    return {str(s): int(n) for s, n in rows}


def warn_counts(session: Session, actor: Actor) -> dict[str, int]:
    rows = session.execute(select(Case.warn_level, func.count())
                           .where(visible(actor), Case.status.in_(CLOCK_RUNNING)).group_by(Case.warn_level))
    return {str(s): int(n) for s, n in rows}


def parts_of(session: Session, case_ids: Sequence[int]) -> list[CasePart]:
    if not case_ids:
        return []
    return list(session.scalars(select(CasePart).where(CasePart.case_id.in_(case_ids)).order_by(CasePart.id)))


def active_parts(session: Session, case_id: int) -> list[CasePart]:
    return list(session.scalars(select(CasePart).where(CasePart.case_id == case_id,
                                                       CasePart.status != PartStatus.cancelled)
                                .order_by(CasePart.id)))


def events_of(session: Session, case_id: int) -> list[CaseEvent]:
    return list(session.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)))


def last_dispatch_event_at(session: Session, case_id: int) -> datetime | None:
    return session.scalar(select(func.max(CaseEvent.at)).where(CaseEvent.case_id == case_id,
                                                               CaseEvent.action == "dispatch"))


def attachments_of(session: Session, case_id: int) -> list[Attachment]:
    return list(session.scalars(select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.id)))


def attachments_by_ids(session: Session, ids: Sequence[int]) -> list[Attachment]:
    if not ids:
        return []
    return list(session.scalars(select(Attachment).where(Attachment.id.in_(ids))))


def idempotent_case(session: Session, user_id: int, key: str) -> Case | None:
    return session.scalars(select(Case).join(IdempotencyKey, IdempotencyKey.case_id == Case.id)
                           .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)).first()


def next_sequence(session: Session, day: str) -> int:
    """Atomically take the next number of the day (an upsert; the row lock lasts to commit)."""
    dialect = session.get_bind().dialect.name
    ins: Any = (postgresql.insert(CaseCounter) if dialect == "postgresql" else sqlite.insert(CaseCounter))
    stmt = ins.values(day=day, value=1).on_conflict_do_update(
        index_elements=[CaseCounter.day], set_={"value": CaseCounter.value + 1}).returning(CaseCounter.value)
    return int(session.execute(stmt).scalar_one())


def merged_into(session: Session, master_id: int) -> list[Case]:
    return list(session.scalars(select(Case).where(Case.master_id == master_id)))


def pending_extension(session: Session, case_id: int) -> ExtensionRequest | None:
    return session.scalars(select(ExtensionRequest).where(ExtensionRequest.case_id == case_id,
                                                          ExtensionRequest.status == RequestStatus.pending)).first()


def extension_by_id(session: Session, case_id: int, request_id: int) -> ExtensionRequest | None:
    return session.scalars(select(ExtensionRequest).where(ExtensionRequest.id == request_id,
                                                          ExtensionRequest.case_id == case_id)).first()


def extensions_of(session: Session, case_id: int) -> list[ExtensionRequest]:
    return list(session.scalars(select(ExtensionRequest).where(ExtensionRequest.case_id == case_id)
                                .order_by(ExtensionRequest.id)))


def orders_of(session: Session, case_id: int) -> list[SupervisionOrder]:
    return list(session.scalars(select(SupervisionOrder).where(SupervisionOrder.case_id == case_id)
                                .order_by(SupervisionOrder.id)))


def order_by_id(session: Session, case_id: int, order_id: int) -> SupervisionOrder | None:
    return session.scalars(select(SupervisionOrder).where(SupervisionOrder.id == order_id,
                                                          SupervisionOrder.case_id == case_id)).first()


def open_orders(session: Session, actor: Actor, offset: int, limit: int) -> list[tuple[SupervisionOrder, Case]]:
    stmt = (select(SupervisionOrder, Case).join(Case, Case.id == SupervisionOrder.case_id)
            .where(visible(actor), SupervisionOrder.status == OrderStatus.open)
            .order_by(SupervisionOrder.id.desc()).offset(offset).limit(limit))
    return [(o, c) for o, c in session.execute(stmt).tuples()]


def pending_extensions(session: Session, actor: Actor, limit: int = 100) -> list[tuple[ExtensionRequest, Case]]:
    stmt = (select(ExtensionRequest, Case).join(Case, Case.id == ExtensionRequest.case_id)
            .where(visible(actor), ExtensionRequest.status == RequestStatus.pending)
            .order_by(ExtensionRequest.id).limit(limit))
    return [(e, c) for e, c in session.execute(stmt).tuples()]


# ---- the warning job: compare-and-set updates, so each case is marked once whoever runs the job -------------

def mark_yellow(session: Session, now: datetime) -> list[tuple[int, int | None]]:
    stmt = (update(Case)
            .where(Case.warn_level == WarnLevel.none, Case.status.in_(CLOCK_RUNNING), Case.yellow_at <= now,
                   Case.deadline_at > now)
            .values(warn_level=WarnLevel.yellow)
            .returning(Case.id, Case.department_id)
            .execution_options(synchronize_session=False))
    return [(int(i), d) for i, d in session.execute(stmt).tuples()]


def mark_red(session: Session, now: datetime) -> list[tuple[int, int | None]]:
    stmt = (update(Case)
            .where(Case.warn_level.in_((WarnLevel.none, WarnLevel.yellow)), Case.status.in_(CLOCK_RUNNING),
                   Case.deadline_at <= now)
            .values(warn_level=WarnLevel.red)
            .returning(Case.id, Case.department_id)
            .execution_options(synchronize_session=False))
    return [(int(i), d) for i, d in session.execute(stmt).tuples()]


def cases_by_ids(session: Session, ids: Sequence[int]) -> list[Case]:
    if not ids:
        return []
    return list(session.scalars(select(Case).where(Case.id.in_(ids))))


def open_filter() -> ColumnElement[bool]:
    return Case.status.in_(OPEN_STATUSES)


def in_queue(queue: str) -> list[ColumnElement[bool]]:
    """Named work queues of the center workbench."""
    queues: dict[str, list[ColumnElement[bool]]] = {
        "received": [Case.status == CaseStatus.received],
        "registered": [Case.status == CaseStatus.registered],
        "dispatched": [Case.status == CaseStatus.dispatched],
        "in_progress": [Case.status == CaseStatus.in_progress],
        "handled": [Case.status == CaseStatus.handled],
        "suspended": [Case.status == CaseStatus.suspended],
        "closed": [Case.status == CaseStatus.closed],
        "yellow": [Case.warn_level == WarnLevel.yellow, Case.status.in_(CLOCK_RUNNING)],
        "red": [Case.warn_level == WarnLevel.red, Case.status.in_(CLOCK_RUNNING)],
        "open": [open_filter()],
    }
    return queues[queue]


def department_inbox(actor: Actor) -> ColumnElement[bool]:
    """Cases with a live part of one of the actor's departments."""
    if not actor.department_ids:
        return false()
    return exists().where(CasePart.case_id == Case.id, CasePart.department_id.in_(actor.department_ids),
                          CasePart.status.in_((PartStatus.dispatched, PartStatus.in_progress)))


def grid_tasks(actor: Actor) -> ColumnElement[bool]:
    """A grid worker's tasks: cases in their grids waiting for on-site verification, and their own reports."""
    if not actor.grid_ids:
        return false()
    return and_(Case.grid_id.in_(actor.grid_ids), Case.status == CaseStatus.handled)


# ---- duplicates and repeat complaints (cases/dedup.py) ---------------------------------------------------------

DEDUP_TEXT_CHARS = 120  # of a description compared for similarity: the gist is at the start; bounds the work
# The nearest this many cases are compared by text: bounds a lookup's work where cases pile up (a market with
# thousands of open cases within 250 m); the few best of them are what a person reads anyway.
DEDUP_POOL_LIMIT = 150


def dedup_pool(session: Session, actor: Actor, *, lon: float, lat: float, radius_m: float, cells: Sequence[int],
               category_ids: Sequence[int], closed_since: datetime, exclude_id: int | None,
               limit: int = DEDUP_POOL_LIMIT) -> list[Any]:
    """The nearest (at most `limit`) cases within `radius_m` of the point, in the given place cells and
    categories, that the actor may see: open ones, and ones closed since `closed_since`. Rejected and merged
    cases never are. Each branch runs on its partial index (the predicates are stated as in the index, see
    models.OPEN_SQL), so the cost follows the cases near the point, not the table; the distance is the
    equirectangular one (within 0.1 % here; 2 % margin, the caller keeps the exact circle). Rows: id, number,
    title, description (first DEDUP_TEXT_CHARS), status, category_id, lon, lat, address, received_at, closed_at,
    d2 (squared metres)."""
    if not cells or not category_ids:
        return []
    kx, ky = (111_320.0 * math.cos(math.radians(lat))) ** 2, 111_320.0 ** 2
    d2 = ((Case.lon - lon) * (Case.lon - lon) * kx + (Case.lat - lat) * (Case.lat - lat) * ky).label("d2")
    cols = (Case.id, Case.number, Case.title, func.substr(Case.description, 1, DEDUP_TEXT_CHARS).label("description"),
            Case.status, Case.category_id, Case.lon, Case.lat, Case.address, Case.received_at, Case.closed_at, d2)
    where: list[ColumnElement[bool]] = [Case.geo_cell.in_(list(cells)), Case.category_id.in_(list(category_ids)),
                                        visible(actor), d2 <= radius_m * radius_m * 1.02]
    if exclude_id is not None:
        where.append(Case.id != exclude_id)
    open_q = select(*cols).where(text(f"cases.{OPEN_SQL}"), *where)
    closed_q = select(*cols).where(text(f"cases.{CLOSED_SQL}"), Case.closed_at >= closed_since, *where)
    both = union_all(open_q, closed_q).subquery()
    return list(session.execute(select(both).order_by(both.c.d2, both.c.id).limit(limit)))


def recent_near(session: Session, cells: Sequence[int], since: datetime, limit: int = 500) -> list[Any]:
    """Any case received since `since` in the given place cells, whoever may see it (the repeat-complaint check
    at intake counts them; nothing of them is shown). Rows: id, lon, lat, address."""
    if not cells:
        return []
    return list(session.execute(select(Case.id, Case.lon, Case.lat, Case.address)
                                .where(Case.geo_cell.in_(list(cells)), Case.received_at >= since).limit(limit)))


def recent_by_caller(session: Session, phone_bidx: str, since: datetime, limit: int = 200) -> list[Any]:
    """Cases of the same caller (blind index of the phone) received since `since`. Rows: id, category_id."""
    return list(session.execute(select(Case.id, Case.category_id)
                                .where(Case.caller_phone_bidx == phone_bidx, Case.received_at >= since)
                                .limit(limit)))


def fill_missing_cells(session: Session) -> int:
    """Set the place cell of rows written around the ORM (bulk loads), in SQL; the same arithmetic as
    cases/geocell.py (on SQLite the coordinates are shifted positive, so CAST truncating is floor)."""
    if session.get_bind().dialect.name == "postgresql":
        expr = "floor((lat + 90) * 400)::bigint * 144000 + floor((lon + 180) * 400)::bigint"
    else:
        expr = "CAST((lat + 90) * 400 AS INTEGER) * 144000 + CAST((lon + 180) * 400 AS INTEGER)"
    result = session.execute(text(f"UPDATE cases SET geo_cell = {expr} WHERE geo_cell IS NULL"))
    return int(getattr(result, "rowcount", 0) or 0)


def category_family(session: Session, code: str) -> list[Any]:
    """The category `code`, its parent and its siblings (the parent's other children), in one statement: the
    "related categories" of the duplicate finder. Rows: id, code, name, parent_id."""
    parent = select(Category.parent_id).where(Category.code == code).scalar_subquery()
    return list(session.execute(select(Category.id, Category.code, Category.name, Category.parent_id)
                                .where(or_(Category.code == code, Category.id == parent,
                                           Category.parent_id == parent))))
