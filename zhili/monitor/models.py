"""Indexes the monitoring reads need on the closed loop's tables (the monitor owns no table of its own).

Each is partial, with the predicate stated word for word by the queries in monitor/repository.py, so it stays
small (open cases, closed cases, alert events) and the planner (PostgreSQL, SQLite) can prove it applies:
- open cases by place and warning level: the live counters and the grid heat layer count open cases of a
  jurisdiction from the index alone, however many closed years the table keeps;
- closed cases by closing time: "closed today" is a short range scan;
- warning / overdue events by id: the latest alerts and the live feed read backwards from the newest.
"""

from __future__ import annotations

from sqlalchemy import Index, text

from zhili.cases.models import CLOSED_SQL, OPEN_SQL, Case, CaseEvent

ALERT_ACTIONS_SQL = "action IN ('warning', 'overdue')"

OPEN_BY_PLACE = Index("ix_cases_monitor_open", Case.area_path, Case.grid_id, Case.warn_level, Case.status,
                      postgresql_where=text(OPEN_SQL), sqlite_where=text(OPEN_SQL))
CLOSED_BY_TIME = Index("ix_cases_monitor_closed_at", Case.closed_at,
                       postgresql_where=text(CLOSED_SQL), sqlite_where=text(CLOSED_SQL))
ALERT_EVENTS = Index("ix_case_events_monitor_alerts", CaseEvent.id,
                     postgresql_where=text(ALERT_ACTIONS_SQL), sqlite_where=text(ALERT_ACTIONS_SQL))
