"""The rollup path equals the reference path (straight from cases) on a randomized history made through the real
case service (intake, register, dispatch, send back, handle, verify, rework, self-handling), after further
transitions, and after a bulk load written around the ORM and refreshed with refresh_after_bulk."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from tests.analysis.helpers import actor
from tests.cases.helpers import act, intake, make_case
from zhili.analysis import reference, rollup, service, slices
from zhili.analysis.models import Slice
from zhili.analysis.service import DIMENSIONS, IndicatorQuery
from zhili.cases.models import Case
from zhili.db import transaction
from zhili.kit import clock

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 Beijing
SPECS = ["a_received", "a_registered", "b_dispatched_zj", "c_in_progress_s2", "a_handled", "b_closed",
         "c_closed_s2", "a_closed_zj", "a_grid", "c_resident", "b_closed_s1"]
QUERIES = [IndicatorQuery(date(2026, 11, 1), date(2026, 11, 30), by=by) for by in (None, *DIMENSIONS)]


def _compare(db, world, personas=("operator", "street", "cg", "community")) -> None:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        for persona in personas:
            a = actor(s, world, persona)
            for q in QUERIES:
                fast = service.indicators(s, a, q)
                slow = reference.reference_indicators(s, a, q)
                assert fast.total.values == pytest.approx(slow.total.values, nan_ok=True), (persona, q.by)
                assert [(r.key, r.label) for r in fast.rows] == [(r.key, r.label) for r in slow.rows], (persona, q.by)
                for f, r in zip(fast.rows, slow.rows, strict=True):
                    assert f.values == pytest.approx(r.values), (persona, q.by, f.key)
            for by in ("street", "category", None):
                fast_d = service.daily_counts(s, a, date(2026, 11, 1), date(2026, 11, 30), by=by, measure="closed")
                slow_d = reference.reference_daily(s, a, IndicatorQuery(date(2026, 11, 1), date(2026, 11, 30), by=by),
                                                   "closed")
                assert fast_d == slow_d, (persona, by)


def test_randomized_history_through_the_service(db, world, settings) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(5)
    numbers: list[str] = []
    for i in range(14):
        at = START + timedelta(days=rng.randint(0, 12), hours=rng.choice([0, 3, 8, 14]), minutes=rng.randint(0, 59))
        with clock.frozen(at):
            numbers.append(make_case(db, world, rng.choice(SPECS), settings))
    with clock.frozen(START + timedelta(days=13)):
        numbers.append(intake(db, world, "a", "grid_a", settings=settings, self_handled=True,
                              self_handle_note="已现场劝离"))
    _compare(db, world)
    # Later transitions move figures between days; the hooks queue the cases, reads refresh first.
    with clock.frozen(START + timedelta(days=16)):
        n = make_case(db, world, "a_handled", settings)
        act(db, world, "grid_a", n, "verify_fail", settings, reason="未清理干净")
        m = make_case(db, world, "b_dispatched", settings)
        act(db, world, "cg", m, "send_back", settings, reason="不属于本部门职责")
    with clock.frozen(START + timedelta(days=17, hours=2)):
        act(db, world, "cg", n, "reply", settings, text="已再次清理")
        act(db, world, "grid_a", n, "verify_ok", settings, text="已清理")
    _compare(db, world)


def test_bulk_load_then_refresh_after_bulk(db, world, settings) -> None:  # type: ignore[no-untyped-def]
    with clock.frozen(START):
        for spec in ("a_closed", "c_closed_s2", "b_dispatched_zj"):
            make_case(db, world, spec, settings)
    with transaction(db) as s:
        cols = [c for c in Case.__table__.columns if c.name not in ("id", "number")]
        rows = []
        for k, c in enumerate(s.scalars(select(Case)).all()):
            for shift in range(1, 6):
                row = {col.name: getattr(c, col.key) for col in cols}
                for name in ("received_at", "registered_at", "dispatched_at", "closed_at", "deadline_at",
                             "handled_at", "acknowledged_at", "yellow_at", "clock_started_at", "updated_at"):
                    if row.get(name) is not None:
                        row[name] = row[name] + timedelta(days=shift, hours=k)
                row["number"] = f"B{k:03d}{shift:03d}"
                rows.append(row)
        s.execute(insert(Case.__table__), rows)  # around the ORM: no hooks, like the demo generator
    with transaction(db) as s:
        stale = service.indicators(s, actor(s, world, "operator"), QUERIES[0]).total.values["received"]
        assert stale == 3  # not yet refreshed: the bulk rows are invisible to the rollup
        written = rollup.refresh_after_bulk(s, date(2026, 11, 1), date(2026, 11, 30), settings)
        assert written == 18
    _compare(db, world, personas=("operator", "street2", "zj"))


def test_district_wide_queries_use_the_slices_and_match_the_reference(db, world, settings,  # type: ignore[no-untyped-def]
                                                                      monkeypatch) -> None:
    rng = random.Random(11)
    for _ in range(10):
        at = START + timedelta(days=rng.randint(0, 25), hours=rng.choice([0, 3, 8]), minutes=rng.randint(0, 59))
        with clock.frozen(at):
            make_case(db, world, rng.choice(SPECS), settings)
    calls: list[str | None] = []
    real = service.sliced.indicators
    monkeypatch.setattr(service.sliced, "indicators", lambda s, q, *a: calls.append(q.by) or real(s, q, *a))
    queries = [*QUERIES, IndicatorQuery(date(2026, 10, 20), date(2026, 12, 5), by="month"),  # months + edge days
               IndicatorQuery(date(2026, 11, 15), date(2026, 12, 14), by="street"),
               *[IndicatorQuery(date(2026, 11, d), date(2026, 11, 30), by=by)  # a month minus its first days
                 for d in (3, 6, 9) for by in (None, "grid", "category", "month")]]
    with transaction(db) as s:
        a = actor(s, world, "operator")
        for q in queries:
            fast, slow = service.indicators(s, a, q), reference.reference_indicators(s, a, q)
            assert fast.total.values == pytest.approx(slow.total.values), q
            assert [(r.key, r.values) for r in fast.rows] == [(r.key, pytest.approx(r.values)) for r in slow.rows]
        assert len(calls) == len(queries)  # the operator is district-wide: the fast path answered every query
        # Incremental refreshes keep one monthly row per key (the table does not grow with every refresh);
        # compacting (a rebuild of the month) changes no figure.
        def month_rows() -> tuple[int, int]:
            return (s.scalar(select(func.count()).select_from(Slice).where(Slice.grain == "m", Slice.dim == "grid")),
                    s.scalar(select(func.count(func.distinct(Slice.key))).where(Slice.grain == "m",
                                                                                  Slice.dim == "grid")))
        rows, keys = month_rows()
        assert rows == keys
        before = service.indicators(s, a, QUERIES[3])
        slices.compact_months(s, [date(2026, 11, 1)])
        assert month_rows() == (rows, keys)
        assert service.indicators(s, a, QUERIES[3]) == before
        calls.clear()
        service.indicators(s, actor(s, world, "street"), QUERIES[0])
        service.indicators(s, a, IndicatorQuery(date(2026, 11, 1), date(2026, 11, 30), channel="hotline"))
        assert calls == []  # scoped or filtered: the daily rollup answers


def test_readers_refresh_at_most_once_per_interval(db, world, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """At a city's scale a refresh costs up to a second: readers bring the figures up to date at most once per
    `analysis_refresh_seconds`; the job (rollup.refresh) catches the rest. 0 refreshes on every read."""
    q = IndicatorQuery(date(2026, 11, 1), date(2026, 11, 30))
    monkeypatch.setitem(rollup._last_refresh, "at", float("-inf"))  # as in a process that has not read yet
    with clock.frozen(START + timedelta(days=2)):
        make_case(db, world, SPECS[0], settings)
    lazy = settings.model_copy(update={"analysis_refresh_seconds": 3600})
    with transaction(db) as s:
        a = actor(s, world, "operator")
        first = service.indicators(s, a, q, lazy).total.values["received"]
    with clock.frozen(START + timedelta(days=3)):
        make_case(db, world, SPECS[0], settings)
    with transaction(db) as s:
        a = actor(s, world, "operator")
        assert service.indicators(s, a, q, lazy).total.values["received"] == first  # not due: the old figure
        assert rollup.refresh(s, settings) == 1  # the job's refresh
        assert service.indicators(s, a, q, lazy).total.values["received"] == first + 1
        eager = settings.model_copy(update={"analysis_refresh_seconds": 0})
    with clock.frozen(START + timedelta(days=4)):
        make_case(db, world, SPECS[0], settings)
    with transaction(db) as s:
        assert service.indicators(s, actor(s, world, "operator"), q, eager).total.values["received"] == first + 2
