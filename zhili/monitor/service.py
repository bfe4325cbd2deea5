"""Use cases of the cockpit (大屏) and the monitoring page: live counters, the map layers, alerts, the live feed.

Every read is scoped to the actor's jurisdiction (monitor/repository.py `scope`), optionally narrowed to one area
the actor may see (`area` code; any other answers 404). Viewing needs `analysis.view` (the center's monitoring
page) or `cockpit.view` (the leaders' screen): both show the same figures. Services never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.cases.models import STATUS_LABEL, CaseStatus
from zhili.insight import service as insight
from zhili.kit import clock
from zhili.kit.errors import NotFound, ValidationFailed
from zhili.monitor import repository as repo
from zhili.monitor.schemas import Alert, MapPoint, MapPoints, Snapshot
from zhili.org import service as org_service

POINT_LIMIT = 500  # open cases drawn as points at most; the heat layer carries the rest
MAX_BBOX_DEGREES = 0.3  # points only when zoomed in: a box wider or taller than this (~30 km) is refused
INSIGHT_LIMIT = 10


@dataclass(frozen=True)
class Where:
    """The resolved jurisdiction of one request: the SQL filter, its display name, the narrowing area."""

    clause: ColumnElement[bool]
    name: str
    area_id: int | None = None
    area_path: str | None = None
    level: str | None = None  # of the area viewed (the narrowing area, or the actor's one area): city ... community


def require_view(actor: Actor) -> None:
    """The monitoring figures are for holders of analysis.view (center) or cockpit.view (leaders)."""
    if not (actor.can("analysis.view") or actor.can("cockpit.view")):
        actor.require("analysis.view")  # raises 403, audited


def resolve(session: Session, actor: Actor, area: str | None) -> Where:
    """The actor's jurisdiction, narrowed to `area` (a 12-digit area code) when given; an unknown or
    out-of-scope area is a 404 like any record outside one's jurisdiction."""
    require_view(actor)
    if area is None:
        name, level = _scope_name(session, actor)
        return Where(repo.scope(actor), name, level=level)
    found = repo.area_by_code(session, area)
    if found is None:
        raise NotFound("区划不存在或不在您的辖区内", field="area")
    area_id, path, name, level = found
    inside = actor.in_area(path) or any(p.startswith(path) for p in actor.area_paths)
    if not inside:
        raise NotFound("区划不存在或不在您的辖区内", field="area")
    return Where(repo.scope(actor, path), name, area_id, path, level)


def _scope_name(session: Session, actor: Actor) -> tuple[str, str | None]:
    """The display name of the actor's jurisdiction, and its level when it is a single area."""
    names, levels = [], []
    for path in actor.area_paths:
        code = path.strip("/").split("/")[-1] if path.strip("/") else ""
        found = repo.area_by_code(session, code) if code else None
        names.append(found[2] if found else "全域")
        levels.append(found[3] if found else None)
    if actor.grid_ids and not names:
        names.append("本网格")
    if actor.department_ids and not names:
        names.append("本部门承办")
    return "、".join(names) or "无辖区", levels[0] if len(levels) == 1 else None


def local_day(tz: str, now: datetime | None = None) -> tuple[date, datetime, datetime]:
    """Today in the platform's timezone, and its bounds [start, end) as aware datetimes."""
    zone = ZoneInfo(tz)
    today = (now or clock.now()).astimezone(zone).date()
    start = datetime.combine(today, time.min, zone)
    return today, start, start + timedelta(days=1)


def snapshot(session: Session, actor: Actor, area: str | None, tz: str) -> Snapshot:
    return snapshot_of(session, resolve(session, actor, area), tz)


def snapshot_of(session: Session, where: Where, tz: str) -> Snapshot:
    now = clock.now()
    today, start, end = local_day(tz, now)
    open_, yellow, red = repo.open_counts(session, where.clause)
    return Snapshot(at=now, day=today.isoformat(), scope=where.name,
                    received_today=repo.received_between(session, where.clause, start, end),
                    open=open_, yellow=yellow, red=red,
                    closed_today=repo.closed_between(session, where.clause, start, end))


# ---- the map ----------------------------------------------------------------------------------------------------

def grid_layer(session: Session, actor: Actor, area: str | None, geometry: bool = True) -> dict[str, Any]:
    """The actor's grids as a GeoJSON FeatureCollection with their open, yellow and red counts: the heat layer.
    Geometry comes from the org domain (scoped there too); counts are one grouped query over open cases.
    `geometry=False` (the page's refresh): only the grids with open cases, without geometry, a few KB."""
    where = resolve(session, actor, area)
    counts = repo.open_by_grid(session, where.clause)
    if not geometry:
        features = [{"type": "Feature", "geometry": None,
                     "properties": {"code": code, "name": name, "open": n, "yellow": y, "red": r}}
                    for code, (name, n, y, r) in sorted(counts.items())]
        return {"type": "FeatureCollection", "features": features,
                "max_open": max((c[1] for c in counts.values()), default=0)}
    layer = org_service.map_layer(session, actor, area, "grid")
    for feature in layer["features"]:
        props = feature["properties"]
        _name, n, y, r = counts.get(props["code"], ("", 0, 0, 0))
        props.update({"open": n, "yellow": y, "red": r})
    layer["max_open"] = max((f["properties"]["open"] for f in layer["features"]), default=0)
    return layer


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """"minLon,minLat,maxLon,maxLat" -> a checked box; a 422 naming `bbox` otherwise."""
    try:
        minx, miny, maxx, maxy = (float(v) for v in text.split(","))
    except ValueError:
        raise ValidationFailed("范围应为 最小经度,最小纬度,最大经度,最大纬度", field="bbox") from None
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise ValidationFailed("范围的经纬度无效或最小值不小于最大值", field="bbox")
    if maxx - minx > MAX_BBOX_DEGREES or maxy - miny > MAX_BBOX_DEGREES:
        raise ValidationFailed("范围过大：请放大地图后再查看案件点位", field="bbox")
    return minx, miny, maxx, maxy


def points(session: Session, actor: Actor, area: str | None, bbox: str, limit: int = POINT_LIMIT) -> MapPoints:
    """Open cases inside the map's box, capped (the most urgent first): shown only when zoomed in."""
    box = parse_bbox(bbox)
    where = resolve(session, actor, area)
    rows, truncated = repo.open_points(session, where.clause, box, limit)
    items = [MapPoint(number=r.number, title=r.title, lon=r.lon, lat=r.lat, status=str(r.status),
                      status_label=STATUS_LABEL[CaseStatus(r.status)], warn_level=str(r.warn_level),
                      received_at=clock.as_utc(r.received_at)) for r in rows]
    return MapPoints(items=items, truncated=truncated, limit=limit)


# ---- alerts -----------------------------------------------------------------------------------------------------

def _event_alert(row: Any) -> Alert:
    red = row.action == "overdue"
    return Alert(id=f"e{row.id}", at=clock.as_utc(row.at), kind=str(row.action), level="red" if red else "yellow",
                 title=f"{'红色超期' if red else '黄色预警'}：{row.title}",
                 body=f"案件 {row.number} {'已超过办理期限，已自动督办' if red else '临近办理期限'}",
                 href=f"/gov/cases/{row.number}")


def _order_alert(row: Any) -> Alert:
    return Alert(id=f"o{row.id}", at=clock.as_utc(row.issued_at), kind="supervise", level="red",
                 title=f"督办：{row.title}", body=f"案件 {row.number}：{row.reason}", href=f"/gov/cases/{row.number}")


def alerts(session: Session, actor: Actor, area: str | None, limit: int = 20) -> list[Alert]:
    """The latest alerts of the jurisdiction, newest first: cases turning yellow or red, supervision orders
    raised by hand, and the analysis' anomaly alerts when that module is installed."""
    where = resolve(session, actor, area)
    items = [_event_alert(r) for r in repo.warning_events(session, where.clause, 0, limit)]
    items += [_order_alert(r) for r in repo.supervision_orders(session, where.clause, 0, limit)]
    items += insight_alerts(session, actor, where, min(limit, INSIGHT_LIMIT))
    items.sort(key=lambda a: a.at, reverse=True)
    return items[:limit]


INSIGHT_LEVEL = {"critical": "red", "warning": "yellow"}


def insight_alerts(session: Session, actor: Actor, where: Where, limit: int, after_id: int = 0) -> list[Alert]:
    """Anomaly alerts of the analysis (zhili.insight), newest first, after `after_id`. They are kept for the
    whole jurisdiction, not per area: a view narrowed to one area does not show them."""
    if where.area_path is not None:
        return []
    return [Alert(id=f"i{a.id}", at=clock.as_utc(a.at), kind="anomaly", level=INSIGHT_LEVEL.get(a.level, "info"),
                  title=f"异常：{a.title}", body=a.body, href=a.href or None)
            for a in insight.latest_alerts(session, actor, limit) if a.id > after_id]


# ---- the live feed ----------------------------------------------------------------------------------------------

Cursor = tuple[int, int, int]  # the last warning event, supervision order and anomaly alert sent


def parse_cursor(value: str | None) -> Cursor | None:
    """`Last-Event-ID` of the live feed, "<event id>.<order id>.<anomaly id>"; None when absent or malformed."""
    if not value:
        return None
    parts = value.split(".")
    if len(parts) != 3 or not all(p.isdigit() and len(p) <= 12 for p in parts):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2])


def stream_start(session: Session, actor: Actor, area: str | None, last_event_id: str | None) -> tuple[Where,
                                                                                                     Cursor]:
    """Check the viewer and fix where the feed starts: after `Last-Event-ID`, else only alerts from now on."""
    where = resolve(session, actor, area)
    cursor = parse_cursor(last_event_id)
    if cursor is None:
        latest = insight.latest_alerts(session, actor, 1)
        cursor = (*repo.alert_cursor(session), latest[0].id if latest else 0)
    return where, cursor


STREAM_BATCH = 50


def poll(session: Session, actor: Actor, where: Where, cursor: Cursor, tz: str) -> tuple[Snapshot, list[Alert],
                                                                                          Cursor]:
    """One poll of the live feed: the counters now, the alerts after `cursor` (oldest first), the new cursor.
    (More than STREAM_BATCH alerts of one kind between two polls: the newest are sent, the page lists them.)"""
    events = repo.warning_events(session, where.clause, cursor[0], STREAM_BATCH)
    orders = repo.supervision_orders(session, where.clause, cursor[1], STREAM_BATCH)
    anomalies = insight_alerts(session, actor, where, INSIGHT_LIMIT, cursor[2])
    new = [_event_alert(r) for r in events] + [_order_alert(r) for r in orders] + anomalies
    new.sort(key=lambda a: a.at)
    cursor = (max(cursor[0], repo.max_ids(events)), max(cursor[1], repo.max_ids(orders)),
              max([cursor[2], *(int(a.id[1:]) for a in anomalies)]))
    return snapshot_of(session, where, tz), new, cursor
