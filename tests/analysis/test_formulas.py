"""Each indicator on hand-made cases with a known answer, on both databases, on both paths (rollup and the
reference computed straight from cases)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.analysis.helpers import DAY, actor, put, q
from zhili.analysis import reference, service
from zhili.cases.models import CaseStatus, Channel, Satisfaction
from zhili.db import transaction
from zhili.kit.errors import Forbidden, NotFound, ValidationFailed

H = timedelta(hours=1)
PATHS = [service.indicators, reference.reference_indicators]


@pytest.mark.parametrize("compute", PATHS, ids=["rollup", "reference"])
def test_closure_rates_known_answers(db, world, compute) -> None:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        # 3 of 4 closed on time; one without deadline does not count for on-time.
        put(s, world, closed_after=2 * H, deadline_after=4 * H, satisfaction=Satisfaction.satisfied)
        put(s, world, closed_after=3 * H, deadline_after=4 * H, satisfaction=Satisfaction.basic, rework_count=1)
        put(s, world, closed_after=4 * H, deadline_after=4 * H, satisfaction=Satisfaction.unsatisfied)
        put(s, world, closed_after=9 * H, deadline_after=4 * H, extension_count=2)
        put(s, world, closed_after=1 * H)  # no deadline
    with transaction(db) as s:
        t = compute(s, actor(s, world, "operator"), q())
    v = t.total.values
    assert v["closed"] == 5
    assert v["ontime_rate"] == pytest.approx(0.75)
    assert v["overdue_closed"] == 1
    assert v["rework_rate"] == pytest.approx(0.2)
    assert v["extension_rate"] == pytest.approx(0.2)
    assert v["satisfaction_rate"] == pytest.approx(2 / 3)
    assert v["avg_wall_hours"] == pytest.approx((2 + 3 + 4 + 9 + 1) / 5)
    assert v["median_wall_hours"] == pytest.approx(3)
    # Tuesday 10:00 + 2 h ends 12:00: all working time (08:30-12:00); + 3 h ends 13:00 (lunch): 2 h of work.
    assert v["median_work_hours"] == pytest.approx(2)


@pytest.mark.parametrize("compute", PATHS, ids=["rollup", "reference"])
def test_intake_rates_known_answers(db, world, compute) -> None:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        put(s, world, status=CaseStatus.registered, registered_at=DAY, dispatch_count=1, send_back_count=2)
        put(s, world, status=CaseStatus.dispatched, registered_at=DAY, dispatch_count=2, repeat_complaint=True)
        put(s, world, status=CaseStatus.rejected)
        put(s, world, status=CaseStatus.received)
        put(s, world, channel=Channel.grid, self_handled=True, closed_after=H)
        put(s, world, channel=Channel.grid, status=CaseStatus.received)
        master = put(s, world, status=CaseStatus.registered, registered_at=DAY)
        put(s, world, status=CaseStatus.merged, master_id=master.id)  # never counts
    with transaction(db) as s:
        v = compute(s, actor(s, world, "operator"), q()).total.values
    assert v["received"] == 7
    assert v["registered"] == 4  # 2 + self-handled + master
    assert v["register_rate"] == pytest.approx(4 / 5)
    assert v["dispatch_accuracy"] == pytest.approx(0.5)
    assert v["close_rate"] == pytest.approx(1 / 6)
    assert v["repeat_rate"] == pytest.approx(1 / 7)
    assert v["self_handled_rate"] == pytest.approx(0.5)
    assert v["ontime_rate"] is None  # nothing with a deadline closed


@pytest.mark.parametrize("compute", PATHS, ids=["rollup", "reference"])
def test_days_are_beijing_days_and_intake_vs_closure(db, world, compute) -> None:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        # Received 2026-10-31 23:30 Beijing (15:30 UTC), closed 2026-11-01 01:00 Beijing.
        late = DAY.replace(month=10, day=31, hour=15, minute=30)
        put(s, world, received_at=late, closed_after=timedelta(minutes=90), deadline_after=2 * H)
    with transaction(db) as s:
        a = actor(s, world, "operator")
        oct_ = compute(s, a, q("2026-10-01", "2026-10-31")).total.values
        nov = compute(s, a, q("2026-11-01", "2026-11-01", by="day")).rows[0]
    assert (oct_["received"], oct_["closed"]) == (1, 0)
    assert nov.key == "2026-11-01" and (nov.values["received"], nov.values["closed"]) == (0, 1)
    assert nov.values["ontime_rate"] == 1.0


@pytest.mark.parametrize("compute", PATHS, ids=["rollup", "reference"])
def test_scope_street_department_grid(db, world, compute) -> None:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        put(s, world, "a", department="cg")
        put(s, world, "b", department="zj")
        put(s, world, "c", department="cg")
    with transaction(db) as s:
        def received(persona: str, **kw: object) -> float | None:
            return compute(s, actor(s, world, persona), q(**kw)).total.values["received"]

        assert received("operator") == 3
        assert received("street") == 2
        assert received("street2") == 1
        assert received("cg") == 2
        assert received("zj") == 1
        assert received("community") == 2
        with pytest.raises(Forbidden):
            received("resident")
        assert received("operator", area_id=world.areas["s2"].id) == 1
        assert received("operator", department_id=world.departments["zj"].id) == 1
        by_street = compute(s, actor(s, world, "operator"), q(by="street"))
        assert {r.label: r.values["received"] for r in by_street.rows} == {"首南街道": 2, "下应街道": 1}
        with pytest.raises(NotFound):
            compute(s, actor(s, world, "street"), q(area_id=world.areas["s2"].id))


def test_bad_periods_and_dimensions(db, world) -> None:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        a = actor(s, world, "operator")
        with pytest.raises(ValidationFailed) as e:
            service.indicators(s, a, q("2026-11-30", "2026-11-01"))
        assert e.value.field == "end"
        with pytest.raises(ValidationFailed):
            service.indicators(s, a, q("2020-01-01", "2026-11-01"))
        with pytest.raises(ValidationFailed) as e:
            service.indicators(s, a, q(by="planet"))
        assert e.value.field == "by"


def test_daily_counts(db, world) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    with transaction(db) as s:
        put(s, world, "a")
        put(s, world, "c", received_at=DAY + timedelta(days=1))
    with transaction(db) as s:
        out = service.daily_counts(s, actor(s, world, "operator"), date(2026, 11, 9), date(2026, 11, 12),
                                   by="street")
    s1, s2 = world.areas["s1"].id, world.areas["s2"].id
    assert out[s1][0] == "首南街道"
    assert out[s1][1] == {date(2026, 11, 9): 0, date(2026, 11, 10): 1, date(2026, 11, 11): 0, date(2026, 11, 12): 0}
    assert out[s2][1][date(2026, 11, 11)] == 1
