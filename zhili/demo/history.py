"""A year of realistic demo cases (`zhili demo --cases N`), for the demo, the analyses, the classifier and the
benchmarks.

`generate_cases` writes N cases over the last `months` months on the demo district: a weekly and seasonal rhythm
(fewer on weekends and holidays, summer-night noise, typhoon spikes; see `rhythm`), clustered places (markets,
construction sites, old residential blocks, schools, villages), a realistic category mix, Chinese complaint texts
(`texts`), and the full closed-loop timeline of each case, late, reworked, sent back, escalated, extended,
suspended, merged and reopened ones included (`lifecycle`). Numbers are YZyyyymmdd-nnnnnn continuing each day's
counter, and the counters move past them so live intake goes on from there. Deadlines come from the category
limits through the work calendar, departments from the responsibility list, places from the spatial index.

Speed and memory: SQLAlchemy Core inserts with explicit ids, in streamed batches of `BATCH` cases (memory stays
flat at 1 M cases). Audit: no row per insert; one `demo.history` entry summarises the run. On PostgreSQL the case
tables are locked for writes while generating, and their id sequences are moved past the ids used.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.orm import Session

from zhili.auth import audit
from zhili.cases import geocell
from zhili.cases.models import (
    Case,
    CaseCounter,
    CaseEvent,
    CasePart,
    CaseStatus,
    ExtensionRequest,
    SupervisionOrder,
)
from zhili.config import Settings
from zhili.demo import rhythm, texts
from zhili.demo.lifecycle import Counters, Dept, Life, Plan, run
from zhili.kit import clock
from zhili.kit.crypto import blind_index
from zhili.org import spatial
from zhili.org.models import Area, Department, DepartmentKind, Grid
from zhili.taxonomy import routing
from zhili.taxonomy.models import Category

BATCH = 2000
TABLES = (Case, CasePart, CaseEvent, SupervisionOrder, ExtensionRequest)
PHONE_PREFIXES = ("138", "139", "137", "135", "150", "151", "158", "159", "187", "188", "189", "177", "133", "180")


@dataclass
class Leaf:
    id: int
    code: str
    name: str
    priority: str
    limit: tuple[float, str] | None
    close: str


@dataclass
class GridInfo:
    id: int
    kind: str
    special: str | None
    area_id: int
    path: str
    community: str
    bbox: tuple[float, float, float, float]
    center: tuple[float, float]


@dataclass
class Hotspot:
    kind: str
    lon: float
    lat: float
    spread: float  # degrees (about 100 m is 0.001)
    active: tuple[date, date] | None = None


def _limit(table: routing.RoutingTable, category_id: int, priority: str) -> tuple[float, str] | None:
    found = table.limit(category_id, priority)
    return (float(found[0]), found[1].value) if found else None


class _World:
    """What the generator draws from, read once: leaves, grids, departments, routing, calendar, spatial index."""

    def __init__(self, session: Session, settings: Settings, rng: random.Random) -> None:
        from zhili.workcal import service as workcal

        self.session = session
        self.cal = workcal.calendar_for(session, settings)
        self.index = spatial.current_index(session, settings.geo_refresh_seconds)
        table = routing.routing_table(session)
        cats = list(session.scalars(select(Category).where(Category.active.is_(True))))
        parents = {c.parent_id for c in cats if c.parent_id}
        self.leaves = [Leaf(c.id, c.code, c.name, c.default_priority.value, _limit(table, c.id, c.default_priority.value),
                            c.close_criteria or "问题已处理")
                       for c in sorted(cats, key=lambda c: c.code) if c.id not in parents]
        names = dict(session.execute(select(Area.id, Area.short_name)).tuples().all())
        self.grids = [GridInfo(g.id, g.kind.value, g.special_type, g.area_id, g.area_path, names.get(g.area_id, ""),
                               (g.min_lon, g.min_lat, g.max_lon, g.max_lat), (g.center_lon, g.center_lat))
                      for g in session.scalars(select(Grid).order_by(Grid.id))]
        if not self.grids or not self.leaves:
            raise ValueError("演示历史案件需要先生成网格和事项分类（zhili demo）")
        self.grid_by_id = {g.id: g for g in self.grids}
        self.leaf_by_code = {leaf.code: leaf for leaf in self.leaves}
        depts = list(session.scalars(select(Department).order_by(Department.code)))
        self.depts = {d.id: Dept(d.id, d.code, d.short_name) for d in depts}
        centers = sorted((d for d in depts if d.kind == DepartmentKind.center), key=lambda d: len(d.area_path))
        self.top_center = self.depts[centers[0].id] if centers else next(iter(self.depts.values()))
        self.street_center = {d.area_path: self.depts[d.id] for d in centers}
        self.functional = [self.depts[d.id] for d in depts if d.kind == DepartmentKind.functional] or [
            self.top_center]
        self.slowness = {d: rng.uniform(0.7, 1.5) for d in self.depts}  # some departments are slower
        self._routes: dict[tuple[int, str], Dept] = {}
        self.table = table

    def route(self, leaf: Leaf, path: str) -> Dept:
        """The responsible department, by the responsibility list (memoised per winning rule and street)."""
        rule = self.table.match(leaf.id, path)
        street = "/".join(path.strip("/").split("/")[:3])
        key = (rule.id if rule else -leaf.id, street)
        found = self._routes.get(key)
        if found is None:
            result = routing.route(self.session, leaf.id, path)
            found = self.depts.get(result.department_id, self.top_center) if result else self.top_center
            self._routes[key] = found
        return found

    def alternative(self, lead: Dept, path: str) -> Dept:
        """Where a sent-back case goes next: the street's center for a line department, else city management."""
        street = "/" + "/".join(path.strip("/").split("/")[:3]) + "/"
        center = self.street_center.get(street, self.top_center)
        if lead.id != center.id:
            return center
        return next((d for d in self.functional if d.code.endswith("-CG")), self.functional[0])


def _hotspots(world: _World, rng: random.Random, start: date, end: date) -> dict[str, list[Hotspot]]:
    """Places that keep producing the same complaints, from the grids' special types plus generated sites."""
    spots: dict[str, list[Hotspot]] = {k: [] for k in rhythm.HOTSPOT_LEAVES}
    urban = [g for g in world.grids if g.kind == "urban"] or world.grids
    rural = [g for g in world.grids if g.kind == "rural"] or world.grids
    for g in world.grids:
        if g.special in spots:
            spots[g.special].append(Hotspot(g.special, *g.center, 0.0008))
    for kind, n in (("market", 25), ("school", 20), ("park", 10), ("enterprise", 15), ("hospital", 5),
                    ("transport_hub", 10)):
        if len(spots[kind]) < n:
            for g in rng.sample(urban, min(len(urban), n - len(spots[kind]))):
                spots[kind].append(Hotspot(kind, *g.center, 0.0008))
    span = max(1, (end - start).days)
    for g in rng.sample(urban + rural[:20], min(len(urban) + min(20, len(rural)), 70)):
        first = start + timedelta(days=rng.randrange(span))
        spots["site"].append(Hotspot("site", *g.center, 0.0006, (first, first + timedelta(days=rng.randint(90, 300)))))
    for g in rng.sample(urban, min(len(urban), 120)):
        spots["old_block"].append(Hotspot("old_block", *g.center, 0.001))
    for g in rng.sample(rural, min(len(rural), 150)):
        spots["rural"].append(Hotspot("rural", *g.center, 0.004))
    return spots


def _counters_at_start(session: Session) -> Counters:
    def top(model: Any) -> int:
        return int(session.scalar(select(func.coalesce(func.max(model.id), 0))) or 0)

    return Counters(case=top(Case), part=top(CasePart), event=top(CaseEvent), order=top(SupervisionOrder),
                    extension=top(ExtensionRequest))


def _lock(session: Session) -> None:
    """PostgreSQL: keep concurrent writers out of the case tables until commit (explicit ids are used)."""
    if session.get_bind().dialect.name == "postgresql":
        names = ", ".join(m.__tablename__ for m in (*TABLES, CaseCounter))
        session.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))


def _move_sequences(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for model in TABLES:
        name = model.__tablename__
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                             f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"))


def _bump_counters(session: Session, used: dict[str, int], before: dict[str, int]) -> None:
    """Move each day's counter to the last number used, so live intake continues the sequence."""
    for day, value in used.items():
        if day in before:
            session.execute(update(CaseCounter).where(CaseCounter.day == day).values(value=value)
                            .execution_options(synchronize_session=False))
    new = [{"day": d, "value": v} for d, v in used.items() if d not in before]
    for i in range(0, len(new), 5000):
        session.execute(insert(CaseCounter), new[i:i + 5000])


def _local_days(now: datetime, months: int, tz: ZoneInfo) -> tuple[date, date]:
    end = now.astimezone(tz).date()
    start = end - timedelta(days=round(months * 30.44))
    return start + timedelta(days=1), end


def generate_cases(session: Session, settings: Settings, n: int, *, seed: int = 2026, months: int = 12,
                   open_share: float | None = None, now: datetime | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> int:
    """Insert `n` cases received over the last `months` months (up to `now`); returns how many.

    `open_share`: None leaves each case where its own timeline is at `now` (most closed, recent ones open, a few
    stuck); a number in [0, 1] forces that share of the cases to be open (received ... handled), e.g. 1.0 for a
    benchmark of 1 M open cases."""
    if n <= 0:
        return 0
    if open_share is not None and not 0.0 <= open_share <= 1.0:
        raise ValueError("open_share 应在 0 到 1 之间")
    say = progress or (lambda stage, done, total: None)
    say("历史案件", 0, n)
    now = (now or clock.now()).astimezone(UTC)
    tz = ZoneInfo(settings.timezone)
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    previous = session.info.get(audit.AUTO)
    session.info[audit.AUTO] = False
    try:
        _lock(session)
        world = _World(session, settings, rng)
        ids = _counters_at_start(session)
        first_id = ids.case + 1
        before = dict(session.execute(select(CaseCounter.day, CaseCounter.value)).tuples().all())
        start, end = _local_days(now, months, tz)
        plans = rhythm.day_plans(world.cal, start, end, rhythm.typhoon_days(nrng, start, end))
        weights = np.array([p.weight for p in plans])
        per_day = nrng.multinomial(n, weights / weights.sum())
        gen = _Generator(world, settings, rng, nrng, now, tz, open_share, ids, before,
                         _hotspots(world, rng, start, end))
        made = 0
        rows = _Rows()
        for plan, count in zip(plans, per_day, strict=True):
            if count == 0:
                continue
            for case in gen.day(plan, int(count)):
                rows.add(case)
                made += 1
                if len(rows.cases) >= BATCH:
                    rows.flush(session)
                    say("历史案件", made, n)
        rows.flush(session)
        _bump_counters(session, gen.used, before)
        _move_sequences(session)
        say("历史案件", made, n)
    finally:
        session.info[audit.AUTO] = previous if previous is not None else True
    audit.record(session, "demo.history", entity_type="cases",
                 detail={"cases": made, "seed": seed, "months": months, "open_share": open_share,
                         "first_id": first_id, "last_id": ids.case, "from": start.isoformat(),
                         "to": end.isoformat()})
    return made


class _Rows:
    """The batch being built: every table's rows, inserted together."""

    def __init__(self) -> None:
        self.cases: list[dict[str, Any]] = []
        self.parts: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.orders: list[dict[str, Any]] = []
        self.extensions: list[dict[str, Any]] = []

    def add(self, life: Life) -> None:
        self.cases.append(life.case)
        self.parts += life.parts
        self.events += life.events
        self.orders += life.orders
        self.extensions += life.extensions

    def flush(self, session: Session) -> None:
        conn = session.connection()  # Core executemany: no ORM bulk machinery, no per-row events
        for model, rows in ((Case, self.cases), (CasePart, self.parts), (CaseEvent, self.events),
                            (SupervisionOrder, self.orders), (ExtensionRequest, self.extensions)):
            table = model.__table__
            assert isinstance(table, Table)
            for i in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[i:i + 5000])
            rows.clear()


class _Generator:
    def __init__(self, world: _World, settings: Settings, rng: random.Random, nrng: np.random.Generator,
                 now: datetime, tz: ZoneInfo, open_share: float | None, ids: Counters, before: dict[str, int],
                 hotspots: dict[str, list[Hotspot]]) -> None:
        self.world, self.settings, self.rng, self.nrng = world, settings, rng, nrng
        self.now, self.tz, self.open_share, self.ids = now, tz, open_share, ids
        self.used: dict[str, int] = {}
        self.before = before
        self.hotspots = hotspots
        self.codes = [leaf.code for leaf in world.leaves]
        kinds = [g.kind for g in world.grids]
        gw = np.array([{"urban": 3.0, "special": 1.0}.get(k, 1.2) for k in kinds])
        self.grid_p = gw / gw.sum()
        # (category id, grid id) -> (case id, number, received, closed_at, merge-able) for duplicates.
        self.recent: dict[tuple[int, int], tuple[int, str, datetime, datetime | None, bool]] = {}
        self.prefix = settings.case_number_prefix

    # -- one day ----------------------------------------------------------------------------------------------
    def day(self, plan: rhythm.DayPlan, count: int) -> Iterator[Life]:
        rng, nrng = self.rng, self.nrng
        if len(self.recent) > 20000:  # only the last week's cases can be merged into: keep memory flat
            horizon = datetime.combine(plan.day - timedelta(days=8), time(0), tzinfo=self.tz)
            self.recent = {k: v for k, v in self.recent.items() if v[2] >= horizon}
        p = rhythm.category_weights(self.codes, plan.day.month, plan)
        leaf_idx = nrng.choice(len(self.codes), size=count, p=p)
        channels = self._channels(plan, count)
        moments = []
        for li, ch in zip(leaf_idx, channels, strict=True):
            code = self.codes[int(li)]
            profile = "noise" if code in rhythm.NOISE and ch != "grid" else ch if ch in rhythm.HOURS else "hotline"
            hour = int(nrng.choice(24, p=rhythm.HOURS[profile]))
            local = datetime.combine(plan.day, time(hour, rng.randrange(60), rng.randrange(60)), tzinfo=self.tz)
            at = local.astimezone(UTC)
            if at > self.now:  # today: the part of the day that has passed
                midnight = datetime.combine(plan.day, time(0), tzinfo=self.tz).astimezone(UTC)
                at = midnight + (self.now - midnight) * rng.random()
            moments.append((at, int(li), ch))
        moments.sort()
        points = [self._point(self.world.leaves[li], at) for at, li, _ in moments]
        lons = np.round(np.array([pt[0] for pt in points]), 6)
        lats = np.round(np.array([pt[1] for pt in points]), 6)
        micro = self.world.index.micro_index.locate_many(lons, lats)
        grid = self.world.index.locate_many(lons, lats)
        day_key = plan.day.strftime("%Y%m%d")
        seq = self.used.get(day_key, self.before.get(day_key, 0))
        for k, (at, li, ch) in enumerate(moments):
            gid = int(grid[k])
            lon, lat = float(lons[k]), float(lats[k])
            mid: int | None = int(micro[k]) if micro[k] >= 0 else None
            if gid < 0:  # outside every grid: fall back to the centre of the intended grid
                g = self.world.grid_by_id[points[k][2]]
                lon, lat = g.center
                found = self.world.index.locate(lon, lat)
                if found is None:
                    g = next(x for x in self.world.grids if self.world.index.locate(*x.center) is not None)
                    lon, lat = g.center
                    found = self.world.index.locate(lon, lat)
                assert found is not None
                gid, mid = found.grid_id, found.micro_grid_id
            seq += 1
            yield self._case(at, self.world.leaves[li], ch, gid, mid, lon, lat, f"{self.prefix}{day_key}-{seq:06d}",
                             points[k][3])
        self.used[day_key] = seq

    def _channels(self, plan: rhythm.DayPlan, count: int) -> list[str]:
        grid_share = 0.27 if plan.workday else 0.06
        names = ["hotline", "grid", "resident", "open311"]
        w = np.array([0.6, grid_share, 0.12, 0.015])
        return [names[i] for i in self.nrng.choice(4, size=count, p=w / w.sum())]

    def _point(self, leaf: Leaf, at: datetime) -> tuple[float, float, int, str | None]:
        """(lon, lat, intended grid id, hotspot kind) for a case of `leaf`."""
        rng = self.rng
        for kind, share in ((k, v.get(leaf.code, 0.0)) for k, v in rhythm.HOTSPOT_LEAVES.items()):
            if share and rng.random() < share:
                spots = self.hotspots.get(kind) or []
                if kind == "site":
                    day = at.date()
                    spots = [s for s in spots if s.active and s.active[0] <= day <= s.active[1]] or spots
                if spots:
                    s = spots[min(int(rng.paretovariate(1.2)) - 1, len(spots) - 1)] if rng.random() < 0.5 \
                        else rng.choice(spots)
                    lon, lat = rng.gauss(s.lon, s.spread), rng.gauss(s.lat, s.spread)
                    found = self.world.index.locate(s.lon, s.lat)
                    return lon, lat, found.grid_id if found else self.world.grids[0].id, kind
        g = self.world.grids[int(self.nrng.choice(len(self.world.grids), p=self.grid_p))]
        return rng.uniform(g.bbox[0], g.bbox[2]), rng.uniform(g.bbox[1], g.bbox[3]), g.id, None

    # -- one case ---------------------------------------------------------------------------------------------
    def _case(self, at: datetime, leaf: Leaf, channel: str, gid: int, mid: int | None, lon: float, lat: float,
              number: str, spot: str | None) -> Life:
        rng, world = self.rng, self.world
        g = world.grid_by_id[gid]
        said = leaf  # what the caller talks about; `leaf` becomes what the operator filed it under
        place = texts.place_for(rng, g.community, spot)
        other = rng.choice(self.codes) if rng.random() < 0.07 else None
        local_hour = at.astimezone(self.tz).hour
        filed = texts.misfiled(leaf.code, rng)
        if filed != leaf.code and filed in world.leaf_by_code:
            leaf = world.leaf_by_code[filed]
        body = texts.compose(said.code, rng, place, channel, category_name=said.name, other=other,
                             night=local_hour >= 21 or local_hour < 5,
                             prefer=rhythm.HOTSPOT_PLACE.get(spot or ""))
        priority = leaf.priority if rng.random() > 0.03 else "urgent"
        limit = _limit(world.table, leaf.id, priority) if priority != leaf.priority else leaf.limit
        caller = phone = bidx = None
        if channel in ("hotline", "open311") and rng.random() < 0.9:
            caller = texts.caller_name(rng)
            phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"
            bidx = blind_index(phone)
        level = "district" if channel in ("hotline", "open311") else "community"
        case_id = self.ids.take("case")
        case: dict[str, Any] = dict(
            id=case_id, number=number, version=1, title=body.title, description=body.description,
            channel=channel, category_id=leaf.id, priority=priority, status="received", status_before_suspend=None,
            level=level, lon=lon, lat=lat, geo_cell=geocell.cell_of(lon, lat),
            address=body.address, micro_grid_id=mid,
            grid_id=gid, area_id=g.area_id, area_path=g.path, reporter_user_id=None, caller_name=caller,
            caller_phone=phone, caller_phone_bidx=bidx, created_by=None, department_id=None, dispatch_count=0,
            designated=False, self_handled=False, rework_count=0, send_back_count=0, extension_count=0,
            reopen_count=0, escalation_count=0, master_id=None, reject_reason=None,
            limit_value=limit[0] if limit else None, limit_unit=limit[1] if limit else None,
            clock_started_at=None, yellow_at=None, deadline_at=None, remaining_seconds=None, warn_level="none",
            received_at=at, registered_at=None, dispatched_at=None, acknowledged_at=None, handled_at=None,
            closed_at=None, suspended_at=None, updated_at=at, satisfaction=None, satisfaction_comment=None,
            rated_at=None)
        forced = self.open_share is not None and rng.random() < self.open_share
        stop = None
        if forced:
            stop = CaseStatus(rng.choices(["received", "registered", "dispatched", "in_progress", "handled"],
                                          [10, 10, 20, 45, 15])[0])
        plan = self._plan(leaf, channel, case, gid, at, forced)
        life = Life(world.cal, self.ids, case, self.now, stop, self.settings.warning_ratio)
        life.events.append(dict(id=0, case_id=case_id, at=at, actor_id=None,
                                actor_name={"hotline": "12345受理员", "grid": "网格员", "resident": "居民",
                                            "open311": "Open311"}.get(channel, "系统"),
                                action="intake", from_status=None, to_status="received", reason=None,
                                detail={"channel": channel}, attachment_ids=None))
        lead = world.route(leaf, g.path)
        dispatcher = "区治理中心" if level == "district" else "社区工作者"
        run(life, plan, rng, lead=lead, alternative=world.alternative(lead, g.path), center_name="区治理中心",
            dispatcher=dispatcher, close_criteria=leaf.close)
        life.events.sort(key=lambda e: e["at"])
        for e in life.events:
            e["id"] = self.ids.take("event")
        if not forced and plan.fate == "normal" and case["status"] not in ("merged", "rejected"):
            self.recent[(leaf.id, gid)] = (case_id, number, at, case["closed_at"], True)
        return life

    def _plan(self, leaf: Leaf, channel: str, case: dict[str, Any], gid: int, at: datetime, forced: bool) -> Plan:
        rng = self.rng
        plan = Plan()
        urgent = case["priority"] == "urgent"
        if not forced:
            r = rng.random()
            if channel == "grid" and not urgent and r < 0.4:
                plan.fate = "self_handle"
            elif channel in ("hotline", "resident") and r < 0.035:
                plan.fate = "reject"
            else:
                master = self.recent.get((leaf.id, gid))
                if master is not None and rng.random() < 0.6:
                    mid, number, received, closed, _ = master
                    if timedelta(0) < at - received < timedelta(days=7) and (closed is None or closed > at):
                        plan.fate, plan.master, plan.master_closed_at = "merge", (mid, number), closed
        lead_slowness = 1.0
        plan.send_back = rng.random() < 0.04
        plan.escalate = case["level"] == "community" and rng.random() < 0.03
        plan.co = rng.choice(self.world.functional) if rng.random() < 0.08 else None
        plan.extension = rng.random() < 0.03
        plan.suspend = rng.random() < 0.015
        plan.stuck = not forced and rng.random() < 0.012
        plan.rework = rng.random() < 0.06
        lead_slowness = self.world.slowness.get(self.world.route(leaf, case["area_path"]).id, 1.0)
        plan.pace = min(3.0, float(self.nrng.lognormal(np.log(0.34 * lead_slowness), 0.55)))
        plan.rate = channel in ("hotline", "resident", "open311") and rng.random() < 0.65
        plan.satisfaction = rng.choices(["satisfied", "basic", "unsatisfied"], [80, 14, 6])[0]
        if plan.pace > 1.0 and plan.satisfaction == "satisfied" and rng.random() < 0.3:
            plan.satisfaction = "unsatisfied"
        plan.reopen = rng.random() < 0.35
        if plan.co is not None and plan.co.id == self.world.route(leaf, case["area_path"]).id:
            plan.co = None
        return plan
