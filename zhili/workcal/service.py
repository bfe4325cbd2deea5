"""The work calendar's use cases: seeding from `chinesecalendar`, the process-wide WorkCalendar, coverage
warnings, and administrators' edits.

Permissions: changes need `calendar.manage`; reading the calendar and computing a deadline need
`calendar.manage` or `cases.supervise` (the center's operators and leaders, who answer "when is this due?").
Every change bumps `CalendarState.version` (so every process reloads) and is audited through the models'
`__audit__`. Administrators' rows (`source="admin"`) are never overwritten by seeding: removing a day the
package knows therefore leaves an admin row that merely confirms the Monday-Friday rule.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.config import Settings
from zhili.kit import clock
from zhili.kit.errors import Conflict, ValidationFailed
from zhili.kit.workdays import WorkCalendar
from zhili.workcal import repository
from zhili.workcal.models import CalendarDay, CalendarYear, DayKind
from zhili.workcal.schemas import DayRead, DayWrite, DeadlineRead, YearRead

PACKAGE = "chinesecalendar"
ADMIN = "admin"
MIN_YEAR, MAX_YEAR = 2000, 2100
FESTIVALS = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}
KIND_LABEL = {DayKind.holiday: "放假", DayKind.workday: "调休上班"}
SOURCE_LABEL = {PACKAGE: "内置（国务院办公厅通知）", ADMIN: "管理员录入"}
WEEKDAYS = "一二三四五六日"
UNIT_LABEL = {"work_hours": "工作小时", "work_days": "工作日", "hours": "自然小时"}


# -- seeding ------------------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def package_calendar() -> tuple[dict[date, tuple[DayKind, str]], tuple[int, ...]]:
    """The package's exceptions to Monday-Friday (weekday holidays, weekend make-up days) and its full years."""
    from chinese_calendar import constants

    def name(value: object) -> str:
        english = str(getattr(value, "value", value))
        return FESTIVALS.get(english, english)[:32]

    days: dict[date, tuple[DayKind, str]] = {}
    for d, festival in constants.holidays.items():
        if d.weekday() < 5:
            days[d] = (DayKind.holiday, name(festival))
    for d, festival in constants.workdays.items():
        if d.weekday() >= 5:
            days[d] = (DayKind.workday, name(festival))
    known = constants.holidays.keys()
    years = tuple(range(min(known).year, max(known).year + 1))
    return days, years


def seed_from_package(session: Session) -> int:
    """Insert or refresh the package's days and years (idempotent); returns how many rows changed.

    Rows an administrator entered or changed are left alone; package rows the package no longer lists are removed.
    """
    days, years = package_calendar()
    existing = {row.day: row for row in repository.all_days(session)}
    new_rows: list[dict[str, object]] = []
    changed = 0
    for d, (kind, name) in sorted(days.items()):
        row = existing.get(d)
        if row is None:
            new_rows.append({"day": d, "kind": kind, "name": name, "source": PACKAGE})
        elif row.source != ADMIN and (row.kind != kind or row.name != name):
            repository.update_seeded_day(session, d, kind, name)
            changed += 1
    stale = [d for d, row in existing.items() if row.source == PACKAGE and d not in days]
    repository.delete_seeded_days(session, stale)
    repository.insert_days(session, new_rows)
    have = set(repository.covered_years(session))
    new_years = [{"year": y, "source": PACKAGE, "entered_at": clock.now()} for y in years if y not in have]
    repository.insert_years(session, new_years)
    changed += len(new_rows) + len(stale) + len(new_years)
    if changed:
        repository.bump_version(session)
    session.expire_all()
    return changed


# -- the process-wide calendar ------------------------------------------------------------------------------------
def load_calendar(session: Session, settings: Settings) -> WorkCalendar:
    exceptions = {d: kind == DayKind.workday for d, kind in repository.exception_rows(session)}
    return WorkCalendar(exceptions, repository.covered_years(session), settings.work_periods, settings.timezone)


@dataclass
class _Cached:
    version: int
    calendar: WorkCalendar
    checked_at: float


_cache: dict[tuple[str, str, str], _Cached] = {}
_cache_lock = threading.Lock()


def calendar_for(session: Session, settings: Settings) -> WorkCalendar:
    """See `_calendar_for`; reads without flushing the caller's pending writes (no row-lock wait while this
    thread may hold the cache lock)."""
    with session.no_autoflush:
        return _calendar_for(session, settings)


def _calendar_for(session: Session, settings: Settings) -> WorkCalendar:
    """This process's calendar for the session's database; reloaded when `CalendarState.version` changes, which is
    checked at most every `settings.geo_refresh_seconds`."""
    key = (str(session.get_bind().engine.url), settings.work_periods, settings.timezone)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and now - cached.checked_at < settings.geo_refresh_seconds:
        return cached.calendar
    current = repository.version(session)
    if cached is not None and cached.version == current:
        cached.checked_at = now
        return cached.calendar
    with _cache_lock:
        cached = _cache.get(key)
        if cached is None or cached.version != current:
            cached = _Cached(current, load_calendar(session, settings), now)
            _cache[key] = cached
        cached.checked_at = now
        return cached.calendar


def forget() -> None:
    """Drop every cached calendar (tests, after a schema reset)."""
    with _cache_lock:
        _cache.clear()


# -- reading -----------------------------------------------------------------------------------------------------
def local_today(settings: Settings) -> date:
    return clock.now().astimezone(ZoneInfo(settings.timezone)).date()


def warnings(session: Session, today: date) -> list[str]:
    """What administrators must fix: this year not entered; from 1 October on, next year not entered."""
    covered = set(repository.covered_years(session))
    out = []
    if today.year not in covered:
        out.append(f"{today.year} 年的节假日安排尚未录入，期限按周一至周五计算，请录入国务院办公厅公布的安排")
    if today.month >= 10 and today.year + 1 not in covered:
        out.append(f"{today.year + 1} 年的节假日安排尚未录入，跨年期限按周一至周五计算，请录入国务院办公厅公布的安排")
    return out


def require_read(actor: Actor) -> None:
    if not (actor.can("calendar.manage") or actor.can("cases.supervise")):
        actor.require("calendar.manage")


def _day_read(row: CalendarDay) -> DayRead:
    kind = DayKind(row.kind)
    regular = (kind == DayKind.workday) == (row.day.weekday() < 5)
    return DayRead(day=row.day, weekday="周" + WEEKDAYS[row.day.weekday()], kind=kind,
                   kind_label="按常规" if regular else KIND_LABEL[kind], name=row.name, source=row.source,
                   source_label=SOURCE_LABEL.get(row.source, row.source), regular=regular)


def list_days(session: Session, actor: Actor, year: int) -> list[DayRead]:
    require_read(actor)
    _check_year(year, "year")
    return [_day_read(r) for r in repository.days_between(session, date(year, 1, 1), date(year, 12, 31))]


def list_years(session: Session, actor: Actor, today: date) -> list[YearRead]:
    """Every entered year, every year with typed days, and this year and the next, oldest first."""
    require_read(actor)
    entered = {y.year: y for y in repository.all_years(session)}
    counts: dict[int, list[int]] = {}
    for d, kind in repository.exception_rows(session):
        if (kind == DayKind.workday) != (d.weekday() < 5):
            counts.setdefault(d.year, [0, 0])[0 if kind == DayKind.holiday else 1] += 1
    out = []
    for year in sorted(set(entered) | set(counts) | {today.year, today.year + 1}):
        row = entered.get(year)
        holidays, workdays = counts.get(year, [0, 0])
        out.append(YearRead(year=year, covered=row is not None, source=row.source if row else None,
                            source_label=SOURCE_LABEL.get(row.source, row.source) if row else "未录入",
                            entered_at=row.entered_at if row else None, holidays=holidays, workdays=workdays))
    return out


def deadline(session: Session, actor: Actor, settings: Settings, start: datetime, value: float,
             unit: str) -> DeadlineRead:
    """When a limit of `value` `unit` starting at `start` runs out (a start without zone is local time)."""
    require_read(actor)
    if unit not in UNIT_LABEL:
        raise ValidationFailed("期限单位应为工作小时、工作日或自然小时", field="unit")
    tz = ZoneInfo(settings.timezone)
    start = start.replace(tzinfo=tz) if start.tzinfo is None else start
    if not MIN_YEAR <= start.astimezone(tz).year <= MAX_YEAR:
        raise ValidationFailed(f"开始时间应在 {MIN_YEAR} 至 {MAX_YEAR} 年之间", field="start")
    calendar = calendar_for(session, settings)
    try:
        due = calendar.add(start, value, unit)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="value") from exc
    if due.astimezone(tz).year > MAX_YEAR:
        raise ValidationFailed(f"期限超出 {MAX_YEAR} 年", field="value")
    uncovered = calendar.uncovered_years(start, due) if unit != "hours" else []
    warning = (f"{'、'.join(str(y) for y in uncovered)} 年的节假日安排尚未录入，该期限按周一至周五计算"
               if uncovered else None)
    return DeadlineRead(start=start.astimezone(UTC), value=value, unit=unit, deadline=due,
                        deadline_local=due.astimezone(tz).strftime("%Y-%m-%d %H:%M")
                        + f"（周{WEEKDAYS[due.astimezone(tz).weekday()]}）",
                        uncovered_years=uncovered, warning=warning)


# -- administrators' edits ---------------------------------------------------------------------------------------
def _check_year(year: int, field: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(f"年份应在 {MIN_YEAR} 至 {MAX_YEAR} 之间", field=field)


def put_day(session: Session, actor: Actor, day: date, body: DayWrite) -> DayRead:
    """Make `day` a day off or a make-up working day; the row becomes the administrator's."""
    actor.require("calendar.manage")
    _check_year(day.year, "day")
    name = body.name.strip()
    row = repository.get_day(session, day)
    if row is None:
        row = CalendarDay(day=day, kind=body.kind, name=name, source=ADMIN)
        session.add(row)
    elif (row.kind, row.name, row.source) == (body.kind, name, ADMIN):
        return _day_read(row)
    else:
        row.kind, row.name, row.source = body.kind, name, ADMIN
    session.flush()
    repository.bump_version(session)
    return _day_read(row)


def delete_day(session: Session, actor: Actor, day: date) -> bool:
    """Return `day` to the Monday-Friday rule; False when it already follows it and nothing changed.

    A day the package lists keeps an admin row confirming the rule, so the next seeding does not bring it back.
    """
    actor.require("calendar.manage")
    _check_year(day.year, "day")
    row = repository.get_day(session, day)
    regular = DayKind.workday if day.weekday() < 5 else DayKind.holiday
    if day in package_calendar()[0]:
        if row is not None and row.source == ADMIN and row.kind == regular and not row.name:
            return False
        if row is None:
            session.add(CalendarDay(day=day, kind=regular, name="", source=ADMIN))
        else:
            row.kind, row.name, row.source = regular, "", ADMIN
    elif row is None:
        return False
    else:
        session.delete(row)
    session.flush()
    repository.bump_version(session)
    return True


def mark_year(session: Session, actor: Actor, year: int) -> YearRead:
    """Record that `year`'s official schedule has been entered (idempotent)."""
    actor.require("calendar.manage")
    _check_year(year, "year")
    if repository.get_year(session, year) is None:
        session.add(CalendarYear(year=year, source=ADMIN, entered_at=clock.now()))
        session.flush()
        repository.bump_version(session)
    return next(y for y in list_years(session, actor, date(year, 1, 1)) if y.year == year)


def unmark_year(session: Session, actor: Actor, year: int) -> bool:
    """Undo `mark_year`; a year the package supplies cannot be unmarked. False when it was not marked."""
    actor.require("calendar.manage")
    _check_year(year, "year")
    row = repository.get_year(session, year)
    if row is None:
        return False
    if row.source != ADMIN:
        raise Conflict(f"{year} 年的安排来自内置的国务院办公厅通知，不能取消；如有更正请修改具体日期", field="year")
    session.delete(row)
    session.flush()
    repository.bump_version(session)
    return True


# -- the page's month grid ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    day: date
    css: str  # "hol" day off on a weekday, "mk" make-up working day, "we" weekend, "" ordinary working day
    mark: str  # 休 / 班 / ""
    title: str


def month_grid(year: int, rows: list[DayRead]) -> list[tuple[int, list[list[Cell | None]]]]:
    """Twelve months of weeks (Monday first) with each day's effective kind."""
    by_day = {r.day: r for r in rows}
    months = []
    for month in range(1, 13):
        first = date(year, month, 1)
        weeks: list[list[Cell | None]] = [[None] * first.weekday()]
        d = first
        while d.month == month:
            row = by_day.get(d)
            weekend = d.weekday() >= 5
            work = (row.kind == DayKind.workday) if row else not weekend
            if work and weekend:
                cell = Cell(d, "mk", "班", f"{row.name if row else ''}调休上班")
            elif not work and not weekend:
                cell = Cell(d, "hol", "休", f"{row.name if row else ''}放假")
            else:
                cell = Cell(d, "we" if weekend else "", "", "")
            if len(weeks[-1]) == 7:
                weeks.append([])
            weeks[-1].append(cell)
            d = date.fromordinal(d.toordinal() + 1)
        weeks[-1].extend([None] * (7 - len(weeks[-1])))
        months.append((month, weeks))
    return months
