"""The monthly report's content (月度报告), gathered once and written as xlsx (report_xlsx) and PDF (report_pdf):
the month's indicators against the previous month, by street, department and category, the daily intake, every
active scheme's ranking for the month, and the overdue list. Everything is read inside the actor's jurisdiction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from zhili.analysis.indicators import INDICATORS
from zhili.analysis.service import IndicatorQuery, IndicatorRow, daily_counts, indicators
from zhili.assessment import repository as repo
from zhili.assessment import service
from zhili.assessment.periods import Period
from zhili.assessment.scoring import UNIT_KINDS
from zhili.auth.actor import Actor
from zhili.kit import clock

SUMMARY_KEYS = ("received", "registered", "closed", "register_rate", "dispatch_accuracy", "ontime_rate",
                "close_rate", "rework_rate", "extension_rate", "satisfaction_rate", "avg_work_hours",
                "median_work_hours", "repeat_rate", "self_handled_rate", "overdue_closed")
TABLE_KEYS = ("received", "closed", "register_rate", "ontime_rate", "close_rate", "satisfaction_rate",
              "rework_rate", "avg_work_hours", "overdue_closed")
OVERDUE_LIMIT = 1000


@dataclass(frozen=True)
class SummaryLine:
    key: str
    label: str
    unit: str
    current: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


@dataclass(frozen=True)
class RankLine:
    rank: int
    label: str
    total: float
    base: float
    deduction: float
    change: int | None


@dataclass(frozen=True)
class RankingBlock:
    scheme: str
    unit_kind: str
    rows: list[RankLine]


@dataclass(frozen=True)
class OverdueLine:
    number: str
    title: str
    department: str
    community: str
    deadline: datetime
    closed: datetime | None
    late_hours: float


@dataclass
class ReportData:
    title: str
    district: str
    period: Period
    previous: Period
    generated_at: datetime
    summary: list[SummaryLine]
    by_street: list[IndicatorRow]
    by_department: list[IndicatorRow]
    by_category: list[IndicatorRow]
    daily: list[tuple[date, int]]
    rankings: list[RankingBlock] = field(default_factory=list)
    overdue: list[OverdueLine] = field(default_factory=list)
    overdue_truncated: bool = False

    def value(self, key: str) -> float | None:
        return next((s.current for s in self.summary if s.key == key), None)


def _rows(session: Session, actor: Actor, p: Period, by: str) -> list[IndicatorRow]:
    rows = indicators(session, actor, IndicatorQuery(start=p.start, end=p.end, by=by)).rows
    return sorted(rows, key=lambda r: -(r.values.get("received") or 0))


def build(session: Session, actor: Actor, p: Period, district: str) -> ReportData:
    actor.require("assessment.view")
    prev = p.previous()
    now = indicators(session, actor, IndicatorQuery(start=p.start, end=p.end)).total.values
    before = indicators(session, actor, IndicatorQuery(start=prev.start, end=prev.end)).total.values
    summary = [SummaryLine(k, INDICATORS[k].label, INDICATORS[k].unit, now.get(k), before.get(k))
               for k in SUMMARY_KEYS if k in INDICATORS]
    per_day = daily_counts(session, actor, p.start, p.end)
    days: dict[date, int] = {}
    for _label, counts in per_day.values():
        for d, n in counts.items():
            days[d] = days.get(d, 0) + n
    data = ReportData(title=f"{district}社会治理月度报告", district=district, period=p, previous=prev,
                      generated_at=clock.now(), summary=summary, by_street=_rows(session, actor, p, "street"),
                      by_department=_rows(session, actor, p, "department"),
                      by_category=_rows(session, actor, p, "category"), daily=sorted(days.items()))
    for s in repo.schemes(session, active_only=True):
        r = service.ranking(session, actor, s.id, p)
        if r.run is None or not r.rows:
            continue
        data.rankings.append(RankingBlock(s.name, UNIT_KINDS.get(s.unit_kind, s.unit_kind), [
            RankLine(x.score.rank, x.score.unit_label, x.score.total, x.score.base, x.score.deduction, x.change)
            for x in r.rows]))
    lo, hi = service.bounds(p)
    names = repo.area_names(session)
    rows = repo.overdue_list(session, actor, lo, hi, OVERDUE_LIMIT + 1)
    data.overdue_truncated = len(rows) > OVERDUE_LIMIT
    end = min(hi, clock.now())
    for number, title, deadline, closed, dept, path in rows[:OVERDUE_LIMIT]:
        dl = clock.as_utc(deadline)
        done = clock.as_utc(closed) if closed else None
        late = ((done or end) - dl).total_seconds() / 3600
        data.overdue.append(OverdueLine(number, title, dept or "未派遣", names.get(path, ""), dl, done,
                                        round(max(0.0, late), 1)))
    return data
