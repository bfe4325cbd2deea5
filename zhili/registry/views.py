"""Registry pages of the governance terminal: the list with its tabs (人口 / 房屋 / 车辆 / 场所), filters and exact
search; an entity's page; a standard address's page; the data-quality page. Thin: parse, call the service, render.
A bad filter shows the list again with the Chinese message (and the error's status); out of scope is 404."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from zhili.auth.deps import CurrentActor
from zhili.kit.errors import ZhiliError
from zhili.kit.pagination import MAX_ID
from zhili.registry import quality, service
from zhili.registry.api import Browse
from zhili.registry.fields import TAGS
from zhili.registry.models import KIND_LABEL, EntityKind, HouseUse, PersonStatus, PlaceKind, Residency
from zhili.registry.present import PLACE_KIND_LABEL, RESIDENCY_LABEL, STATUS_LABEL, USE_LABEL
from zhili.web.deps import AppSettings, DbSession
from zhili.web.templating import render

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
TABS = [(p, KIND_LABEL[k]) for p, k in service.PATH_KINDS.items()]
CHOICES = {
    "residency": [(r.value, RESIDENCY_LABEL[r.value]) for r in Residency],
    "status": [(s.value, STATUS_LABEL[s.value]) for s in PersonStatus],
    "use": [(u.value, USE_LABEL[u.value]) for u in HouseUse],
    "kind": [(k.value, PLACE_KIND_LABEL[k.value]) for k in PlaceKind],
    "tag": list(TAGS.items()),
}


def _fmt(settings: Any) -> Any:
    tz = ZoneInfo(settings.timezone)

    def fmt(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""

    return fmt


@router.get("/gov/registry")
def registry_list(request: Request, q: Browse, actor: CurrentActor, session: DbSession, settings: AppSettings,
                  tab: Annotated[str, Query(pattern="^(people|houses|vehicles|places)$")] = "people") -> HTMLResponse:
    kind = service.kind_of(tab)
    filters = q.model_dump(exclude={"before", "limit"}, exclude_none=True)
    error, status, page = None, 200, None
    try:
        page = service.list_entities(session, actor, settings, kind, q)
    except ZhiliError as exc:
        if exc.field is None:  # no registry.read: the error page
            raise
        session.rollback()
        error, status = exc.message, exc.status_code
    exact = bool(q.id_number or q.phone)  # a handful of rows; the number never goes into a link
    query = {"tab": tab, **{k: v for k, v in filters.items() if k not in ("id_number", "phone")}}
    next_url = (f"/gov/registry?{urlencode({**query, 'before': page.next_before})}"
                if page is not None and page.next_before and not exact else None)
    return render(request, "registry_list.html", {
        "tab": tab, "kind": kind.value, "tabs": TABS, "page": page, "filters": filters, "error": error,
        "choices": CHOICES, "next_url": next_url, "first_url": f"/gov/registry?{urlencode(query)}" if q.before else None,
    }, status_code=status)


def _entity_page(kind: EntityKind):  # type: ignore[no-untyped-def]
    def page(request: Request, entity_id: Id, actor: CurrentActor, session: DbSession,
             settings: AppSettings) -> HTMLResponse:
        d = service.entity_detail(session, actor, settings, kind, entity_id)
        return render(request, "registry_entity.html", {
            "d": d, "path_kind": service.KIND_PATH[kind], "fmt": _fmt(settings)})

    return page


for _path, _kind in service.PATH_KINDS.items():
    router.add_api_route(f"/gov/registry/{_path}/{{entity_id}}", _entity_page(_kind), methods=["GET"],
                         name=f"registry_{_path}_page")


@router.get("/gov/registry/addresses/{address_id}")
def address_page(request: Request, address_id: Id, actor: CurrentActor, session: DbSession,
                 settings: AppSettings) -> HTMLResponse:
    a = service.address_detail(session, actor, settings, address_id)
    return render(request, "registry_address.html", {"a": a, "fmt": _fmt(settings)})


@router.get("/gov/registry/quality")
def quality_page(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
                 area: Annotated[str | None, Query(max_length=12, pattern=r"^\d{12}$")] = None,
                 kind: Annotated[str | None, Query(pattern="^(person|house|vehicle|place)$")] = None,
                 days: Annotated[int, Query(ge=7, le=366)] = 30) -> HTMLResponse:
    p = quality.page(session, actor, settings, area=area, kind=kind, days=days)
    chart = {"days": [d.day.isoformat() for d in p.trend],
             "series": [{"name": label, "data": [getattr(d, key) for d in p.trend]}
                        for key, label in (("complete_rate", "完整率"), ("valid_rate", "有效率"),
                                           ("matched_rate", "匹配率"), ("fresh_rate", "鲜活度"))],
             "conflicts": [d.conflicts for d in p.trend]}
    return render(request, "registry_quality.html", {
        "p": p, "days": days, "kinds": [(k.value, KIND_LABEL[k]) for k in EntityKind],
        "chart_json": json.dumps(chart, ensure_ascii=False)})
