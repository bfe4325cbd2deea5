"""The schemes a new deployment starts with (one per kind of unit); the center edits them on /gov/assessment/schemes.
Rates are fractions (0.9 = 90 %), hours are working hours, counts are cases."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhili.assessment import repository as repo
from zhili.assessment import scoring
from zhili.assessment.models import AssessmentScheme
from zhili.kit import clock


def _i(indicator: str, weight: float, target: float, floor: float, method: str = "linear") -> dict[str, Any]:
    return {"indicator": indicator, "weight": weight, "target": target, "floor": floor, "method": method}


def _d(kind: str, points: float, cap: float, limit_hours: float = 24.0) -> dict[str, Any]:
    return {"kind": kind, "points": points, "cap": cap, "limit_hours": limit_hours}


DEFAULT_SCHEMES: list[dict[str, Any]] = [
    {"name": "职能部门月度考核", "unit_kind": "department",
     "description": "按期处置、结案、满意度与派遣准确率；超期与督办未按时反馈扣分",
     "items": [_i("ontime_rate", 30, 0.95, 0.6), _i("close_rate", 20, 0.9, 0.5), _i("satisfaction_rate", 25, 0.9, 0.6),
               _i("dispatch_accuracy", 15, 0.95, 0.7), _i("rework_rate", 10, 0.05, 0.3)],
     "deductions": [_d("overdue_case", 1, 20), _d("supervision_unanswered", 2, 20, 24)]},
    {"name": "镇街月度考核", "unit_kind": "street", "description": "立案、按期、结案、满意度与小事不出网格",
     "items": [_i("register_rate", 15, 0.95, 0.6), _i("ontime_rate", 25, 0.95, 0.6), _i("close_rate", 20, 0.9, 0.5),
               _i("satisfaction_rate", 25, 0.9, 0.6), _i("self_handled_rate", 15, 0.4, 0.0)],
     "deductions": [_d("overdue_case", 0.5, 15), _d("repeat_complaint", 0.5, 10)]},
    {"name": "社区月度考核", "unit_kind": "community", "description": "结案、满意度与小事不出网格",
     "items": [_i("close_rate", 35, 0.9, 0.5), _i("satisfaction_rate", 35, 0.9, 0.6),
               _i("self_handled_rate", 30, 0.4, 0.0)],
     "deductions": [_d("overdue_case", 0.5, 10), _d("repeat_complaint", 1, 10)]},
    {"name": "网格月度考核", "unit_kind": "grid", "description": "小事不出网格、结案与满意度",
     "items": [_i("self_handled_rate", 40, 0.4, 0.0), _i("close_rate", 30, 0.9, 0.5),
               _i("satisfaction_rate", 30, 0.9, 0.6)],
     "deductions": [_d("repeat_complaint", 1, 10)]},
    {"name": "网格员月度考核", "unit_kind": "grid_worker",
     "description": "本人上报与核查工作量，加所在网格的小事不出网格率与结案率",
     "items": [_i("worker_reports", 30, 20, 0), _i("worker_verifications", 20, 10, 0),
               _i("self_handled_rate", 25, 0.4, 0.0), _i("close_rate", 25, 0.9, 0.5)],
     "deductions": [_d("repeat_complaint", 1, 10)]},
]


def seed_default_schemes(session: Session) -> int:
    """Add the default schemes to a deployment that has none (run by `zhili db upgrade`, so a scheme the center
    renamed or switched off is never brought back); returns how many were added."""
    if repo.schemes(session):
        return 0
    added = 0
    for spec in DEFAULT_SCHEMES:
        scoring.parse_scheme(spec["unit_kind"], spec["items"], spec["deductions"])  # the defaults obey the rules
        session.add(AssessmentScheme(name=spec["name"], unit_kind=spec["unit_kind"], description=spec["description"],
                                     items=spec["items"], deductions=spec["deductions"], active=True,
                                     updated_at=clock.now(), updated_by="system"))
        added += 1
    session.flush()
    return added
