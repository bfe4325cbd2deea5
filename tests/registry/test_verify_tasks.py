"""Verification task generation (registry/tasks.py rules, registry/verify.py service, the `registry.tasks` job).

The test world's entities were never verified on site, so every one of them is stale; person 4 (a minor) has no
phone, so it is also incomplete. Grid A holds person 1, person 4, house 1, vehicle 1 and place 1.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World
from tests.registry.helpers_verify import MINOR_A, P_A, P_B, add_conflict, open_task, run
from zhili import jobs
from zhili.config import Settings
from zhili.db import transaction
from zhili.kit import clock
from zhili.registry import tasks as rules
from zhili.registry import verify
from zhili.registry.models import Conflict, EntityKind, Person, TaskStatus, VerifyTask

pytestmark = pytest.mark.usefixtures("world")



def _tasks(db: sessionmaker[Session], status: TaskStatus = TaskStatus.open) -> list[VerifyTask]:
    with transaction(db) as s:
        return list(s.scalars(select(VerifyTask).where(VerifyTask.status == status).order_by(VerifyTask.id)))


def _entities(db: sessionmaker[Session]) -> int:
    from zhili.registry.repository import MODELS

    with transaction(db) as s:
        return sum(s.scalar(select(func.count()).select_from(m)) or 0 for m in MODELS.values())


# ---- pure rules -----------------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _facts(i: int, grid: int | None = 1, verified: datetime | None = None, **kw: tuple[str, ...]) -> rules.Facts:
    return rules.Facts(kind=EntityKind.person, entity_id=i, grid_id=grid, area_path="/x/", verified_at=verified,
                       **kw)  # type: ignore[arg-type]


def test_reasons_and_priority_without_a_database() -> None:
    before = rules.months_before(NOW, 6)
    assert before == datetime(2026, 5, 20, 2, 0, tzinfo=UTC)
    assert rules.months_before(datetime(2026, 8, 31, tzinfo=UTC), 6) == datetime(2026, 2, 28, tzinfo=UTC)
    fresh = NOW - timedelta(days=10)
    assert rules.candidate(_facts(1, verified=fresh), before) is None
    assert rules.reasons_of(_facts(1), before) == ("stale",)  # never verified
    both = rules.candidate(_facts(2, verified=fresh, conflicts=("phone",), missing=("phone", "address")), before)
    assert both is not None and both.reasons == ("conflict", "incomplete") and both.fields == ("phone", "address")
    picked = rules.pick([
        rules.candidate(_facts(10, verified=NOW - timedelta(days=400)), before),
        rules.candidate(_facts(11, verified=NOW - timedelta(days=900)), before),
        rules.candidate(_facts(12), before),  # never verified: the oldest
        rules.candidate(_facts(13, verified=fresh, missing=("phone",)), before),
        rules.candidate(_facts(14, verified=fresh, conflicts=("name",)), before),
        rules.candidate(_facts(15, grid=2, verified=fresh, invalid=("id_number",)), before),
    ], per_grid=3)  # type: ignore[list-item]
    assert [c.facts.entity_id for c in picked] == [14, 13, 12, 15]


# ---- generation -----------------------------------------------------------------------------------------------

def test_every_stale_entity_gets_one_task_with_its_reasons(db: sessionmaker[Session], settings: Settings,
                                                            world: World) -> None:
    made = run(db, settings)
    open_ = _tasks(db)
    assert made.created == len(open_) == _entities(db)
    minor = open_task(db, EntityKind.person, MINOR_A)
    # (the world's ID numbers may fail their checksum: "invalid" is not asserted here)
    assert minor is not None and minor.reasons[0] == "incomplete" and minor.reasons[-1] == "stale"
    assert minor.fields[0] == "phone"
    assert minor.grid_id == world.grids["a"].id and minor.area_path == world.areas["c1"].path
    adult = open_task(db, EntityKind.person, P_A)
    assert adult is not None and adult.reasons[-1] == "stale" and "incomplete" not in adult.reasons
    again = run(db, settings)  # idempotent: one open task per entity
    assert again.created == 0 and len(_tasks(db)) == len(open_)


def test_conflicts_first_then_incomplete_then_the_oldest_within_the_cap(db: sessionmaker[Session],
                                                                          settings: Settings, world: World) -> None:
    add_conflict(db, EntityKind.person, P_A, "phone", [{"source": "公安", "value": "13811112222", "at": "2026-01-01"},
                                                       {"source": "民政", "value": "13800001111", "at": "2026-02-01"}])
    made = run(db, settings, registry_tasks_per_grid=2)
    in_a = [t for t in _tasks(db) if t.grid_id == world.grids["a"].id]
    assert [(t.kind, t.entity_id) for t in in_a] == [(EntityKind.person, P_A), (EntityKind.person, MINOR_A)]
    assert in_a[0].reasons[0] == "conflict" and in_a[0].fields[0] == "phone"
    per_grid = {}
    for t in _tasks(db):
        per_grid[t.grid_id] = per_grid.get(t.grid_id, 0) + 1
    assert max(per_grid.values()) == 2 and made.created == sum(per_grid.values())
    nxt = run(db, settings, registry_tasks_per_grid=2)  # the next run takes the next two of grid A
    assert nxt.created > 0
    assert len([t for t in _tasks(db) if t.grid_id == world.grids["a"].id]) == 4


def test_due_date_counts_working_days(db: sessionmaker[Session], settings: Settings) -> None:
    friday = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Ningbo, a Friday
    with clock.frozen(friday):
        run(db, settings, registry_task_due_work_days=3)
    task = open_task(db, EntityKind.person, P_A)
    assert task is not None and task.due_on == date(2026, 11, 25)  # Mon, Tue, Wed (10:00)


def test_a_task_whose_reason_went_away_is_cancelled(db: sessionmaker[Session], settings: Settings) -> None:
    cid = add_conflict(db, EntityKind.person, P_B, "name", [{"source": "公安", "value": "李四光", "at": None},
                                                           {"source": "民政", "value": "李四", "at": None}])
    with transaction(db) as s:
        s.get(Person, P_B).verified_at = clock.now()
    run(db, settings)
    task = open_task(db, EntityKind.person, P_B)
    assert task is not None and task.reasons == ["conflict"]
    with transaction(db) as s:  # resolved by the owning department's value, not on site
        s.get(Conflict, cid).open = False
        s.get(Person, MINOR_A).status = "moved_out"
    result = run(db, settings)
    assert open_task(db, EntityKind.person, P_B) is None
    assert open_task(db, EntityKind.person, MINOR_A) is None
    cancelled = {(t.entity_id, t.note) for t in _tasks(db, TaskStatus.cancelled)}
    assert (P_B, "核查原因已消除，任务自动取消") in cancelled and (MINOR_A, "对象已不在册，任务自动取消") in cancelled
    assert result.cancelled == 2


def test_the_daily_job_makes_the_tasks(db: sessionmaker[Session], engine, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    assert "registry.tasks" in jobs.run_due(engine, settings, "w1")
    assert len(_tasks(db)) == _entities(db)
    assert "registry.tasks" not in jobs.run_due(engine, settings, "w1")  # daily


def test_two_runs_at_once_make_no_duplicates(db: sessionmaker[Session], engine, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite serialises them)")
    barrier = threading.Barrier(2)
    results: list[verify.Generated] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with transaction(db) as s:
                barrier.wait()
                results.append(verify.generate(s, settings.model_copy(update={"registry_tasks_per_grid": 3})))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    open_ = _tasks(db)
    assert len({(t.kind, t.entity_id) for t in open_}) == len(open_)  # one open task per entity
    assert sum(r.created for r in results) == len(open_)
    assert sum(r.skipped for r in results) == len(open_)  # the slower run found every one taken
    per_grid: dict[int | None, int] = {}
    for t in open_:
        per_grid[t.grid_id] = per_grid.get(t.grid_id, 0) + 1
    assert max(per_grid.values()) <= 3
