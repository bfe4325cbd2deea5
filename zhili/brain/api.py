"""Brain JSON routes: category suggestion for a text, the model versions, activating one, production acceptance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from zhili.auth.deps import CurrentActor
from zhili.brain import service
from zhili.brain.schemas import (
    AcceptancePage,
    AcceptanceRead,
    ActiveRead,
    ModelRead,
    SuggestIn,
    SuggestionRead,
    SuggestRead,
)
from zhili.web.deps import DbSession

router = APIRouter(prefix="/api/brain", tags=["brain"])
Version = Annotated[int, Path(ge=0, le=1_000_000)]


@router.post("/suggest-category", response_model=SuggestRead)
def suggest_category(body: SuggestIn, actor: CurrentActor, session: DbSession) -> SuggestRead:
    """The three most likely categories for a case's title and description, with a confidence in [0, 1]."""
    result = service.suggest_for(session, actor, body.title, body.description)
    return SuggestRead(model_version=result.model_version, method=result.method,
                       suggestions=[SuggestionRead(**s._asdict()) for s in result.suggestions])


@router.get("/models", response_model=list[ModelRead])
def models(actor: CurrentActor, session: DbSession) -> list[ModelRead]:
    return [ModelRead.model_validate(m) for m in service.list_models(session, actor)]


@router.post("/models/{version}/activate", response_model=ActiveRead)
def activate(version: Version, actor: CurrentActor, session: DbSession) -> ActiveRead:
    """Serve this version from now on (every process within seconds), e.g. to roll back; 0 switches the models
    off (names and keywords suggest)."""
    row = service.activate(session, actor, version)
    return ActiveRead(active_version=row.version if row else None, method=row.method if row else service.KEYWORDS)


@router.get("/acceptance", response_model=AcceptancePage)
def acceptance(actor: CurrentActor, session: DbSession,
               days: int = Query(default=30, ge=1, le=3660)) -> AcceptancePage:
    """How often the first suggestion was kept or changed, per model version, over the last `days`."""
    rows = service.acceptance(session, actor, days)
    return AcceptancePage(days=days, rows=[AcceptanceRead(model_version=r.model_version, total=r.total,
                                                          accepted=r.accepted, changed=r.changed,
                                                          in_top3=r.in_top3, accepted_rate=r.accepted_rate,
                                                          top3_rate=r.top3_rate) for r in rows])
