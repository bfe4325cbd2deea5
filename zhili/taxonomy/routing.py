"""(category, location) -> responsible department, by the responsibility list (权责清单).

Candidates are the rules whose category is the case's category or one of its ancestors and whose area is the
location or one of its ancestors. The most specific category wins, then the deepest area. A territory rule
without a department resolves to the social governance center of the street where the case is, or, when that
street has none, the district's center.

Each process keeps the whole rule table in memory per database, rebuilt when `taxonomy_state.version` moves (every
category or rule change bumps it; the version is read at most once a second), so one routing costs one indexed
read: the department (by id, or the centers on the case's path).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.orm import Session

from zhili.taxonomy import repository
from zhili.taxonomy.models import RULE_BASIS_LABEL, Category, LimitUnit, Priority, RuleBasis


@dataclass(frozen=True)
class RouteResult:
    department_id: int
    department_name: str
    basis: RuleBasis
    rule_id: int
    explanation: str


@dataclass(frozen=True)
class Rule:
    id: int
    category_id: int
    area_path: str
    area_name: str
    basis: RuleBasis
    department_id: int | None
    note: str


Limit = tuple[LimitUnit | None, float | None, float | None]


@dataclass
class RoutingTable:
    version: int
    names: dict[int, str] = field(default_factory=dict)  # id -> "市容环境/暴露垃圾"
    chains: dict[int, tuple[int, ...]] = field(default_factory=dict)  # id -> (id, parent, grandparent, ...)
    limits: dict[int, Limit] = field(default_factory=dict)
    rules: dict[int, list[Rule]] = field(default_factory=dict)  # category id -> rules, deepest area first

    def match(self, category_id: int, area_path: str) -> Rule | None:
        """The winning rule: the most specific category first, then the deepest area containing the place."""
        for cid in self.chains.get(category_id, ()):
            for rule in self.rules.get(cid, ()):
                if area_path.startswith(rule.area_path):
                    return rule
        return None

    def limit(self, category_id: int, priority: Priority | str) -> tuple[float, LimitUnit] | None:
        for cid in self.chains.get(category_id, ()):
            found = pick_limit(self.limits.get(cid, (None, None, None)), priority)
            if found is not None:
                return found
        return None

    def explain(self, rule: Rule, category_id: int, department_name: str, *, fallback: bool) -> str:
        text = (f"权责清单：{self.names.get(category_id, '')} · {rule.area_name} → "
                f"{RULE_BASIS_LABEL[rule.basis]}：{department_name}")
        if rule.category_id != category_id:
            text += f"（沿用“{self.names.get(rule.category_id, '')}”的规则）"
        if fallback:
            text += "（所在镇街未设社会治理中心，由上级治理中心承办）"
        if rule.note:
            text += f"；备注：{rule.note}"
        return text


def pick_limit(limit: Limit, priority: Priority | str) -> tuple[float, LimitUnit] | None:
    unit, normal, urgent = limit
    if unit is None or normal is None:
        return None
    if str(priority) == Priority.urgent.value and urgent is not None:
        return urgent, unit
    return normal, unit


def build_table(session: Session) -> RoutingTable:
    table = RoutingTable(version=repository.version(session))
    cats = repository.all_categories(session)
    by_code = {c.code: c for c in cats}
    for c in cats:
        codes = [x for x in c.path.strip("/").split("/") if x]
        chain = [by_code[x] for x in codes if x in by_code]
        table.names[c.id] = "/".join(x.name for x in chain)
        table.chains[c.id] = tuple(x.id for x in reversed(chain))
        table.limits[c.id] = (c.limit_unit, c.limit_normal, c.limit_urgent)
    for rid, cid, path, area_name, basis, dept, note in repository.routing_rows(session):
        table.rules.setdefault(cid, []).append(Rule(rid, cid, path, area_name, RuleBasis(basis), dept, note or ""))
    for rules in table.rules.values():
        rules.sort(key=lambda r: (-len(r.area_path), r.id))
    return table


REFRESH_SECONDS = 1.0  # how stale another process's change may be seen here; this process's own are at once


@dataclass
class _Held:
    table: RoutingTable
    checked_at: float


_tables: dict[str, _Held] = {}
_lock = threading.Lock()


def routing_table(session: Session) -> RoutingTable:
    """See `_routing_table`; reads without flushing the caller's pending writes (no row-lock wait while this
    thread may hold the table lock)."""
    with session.no_autoflush:
        return _routing_table(session)


def _routing_table(session: Session) -> RoutingTable:
    """This process's table for the session's database. The stored version is compared at most once every
    `REFRESH_SECONDS`; a commit in this process that changed the taxonomy drops the table at once. A unit of work
    that changed the taxonomy and has not committed gets a private table: its changes may still roll back."""
    if session.info.get(repository.BUMPED):
        return build_table(session)
    key = str(session.get_bind().engine.url)
    held = _tables.get(key)
    now = time.monotonic()
    if held is not None and now - held.checked_at < REFRESH_SECONDS:
        return held.table
    current = repository.version(session)
    if held is not None and held.table.version == current:
        held.checked_at = now
        return held.table
    with _lock:
        held = _tables.get(key)
        if held is None or held.table.version != current:
            held = _Held(build_table(session), now)
            _tables[key] = held
    return held.table


def forget() -> None:
    """Drop every cached table."""
    with _lock:
        _tables.clear()


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(repository.BUMPED, False):
        forget()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(repository.BUMPED, None)


def center_paths(area_path: str) -> list[str]:
    """The street's path, the district's, the city's: where a territory case's center may sit, nearest first."""
    codes = [c for c in area_path.strip("/").split("/") if c]
    return ["/" + "/".join(codes[:n]) + "/" for n in range(min(3, len(codes)), 0, -1)]


def resolve(table: RoutingTable, category_id: int, area_path: str,
            department: Callable[[int], tuple[int, str] | None],
            centers: Callable[[list[str]], dict[str, tuple[int, str]]]) -> RouteResult | None:
    """The decision, given lookups for a department by id and for centers by area path."""
    rule = table.match(category_id, area_path)
    if rule is None:
        return None
    fallback = False
    if rule.department_id is not None:
        found = department(rule.department_id)
    elif rule.basis == RuleBasis.territory:
        paths = center_paths(area_path)
        at = centers(paths)
        nearest = next((p for p in paths if p in at), None)
        found = at[nearest] if nearest else None
        fallback = nearest is not None and nearest != paths[0] and len(paths) == 3
    else:
        found = None  # an owner rule without its department: a gap the report lists
    if found is None:
        return None
    return RouteResult(department_id=found[0], department_name=found[1], basis=rule.basis, rule_id=rule.id,
                       explanation=table.explain(rule, category_id, found[1], fallback=fallback))


def route(session: Session, category_id: int, area_path: str) -> RouteResult | None:
    """The responsible department for a case of `category_id` at `area_path` (the community's path), or None
    when the responsibility list has no applicable rule or the rule's department cannot be found."""
    table = routing_table(session)

    def centers(paths: list[str]) -> dict[str, tuple[int, str]]:
        return {path: (did, name) for did, name, path in repository.centers_at(session, paths)}

    return resolve(table, category_id, area_path, lambda did: repository.department_ref(session, did), centers)


def limit_for(session: Session, category: Category, priority: Priority | str) -> tuple[float, LimitUnit] | None:
    """(value, unit) of the handling time limit: urgent uses limit_urgent (else limit_normal); a category without
    a limit inherits its nearest ancestor's."""
    own = pick_limit((category.limit_unit, category.limit_normal, category.limit_urgent), priority)
    if own is not None:
        return own
    return routing_table(session).limit(category.id, priority)
