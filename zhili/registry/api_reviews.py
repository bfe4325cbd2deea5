"""Match review JSON routes (/api/registry/reviews): the open reviews in my scope, and a decision (registry.manage).
Thin: parse, call the service."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from zhili.auth.deps import CurrentActor
from zhili.registry import reviews
from zhili.registry.schemas_reviews import DecisionIn, ReviewPage, ReviewRead
from zhili.web.deps import DbSession

router = APIRouter(prefix="/api/registry/reviews", tags=["registry"])
ReviewId = Annotated[int, Path(ge=1, le=2_000_000_000)]


@router.get("", response_model=ReviewPage)
def review_list(actor: CurrentActor, session: DbSession,
                status: Literal["open", "linked", "separate"] = Query(default="open"),
                offset: int = Query(default=0, ge=0, le=100_000)) -> ReviewPage:
    """Uncertain matches whose candidate lies in my scope, the most likely first."""
    return reviews.list_reviews(session, actor, status, offset)


@router.post("/{review_id}", response_model=ReviewRead)
def review_decide(review_id: ReviewId, body: DecisionIn, actor: CurrentActor, session: DbSession) -> ReviewRead:
    """linked: the record joins the candidate (conflicts kept side by side); separate: it becomes a new entity."""
    return reviews.decide(session, actor, review_id, body.decision)
