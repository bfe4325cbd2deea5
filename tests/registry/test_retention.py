"""Retention (registry/retention.py, job registry.retention) with a frozen clock: what expired is anonymised or
deleted, what did not stays; a second run changes nothing; each run writes one audit entry with the counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from tests.cases.helpers import make_case
from tests.factories import World
from zhili.auth.models import AuditLog
from zhili.cases.models import Case
from zhili.config import Settings
from zhili.db import transaction
from zhili.kit import clock
from zhili.kit.crypto import blind_index
from zhili.registry import exports, retention
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

NOW = datetime(2027, 6, 1, 2, 0, tzinfo=UTC)
OLD = (NOW - timedelta(days=400)).date()  # beyond the default 365 days
RECENT = (NOW - timedelta(days=100)).date()


def _person_data(s: Session, pid: int) -> None:
    s.add(SourceRecord(kind=EntityKind.person, source="公安", source_key=f"k{pid}", entity_id=pid,
                       values={"name": "x", "id_number": "330203199011203450"}, row_hash="h" * 32, imported_at=NOW))
    s.add(Correction(kind=EntityKind.person, entity_id=pid, field="phone", old_value="13922223333",
                     new_value="13922224444", reason="现场核实", at=NOW))
    s.add(Conflict(kind=EntityKind.person, entity_id=pid, field="phone",
                   values=[{"source": "公安", "value": "13922223333"}], open=True, created_at=NOW))


def _setup(db: sessionmaker[Session], world: World, settings: Settings) -> tuple[int, int]:
    old_case = make_case(db, world, "a_closed", settings)
    new_case = make_case(db, world, "a_closed", settings)
    open_case = make_case(db, world, "a_received", settings)
    with transaction(db) as s:
        # person 2: floating, moved out long ago -> anonymised; person 3: floating, moved out recently -> stays;
        # person 1: registered (户籍), moved out long ago -> not this data class, stays
        s.execute(update(Person).where(Person.id == 2).values(status=PersonStatus.moved_out, moved_out_on=OLD))
        s.execute(update(Person).where(Person.id == 3).values(status=PersonStatus.moved_out, moved_out_on=RECENT,
                                                              residency=Residency.floating))
        s.execute(update(Person).where(Person.id == 1).values(status=PersonStatus.moved_out, moved_out_on=OLD))
        for pid in (2, 3):
            _person_data(s, pid)
        s.execute(update(Case).where(Case.number == old_case).values(closed_at=NOW - timedelta(days=400)))
        s.execute(update(Case).where(Case.number == new_case).values(closed_at=NOW - timedelta(days=100)))
        ids = {n: s.scalar(select(Case.id).where(Case.number == n)) for n in (old_case, new_case, open_case)}
        # an export approved long ago (its files on disk) and one still valid
        folder = exports.export_dir(settings)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ("c" * 32 + ".csv")).write_bytes(b"x")  # no request names it: an approval that rolled back
        for i, (key, expires) in enumerate([("a" * 32, NOW - timedelta(hours=1)), ("b" * 32, NOW + timedelta(hours=5))]):
            for fmt in ("csv", "xlsx"):
                (folder / f"{key}.{fmt}").write_bytes(b"x")
            s.add(ExportRequest(kind="person", params={}, reason="r", status=ExportStatus.approved,
                                requested_by=world.users["street"].id, requested_at=NOW - timedelta(days=1),
                                file_key=key, expires_at=expires, row_count=i))
    return ids[old_case], ids[new_case]


def test_what_expired_goes_and_what_did_not_stays(db, world, settings) -> None:  # type: ignore[no-untyped-def]
    old_case, new_case = _setup(db, world, settings)
    with clock.frozen(NOW), transaction(db, info={"ip": "worker"}) as s:
        out = retention.purge(s, settings)
    assert out.people_anonymised == 1 and out.source_records_cleared == 1 and out.corrections_cleared == 1
    assert out.conflicts_cleared == 1 and out.case_contacts_cleared == 1 and out.export_files_deleted == 3
    with transaction(db) as s:
        p2 = s.get(Person, 2)
        assert p2 is not None
        assert (p2.name, p2.id_number, p2.id_number_bidx, p2.phone, p2.phone_bidx, p2.tags) == \
            ("已匿名", None, None, None, None, [])
        assert p2.birth_date == date(1990, 1, 1) and p2.status == PersonStatus.anonymised
        assert p2.anonymised_at is not None
        assert s.scalar(select(Person.id).where(Person.id_number_bidx == blind_index("330203199011203450"))) is None
        for pid, kept in ((2, False), (3, True)):
            rec = s.scalars(select(SourceRecord).where(SourceRecord.entity_id == pid)).one()
            cor = s.scalars(select(Correction).where(Correction.entity_id == pid)).one()
            con = s.scalars(select(Conflict).where(Conflict.entity_id == pid)).one()
            assert (rec.values != {}) is kept and (cor.old_value is not None) is kept
            assert (cor.new_value is not None) is kept and bool(con.values) is kept and con.open is kept
        p1, p3 = s.get(Person, 1), s.get(Person, 3)
        assert p1 is not None and p1.name == "张三丰" and p1.id_number == "330203198001011231"
        assert p3 is not None and p3.name == "王五常" and p3.phone == "13733334444"
        cases = {c.id: c for c in s.scalars(select(Case).where(Case.caller_name.is_not(None)
                                                               | Case.caller_phone_bidx.is_not(None)))}
        assert old_case not in cases and new_case in cases and len(cases) == 2  # the recent and the open one
        old = s.get(Case, old_case)
        assert old is not None and old.caller_phone is None and old.caller_phone_bidx is None
        reqs = {r.file_key or r.row_count: r for r in s.scalars(select(ExportRequest))}
        assert reqs[0].status == ExportStatus.expired and reqs["b" * 32].status == ExportStatus.approved
        files = sorted(f.name for f in exports.export_dir(settings).iterdir())
        assert files == ["b" * 32 + ".csv", "b" * 32 + ".xlsx"]
        entries = list(s.scalars(select(AuditLog).where(AuditLog.action == "retention.purge")))
        assert len(entries) == 1 and entries[0].detail["people_anonymised"] == 1
        assert entries[0].detail["case_contacts_cleared"] == 1
        # bulk statements: no per-row audit entry carrying old values of the erased people
        assert not s.scalar(text("SELECT count(*) FROM audit_log WHERE entity_type = 'people'"))


def test_a_second_run_changes_nothing_and_says_so(db, world, settings) -> None:  # type: ignore[no-untyped-def]
    _setup(db, world, settings)
    with clock.frozen(NOW), transaction(db) as s:
        retention.purge(s, settings)
    with clock.frozen(NOW + timedelta(hours=1)), transaction(db) as s:
        again = retention.purge(s, settings)
    assert again == retention.Purged()
    with transaction(db) as s:
        details = [e.detail for e in s.scalars(select(AuditLog).where(AuditLog.action == "retention.purge")
                                               .order_by(AuditLog.seq))]
    assert len(details) == 2 and details[1]["people_anonymised"] == 0


def test_the_periods_come_from_the_settings(db, world, settings) -> None:  # type: ignore[no-untyped-def]
    _setup(db, world, settings)
    longer = settings.model_copy(update={"retention_moved_out_days": 500, "retention_case_contact_days": 500})
    with clock.frozen(NOW), transaction(db) as s:
        out = retention.purge(s, longer)
    assert out.people_anonymised == 0 and out.case_contacts_cleared == 0
    shorter = settings.model_copy(update={"retention_moved_out_days": 90, "retention_case_contact_days": 90,
                                          "retention_batch": 1})
    with clock.frozen(NOW), transaction(db) as s:
        out = retention.purge(s, shorter)
    assert out.people_anonymised == 2 and out.case_contacts_cleared == 2  # in batches of one


def test_the_job_is_registered_daily() -> None:
    from zhili.jobs import JOBS

    job = next(j for j in JOBS if j.name == "registry.retention")
    assert job.every == timedelta(days=1)
