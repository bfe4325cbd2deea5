"""Scores per period from hand-made cases: the known answer, deductions with their cap, re-running replaces,
scope (a street official sees only its street's units), grid workers, the default schemes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.assessment.helpers import NOW, OCT, actor, put
from zhili.assessment import service
from zhili.assessment.defaults import DEFAULT_SCHEMES, seed_default_schemes
from zhili.assessment.models import AssessmentRun, AssessmentScore
from zhili.assessment.periods import parse_month
from zhili.assessment.schemas import DeductionIn, ItemIn, SchemeIn
from zhili.cases.models import SupervisionOrder
from zhili.db import transaction
from zhili.kit import clock
from zhili.kit.errors import NotFound

OCTOBER = parse_month("2026-10", NOW.date())


def ontime_scheme(**deductions: tuple[float, float]) -> SchemeIn:
    return SchemeIn(name="按期处置考核", unit_kind="department",
                    items=[ItemIn(indicator="ontime_rate", weight=100, target=1.0, floor=0.0)],
                    deductions=[DeductionIn(kind=k, points=p, cap=c) for k, (p, c) in deductions.items()])


def by_label(rows: list) -> dict:
    return {x.score.unit_label: x for x in rows}


def test_known_answer_ranks_and_deductions(db, world) -> None:  # type: ignore[no-untyped-def]
    with clock.frozen(NOW), transaction(db) as s:
        leader = actor(s, world, "leader")
        put(s, world, department="cg")
        put(s, world, department="cg")  # 城管: 2 of 2 on time -> 100
        put(s, world, department="zj")
        put(s, world, department="zj", on_time=False)  # 住建: 1 of 2 on time -> 50, one overdue case -> -10
        sc = service.create_scheme(s, leader, ontime_scheme(overdue_case=(10, 15)))
        run = service.compute(s, leader, sc.id, OCTOBER)
        assert run.unit_count == 7 and run.label == "2026-10"
        rows = by_label(service.ranking(s, leader, sc.id, OCTOBER).rows)
        cg, zj = rows["区综合行政执法局"].score, rows["区住房和城乡建设局"].score
        assert (cg.total, cg.rank) == (100.0, 1)
        assert (zj.base, zj.deduction, zj.total, zj.rank) == (50.0, 10.0, 40.0, 7)
        item = zj.breakdown["items"][0]
        assert (item["value"], item["target"], item["points"]) == (0.5, 1.0, 50.0)
        assert zj.breakdown["deductions"][0]["count"] == 1

        for _ in range(3):  # three more late ones: 1 of 5 on time -> 20; 4 overdue x 10 capped at 15 -> 5
            put(s, world, department="zj", on_time=False)
        service.compute(s, leader, sc.id, OCTOBER)
        zj = by_label(service.ranking(s, leader, sc.id, OCTOBER).rows)["区住房和城乡建设局"].score
        assert (zj.base, zj.deduction, zj.total) == (20.0, 15.0, 5.0)
        assert zj.breakdown["deductions"][0]["capped"] is True
        # re-running replaced the period's scores: one run, seven scores (公安 and 民政 have no cases: full marks)
        assert s.scalar(select(func.count()).select_from(AssessmentRun)) == 1
        assert s.scalar(select(func.count()).select_from(AssessmentScore)) == 7


def test_rank_change_against_previous_month_and_history(db, world) -> None:  # type: ignore[no-untyped-def]
    with clock.frozen(NOW), transaction(db) as s:
        leader = actor(s, world, "leader")
        put(s, world, department="zj", received_at=OCT - timedelta(days=30))  # September: 住建 on time
        put(s, world, department="cg", received_at=OCT - timedelta(days=30), on_time=False)
        put(s, world, department="cg")  # October: the other way round
        put(s, world, department="zj", on_time=False)
        sc = service.create_scheme(s, leader, ontime_scheme())
        service.compute(s, leader, sc.id, OCTOBER.previous())
        service.compute(s, leader, sc.id, OCTOBER)
        rows = by_label(service.ranking(s, leader, sc.id, OCTOBER).rows)
        cg, zj = rows["区综合行政执法局"], rows["区住房和城乡建设局"]
        assert (cg.previous_rank, cg.score.rank, cg.change) == (7, 1, 6)
        assert (zj.previous_rank, zj.score.rank, zj.change) == (1, 7, -6)
        label, history = service.history(s, leader, sc.id, world.departments["zj"].id)
        assert label == "区住房和城乡建设局"
        assert [(e.run.label, e.score.total) for e in history] == [("2026-09", 100.0), ("2026-10", 0.0)]


def test_street_official_sees_only_its_streets_units(db, world) -> None:  # type: ignore[no-untyped-def]
    with clock.frozen(NOW), transaction(db) as s:
        leader, street = actor(s, world, "leader"), actor(s, world, "street")
        put(s, world, department="cg")
        put(s, world, department="s2_center", place="c", on_time=False)
        sc = service.create_scheme(s, leader, ontime_scheme())
        service.compute(s, leader, sc.id, OCTOBER)
        assert [x.score.unit_label for x in service.ranking(s, street, sc.id, OCTOBER).rows] == ["首南街道社会治理中心"]
        with pytest.raises(NotFound):
            service.history(s, street, sc.id, world.departments["cg"].id)
        streets = service.create_scheme(s, leader, SchemeIn(name="镇街按期", unit_kind="street", items=[
            ItemIn(indicator="ontime_rate", weight=100, target=1.0, floor=0.0)]))
        service.compute(s, leader, streets.id, OCTOBER)
        all_rows = by_label(service.ranking(s, leader, streets.id, OCTOBER).rows)
        assert (all_rows["首南街道"].score.total, all_rows["下应街道"].score.total) == (100.0, 0.0)
        assert [x.score.unit_label for x in service.ranking(s, street, streets.id, OCTOBER).rows] == ["首南街道"]


def test_supervision_order_not_answered_in_time(db, world) -> None:  # type: ignore[no-untyped-def]
    with clock.frozen(NOW), transaction(db) as s:
        leader = actor(s, world, "leader")
        late = put(s, world, department="zj", on_time=False)
        quick = put(s, world, department="cg")
        s.add_all([SupervisionOrder(case_id=late.id, department_id=world.departments["zj"].id, kind="overdue",
                                    reason="超期", issued_at=OCT),  # never answered
                   SupervisionOrder(case_id=quick.id, department_id=world.departments["cg"].id, kind="manual",
                                    reason="督办", issued_at=OCT, answered_at=OCT + timedelta(hours=3),
                                    answer="已处理")])
        s.flush()
        sc = service.create_scheme(s, leader, SchemeIn(name="督办", unit_kind="department", items=[
            ItemIn(indicator="received", weight=100, target=0, method="threshold")], deductions=[
            DeductionIn(kind="supervision_unanswered", points=5, cap=20, limit_hours=24)]))
        service.compute(s, leader, sc.id, OCTOBER)
        rows = by_label(service.ranking(s, leader, sc.id, OCTOBER).rows)
        assert rows["区住房和城乡建设局"].score.deduction == 5.0
        assert rows["区综合行政执法局"].score.deduction == 0.0


def test_grid_workers_and_default_schemes(db, world) -> None:  # type: ignore[no-untyped-def]
    with clock.frozen(NOW), transaction(db) as s:
        leader = actor(s, world, "leader")
        assert [x.name for x in service.list_schemes(s, leader)] == [d["name"] for d in DEFAULT_SCHEMES]  # db upgrade
        assert seed_default_schemes(s) == 0
        put(s, world, department="cg")
        runs = service.compute_missing(s, leader, OCTOBER)
        assert len(runs) == len(DEFAULT_SCHEMES)
        worker = next(r for r in runs if r.scheme_snapshot["unit_kind"] == "grid_worker")
        labels = [x.score.unit_label for x in service.ranking(s, leader, worker.scheme_id, OCTOBER).rows]
        # 网格长/专职/兼职 of grid A and the 专职 of grid C; the guide, police and volunteer are not scored
        assert len(labels) == 4 and any(x.startswith("李芳（南裕社区第1网格·专职网格员") for x in labels)
        assert service.compute_missing(s, leader, OCTOBER) == []
