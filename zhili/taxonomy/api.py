"""Taxonomy JSON routes: the category tree, the responsibility list, routing, the report, xlsx export/import."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Path, Query, Response, UploadFile

from zhili.auth.deps import CurrentActor
from zhili.kit.errors import ValidationFailed
from zhili.kit.pagination import MAX_ID
from zhili.taxonomy import report as report_module
from zhili.taxonomy import service, xlsx
from zhili.taxonomy.schemas import (
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
    ImportResult,
    ReportRead,
    RouteRead,
    RuleCreate,
    RuleRead,
    RuleUpdate,
)
from zhili.web.deps import DbSession

router = APIRouter(prefix="/api/taxonomy", tags=["taxonomy"])
RuleId = Annotated[int, Path(ge=1, le=MAX_ID)]
Code = Annotated[str, Path(max_length=20)]
MAX_UPLOAD = 20 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/categories", response_model=list[CategoryRead])
def categories(actor: CurrentActor, session: DbSession, active: bool | None = Query(default=None),
               kind: str | None = Query(default=None, max_length=20),
               runway: str | None = Query(default=None, max_length=20),
               q: str | None = Query(default=None, max_length=50)) -> list[CategoryRead]:
    """The tree as a flat list in display order (a parent before its children); `active=1` for active only."""
    return service.list_categories(session, actor, active=active, kind=kind, runway=runway, q=q)


@router.get("/categories/{code}", response_model=CategoryRead)
def category(code: Code, actor: CurrentActor, session: DbSession) -> CategoryRead:
    return service.get_category(session, actor, code)


@router.post("/categories", response_model=CategoryRead, status_code=201)
def create_category(body: CategoryCreate, actor: CurrentActor, session: DbSession) -> CategoryRead:
    return service.create_category(session, actor, body)


@router.put("/categories/{code}", response_model=CategoryRead)
def update_category(code: Code, body: CategoryUpdate, actor: CurrentActor, session: DbSession) -> CategoryRead:
    return service.update_category(session, actor, code, body)


@router.get("/rules", response_model=list[RuleRead])
def rules(actor: CurrentActor, session: DbSession, category: str | None = Query(default=None, max_length=20),
          area: str | None = Query(default=None, max_length=12)) -> list[RuleRead]:
    return service.list_rules(session, actor, category_code=category, area_code=area)


@router.post("/rules", response_model=RuleRead, status_code=201)
def create_rule(body: RuleCreate, actor: CurrentActor, session: DbSession) -> RuleRead:
    return service.create_rule(session, actor, body)


@router.put("/rules/{rule_id}", response_model=RuleRead)
def update_rule(rule_id: RuleId, body: RuleUpdate, actor: CurrentActor, session: DbSession) -> RuleRead:
    return service.update_rule(session, actor, rule_id, body)


@router.delete("/rules/{rule_id}", status_code=204)
def delete_rule(rule_id: RuleId, actor: CurrentActor, session: DbSession) -> Response:
    service.delete_rule(session, actor, rule_id)
    return Response(status_code=204)


@router.get("/route", response_model=RouteRead)
def route(actor: CurrentActor, session: DbSession, category: str = Query(max_length=20),
          area: str = Query(max_length=12, pattern=r"^\d{1,12}$")) -> RouteRead:
    """Where a case of `category` in `area` (a community, inside the caller's jurisdiction) would be sent."""
    return service.route_for(session, actor, category, area)


@router.get("/report", response_model=ReportRead)
def report(actor: CurrentActor, session: DbSession) -> ReportRead:
    return report_module.report(session, actor)


def xlsx_response(data: bytes) -> Response:
    name = quote("事项分类与权责清单.xlsx")
    return Response(data, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"taxonomy.xlsx\"; filename*=UTF-8''{name}"})


@router.get("/export", response_class=Response, responses={200: {"content": {XLSX: {}}}})
def export(actor: CurrentActor, session: DbSession) -> Response:
    data, _, _ = xlsx.export_workbook(session, actor)
    return xlsx_response(data)


def read_upload(file: UploadFile) -> bytes:
    raw = file.file.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise ValidationFailed("文件超过 20 MB", field="file")
    if not raw:
        raise ValidationFailed("文件为空", field="file")
    return raw


@router.post("/import", response_model=ImportResult)
def import_(actor: CurrentActor, session: DbSession, file: UploadFile = File(...)) -> ImportResult:
    """Upload the workbook (the export's layout). 422 listing every row error; nothing is changed then."""
    actor.require("taxonomy.manage")
    return xlsx.import_workbook(session, actor, read_upload(file))
