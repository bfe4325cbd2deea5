"""Assessment use cases: keep schemes, apply one to a period, read rankings and a unit's history. Never commits.

Who is scored (a run covers the units of the scheme's kind inside the computing actor's jurisdiction):
- department: every department (functional bodies and centers) serving an area in scope, or the actor's own;
  its figures are the cases it leads (主办部门);
- street / community / grid: the areas of that level and the grids in scope; figures by where the case happened;
- grid worker (网格员): each member of a grid team with the role 网格长, 专职 or 兼职 (one score per membership).
  Rule: the worker takes their grid's indicator values (the grid's figures are their figures), plus two measures
  of their own work in the period: `worker_reports` = cases received in the period that they filed (as
  reporter or creator, through their linked user account), rejected ones not counted; `worker_verifications` =
  verifications they did (核查通过 or 不通过 events). The grid's deductions apply to each of its workers. A
  member whose staff record has no user account has 0 of their own.

Deductions count per unit: overdue cases (closed in the period after the deadline, or still open at the period's
end with the deadline passed), supervision orders issued in the period and not answered within the deduction's
`limit_hours` (wall-clock hours; unanswered ones count once that time has passed), repeat complaints received in
the period, reworked cases closed in the period. Department orders count for the department they were issued
to; area units count by where the case happened.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from zhili.analysis.service import IndicatorQuery, indicators
from zhili.assessment import repository as repo
from zhili.assessment import scoring
from zhili.assessment.models import AssessmentRun, AssessmentScheme, AssessmentScore
from zhili.assessment.periods import Period, custom, last_full_month, parse_month
from zhili.assessment.schemas import SchemeIn
from zhili.auth.actor import Actor
from zhili.kit import clock
from zhili.kit.errors import Conflict, NotFound, ValidationFailed
from zhili.org.models import AreaLevel, GridRole

TZ = ZoneInfo("Asia/Shanghai")
ROLE_LABEL = {GridRole.leader: "网格长", GridRole.full_time: "专职网格员", GridRole.part_time: "兼职网格员"}


def today() -> date:
    return clock.now().astimezone(TZ).date()


def bounds(p: Period) -> tuple[datetime, datetime]:
    """[local midnight of the first day, local midnight after the last) in UTC."""
    return (datetime.combine(p.start, time(), TZ).astimezone(ZoneInfo("UTC")),
            datetime.combine(p.end + timedelta(days=1), time(), TZ).astimezone(ZoneInfo("UTC")))


# ---- schemes -----------------------------------------------------------------------------------------------------


def list_schemes(session: Session, actor: Actor) -> list[AssessmentScheme]:
    actor.require("assessment.view")
    return repo.schemes(session)


def get_scheme(session: Session, actor: Actor, scheme_id: int) -> AssessmentScheme:
    actor.require("assessment.view")
    s = repo.scheme(session, scheme_id)
    if s is None:
        raise NotFound("考核方案不存在", field="scheme_id")
    return s


def _normalized(body: SchemeIn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    parsed = scoring.parse_scheme(body.unit_kind, [i.model_dump() for i in body.items],
                                  [d.model_dump() for d in body.deductions])
    return [vars(i) for i in parsed.items], [vars(d) for d in parsed.deductions]


def create_scheme(session: Session, actor: Actor, body: SchemeIn) -> AssessmentScheme:
    actor.require("assessment.manage")
    items, deductions = _normalized(body)
    if repo.scheme_by_name(session, body.name.strip()):
        raise Conflict(f"已有名为“{body.name.strip()}”的考核方案", field="name", code="duplicate")
    s = AssessmentScheme(name=body.name.strip(), unit_kind=body.unit_kind, description=body.description.strip(),
                         items=items, deductions=deductions, active=body.active, updated_at=clock.now(),
                         updated_by=actor.username)
    session.add(s)
    session.flush()
    return s


def update_scheme(session: Session, actor: Actor, scheme_id: int, body: SchemeIn) -> AssessmentScheme:
    actor.require("assessment.manage")
    s = get_scheme(session, actor, scheme_id)
    items, deductions = _normalized(body)
    other = repo.scheme_by_name(session, body.name.strip())
    if other is not None and other.id != s.id:
        raise Conflict(f"已有名为“{body.name.strip()}”的考核方案", field="name", code="duplicate")
    s.name, s.unit_kind, s.description = body.name.strip(), body.unit_kind, body.description.strip()
    s.items, s.deductions, s.active = items, deductions, body.active
    s.updated_at, s.updated_by = clock.now(), actor.username
    session.flush()
    return s


def as_rules(s: AssessmentScheme | dict[str, Any]) -> scoring.Scheme:
    if isinstance(s, dict):
        return scoring.parse_scheme(str(s["unit_kind"]), s["items"], s["deductions"])
    return scoring.parse_scheme(s.unit_kind, s.items, s.deductions)


# ---- units -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    unit_id: int
    label: str
    area_path: str
    department_id: int | None = None
    grid_id: int | None = None
    user_id: int | None = None  # grid workers: the linked account


def units(session: Session, actor: Actor, kind: str) -> list[Unit]:
    if kind == "department":
        return [Unit(d.id, d.name, d.area_path, department_id=d.id) for d in repo.departments(session, actor)]
    if kind in ("street", "community"):
        level = AreaLevel.street if kind == "street" else AreaLevel.community
        return [Unit(a.id, a.name, a.path) for a in repo.areas(session, actor, level)]
    if kind == "grid":
        return [Unit(g.id, g.name, g.area_path, grid_id=g.id) for g in repo.grids(session, actor)]
    return [Unit(m.id, f"{st.name}（{g.name}·{ROLE_LABEL.get(m.role, m.role.value)}）", g.area_path, grid_id=g.id,
                 user_id=st.user_id) for m, st, g in repo.grid_workers(session, actor)]


def _unit_of(kind: str, units_: list[Unit]) -> Any:
    """A function from a case's (department_id, area_path, area_id, grid_id) to the keys of the units it counts
    for (several grid workers share a grid)."""
    if kind == "department":
        return lambda dep, path, area, grid: [dep]
    if kind == "community":
        return lambda dep, path, area, grid: [area]
    if kind in ("grid", "grid_worker"):
        return lambda dep, path, area, grid: [grid]
    paths = {u.area_path: u.unit_id for u in units_}

    def street(dep: int | None, path: str, area: int, grid: int | None) -> list[int | None]:
        parts = path.strip("/").split("/")
        for i in range(len(parts), 0, -1):
            hit = paths.get("/" + "/".join(parts[:i]) + "/")
            if hit is not None:
                return [hit]
        return []
    return street


def _count(rows: Iterable[Any], keyer: Any) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for r in rows:
        for k in keyer(r[0], r[1], r[2], r[3]):
            if k is not None:
                out[k] = out.get(k, 0) + 1
    return out


def deduction_counts(session: Session, rules: scoring.Scheme, units_: list[Unit], p: Period
                     ) -> dict[str, dict[Any, int]]:
    """kind -> (unit key -> occurrences). Unit key: department/area/grid id as `_unit_of` gives it."""
    lo, hi = bounds(p)
    keyer = _unit_of(rules.unit_kind, units_)
    out: dict[str, dict[Any, int]] = {}
    for d in rules.deductions:
        if d.kind == "overdue_case":
            out[d.kind] = _count(repo.overdue_cases(session, lo, hi), keyer)
        elif d.kind == "repeat_complaint":
            out[d.kind] = _count(repo.repeat_cases(session, lo, hi), keyer)
        elif d.kind == "rework":
            out[d.kind] = _count(repo.reworked_cases(session, lo, hi), keyer)
        elif d.kind == "supervision_unanswered":
            limit, now = timedelta(hours=d.limit_hours), clock.now()
            late = [r for r in repo.supervision_orders(session, lo, hi)
                    if (clock.as_utc(r[5]) - clock.as_utc(r[4]) > limit if r[5] is not None
                        else now - clock.as_utc(r[4]) > limit)]
            out[d.kind] = _count(late, keyer)
    return out


# ---- computing a run ---------------------------------------------------------------------------------------------

INDICATOR_BY = {"department": "department", "street": "street", "community": "community", "grid": "grid",
                "grid_worker": "grid"}


def compute(session: Session, actor: Actor, scheme_id: int, p: Period) -> AssessmentRun:
    """Score every unit of the scheme's kind in the actor's jurisdiction for the period; replaces an earlier run
    of the same scheme and period (its scores go, the run row is reused)."""
    actor.require("assessment.manage")
    s = get_scheme(session, actor, scheme_id)
    rules = as_rules(s)
    us = units(session, actor, s.unit_kind)
    table = indicators(session, actor, IndicatorQuery(start=p.start, end=p.end, by=INDICATOR_BY[s.unit_kind]))
    values = {r.key: r.values for r in table.rows}
    counts = deduction_counts(session, rules, us, p)
    own: dict[str, dict[int, int]] = {}
    if s.unit_kind == "grid_worker":
        lo, hi = bounds(p)
        user_ids = [u.user_id for u in us if u.user_id is not None]
        own = {"worker_reports": repo.reports_by_user(session, user_ids, lo, hi),
               "worker_verifications": repo.verifications_by_user(session, user_ids, lo, hi)}
    results: dict[int, tuple[Unit, scoring.Breakdown]] = {}
    for u in us:
        key = u.grid_id if s.unit_kind == "grid_worker" else u.unit_id
        v: dict[str, float | None] = dict(values.get(key, {}))
        for m, by_user in own.items():
            v[m] = float(by_user.get(u.user_id, 0)) if u.user_id is not None else 0.0
        c = {kind: by_unit.get(key, 0) for kind, by_unit in counts.items()}
        results[u.unit_id] = (u, scoring.score(rules, v, c))
    rank = scoring.competition_ranks({k: b.total for k, (_, b) in results.items()})
    run = repo.run_for(session, s.id, p.start, p.end)
    if run is None:
        run = AssessmentRun(scheme_id=s.id, period_start=p.start, period_end=p.end)
        session.add(run)
    else:
        repo.delete_scores(session, run.id)
    run.label, run.computed_at, run.computed_by = p.label, clock.now(), actor.username
    run.scheme_snapshot = {"name": s.name, "unit_kind": s.unit_kind, "items": s.items, "deductions": s.deductions}
    run.unit_count = len(results)
    session.flush()
    session.add_all([AssessmentScore(run_id=run.id, unit_kind=s.unit_kind, unit_id=k, unit_label=u.label,
                                     area_path=u.area_path, department_id=u.department_id, grid_id=u.grid_id,
                                     total=b.total, base=b.base, deduction=b.deduction, rank=rank[k],
                                     breakdown=b.as_dict())
                     for k, (u, b) in results.items()])
    session.flush()
    return run


def compute_missing(session: Session, actor: Actor, p: Period) -> list[AssessmentRun]:
    """Compute every active scheme for the period that has no run yet (the monthly job, the report command)."""
    return [compute(session, actor, s.id, p) for s in repo.schemes(session, active_only=True)
            if repo.run_for(session, s.id, p.start, p.end) is None]


# ---- reading -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankedScore:
    score: AssessmentScore
    previous_rank: int | None

    @property
    def change(self) -> int | None:
        return None if self.previous_rank is None else self.previous_rank - self.score.rank


@dataclass(frozen=True)
class Ranking:
    scheme: AssessmentScheme
    period: Period
    run: AssessmentRun | None
    previous: Period
    rows: list[RankedScore]


def ranking(session: Session, actor: Actor, scheme_id: int, p: Period) -> Ranking:
    s = get_scheme(session, actor, scheme_id)
    run = repo.run_for(session, s.id, p.start, p.end)
    prev = p.previous()
    rows: list[RankedScore] = []
    if run is not None:
        prev_run = repo.run_for(session, s.id, prev.start, prev.end)
        before = repo.ranks(session, prev_run.id) if prev_run else {}
        rows = [RankedScore(sc, before.get(sc.unit_id)) for sc in repo.scores(session, actor, run.id)]
    return Ranking(s, p, run, prev, rows)


@dataclass(frozen=True)
class HistoryEntry:
    run: AssessmentRun
    score: AssessmentScore


def history(session: Session, actor: Actor, scheme_id: int, unit_id: int) -> tuple[str, list[HistoryEntry]]:
    """A unit's score per period, oldest first; empty for a unit in scope not scored yet. Out of scope: 404."""
    s = get_scheme(session, actor, scheme_id)
    rows = repo.unit_history(session, actor, scheme_id, unit_id)
    if rows:
        return rows[-1][1].unit_label, [HistoryEntry(r, sc) for r, sc in rows]
    unit = next((u for u in units(session, actor, s.unit_kind) if u.unit_id == unit_id), None)
    if unit is None:
        raise NotFound("该考核对象不存在或不在您的辖区内", field="unit_id")
    return unit.label, []


def latest_period(session: Session, scheme_id: int) -> Period | None:
    runs = repo.runs(session, scheme_id)
    return Period(runs[0].period_start, runs[0].period_end) if runs else None


def period(month: str | None, start: date | None = None, end: date | None = None) -> Period:
    """The period a request names: `month` ("2026-10"), else `start`..`end`, else the last full month."""
    if month:
        return parse_month(month, today())
    if start is not None or end is not None:
        if start is None or end is None:
            raise ValidationFailed("自定义考核期需同时给出开始和结束日期", field="start" if start is None else "end")
        return custom(start, end, today())
    return last_full_month(today())
