"""Retention of personal data: what expired is anonymised or deleted by the daily job `registry.retention`.

Data classes and their periods (settings, with the reasons in zhili/config.py):
- floating residents who moved out (`status = moved_out`, `moved_out_on` older than `retention_moved_out_days`):
  anonymised. Name -> "已匿名", ID number, phone and their blind indexes null, birth date reduced to 1 January of
  its year, tags and work place cleared, status `anonymised`; their source records' values replaced by {} (and the
  row hash cleared: a later import of the same person is new information), their corrections' old and new values
  nulled, their conflicts' side-by-side values emptied and closed. The row stays: counts still add up.
- closed cases' caller (`caller_name`, `caller_phone`, `caller_phone_bidx`) nulled `retention_case_contact_days`
  after `closed_at`.
- export files (registry/exports.py) deleted once `expires_at` passed; the request is marked expired. Files no
  request names (left by an approval that rolled back) go too, once older than the download period.

Invariants: idempotent (what was done is not selected again); batches of `retention_batch` rows, in the caller's
transaction (the job runner commits); one audit entry `retention.purge` per run with the counts per class (the
rows themselves are changed by bulk statements, not one audit entry per row); time from kit.clock.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from zhili.auth import audit
from zhili.cases.models import Case, CaseStatus
from zhili.config import Settings
from zhili.kit import clock
from zhili.registry import exports
from zhili.registry.models import (
    Conflict,
    Correction,
    EntityKind,
    ExportRequest,
    ExportStatus,
    Person,
    PersonStatus,
    Residency,
    SourceRecord,
)

ANONYMOUS_NAME = "已匿名"


@dataclass
class Purged:
    people_anonymised: int = 0
    source_records_cleared: int = 0
    corrections_cleared: int = 0
    conflicts_cleared: int = 0
    case_contacts_cleared: int = 0
    export_files_deleted: int = 0


def _batches(session: Session, stmt: Select[tuple[int]], size: int):  # type: ignore[no-untyped-def]
    """Ids matching `stmt` (ordered by id), `size` at a time; each batch is handled before the next is read, so
    rows already handled no longer match."""
    last = 0
    while True:
        ids = list(session.scalars(stmt.where(stmt.selected_columns[0] > last).order_by(stmt.selected_columns[0])
                                   .limit(size)))
        if not ids:
            return
        yield ids
        last = ids[-1]


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def anonymise_people(session: Session, ids: list[int], out: Purged) -> None:
    now = clock.now()
    by_year: dict[int | None, list[int]] = {}
    for pid, birth in session.execute(select(Person.id, Person.birth_date).where(Person.id.in_(ids))):
        by_year.setdefault(birth.year if birth else None, []).append(pid)
    for year, pids in by_year.items():  # one statement per birth year: the date keeps only its year
        session.execute(update(Person).where(Person.id.in_(pids)).values(
            name=ANONYMOUS_NAME, id_number=None, id_number_bidx=None, phone=None, phone_bidx=None,
            birth_date=date(year, 1, 1) if year else None, tags=[], work_place="",
            status=PersonStatus.anonymised, anonymised_at=now, updated_at=now))
        out.people_anonymised += len(pids)
    kind = EntityKind.person
    out.source_records_cleared += _count(session.execute(
        update(SourceRecord).where(SourceRecord.kind == kind, SourceRecord.entity_id.in_(ids))
        .values(values={}, row_hash="")))
    out.corrections_cleared += _count(session.execute(
        update(Correction).where(Correction.kind == kind, Correction.entity_id.in_(ids))
        .values(old_value=None, new_value=None)))
    out.conflicts_cleared += _count(session.execute(
        update(Conflict).where(Conflict.kind == kind, Conflict.entity_id.in_(ids))
        .values(values=[], open=False)))


def _orphans(session: Session, settings: Settings) -> int:
    """Export files no request names (an approval whose transaction rolled back after writing them), once older
    than the download period."""
    folder = exports.export_dir(settings)
    if not folder.is_dir():
        return 0
    named = set(session.scalars(select(ExportRequest.file_key).where(ExportRequest.file_key.is_not(None))))
    cutoff = (clock.now() - timedelta(hours=settings.export_expiry_hours)).timestamp()
    n = 0
    for f in folder.iterdir():
        key = f.name.lstrip(".").split(".", 1)[0]
        if f.is_file() and key not in named and f.stat().st_mtime < cutoff:
            f.unlink(missing_ok=True)
            n += 1
    return n


def purge(session: Session, settings: Settings) -> Purged:
    """Anonymise and delete what expired (see the module docstring); returns the counts, also audited."""
    now = clock.now()
    out = Purged()
    size = settings.retention_batch
    moved_before = (now - timedelta(days=settings.retention_moved_out_days)).date()
    expired_people = select(Person.id).where(Person.status == PersonStatus.moved_out,
                                             Person.residency == Residency.floating,
                                             Person.moved_out_on.is_not(None), Person.moved_out_on < moved_before)
    for ids in _batches(session, expired_people, size):
        anonymise_people(session, ids, out)

    closed_before = now - timedelta(days=settings.retention_case_contact_days)
    callers = select(Case.id).where(Case.status == CaseStatus.closed, Case.closed_at < closed_before,
                                    (Case.caller_phone.is_not(None)) | (Case.caller_name.is_not(None))
                                    | (Case.caller_phone_bidx.is_not(None)))
    for ids in _batches(session, callers, size):
        out.case_contacts_cleared += _count(session.execute(
            update(Case).where(Case.id.in_(ids))
            .values(caller_name=None, caller_phone=None, caller_phone_bidx=None)))

    files = select(ExportRequest.id).where(ExportRequest.expires_at < now, ExportRequest.file_key.is_not(None))
    for ids in _batches(session, files, size):
        for req in session.scalars(select(ExportRequest).where(ExportRequest.id.in_(ids))):
            out.export_files_deleted += exports.delete_files(settings, req.file_key)
            req.file_key = None
            if req.status in (ExportStatus.approved, ExportStatus.downloaded):
                req.status = ExportStatus.expired
        session.flush()
    out.export_files_deleted += _orphans(session, settings)
    audit.record(session, "retention.purge", entity_type="registry", detail=asdict(out) | {
        "moved_out_before": moved_before.isoformat(), "closed_before": closed_before.isoformat()})
    return out
