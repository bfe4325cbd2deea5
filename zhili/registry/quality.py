"""Data quality (数据质量): daily snapshots per kind, community and grid, and the quality page built from them.

Figures of a snapshot (`QualitySnapshot`), over the entities that count (people on the register; every house,
vehicle and place):
- total;
- complete: every field of fields.REQUIRED is filled (`missing()`);
- valid: every filled field with a check passes it (`invalid()`: ID number GB 11643, phone, plate, credit code,
  name; a floor area above zero). Checking reads the decrypted values in the job, never for a search;
- matched: placed on a standard address;
- multi_source: records from two or more sources are behind it;
- conflicts: its open conflicts (a count of conflicts, not of entities);
- fresh: verified on site within `registry_stale_months` months.
`compute()` writes a day's rows (a rerun the same day replaces them); the `registry.quality` job runs it daily, and
the page runs it when today has no snapshot yet. Pure rules first; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.config import Settings
from zhili.kit import clock
from zhili.kit.errors import NotFound, ValidationFailed
from zhili.org import service as org_service
from zhili.registry import repository_browse as browse
from zhili.registry import repository_quality as repo
from zhili.registry import validate
from zhili.registry.fields import REQUIRED
from zhili.registry.models import KIND_LABEL, EntityKind
from zhili.registry.repository import Scope, scope_of
from zhili.registry.schemas import QualityFigures, QualityPage, QualityPoint, QualityRow, RefRead
from zhili.registry.tasks import months_before

# A required field that is not one column: filled when any of these is.
PRESENT_BY: dict[str, tuple[str, ...]] = {"address": ("address_id", "address_text"), "owner": ("owner_person_id",)}


def _floor_area(value: Any) -> None:
    if value <= 0:
        raise validate.InvalidValue("建筑面积应大于0")


CHECKS: dict[EntityKind, dict[str, Callable[[Any], Any]]] = {
    EntityKind.person: {"name": validate.person_name, "id_number": validate.resident_id, "phone": validate.phone},
    EntityKind.house: {"floor_area": _floor_area},
    EntityKind.vehicle: {"plate": validate.plate},
    EntityKind.place: {"credit_code": validate.credit_code, "contact_phone": validate.phone},
}
LEVELS = {1: "city", 2: "district", 3: "street", 4: "community"}
DAYS = (30, 90)


def missing(kind: EntityKind, row: Any) -> list[str]:
    """Required fields that are empty."""
    return [f for f in REQUIRED[kind] if not any(getattr(row, c, None) for c in PRESENT_BY.get(f, (f,)))]


def invalid(kind: EntityKind, row: Any) -> list[str]:
    """Filled fields that fail their check."""
    bad = []
    for name, check in CHECKS[kind].items():
        value = getattr(row, name, None)
        if value is None or value == "":
            continue
        try:
            check(value)
        except validate.InvalidValue:
            bad.append(name)
    return bad


def _is_fresh(verified_at: datetime | None, since: datetime) -> bool:
    if verified_at is None:
        return False
    if verified_at.tzinfo is None:
        verified_at = verified_at.replace(tzinfo=UTC)
    return verified_at >= since


# ---- computing a day --------------------------------------------------------------------------------------------

def compute(session: Session, settings: Settings, day: date | None = None) -> dict[str, int]:
    """Snapshots of every kind for `day` (default: today, local): returns the entities counted per kind."""
    now = clock.now()
    day = day or now.astimezone(_tz(settings)).date()
    fresh_since = months_before(now, int(getattr(settings, "registry_stale_months", 6)))
    out: list[dict[str, Any]] = []
    counted: dict[str, int] = {}
    for kind in EntityKind:
        groups: dict[tuple[int | None, int | None], dict[str, Any]] = {}
        for row in repo.stream(session, kind):
            g = groups.get((row.area_id, row.grid_id))
            if g is None:
                g = groups[(row.area_id, row.grid_id)] = dict(
                    day=day, kind=kind, area_id=row.area_id, area_path=row.area_path, grid_id=row.grid_id,
                    total=0, complete=0, valid=0, matched=0, multi_source=0, conflicts=0, fresh=0,
                    detail={"missing": {}, "invalid": {}})
            g["total"] += 1
            gone, bad = missing(kind, row), invalid(kind, row)
            g["complete"] += not gone
            g["valid"] += not bad
            g["matched"] += row.address_id is not None
            g["fresh"] += _is_fresh(row.verified_at, fresh_since)
            for key, fields in (("missing", gone), ("invalid", bad)):
                for f in fields:
                    g["detail"][key][f] = g["detail"][key].get(f, 0) + 1
        for where, n in repo.multi_source_counts(session, kind).items():
            if where in groups:
                groups[where]["multi_source"] = n
        for where, n in repo.conflict_counts(session, kind).items():
            if where in groups:
                groups[where]["conflicts"] = n
        counted[kind.value] = sum(g["total"] for g in groups.values())
        out += groups.values()
    repo.replace_day(session, day, out)
    return counted


def _tz(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.timezone)


def job(session: Session, settings: Settings) -> dict[str, int]:
    """The daily `registry.quality` job."""
    return compute(session, settings)


def ensure_today(session: Session, settings: Settings, day: date) -> bool:
    """Compute today's snapshots when the job has not run yet; True when this call computed them. Two first
    visitors at once: the second's insert clashes on the unique key and is dropped (the first one's stands)."""
    if repo.has_day(session, day):
        return False
    try:
        with session.begin_nested():
            compute(session, settings, day)
    except IntegrityError:
        return False
    return True


# ---- the page ---------------------------------------------------------------------------------------------------

def _codes(path: str | None) -> list[str]:
    return [c for c in (path or "").strip("/").split("/") if c]


def _common_root(paths: list[str]) -> str | None:
    parts = [_codes(p) for p in paths]
    if not parts:
        return None
    common: list[str] = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return "/" + "/".join(common) + "/" if common else None


def _figures_row(base: dict[str, Any], figures: QualityFigures) -> QualityRow:
    return QualityRow(**base, **figures.model_dump(), complete_rate=figures.rate("complete"),
                      valid_rate=figures.rate("valid"), matched_rate=figures.rate("matched"),
                      multi_source_rate=figures.rate("multi_source"), fresh_rate=figures.rate("fresh"))


def _add(into: QualityFigures, row: Any) -> None:
    for name in repo.SUMS:
        setattr(into, name, getattr(into, name) + int(getattr(row, name) or 0))


def page(session: Session, actor: Actor, settings: Settings, *, area: str | None, kind: str | None,
         days: int) -> QualityPage:
    actor.require("registry.read")
    scope = scope_of(session, actor)
    what = _kind(scope, kind)
    today = clock.now().astimezone(_tz(settings)).date()
    computed = ensure_today(session, settings, today)
    root: str | None = None
    if area:
        found = browse.area_by_code(session, area.strip())
        if found is None or not browse.area_allowed(session, scope, what, found.path):
            raise NotFound("区划不存在或不在您的辖区内", field="area")
        root = found.path
    if root is None and len(scope.area_paths) == 1:
        root = scope.area_paths[0]
    rows = repo.snapshots(session, scope, what, today, root)
    if root is None:  # grids only, several areas, or a department district-wide: where the rows are
        root = _common_root([r.area_path for r in rows if r.area_path])
    depth = len(_codes(root))
    groups: dict[tuple[str, Any], QualityFigures] = {}
    for r in rows:
        codes = _codes(r.area_path)
        if not codes:
            key: tuple[str, Any] = ("none", None)
        elif len(codes) > depth:
            key = ("area", codes[depth])
        else:
            key = ("grid", r.grid_id)
        _add(groups.setdefault(key, QualityFigures()), r)
    names = org_service.area_refs_on_paths(session, {r.area_path for r in rows if r.area_path} | (
        {root} if root else set()))
    grids = browse.grid_names(session, [k[1] for k in groups if k[0] == "grid"])
    out = []
    for (level, ref), figures in sorted(groups.items(), key=lambda kv: (kv[0][0] != "area", str(kv[0][1]))):
        base: dict[str, Any]
        if level == "area":
            base = dict(code=ref, name=names.get(ref, (ref, ref))[1], level=LEVELS.get(depth + 1, "area"),
                        drill=True)
        elif level == "grid":
            g = grids.get(ref) if ref else None
            base = dict(code=g[0] if g else None, name=g[1] if g else "未划入网格", level="grid", drill=False)
        else:
            base = dict(code=None, name="未匹配标准地址", level="none", drill=False)
        out.append(_figures_row(base, figures))
    overall = QualityFigures()
    for r in rows:
        _add(overall, r)
    trail = [RefRead(code=c, name=names.get(c, (c, c))[1]) for i, c in enumerate(_codes(root))
             if browse.area_allowed(session, scope, what, "/" + "/".join(_codes(root)[:i + 1]) + "/")]
    return QualityPage(day=today, kind=what.value, kind_label=KIND_LABEL[what], area=trail[-1] if trail else None,
                       trail=trail, rows=out, computed_now=computed,
                       overall=_figures_row(dict(code=None, name="合计", level="all", drill=False), overall),
                       trend=_trend(session, scope, what, today - timedelta(days=days - 1), root))


def _kind(scope: Scope, kind: str | None) -> EntityKind:
    if kind:
        try:
            return EntityKind(kind)
        except ValueError:
            raise ValidationFailed("未知的数据类别", field="kind") from None
    return next((k for k in EntityKind if scope.fields_for(k)), EntityKind.person)


def _trend(session: Session, scope: Scope, kind: EntityKind, since: date, root: str | None) -> list[QualityPoint]:
    points = []
    for r in repo.trend(session, scope, kind, since, root):
        f = QualityFigures(**{n: int(getattr(r, n) or 0) for n in repo.SUMS})
        points.append(QualityPoint(day=r.day, total=f.total, complete_rate=f.rate("complete"),
                                   valid_rate=f.rate("valid"), matched_rate=f.rate("matched"),
                                   fresh_rate=f.rate("fresh"), conflicts=f.conflicts))
    return points
