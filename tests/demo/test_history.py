"""The demo history (`zhili demo --cases N`): valid closed-loop cases with the rhythm of a real year, on both
databases, deterministic from the seed, and live intake continuing the case numbers afterwards."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import reset
from tests.factories import World, build_world
from zhili.auth import audit
from zhili.auth.models import AuditLog
from zhili.cases import states
from zhili.cases.models import Case, CaseCounter, CaseEvent, CasePart, CaseStatus, SupervisionOrder
from zhili.config import Settings
from zhili.db import make_sessionmaker, transaction
from zhili.demo import rhythm, texts
from zhili.demo.history import generate_cases
from zhili.kit import clock
from zhili.kit.workdays import WorkCalendar
from zhili.org import service as org_service
from zhili.taxonomy import routing
from zhili.taxonomy.models import Category
from zhili.taxonomy.seed import catalog

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)  # a Friday, 14:00 in Ningbo
TZ = ZoneInfo("Asia/Shanghai")
N = 1500


@pytest.fixture(scope="module")
def history(engine: Engine, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One generated year on the small test world, shared by the read-only tests of this module."""
    reset(engine)
    factory = make_sessionmaker(engine)
    with transaction(factory, info={"audit_auto": False}) as session:
        build_world(session)
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False),
                        var_dir=tmp_path_factory.mktemp("history"), secret_key="5a" * 32, geo_refresh_seconds=0)
    with transaction(factory, info={"ip": "test"}) as session:
        made = generate_cases(session, settings, N, seed=7, now=NOW)
    return factory, settings, made


def _cases(factory: sessionmaker[Session]) -> list[Case]:
    with transaction(factory) as s:
        cases = list(s.scalars(select(Case).order_by(Case.id)))
        s.expunge_all()
    return cases


def test_cases_are_valid_closed_loop_cases(history) -> None:  # type: ignore[no-untyped-def]
    factory, _, made = history
    cases = _cases(factory)
    assert made == N == len(cases)
    numbers = [c.number for c in cases]
    assert len(set(numbers)) == N and all(re.fullmatch(r"YZ\d{8}-\d{6}", x) for x in numbers)
    with transaction(factory) as s:
        events: dict[int, list[CaseEvent]] = {}
        for e in s.scalars(select(CaseEvent).order_by(CaseEvent.id)):
            events.setdefault(e.case_id, []).append(e)
        limits = {c.id: c.limit_unit for c in s.scalars(select(Category))}
        table = routing.routing_table(s)
        for c in cases:
            # Replaying the timeline through the transition table ends in the case's status.
            status: CaseStatus | None = None
            for e in events[c.id]:
                if e.case_id != c.id or e.to_status is None:
                    continue
                if e.action == "intake":
                    assert status is None
                else:
                    assert e.from_status == status and states.allowed(e.action, status), (c.number, e.action)
                status = CaseStatus(e.to_status)
            assert status == c.status, c.number
            ats = [e.at for e in events[c.id] if e.to_status is not None]
            assert ats == sorted(ats)
            # Milestones in order; a number that says the day it was received (local time).
            chain = [c.received_at, c.registered_at, c.dispatched_at, c.acknowledged_at, c.handled_at, c.closed_at]
            present = [t for t in chain if t is not None]
            assert present == sorted(present), c.number
            assert c.received_at <= NOW and c.updated_at <= NOW
            assert c.number[2:10] == c.received_at.astimezone(TZ).strftime("%Y%m%d")
            if c.dispatched_at is not None and c.status != CaseStatus.registered:
                assert c.department_id is not None and c.clock_started_at is not None
                if table.limit(c.category_id, c.priority) is not None:
                    assert c.deadline_at is not None and c.yellow_at is not None
                    assert c.clock_started_at < c.yellow_at < c.deadline_at
            if c.status == CaseStatus.closed:
                assert c.closed_at is not None
            if c.status in (CaseStatus.received, CaseStatus.registered):
                assert c.department_id is None
            # The point lies in the case's grid, which belongs to the case's community.
            found = org_service.locate(s, c.lon, c.lat, 0)
            assert found is not None and found.grid_id == c.grid_id and found.community_path == c.area_path
            assert found.micro_grid_id == c.micro_grid_id
        assert all(limits[c.category_id] is not None or c.deadline_at is None for c in cases)


def test_the_lead_department_is_the_routed_one(history) -> None:  # type: ignore[no-untyped-def]
    factory, _, _ = history
    with transaction(factory) as s:
        rows = s.execute(select(Case.category_id, Case.area_path, CasePart.department_id)
                         .join(CasePart, CasePart.case_id == Case.id)
                         .where(CasePart.role == "lead", CasePart.dispatch_no == 1, Case.send_back_count == 0,
                                Case.status.in_(("closed", "in_progress", "handled")))).all()
        assert len(rows) > 500
        for category_id, path, dept in rows[:300]:
            routed = routing.route(s, category_id, path)
            assert routed is not None and routed.department_id == dept


def test_the_mix_looks_like_a_real_year(history) -> None:  # type: ignore[no-untyped-def]
    factory, _, _ = history
    cases = _cases(factory)
    status = Counter(c.status.value for c in cases)
    assert status["closed"] > 0.8 * N  # most are done ...
    open_ = sum(status[s] for s in ("received", "registered", "dispatched", "in_progress", "handled", "suspended"))
    assert 0.005 * N < open_ < 0.15 * N  # ... a realistic share is not
    assert status["rejected"] and status["merged"] is not None
    assert sum(1 for c in cases if c.warn_level.value == "red") > 0.03 * N  # some were late
    assert sum(c.rework_count for c in cases) and sum(c.send_back_count for c in cases)
    assert sum(1 for c in cases if c.self_handled) and sum(1 for c in cases if c.satisfaction)
    assert len({c.category_id for c in cases}) > 80
    channels = Counter(c.channel.value for c in cases)
    assert channels.most_common(1)[0][0] == "hotline" and channels["grid"] > 0.1 * N
    with transaction(factory) as s:
        assert s.scalar(select(func.count()).select_from(SupervisionOrder)) > 0
    # Weekends and holidays are quieter than working days.
    with transaction(factory) as s:
        from zhili.workcal import service as workcal

        cal = workcal.calendar_for(s, Settings(database_url="sqlite://", secret_key="5a" * 32))
    days = Counter(c.received_at.astimezone(TZ).date() for c in cases)
    start, end = min(days), NOW.astimezone(TZ).date()
    span = [start + timedelta(days=i) for i in range((end - start).days)]
    work = [days[d] for d in span if cal.is_workday(d)]
    off = [days[d] for d in span if not cal.is_workday(d)]
    assert sum(off) / len(off) < 0.8 * sum(work) / len(work)
    # Summer nights are noisy: noise complaints are a larger share of summer than of winter cases.
    with transaction(factory) as s:
        codes = dict(s.execute(select(Category.id, Category.code)).tuples().all())

    def noise_share(months: set[int]) -> float:
        chosen = [c for c in cases if c.received_at.astimezone(TZ).month in months]
        return sum(1 for c in chosen if codes[c.category_id] in rhythm.NOISE) / len(chosen)

    # (The weights give summer about twice winter's weight; with 1,500 cases the measured ratio varies around 1.5.)
    assert noise_share({6, 7, 8}) > 1.3 * noise_share({12, 1, 2})


def test_callers_are_encrypted_and_one_audit_entry_sums_up(history) -> None:  # type: ignore[no-untyped-def]
    factory, _, _ = history
    with transaction(factory) as s:
        raw = s.execute(text("SELECT caller_phone FROM cases WHERE caller_phone IS NOT NULL")).scalars().all()
        assert len(raw) > 0.4 * N and all(v.startswith("sm4g2:k0:") for v in raw)
        phone = s.scalar(select(Case.caller_phone).where(Case.caller_phone.is_not(None)).limit(1))
        assert phone is not None and re.fullmatch(r"1\d{10}", phone)
        entries = s.scalars(select(AuditLog).where(AuditLog.action == "demo.history")).all()
        assert len(entries) == 1 and entries[0].detail["cases"] == N
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity_type == "cases",
                                                                          AuditLog.action != "demo.history")) == 0
        assert audit.verify(s).ok


def test_same_seed_same_history_and_live_intake_continues_the_numbers(
        db: sessionmaker[Session], world: World, settings: Settings) -> None:
    from tests.cases.helpers import actor_of, category_code
    from zhili.cases import service
    from zhili.cases.schemas import IntakeIn

    now = clock.now()

    def snapshot() -> list[tuple[str, str, str, int, str | None]]:
        with transaction(db) as s:
            return [(c.number, c.title, c.status.value, c.category_id, c.caller_phone)
                    for c in s.scalars(select(Case).order_by(Case.id))]

    with transaction(db) as s:
        assert generate_cases(s, settings, 200, seed=11, now=now, months=1) == 200
    first = snapshot()
    with transaction(db) as s:
        today = now.astimezone(TZ).strftime("%Y%m%d")
        used = s.scalar(select(CaseCounter.value).where(CaseCounter.day == today))
        cat = category_code(s)
        ctx = service.Ctx(s, actor_of(s, world, "operator"), settings)
        case, _ = service.intake(ctx, IntakeIn(title="路灯不亮", description="小区门口路灯不亮", category=cat,
                                                lon=121.505, lat=29.81, address="南裕社区"))
        # Live intake takes the next number of today's sequence and the next id.
        assert used is not None and case.number == f"YZ{today}-{used + 1:06d}"
        assert case.id == max(int(x) for x in s.scalars(select(Case.id)))
    # The same seed and moment give the same history on a fresh database.
    reset(db.kw["bind"])
    with transaction(db, info={"audit_auto": False}) as s:
        build_world(s)
    with transaction(db) as s:
        generate_cases(s, settings, 200, seed=11, now=now, months=1)
    assert snapshot() == first
    with transaction(db) as s:
        generate_cases(s, settings, 50, seed=12, now=now, months=1)
    third = snapshot()
    assert len({n for n, *_ in third}) == 250  # a second run continues the numbers


def test_forced_open_share(db: sessionmaker[Session], world: World, settings: Settings) -> None:
    with transaction(db) as s:
        generate_cases(s, settings, 120, seed=3, now=NOW, open_share=1.0)
    cases = _cases(db)
    assert len(cases) == 120
    assert {c.status.value for c in cases} <= {"received", "registered", "dispatched", "in_progress", "handled"}
    assert len({c.status for c in cases}) >= 4


def test_every_leaf_has_varied_texts() -> None:
    rng = random.Random(1)
    leaves = [c for c in catalog() if c.parent]
    assert {c.code for c in leaves} == set(texts.LEAVES)
    for leaf in leaves:
        made = set()
        for i in range(30):
            place = texts.place_for(rng, "南裕社区")
            t = texts.compose(leaf.code, rng, place, ("hotline", "grid", "resident")[i % 3])
            assert 0 < len(t.title) <= 100 and t.description and "{" not in t.title + t.description
            made.add(t.description)
        assert len(made) >= 20, leaf.code


def test_rhythm_weights() -> None:
    cal = WorkCalendar({}, [2026])
    plans = {p.day.weekday(): p for p in rhythm.day_plans(cal, datetime(2026, 3, 2).date(),
                                                         datetime(2026, 3, 8).date(), set())}
    assert plans[5].weight < 0.7 * plans[2].weight
    codes = sorted(texts.LEAVES)
    july = rhythm.category_weights(codes, 7, plans[2])
    jan = rhythm.category_weights(codes, 1, plans[2])
    noise = [i for i, c in enumerate(codes) if c in rhythm.NOISE]
    assert july[noise].sum() > 1.5 * jan[noise].sum()
    assert jan[codes.index("SJ0405")] > 0 and july[codes.index("SJ0405")] == 0
