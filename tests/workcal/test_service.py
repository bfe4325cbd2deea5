"""Seeding from `chinesecalendar`, the process-wide calendar and its reload, and the coverage warnings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import select

from zhili.db import transaction
from zhili.workcal import repository, service
from zhili.workcal.models import CalendarDay, CalendarYear, DayKind

CST = timezone(timedelta(hours=8))


def test_upgrade_seeds_the_official_schedule_with_chinese_names(db) -> None:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        spring = s.get(CalendarDay, date(2026, 2, 16))
        makeup = s.get(CalendarDay, date(2026, 2, 14))
        assert spring is not None and (spring.kind, spring.name, spring.source) == (
            DayKind.holiday, "春节", "chinesecalendar")
        assert makeup is not None and (makeup.kind, makeup.name) == (DayKind.workday, "春节")
        assert s.get(CalendarDay, date(2026, 10, 1)).name == "国庆节"  # type: ignore[union-attr]
        assert s.get(CalendarDay, date(2026, 2, 21)) is None  # a weekend holiday needs no row
        assert s.get(CalendarDay, date(2026, 3, 3)) is None
        years = repository.covered_years(s)
        assert years == list(range(2004, 2027))
        assert {d.name for d in repository.all_days(s)} <= set(service.FESTIVALS.values())


def test_seeding_again_changes_nothing(db) -> None:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        before_version = repository.version(s)
        before = [(d.day, d.kind, d.name, d.source) for d in repository.all_days(s)]
        assert service.seed_from_package(s) == 0
    with transaction(db) as s:
        assert repository.version(s) == before_version
        assert [(d.day, d.kind, d.name, d.source) for d in repository.all_days(s)] == before


def test_seeding_repairs_package_rows_but_never_touches_an_administrators(db) -> None:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        version = repository.version(s)
        s.get(CalendarDay, date(2026, 10, 7)).source = "admin"  # type: ignore[union-attr]
        s.get(CalendarDay, date(2026, 10, 7)).kind = DayKind.workday  # type: ignore[union-attr]
        s.get(CalendarDay, date(2026, 10, 6)).name = "改坏的名字"  # type: ignore[union-attr]
        s.delete(s.get(CalendarDay, date(2026, 10, 5)))
        s.add(CalendarDay(day=date(2026, 3, 3), kind=DayKind.holiday, name="不存在", source="chinesecalendar"))
        s.delete(s.get(CalendarYear, 2025))
    with transaction(db) as s:
        assert service.seed_from_package(s) == 4
    with transaction(db) as s:
        assert s.get(CalendarDay, date(2026, 10, 7)).kind == DayKind.workday  # type: ignore[union-attr]
        assert s.get(CalendarDay, date(2026, 10, 6)).name == "国庆节"  # type: ignore[union-attr]
        assert s.get(CalendarDay, date(2026, 10, 5)) is not None
        assert s.get(CalendarDay, date(2026, 3, 3)) is None
        assert s.get(CalendarYear, 2025) is not None
        assert repository.version(s) == version + 1


def test_an_administrators_edit_changes_the_deadline_a_fresh_calendar_computes(db, settings, as_persona,
                                                                               world) -> None:  # type: ignore[no-untyped-def]
    start = datetime(2026, 9, 30, 16, tzinfo=CST)
    with transaction(db) as s:
        version = repository.version(s)
        assert service.calendar_for(s, settings).add(start, 1, "work_days") == datetime(2026, 10, 8, 8, tzinfo=UTC)
    r = as_persona("admin").put("/api/calendar/days/2026-10-08", json={"kind": "holiday", "name": "国庆节"})
    assert r.status_code == 200, r.text
    with transaction(db) as s:
        assert repository.version(s) == version + 1
        assert service.calendar_for(s, settings).add(start, 1, "work_days") == datetime(2026, 10, 9, 8, tzinfo=UTC)
    as_persona("admin").delete("/api/calendar/days/2026-10-08")
    with transaction(db) as s:
        assert repository.version(s) == version + 2
        assert service.calendar_for(s, settings).add(start, 1, "work_days") == datetime(2026, 10, 8, 8, tzinfo=UTC)


def test_a_process_rechecks_the_version_only_every_refresh_interval(db, settings, as_persona,
                                                                    world) -> None:  # type: ignore[no-untyped-def]
    slow = settings.model_copy(update={"geo_refresh_seconds": 3600})
    with transaction(db) as s:
        cached = service.calendar_for(s, slow)
        assert cached.is_workday(date(2026, 10, 8))
    as_persona("admin").put("/api/calendar/days/2026-10-08", json={"kind": "holiday"})
    with transaction(db) as s:
        assert service.calendar_for(s, slow) is cached  # not re-checked yet
        assert not service.calendar_for(s, settings).is_workday(date(2026, 10, 8))  # re-checks every call


def test_removing_a_built_in_holiday_survives_the_next_upgrade(db, as_persona, world) -> None:  # type: ignore[no-untyped-def]
    assert as_persona("admin").delete("/api/calendar/days/2026-10-07").status_code == 204
    with transaction(db) as s:
        service.seed_from_package(s)
    with transaction(db) as s:
        row = s.get(CalendarDay, date(2026, 10, 7))
        assert row is not None and row.source == "admin" and row.kind == DayKind.workday  # a Wednesday: worked
        assert service.load_calendar(s, service.Settings()).is_workday(date(2026, 10, 7))


def test_warnings_name_the_missing_years(db) -> None:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        assert service.warnings(s, date(2026, 9, 30)) == []
        assert service.warnings(s, date(2026, 10, 1)) == [
            "2027 年的节假日安排尚未录入，跨年期限按周一至周五计算，请录入国务院办公厅公布的安排"]
        current = service.warnings(s, date(2027, 3, 1))
        assert len(current) == 1 and current[0].startswith("2027 年的节假日安排尚未录入")
        assert len(service.warnings(s, date(2027, 11, 1))) == 2
        s.add(CalendarYear(year=2027, source="admin", entered_at=datetime(2026, 12, 1, tzinfo=UTC)))
        s.flush()
        assert service.warnings(s, date(2026, 12, 1)) == []
        assert len(service.warnings(s, date(2027, 11, 1))) == 1


def test_an_administrators_edit_is_audited(db, as_persona, world) -> None:  # type: ignore[no-untyped-def]
    from zhili.auth.models import AuditLog

    as_persona("admin").put("/api/calendar/days/2027-02-11", json={"kind": "holiday", "name": "春节"})
    as_persona("admin").post("/api/calendar/years/2027")
    with transaction(db) as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.actor_name == "admin",
                                                AuditLog.action == "data.create")).all()
    assert {(r.entity_type, r.entity_id) for r in rows} >= {("calendar_days", "2027-02-11"),
                                                           ("calendar_years", "2027")}
