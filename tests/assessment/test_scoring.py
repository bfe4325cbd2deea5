"""The pure rules: a scheme with a hand-computed answer, deductions and their cap, ranks, bad schemes, periods."""

from __future__ import annotations

from datetime import date

import pytest

from zhili.assessment import scoring
from zhili.assessment.periods import Period, last_full_month, parse_month
from zhili.kit.errors import ValidationFailed

ONTIME = [{"indicator": "ontime_rate", "weight": 100, "target": 1.0, "floor": 0.0}]


def test_known_answer_two_units() -> None:
    s = scoring.parse_scheme("department", ONTIME)
    a = scoring.score(s, {"ontime_rate": 1.0}, {})
    b = scoring.score(s, {"ontime_rate": 0.5}, {})
    assert (a.total, b.total) == (100.0, 50.0)
    assert scoring.competition_ranks({"A": a.total, "B": b.total}) == {"A": 1, "B": 2}


def test_linear_between_floor_and_target_both_directions() -> None:
    s = scoring.parse_scheme("street", [
        {"indicator": "close_rate", "weight": 60, "target": 0.9, "floor": 0.5},
        {"indicator": "avg_work_hours", "weight": 40, "target": 24, "floor": 72}])  # lower is better
    b = scoring.score(s, {"close_rate": 0.7, "avg_work_hours": 48}, {})
    assert [i.points for i in b.items] == [30.0, 20.0]
    assert scoring.score(s, {"close_rate": 0.4, "avg_work_hours": 100}, {}).total == 0.0
    assert scoring.score(s, {"close_rate": 0.95, "avg_work_hours": 10}, {}).total == 100.0


def test_threshold_and_no_data() -> None:
    s = scoring.parse_scheme("grid", [
        {"indicator": "satisfaction_rate", "weight": 50, "target": 0.9, "method": "threshold"},
        {"indicator": "self_handled_rate", "weight": 50, "target": 0.4, "floor": 0}])
    b = scoring.score(s, {"satisfaction_rate": 0.89, "self_handled_rate": None}, {})
    assert [i.points for i in b.items] == [0.0, 50.0]  # missed by a hair; no data = full marks


def test_deductions_applied_and_capped() -> None:
    s = scoring.parse_scheme("department", ONTIME, [{"kind": "overdue_case", "points": 2, "cap": 5},
                                                    {"kind": "supervision_unanswered", "points": 3, "cap": 10}])
    one = scoring.score(s, {"ontime_rate": 1.0}, {"overdue_case": 1, "supervision_unanswered": 1})
    assert (one.deduction, one.total) == (5.0, 95.0)
    many = scoring.score(s, {"ontime_rate": 1.0}, {"overdue_case": 10})
    assert many.deductions[0].points == 5.0 and many.deductions[0].capped and many.total == 95.0
    floor = scoring.score(scoring.parse_scheme("department", ONTIME, [{"kind": "rework", "points": 50, "cap": 100}]),
                          {"ontime_rate": 0.1}, {"rework": 3})
    assert floor.total == 0.0  # never below zero


def test_ties_share_a_rank() -> None:
    assert scoring.competition_ranks({"a": 90, "b": 95, "c": 90, "d": 80}) == {"b": 1, "a": 2, "c": 2, "d": 4}


@pytest.mark.parametrize(("kind", "items", "deductions", "message"), [
    ("department", [{"indicator": "ontime_rate", "weight": 90, "target": 0.9}], [], "各项权重之和应为 100，现为 90"),
    ("department", [{"indicator": "no_such", "weight": 100, "target": 0.9}], [], "未知的指标“no_such”"),
    ("department", [{"indicator": "ontime_rate", "weight": 100, "target": 1.5}], [], "目标值与底线应在 0 到 1 之间"),
    ("department", [{"indicator": "worker_reports", "weight": 100, "target": 10}], [], "未知的指标“worker_reports”"),
    ("department", [{"indicator": "ontime_rate", "weight": 100, "target": 0.5, "floor": 0.8}], [], "零分底线应低于目标值"),
    ("department", ONTIME, [{"kind": "overdue_case", "points": 1, "cap": 0}], "扣分上限应为 0 到 100 之间的数"),
    ("department", ONTIME, [{"kind": "parking", "points": 1, "cap": 5}], "未知的扣分类型“parking”"),
    ("province", ONTIME, [], "考核对象类型应为"),
    ("department", [], [], "至少需要一项指标"),
])
def test_bad_scheme_rejected_in_chinese(kind: str, items: list, deductions: list, message: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        scoring.parse_scheme(kind, items, deductions)
    assert message in exc.value.message


def test_grid_worker_measures_allowed_for_grid_workers() -> None:
    s = scoring.parse_scheme("grid_worker", [{"indicator": "worker_reports", "weight": 100, "target": 20}])
    assert scoring.score(s, {"worker_reports": 10}, {}).total == 50.0


def test_periods() -> None:
    today = date(2026, 11, 29)
    assert parse_month("2026-10", today) == Period(date(2026, 10, 1), date(2026, 10, 31))
    assert parse_month("2026-10", today).previous() == Period(date(2026, 9, 1), date(2026, 9, 30))
    assert parse_month("2026-01", today).previous().label == "2025-12"
    assert last_full_month(today).label == "2026-10"
    for bad, text in (("2026-13", "月份应在 1 到 12 之间"), ("2026-12", "尚未开始"), ("十月", "格式不对")):
        with pytest.raises(ValidationFailed) as exc:
            parse_month(bad, today)
        assert text in exc.value.message and exc.value.field == "month"


def test_making_a_pdf_leaves_photo_checks_strict() -> None:
    """WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES on import; a truncated photo upload must still be refused
    by a process that has made a monthly PDF."""
    from PIL import ImageFile

    from zhili.assessment.report_pdf import weasyprint_html

    assert weasyprint_html() is not None
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
