"""Every query of the monitoring pages. Reads go through `scope()`: deny by default, the actor's jurisdiction.

The counters and the map read open cases, closed-today cases and alert events through the partial indexes of
monitor/models.py; the predicates below repeat those indexes' conditions word for word (OPEN_SQL, CLOSED_SQL,
ALERT_ACTIONS_SQL) so the planner can use them. Nothing here scans the closed years of the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, text
from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.cases import geocell
from zhili.cases.models import CLOSED_SQL, OPEN_SQL, Case, CaseEvent, CaseStatus, SupervisionOrder, WarnLevel
from zhili.monitor.models import ALERT_ACTIONS_SQL
from zhili.org.models import Area, Grid

CLOCK_RUNNING = (CaseStatus.dispatched, CaseStatus.in_progress)  # where a warning level is live (cases' queues)
OPEN_CASES = text(f"cases.{OPEN_SQL}")
CLOSED_CASES = text(f"cases.{CLOSED_SQL}")
ALERT_EVENTS = text(f"case_events.{ALERT_ACTIONS_SQL}")


def subtree(path: str) -> ColumnElement[bool]:
    """Cases under the area path as a range over the byte-ordered area_path (an index range, see cases)."""
    return and_(Case.area_path >= path, Case.area_path < path[:-1] + "0")


def scope(actor: Actor, area_path: str | None = None) -> ColumnElement[bool]:
    """Cases the actor's jurisdiction covers: its area subtrees, its grids, the cases its departments lead.
    Nothing for an actor with no scope. `area_path` narrows to one area (already checked to be visible)."""
    clauses: list[ColumnElement[bool]] = [subtree(p) for p in actor.area_paths]
    if actor.grid_ids:
        clauses.append(Case.grid_id.in_(sorted(actor.grid_ids)))
    if actor.department_ids:
        clauses.append(Case.department_id.in_(sorted(actor.department_ids)))
    if not clauses:
        return false()
    where = or_(*clauses)
    return and_(where, subtree(area_path)) if area_path else where


def area_by_code(session: Session, code: str) -> tuple[int, str, str, str] | None:
    """(id, path, name, level) of an area; the service decides whether the actor may see it."""
    row = session.execute(select(Area.id, Area.path, Area.name, Area.level).where(Area.code == code)).first()
    return (int(row[0]), str(row[1]), str(row[2]), str(row[3])) if row else None


# ---- counters ---------------------------------------------------------------------------------------------------

def received_between(session: Session, where: ColumnElement[bool], start: datetime, end: datetime) -> int:
    """Cases received in [start, end), merged duplicates excepted (the master counts once)."""
    stmt = (select(func.count()).select_from(Case)
            .where(Case.received_at >= start, Case.received_at < end, Case.status != CaseStatus.merged, where))
    return int(session.scalar(stmt) or 0)


def closed_between(session: Session, where: ColumnElement[bool], start: datetime, end: datetime) -> int:
    stmt = (select(func.count()).select_from(Case)
            .where(CLOSED_CASES, Case.closed_at >= start, Case.closed_at < end, where))
    return int(session.scalar(stmt) or 0)


def open_counts(session: Session, where: ColumnElement[bool]) -> tuple[int, int, int]:
    """(open, yellow, red) in one pass over the open cases; a warning counts while the clock runs."""
    running = Case.status.in_(CLOCK_RUNNING)
    yellow = func.sum(case((and_(Case.warn_level == WarnLevel.yellow, running), 1), else_=0))
    red = func.sum(case((and_(Case.warn_level == WarnLevel.red, running), 1), else_=0))
    row = session.execute(select(func.count(), yellow, red).select_from(Case).where(OPEN_CASES, where)).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


# ---- the map ----------------------------------------------------------------------------------------------------

def open_by_grid(session: Session, where: ColumnElement[bool]) -> dict[str, tuple[str, int, int, int]]:
    """Grid code -> (grid name, open, yellow, red) over the open cases with a grid."""
    running = Case.status.in_(CLOCK_RUNNING)
    yellow = func.sum(case((and_(Case.warn_level == WarnLevel.yellow, running), 1), else_=0))
    red = func.sum(case((and_(Case.warn_level == WarnLevel.red, running), 1), else_=0))
    counts = (select(Case.grid_id, func.count().label("n"), yellow.label("y"), red.label("r"))
              .where(OPEN_CASES, Case.grid_id.is_not(None), where).group_by(Case.grid_id).subquery())
    rows = session.execute(select(Grid.code, Grid.name, counts.c.n, counts.c.y, counts.c.r)
                           .join(counts, counts.c.grid_id == Grid.id))
    return {str(code): (str(name), int(n or 0), int(y or 0), int(r or 0)) for code, name, n, y, r in rows}


MAX_CELL_ROWS = 120  # a bbox taller than this many ~280 m cell rows (~33 km) is refused by the service


def open_points(session: Session, where: ColumnElement[bool], bbox: tuple[float, float, float, float],
                limit: int) -> tuple[list[Any], bool]:
    """Open cases inside the box, the most urgent and newest first, at most `limit` (and whether more exist).

    Index-friendly: the box becomes one range of place-cell ids per cell row (a row's cells have consecutive ids,
    cases/geocell.py), each a range scan on the partial index of open cases by cell. Rows: number, title, lon,
    lat, status, warn_level, received_at."""
    minx, miny, maxx, maxy = bbox
    row0 = geocell.cell_of(minx, miny) // geocell.COLUMNS
    row1 = geocell.cell_of(minx, maxy) // geocell.COLUMNS
    col0 = geocell.cell_of(minx, miny) % geocell.COLUMNS
    col1 = geocell.cell_of(maxx, miny) % geocell.COLUMNS
    ranges = [Case.geo_cell.between(r * geocell.COLUMNS + col0, r * geocell.COLUMNS + col1)
              for r in range(row0, row1 + 1)]
    urgency = case((Case.warn_level == WarnLevel.red, 0), (Case.warn_level == WarnLevel.yellow, 1), else_=2)
    stmt = (select(Case.number, Case.title, Case.lon, Case.lat, Case.status, Case.warn_level, Case.received_at)
            .where(OPEN_CASES, or_(*ranges), Case.lon >= minx, Case.lon <= maxx, Case.lat >= miny,
                   Case.lat <= maxy, where)
            .order_by(urgency, Case.id.desc()).limit(limit + 1))
    rows = list(session.execute(stmt))
    return rows[:limit], len(rows) > limit


# ---- alerts -----------------------------------------------------------------------------------------------------

def warning_events(session: Session, where: ColumnElement[bool], after_id: int, limit: int) -> list[Any]:
    """Cases that turned yellow or red, newest first (after `after_id`). Rows: id, at, action, number, title."""
    stmt = (select(CaseEvent.id, CaseEvent.at, CaseEvent.action, Case.number, Case.title)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(ALERT_EVENTS, CaseEvent.id > after_id, where)
            .order_by(CaseEvent.id.desc()).limit(limit))
    return list(session.execute(stmt))


def supervision_orders(session: Session, where: ColumnElement[bool], after_id: int, limit: int) -> list[Any]:
    """Supervision orders raised by hand (an overdue case's automatic order is already its red alert), newest
    first. Rows: id, issued_at, reason, number, title."""
    stmt = (select(SupervisionOrder.id, SupervisionOrder.issued_at, SupervisionOrder.reason, Case.number,
                   Case.title)
            .join(Case, Case.id == SupervisionOrder.case_id)
            .where(SupervisionOrder.kind != "overdue", SupervisionOrder.id > after_id, where)
            .order_by(SupervisionOrder.id.desc()).limit(limit))
    return list(session.execute(stmt))


def alert_cursor(session: Session) -> tuple[int, int]:
    """The newest alert event id and supervision order id: a live feed starts after them."""
    event_id = session.scalar(select(func.max(CaseEvent.id)).where(ALERT_EVENTS))
    order_id = session.scalar(select(func.max(SupervisionOrder.id)))
    return int(event_id or 0), int(order_id or 0)


def max_ids(rows: Sequence[Any]) -> int:
    return max((int(r[0]) for r in rows), default=0)
