"""Queries of the case links (registry_case_links) and the watermark of the `registry.link_cases` job.

The job reads three columns of new cases (id, the caller phone's blind index, the address text) straight from the
cases table, in id order: the link table already references cases, and going through the cases service for a
bulk, unscoped read by the platform itself would add nothing but a copy."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhili.cases.models import Case
from zhili.registry.models import CaseLink, Person, Place, Watermark


def watermark(session: Session, name: str) -> int:
    row = session.get(Watermark, name)
    return row.last_id if row else 0


def set_watermark(session: Session, name: str, last_id: int, at: datetime) -> None:
    row = session.get(Watermark, name)
    if row is None:
        session.add(Watermark(name=name, last_id=last_id, updated_at=at))
    else:
        row.last_id, row.updated_at = last_id, at
    session.flush()


def cases_after(session: Session, last_id: int, limit: int) -> list[tuple[int, str | None, str]]:
    """(id, caller phone's blind index, address text) of the cases after `last_id`, in id order."""
    return [(i, b, a or "") for i, b, a in session.execute(
        select(Case.id, Case.caller_phone_bidx, Case.address).where(Case.id > last_id).order_by(Case.id)
        .limit(limit)).tuples()]


def people_by_phone(session: Session, bidxs: Iterable[str]) -> dict[str, list[int]]:
    wanted = sorted(set(bidxs))
    found: dict[str, list[int]] = {}
    if wanted:
        for pid, bidx in session.execute(select(Person.id, Person.phone_bidx).where(Person.phone_bidx.in_(wanted))):
            found.setdefault(bidx, []).append(pid)
    return found


def places_at(session: Session, address_ids: Iterable[int]) -> dict[int, list[int]]:
    wanted = sorted(set(address_ids))
    found: dict[int, list[int]] = {}
    if wanted:
        for pid, aid in session.execute(select(Place.id, Place.address_id).where(Place.address_id.in_(wanted))):
            found.setdefault(aid, []).append(pid)
    return found


def existing(session: Session, case_ids: Sequence[int]) -> set[tuple[int, str, int]]:
    if not case_ids:
        return set()
    return {(c, k, e) for c, k, e in session.execute(
        select(CaseLink.case_id, CaseLink.kind, CaseLink.entity_id).where(CaseLink.case_id.in_(sorted(case_ids))))}


def add_links(session: Session, rows: Sequence[dict[str, object]]) -> None:
    if rows:
        session.add_all([CaseLink(**r) for r in rows])
        session.flush()
