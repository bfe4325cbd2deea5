"""Every insight query. Case reads go through `case_scope` (area subtree, grid, lead department: deny by default);
stored series and alerts through `path_scope` on the area they describe."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, delete, false, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from zhili.auth.actor import Actor
from zhili.cases.models import Case, CaseStatus
from zhili.insight.models import BacktestError, ForecastPoint, ForecastRun, ForecastSeries, InsightAlert
from zhili.org.models import Area, AreaLevel, Grid
from zhili.taxonomy.models import Category


def _under(column: InstrumentedAttribute[str], path: str) -> ColumnElement[bool]:
    """`column` lies in the subtree `path`: a byte-ordered range ('/' sorts just before '0')."""
    return and_(column >= path, column < path[:-1] + "0")


def case_scope(actor: Actor) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = [_under(Case.area_path, p) for p in actor.area_paths]
    if actor.grid_ids:
        clauses.append(Case.grid_id.in_(sorted(actor.grid_ids)))
    if actor.department_ids:
        clauses.append(Case.department_id.in_(sorted(actor.department_ids)))
    return or_(*clauses) if clauses else false()


def path_scope(actor: Actor, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    clauses = [_under(column, p) for p in actor.area_paths]
    return or_(*clauses) if clauses else false()


# ---- cases (hotspots) --------------------------------------------------------------------------------------------

def case_points(session: Session, actor: Actor, since: datetime, until: datetime, area_path: str | None,
                limit: int) -> list[Row[tuple[int, str, float, float, str]]]:
    """(id, number, lon, lat, category name) of the scope's cases received in [since, until), newest first.
    Merged duplicates are left out (their master stands for them)."""
    stmt = (select(Case.id, Case.number, Case.lon, Case.lat, Category.name)
            .join(Category, Category.id == Case.category_id)
            .where(case_scope(actor), Case.received_at >= since, Case.received_at < until,
                   Case.status != CaseStatus.merged)
            .order_by(Case.received_at.desc()).limit(limit))
    if area_path:
        stmt = stmt.where(_under(Case.area_path, area_path))
    return list(session.execute(stmt))


def repeat_addresses(session: Session, actor: Actor, since: datetime, until: datetime, area_path: str | None,
                     min_cases: int, limit: int) -> list[Row[tuple[str, int, int, datetime]]]:
    """(address, cases, categories, latest received) for addresses with at least `min_cases` cases."""
    n = func.count(Case.id)
    stmt = (select(Case.address, n, func.count(func.distinct(Case.category_id)), func.max(Case.received_at))
            .where(case_scope(actor), Case.received_at >= since, Case.received_at < until,
                   Case.status != CaseStatus.merged, Case.address != "")
            .group_by(Case.address).having(n >= min_cases).order_by(n.desc(), Case.address).limit(limit))
    if area_path:
        stmt = stmt.where(_under(Case.area_path, area_path))
    return list(session.execute(stmt))


def address_numbers(session: Session, actor: Actor, addresses: list[str], since: datetime, until: datetime,
                    per_address: int) -> dict[str, list[str]]:
    """The newest `per_address` case numbers at each of these exact addresses (one query)."""
    if not addresses:
        return {}
    rank = func.row_number().over(partition_by=Case.address, order_by=(Case.received_at.desc(), Case.id.desc()))
    inner = (select(Case.address.label("address"), Case.number.label("number"), rank.label("rank"))
             .where(case_scope(actor), Case.address.in_(addresses), Case.received_at >= since,
                    Case.received_at < until, Case.status != CaseStatus.merged).subquery())
    out: dict[str, list[str]] = {}
    for address, number in session.execute(select(inner.c.address, inner.c.number)
                                           .where(inner.c.rank <= per_address)
                                           .order_by(inner.c.address, inner.c.rank)):
        out.setdefault(address, []).append(number)
    return out


# ---- org and taxonomy --------------------------------------------------------------------------------------------

def areas_at(session: Session, level: AreaLevel) -> list[Area]:
    return list(session.scalars(select(Area).where(Area.level == level).order_by(Area.code)))


def area_by_id(session: Session, area_id: int) -> Area | None:
    return session.get(Area, area_id)


def streets_for(session: Session, actor: Actor) -> list[tuple[int, str, str]]:
    """(id, name, path) of the streets the actor may choose: inside one of their subtrees."""
    rows = session.execute(select(Area.id, Area.name, Area.path).where(Area.level == AreaLevel.street,
                                                                         path_scope(actor, Area.path))
                           .order_by(Area.code))
    return [(r[0], r[1], r[2]) for r in rows]


def grid_geo(session: Session, grid_ids: list[int]) -> dict[int, tuple[str, float, float, str]]:
    """id -> (area path, centre lon, centre lat, name)."""
    if not grid_ids:
        return {}
    rows = session.execute(select(Grid.id, Grid.area_path, Grid.center_lon, Grid.center_lat, Grid.name)
                           .where(Grid.id.in_(grid_ids)))
    return {r[0]: (r[1], float(r[2] or 0), float(r[3] or 0), r[4]) for r in rows}


def categories(session: Session) -> list[Row[tuple[int, str, str, int | None, str]]]:
    """(id, code, name, parent id, path) of every active category."""
    return list(session.execute(select(Category.id, Category.code, Category.name, Category.parent_id,
                                       Category.path).where(Category.active.is_(True)).order_by(Category.path)))


# ---- forecasts ---------------------------------------------------------------------------------------------------

def add_run(session: Session, **values: Any) -> ForecastRun:
    run = ForecastRun(**values)
    session.add(run)
    session.flush()
    return run


def add_series(session: Session, series: ForecastSeries, points: list[dict[str, Any]],
               errors: list[dict[str, Any]]) -> None:
    session.add(series)
    session.flush()
    if points:
        session.execute(insert(ForecastPoint), [{**p, "series_id": series.id} for p in points])
    if errors:
        session.execute(insert(BacktestError), [{**e, "series_id": series.id} for e in errors])


def latest_run(session: Session) -> ForecastRun | None:
    return session.scalar(select(ForecastRun).where(ForecastRun.finished_at.is_not(None))
                          .order_by(ForecastRun.id.desc()).limit(1))


def run_for_day(session: Session, day: date) -> ForecastRun | None:
    return session.scalar(select(ForecastRun).where(ForecastRun.as_of == day, ForecastRun.finished_at.is_not(None))
                          .order_by(ForecastRun.id.desc()).limit(1))


def old_runs(session: Session, keep: int) -> list[int]:
    ids = list(session.scalars(select(ForecastRun.id).order_by(ForecastRun.id.desc()).offset(keep)))
    return ids


def delete_runs(session: Session, run_ids: list[int]) -> None:
    if not run_ids:
        return
    series = select(ForecastSeries.id).where(ForecastSeries.run_id.in_(run_ids))
    session.execute(delete(ForecastPoint).where(ForecastPoint.series_id.in_(series)))
    session.execute(delete(BacktestError).where(BacktestError.series_id.in_(series)))
    session.execute(delete(ForecastSeries).where(ForecastSeries.run_id.in_(run_ids)))
    session.execute(delete(ForecastRun).where(ForecastRun.id.in_(run_ids)))


def series_list(session: Session, actor: Actor, run_id: int) -> list[ForecastSeries]:
    return list(session.scalars(select(ForecastSeries).where(ForecastSeries.run_id == run_id,
                                                             path_scope(actor, ForecastSeries.area_path))
                                .order_by(ForecastSeries.kind, ForecastSeries.top_level.desc(),
                                          ForecastSeries.history_total.desc())))


def series_by_id(session: Session, actor: Actor, series_id: int) -> ForecastSeries | None:
    return session.scalar(select(ForecastSeries).where(ForecastSeries.id == series_id,
                                                       path_scope(actor, ForecastSeries.area_path)))


def all_series(session: Session, run_id: int) -> list[ForecastSeries]:
    return list(session.scalars(select(ForecastSeries).where(ForecastSeries.run_id == run_id)))


def points(session: Session, series_id: int) -> list[ForecastPoint]:
    return list(session.scalars(select(ForecastPoint).where(ForecastPoint.series_id == series_id)
                                .order_by(ForecastPoint.day)))


def point_on(session: Session, series_id: int, day: date) -> ForecastPoint | None:
    return session.scalar(select(ForecastPoint).where(ForecastPoint.series_id == series_id,
                                                      ForecastPoint.day == day))


def backtests(session: Session, series_ids: list[int]) -> dict[int, dict[str, BacktestError]]:
    out: dict[int, dict[str, BacktestError]] = {}
    if not series_ids:
        return out
    for e in session.scalars(select(BacktestError).where(BacktestError.series_id.in_(series_ids))):
        out.setdefault(e.series_id, {})[e.method] = e
    return out


# ---- alerts ------------------------------------------------------------------------------------------------------

def insert_alert(session: Session, values: dict[str, Any]) -> InsightAlert | None:
    """The new alert, or None when (kind, subject, day) was already raised (by this or another worker)."""
    try:
        with session.begin_nested():
            alert = InsightAlert(**values)
            session.add(alert)
            session.flush()
        return alert
    except IntegrityError:
        return None


def alert_exists(session: Session, kind: str, subject_key: str, day: date) -> bool:
    return session.scalar(select(InsightAlert.id).where(InsightAlert.kind == kind,
                                                        InsightAlert.subject_key == subject_key,
                                                        InsightAlert.day == day)) is not None


def alerts(session: Session, actor: Actor, limit: int, offset: int = 0) -> list[InsightAlert]:
    return list(session.scalars(select(InsightAlert).where(path_scope(actor, InsightAlert.area_path))
                                .order_by(InsightAlert.created_at.desc(), InsightAlert.id.desc())
                                .offset(offset).limit(limit)))
