"""Periodic assessment work: once a month has ended, score it with every active scheme (once: a month that already
has a run is left alone, so a scheme edited later is recomputed only by hand)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from zhili.assessment import service
from zhili.assessment.periods import last_full_month
from zhili.auth.actor import system_actor
from zhili.config import Settings


def score_last_month(session: Session, settings: Settings) -> dict[str, object]:
    p = last_full_month(service.today())
    runs = service.compute_missing(session, system_actor(), p)
    return {"month": p.label, "computed": len(runs)}


def demo_scores(session: Session, months: int = 3) -> int:
    """`zhili demo`: score the last `months` full months with every active scheme, so rankings, rank changes and
    history pages have something to show. Returns the number of runs."""
    p = last_full_month(service.today())
    periods = [p]
    for _ in range(months - 1):
        periods.append(periods[-1].previous())
    return sum(len(service.compute_missing(session, system_actor(), x)) for x in reversed(periods))
