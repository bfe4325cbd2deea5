"""The working-day clock on China's real 2026 calendar (from the `chinesecalendar` package), without a database."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from chinese_calendar import constants
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.kit.workdays import WorkCalendar, parse_periods
from zhili.workcal.service import package_calendar

CST = timezone(timedelta(hours=8))


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=CST)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    days, years = package_calendar()
    return WorkCalendar({d: kind == "workday" for d, (kind, _) in days.items()}, years)


def local(value: datetime) -> datetime:
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0), "results are UTC"
    return value.astimezone(CST)


def test_the_2026_schedule_asserted_below_is_what_the_package_says(cal: WorkCalendar) -> None:
    spring_off = [date(2026, 2, d) for d in range(15, 24)]
    national_off = [date(2026, 10, d) for d in range(1, 8)]
    for d in spring_off + national_off:
        assert d in constants.holidays and not cal.is_workday(d), d
    for d in (date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20), date(2026, 10, 10)):
        assert d in constants.workdays and d.weekday() >= 5 and cal.is_workday(d), d
    assert not cal.is_workday(date(2026, 2, 21))  # an ordinary Saturday
    assert cal.day_seconds == 7.5 * 3600


def test_four_working_hours_from_friday_afternoon_end_on_the_make_up_saturday(cal: WorkCalendar) -> None:
    # Fri 16:00-17:30 = 1.5 h, then Sat 2026-02-14 (调休上班) 08:30 + 2.5 h.
    assert local(cal.add(at(2026, 2, 13, 16), 4, "work_hours")) == at(2026, 2, 14, 11)


def test_one_working_day_from_the_make_up_saturday_skips_the_whole_spring_festival(cal: WorkCalendar) -> None:
    assert local(cal.add(at(2026, 2, 14, 10), 1, "work_days")) == at(2026, 2, 24, 10)


def test_twenty_working_days_across_the_spring_festival(cal: WorkCalendar) -> None:
    # Working days after Fri 02-13: 02-14 (Sat, make-up), 02-24..27, 02-28 (Sat, make-up), 03-02..06, 03-09..13,
    # 03-16..19 -> the 20th is Thu 03-19, at the same clock time.
    assert local(cal.add(at(2026, 2, 13, 16), 20, "work_days")) == at(2026, 3, 19, 16)
    # Without the official schedule the same limit would end 9 calendar days earlier.
    plain = WorkCalendar({}, [])
    assert local(plain.add(at(2026, 2, 13, 16), 20, "work_days")) == at(2026, 3, 13, 16)


def test_national_day_holiday_and_its_make_up_days(cal: WorkCalendar) -> None:
    assert local(cal.add(at(2026, 9, 30, 16), 1, "work_days")) == at(2026, 10, 8, 16)
    assert local(cal.add(at(2026, 9, 18, 16), 3, "work_hours")) == at(2026, 9, 20, 10)  # Sun 09-20 is worked
    assert local(cal.add(at(2026, 10, 9, 10), 2, "work_days")) == at(2026, 10, 12, 10)  # via Sat 10-10


@pytest.mark.parametrize(("start", "value", "unit", "expected"), [
    (at(2026, 3, 2, 10), 1, "work_days", at(2026, 3, 3, 10)),  # Monday 10:00 -> Tuesday 10:00
    (at(2026, 3, 6, 16), 1, "work_days", at(2026, 3, 9, 16)),  # Friday 16:00 -> Monday 16:00
    (at(2026, 3, 3, 12, 30), 1, "work_hours", at(2026, 3, 3, 14, 30)),  # lunch break: counting starts 13:30
    (at(2026, 3, 3, 22), 1, "work_hours", at(2026, 3, 4, 9, 30)),  # night
    (at(2026, 3, 7, 9), 2, "work_hours", at(2026, 3, 9, 10, 30)),  # Saturday
    (at(2026, 3, 3, 8, 30), 3.5, "work_hours", at(2026, 3, 3, 12)),  # ends at 12:00, not 13:30
    (at(2026, 3, 3, 8, 30), 1, "work_days", at(2026, 3, 3, 17, 30)),  # a whole day ends the same evening
    (at(2026, 3, 3, 17, 30), 0.5, "work_hours", at(2026, 3, 4, 9)),
    (at(2026, 3, 6, 16), 24, "hours", at(2026, 3, 7, 16)),  # natural hours ignore the calendar
    (at(2026, 3, 6, 16), 0, "work_hours", at(2026, 3, 6, 16)),
])
def test_deadlines_from_various_starts(cal: WorkCalendar, start: datetime, value: float, unit: str,
                                       expected: datetime) -> None:
    assert local(cal.add(start, value, unit)) == expected


def test_input_zone_does_not_matter_and_naive_means_utc(cal: WorkCalendar) -> None:
    start = at(2026, 2, 13, 16)
    expected = at(2026, 2, 14, 11)
    assert cal.add(start.astimezone(UTC), 4, "work_hours") == expected
    assert cal.add(start.astimezone(UTC).replace(tzinfo=None), 4, "work_hours") == expected
    assert cal.add(start.astimezone(timezone(timedelta(hours=-5))), 4, "work_hours") == expected


def test_working_seconds_across_the_spring_festival(cal: WorkCalendar) -> None:
    # 02-13 (Fri), 02-14 (make-up Sat) and 02-24 (Tue) until 08:30 of 02-25: three whole working days.
    assert cal.working_seconds(at(2026, 2, 13, 8, 30), at(2026, 2, 25, 8, 30)) == 3 * 7.5 * 3600
    assert cal.working_seconds(at(2026, 3, 3, 11), at(2026, 3, 3, 14)) == 1.5 * 3600
    assert cal.working_seconds(at(2026, 3, 3, 14), at(2026, 3, 3, 11)) == 0
    # February 2026: 20 weekdays - 6 weekday holidays + 2 make-up Saturdays.
    assert cal.workdays_between(date(2026, 2, 1), date(2026, 3, 1)) == 16


def test_an_uncovered_year_falls_back_to_monday_to_friday_and_is_reported(cal: WorkCalendar) -> None:
    # 2028 is not in the package: no National Day, so Mon 2028-10-02 is an ordinary working day.
    assert cal.is_workday(date(2028, 10, 2)) and not cal.is_workday(date(2028, 10, 7))
    assert local(cal.add(at(2028, 9, 29, 16), 1, "work_days")) == at(2028, 10, 2, 16)
    assert cal.uncovered_years(at(2026, 12, 30), at(2028, 1, 5)) == [2027, 2028]
    assert cal.uncovered_years(at(2026, 2, 1), at(2026, 3, 1)) == []
    # Local dates decide: 2026-12-31 16:30 UTC is already 2027-01-01 in Shanghai.
    assert cal.uncovered_years(at(2026, 12, 1), datetime(2026, 12, 31, 16, 30, tzinfo=UTC)) == [2027]


def test_exceptions_typed_for_an_uncovered_year_apply_before_it_is_marked() -> None:
    typed = WorkCalendar({date(2027, 10, 1): False}, covered_years=[2026])
    assert not typed.is_workday(date(2027, 10, 1))
    assert typed.uncovered_years(at(2027, 9, 1), at(2027, 10, 9)) == [2027]


@pytest.mark.parametrize(("periods", "message"), [
    ("", "不能为空"),
    ("8:30-12:00", "格式错误"),
    ("08:30-12:00;13:30-17:30", "格式错误"),
    ("12:00-08:30", "结束时间应晚于开始时间"),
    ("08:30-12:00,11:00-17:30", "重叠"),
    ("13:30-17:30,08:30-12:00", "重叠或顺序颠倒"),
    ("08:30-25:00", "无效"),
    ("08:61-12:00", "无效"),
])
def test_bad_periods_are_refused_with_a_clear_message(periods: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkCalendar({}, [], periods=periods)


def test_other_periods_and_bad_arguments() -> None:
    assert parse_periods(" 09:00-12:00 , 14:00-18:00 ") == ((32400, 43200), (50400, 64800))
    night = WorkCalendar({}, [], periods="00:00-24:00")
    assert night.day_seconds == 86400
    assert local(night.add(at(2026, 3, 6, 20), 1, "work_days")) == at(2026, 3, 9, 20)
    with pytest.raises(ValueError, match="时区"):
        WorkCalendar({}, [], tz="Mars/Olympus")
    with pytest.raises(ValueError, match="单位"):
        night.add(at(2026, 3, 6), 1, "fortnights")
    with pytest.raises(ValueError, match="非负"):
        night.add(at(2026, 3, 6), -1, "work_hours")
    with pytest.raises(ValueError, match="非负"):
        night.add(at(2026, 3, 6), float("nan"), "work_days")
    with pytest.raises(ValueError, match="范围"):
        night.add(at(2026, 3, 6), 1e12, "work_days")


def _reference_minutes(cal: WorkCalendar, start: datetime, end: datetime) -> int:
    """Working minutes by walking every minute: slow, obviously right, for minute-aligned instants."""
    count = 0
    t = start.astimezone(CST)
    end = end.astimezone(CST)
    while t < end:
        sec = t.hour * 3600 + t.minute * 60
        if cal.is_workday(t.date()) and any(s <= sec < e for s, e in cal.periods):
            count += 1
        t += timedelta(minutes=1)
    return count


BASE = at(2026, 1, 20)
minutes = st.integers(min_value=0, max_value=60 * 24 * 400)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=60 * 24 * 50), st.integers(min_value=0, max_value=60 * 24 * 12))
def test_working_seconds_matches_a_minute_by_minute_count(cal: WorkCalendar, offset: int, length: int) -> None:
    start = BASE + timedelta(minutes=offset)
    end = start + timedelta(minutes=length)
    assert cal.working_seconds(start, end) == _reference_minutes(cal, start, end) * 60


@settings(max_examples=300, deadline=None)
@given(minutes, st.floats(min_value=0, max_value=60 * 7.5 * 3600, allow_nan=False))
def test_working_seconds_inverts_add_working_seconds(cal: WorkCalendar, offset: int, seconds: float) -> None:
    start = BASE + timedelta(minutes=offset)
    due = cal.add_working_seconds(start, seconds)
    assert due >= start
    assert cal.working_seconds(start, due) == pytest.approx(seconds, abs=1e-3)
    if seconds > 0:  # the earliest such instant: a second earlier, not enough has elapsed
        assert cal.working_seconds(start, due - timedelta(seconds=1)) < seconds


@settings(max_examples=200, deadline=None)
@given(minutes, st.integers(min_value=0, max_value=60 * 24 * 90))
def test_add_of_the_working_seconds_between_never_overshoots(cal: WorkCalendar, offset: int, length: int) -> None:
    start = BASE + timedelta(minutes=offset)
    end = start + timedelta(minutes=length)
    due = cal.add_working_seconds(start, cal.working_seconds(start, end))
    assert start <= due <= end
    assert cal.working_seconds(due, end) == 0


def test_sixty_working_days_take_well_under_a_millisecond(cal: WorkCalendar) -> None:
    start = at(2026, 1, 20, 10)
    timings = []
    for i in range(300):
        t0 = time.perf_counter()
        due = cal.add(start + timedelta(hours=i), 60, "work_days")
        cal.working_seconds(start, due)
        timings.append(time.perf_counter() - t0)
    assert statistics.median(timings) < 0.001
