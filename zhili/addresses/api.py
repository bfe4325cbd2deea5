"""Address JSON routes: resolve free text, read one standard address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from zhili.addresses import service
from zhili.addresses.schemas import AddressMatch, AddressRead
from zhili.auth.deps import CurrentActor
from zhili.kit.pagination import MAX_ID
from zhili.web.deps import AppSettings, DbSession

router = APIRouter(prefix="/api/addresses", tags=["addresses"])


@router.get("/resolve", response_model=AddressMatch)
def resolve(actor: CurrentActor, session: DbSession, settings: AppSettings,
            q: str = Query(min_length=1, max_length=service.MAX_TEXT, description="地址文本")) -> AddressMatch:
    """The standard address a free text names; `matched=false` (no point) asks the caller to pin the place."""
    return service.resolve_for(session, actor, q, settings.geo_refresh_seconds)


@router.get("/{address_id}", response_model=AddressRead)
def address(address_id: Annotated[int, Path(ge=1, le=MAX_ID)], actor: CurrentActor, session: DbSession,
            settings: AppSettings) -> AddressRead:
    return service.get_address(session, actor, address_id, settings.geo_refresh_seconds)
