"""Cases JSON API: intake, lists and queues, detail with timeline, every transition, photos, extensions,
supervision orders and follow-up. Thin: each route builds the context and calls the service."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Header, Path, Query, Response, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from zhili.auth.actor import Actor
from zhili.auth.deps import CurrentActor
from zhili.cases import dedup, service
from zhili.cases.schemas import (
    ActionIn,
    AnswerIn,
    AttachmentRead,
    CallerRead,
    CaseDetail,
    CasePage,
    CaseSummary,
    DecisionIn,
    DuplicatesIn,
    DuplicatesOut,
    ExtensionIn,
    ExtensionRead,
    IntakeIn,
    LocationIn,
    OrderRead,
    RatingIn,
    RevealIn,
    SupervisionIn,
)
from zhili.cases.service import Ctx
from zhili.config import Settings
from zhili.kit.errors import ValidationFailed
from zhili.kit.pagination import MAX_ID
from zhili.web.deps import AppSettings, DbSession

router = APIRouter(prefix="/api/cases", tags=["cases"])

Number = Annotated[str, Path(max_length=24, pattern=r"^[A-Z]{1,4}\d{8}-\d{6}$", description="案件编号")]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Action = Literal["register", "reject", "dispatch", "acknowledge", "send_back", "reply", "verify_ok", "verify_fail",
                 "escalate", "merge", "suspend", "resume", "reopen", "self_handle"]


def _ctx(session: Any, actor: Actor, settings: Settings) -> Ctx:
    return Ctx(session, actor, settings)


# OpenAPI link: the number in the answer is where the case's detail is (clients and the stateful fuzzer follow it).
CASE_LINK = {"links": {"GetCase": {"operationId": "case_detail_api_cases__number__get",
                                   "parameters": {"number": "$response.body#/number"}}}}


@router.post("", response_model=CaseSummary, status_code=201,
             responses={200: {"description": "同一 Idempotency-Key 的重试：返回首次创建的案件", **CASE_LINK},
                        201: CASE_LINK})
def create_case(data: IntakeIn, actor: CurrentActor, session: DbSession, settings: AppSettings,
                idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)] = None,
                ) -> Any:
    """受理一件诉求。定位到微网格、网格、社区和街道；带 Idempotency-Key 的重试只产生一件案件。
    返回案件摘要；详情(含办理过程)见 Location 所指的 GET /api/cases/{number}。"""
    ctx = _ctx(session, actor, settings)
    case, created = service.intake(ctx, data, idempotency_key)
    body = service.summary_of(ctx, case).model_dump(mode="json")
    return JSONResponse(body, status_code=201 if created else 200,
                        headers={"Location": f"/api/cases/{case.number}"})


@router.get("", response_model=CasePage)
def list_cases(
    actor: CurrentActor, session: DbSession, settings: AppSettings,
    queue: Literal["received", "registered", "dispatched", "in_progress", "handled", "suspended", "closed",
                   "yellow", "red", "open"] | None = None,
    status: str | None = Query(default=None, max_length=20),
    warn: Literal["none", "yellow", "red"] | None = None,
    category: str | None = Query(default=None, max_length=20),
    area: str | None = Query(default=None, max_length=12, pattern=r"^\d{12}$"),
    channel: str | None = Query(default=None, max_length=20),
    q: str | None = Query(default=None, max_length=50),
    inbox: bool = Query(default=False, description="本部门待办(部门办理人)"),
    tasks: bool = Query(default=False, description="本网格待核查(网格员)"),
    mine: bool = Query(default=False, description="我上报的"),
    before: int | None = Query(default=None, ge=1, le=MAX_ID, description="游标：上一页的 next_before"),
    offset: int = Query(default=0, ge=0, le=10_000),
    limit: int = Query(default=50, ge=1, le=200),
) -> CasePage:
    return service.list_cases(_ctx(session, actor, settings), queue=queue, status=status, warn=warn,
                              category=category, area=area, channel=channel, q=q, inbox=inbox, tasks=tasks,
                              mine=mine, before=before, offset=offset, limit=limit)


@router.get("/stats")
def stats(actor: CurrentActor, session: DbSession) -> dict[str, dict[str, int]]:
    """Counts by status and by warning colour in the actor's jurisdiction (the workbench's queue badges)."""
    from zhili.cases import repository

    if not (actor.can("cases.read") or actor.can("cases.report")):
        actor.require("cases.read")
    return {"status": repository.status_counts(session, actor), "warn": repository.warn_counts(session, actor)}


@router.get("/map")
def open_cases_map(actor: CurrentActor, session: DbSession, settings: AppSettings,
                   area: str | None = Query(default=None, max_length=12, pattern=r"^\d{12}$")) -> dict[str, Any]:
    """GeoJSON points of open cases in the actor's jurisdiction (newest 2,000)."""
    actor.require("cases.read")
    page = service.list_cases(_ctx(session, actor, settings), queue="open", area=area, limit=200)
    items = list(page.items)
    before = page.next_before
    while before is not None and len(items) < 2000:
        more = service.list_cases(_ctx(session, actor, settings), queue="open", area=area, before=before,
                                  limit=200)
        items += more.items
        before = more.next_before
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
         "properties": {"number": c.number, "title": c.title, "status": c.status, "status_label": c.status_label,
                        "warn_level": c.warn_level, "category": c.category.name}} for c in items]}


@router.post("/photos", response_model=AttachmentRead, status_code=201)
async def upload_photo(actor: CurrentActor, session: DbSession, settings: AppSettings,
                       photo: UploadFile = File(...)) -> AttachmentRead:
    """Upload a photo before the report is submitted; pass its id in `attachment_ids`."""
    data = await _read_limited(photo, settings)
    a = service.add_photo(_ctx(session, actor, settings), None, data, photo.filename or "photo")
    return AttachmentRead(id=a.id, mime=a.mime, size=a.size, width=a.width, height=a.height, filename=a.filename,
                          url="", thumb_url="")


async def _read_limited(upload: UploadFile, settings: Settings) -> bytes:
    data = await upload.read(settings.max_photo_bytes + 1)
    if len(data) > settings.max_photo_bytes:
        raise ValidationFailed(f"照片“{upload.filename}”超过 {settings.max_photo_bytes // (1024 * 1024)} MB",
                               field="photo")
    return data


@router.post("/duplicates", response_model=DuplicatesOut)
def duplicates_for_new(data: DuplicatesIn, actor: CurrentActor, session: DbSession,
                       settings: AppSettings) -> DuplicatesOut:
    """疑似重复：受理时按位置、分类与描述查找辖区内可能重复的案件(未办结或 7 日内办结)，最多 5 件，按相似程度排序。
    radius_m 缺省 250 米，最大 1000 米。仅限受理人员(居民不能查看他人的诉求)。"""
    return dedup.for_new(session, actor, settings, data)


@router.get("/{number}", response_model=CaseDetail)
def case_detail(number: Number, actor: CurrentActor, session: DbSession, settings: AppSettings) -> CaseDetail:
    return service.detail(_ctx(session, actor, settings), number)


@router.get("/{number}/duplicates", response_model=DuplicatesOut)
def duplicates_for_case(number: Number, actor: CurrentActor, session: DbSession, settings: AppSettings,
                        radius_m: float | None = Query(default=None, allow_inf_nan=False,
                                                       description="查找半径(米)，缺省 250，最大 1000")
                        ) -> DuplicatesOut:
    """已受理案件的疑似重复案件(不含自身)，用于并案。"""
    return dedup.for_case(session, actor, settings, number, radius_m)


@router.post("/{number}/actions/{action}", response_model=CaseDetail,
             responses={409: {"description": "状态不允许或版本已过期；返回案件当前状态"}})
def take_action(number: Number, action: Action, data: ActionIn, actor: CurrentActor, session: DbSession,
                settings: AppSettings) -> CaseDetail:
    """流转：立案、派遣、签收、退回、处置反馈、核查、上报、并案、挂起、恢复、重新办理、就地处置。"""
    ctx = _ctx(session, actor, settings)
    case = service.act(ctx, number, action, data)
    return service.detail_of(ctx, case)


@router.post("/{number}/location", response_model=CaseDetail)
def correct_location(number: Number, data: LocationIn, actor: CurrentActor, session: DbSession,
                     settings: AppSettings) -> CaseDetail:
    ctx = _ctx(session, actor, settings)
    return service.detail_of(ctx, service.relocate(ctx, number, data))


@router.post("/{number}/photos", response_model=AttachmentRead, status_code=201)
async def add_photo(number: Number, actor: CurrentActor, session: DbSession, settings: AppSettings,
                    photo: UploadFile = File(...)) -> AttachmentRead:
    data = await _read_limited(photo, settings)
    ctx = _ctx(session, actor, settings)
    a = service.add_photo(ctx, number, data, photo.filename or "photo")
    base = f"/api/cases/{number}/attachments/{a.id}"
    return AttachmentRead(id=a.id, mime=a.mime, size=a.size, width=a.width, height=a.height, filename=a.filename,
                          url=base, thumb_url=f"{base}/thumb")


@router.get("/{number}/attachments/{attachment_id}", response_class=FileResponse)
def attachment(number: Number, attachment_id: Id, actor: CurrentActor, session: DbSession,
               settings: AppSettings) -> Response:
    from zhili.files import store

    a = service.photo_for(_ctx(session, actor, settings), number, attachment_id)
    ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}[a.mime]
    return FileResponse(store.photo_path(settings, a.sha256, ext), media_type=a.mime,
                        headers={"Cache-Control": "private, max-age=3600"})


@router.get("/{number}/attachments/{attachment_id}/thumb", response_class=FileResponse)
def attachment_thumb(number: Number, attachment_id: Id, actor: CurrentActor, session: DbSession,
                     settings: AppSettings) -> Response:
    from zhili.files import store

    a = service.photo_for(_ctx(session, actor, settings), number, attachment_id)
    return FileResponse(store.thumb_path(settings, a.sha256), media_type="image/jpeg",
                        headers={"Cache-Control": "private, max-age=3600"})


@router.post("/{number}/extensions", response_model=ExtensionRead, status_code=201)
def request_extension(number: Number, data: ExtensionIn, actor: CurrentActor, session: DbSession,
                      settings: AppSettings) -> ExtensionRead:
    ctx = _ctx(session, actor, settings)
    req = service.request_extension(ctx, number, data)
    return next(e for e in service.detail(ctx, number).extensions if e.id == req.id)


@router.post("/{number}/extensions/{request_id}/decision", response_model=ExtensionRead)
def decide_extension(number: Number, request_id: Id, data: DecisionIn, actor: CurrentActor, session: DbSession,
                     settings: AppSettings) -> ExtensionRead:
    ctx = _ctx(session, actor, settings)
    req = service.decide_extension(ctx, number, request_id, data.approve, data.note)
    return next(e for e in service.detail(ctx, number).extensions if e.id == req.id)


@router.post("/{number}/supervision", response_model=OrderRead, status_code=201)
def supervise(number: Number, data: SupervisionIn, actor: CurrentActor, session: DbSession,
              settings: AppSettings) -> OrderRead:
    ctx = _ctx(session, actor, settings)
    order = service.supervise(ctx, number, data.reason)
    return next(o for o in service.detail(ctx, number).orders if o.id == order.id)


@router.post("/{number}/supervision/{order_id}/answer", response_model=OrderRead)
def answer_supervision(number: Number, order_id: Id, data: AnswerIn, actor: CurrentActor, session: DbSession,
                       settings: AppSettings) -> OrderRead:
    ctx = _ctx(session, actor, settings)
    order = service.answer_order(ctx, number, order_id, data.answer)
    return next(o for o in service.detail(ctx, number).orders if o.id == order.id)


@router.post("/{number}/rating", response_model=CaseDetail)
def rate(number: Number, data: RatingIn, actor: CurrentActor, session: DbSession,
         settings: AppSettings) -> CaseDetail:
    """回访：满意 / 基本满意 / 不满意；不满意可要求重新办理(系统设置允许时)。"""
    ctx = _ctx(session, actor, settings)
    return service.detail_of(ctx, service.rate(ctx, number, data))


@router.post("/{number}/reveal", response_model=CallerRead)
def reveal_caller(number: Number, data: RevealIn, actor: CurrentActor, session: DbSession,
                  settings: AppSettings) -> CallerRead:
    """来电人姓名与电话(未脱敏)：仅限有查看权限的用户，须填写原因并记入审计。"""
    return CallerRead(**service.reveal_caller(_ctx(session, actor, settings), number, data.reason))
