"""Case pages. Governance terminal: the center workbench, the 12345 intake form, the case detail with one form per
action the user may take now, the department inbox, supervision and extensions, and the grid worker's phone pages.
Service terminal: a resident's own cases, a report form, and the follow-up rating.

Thin: every route parses the form, calls the service and renders. A failed form rolls the request's work back
(keeping the failure's audit writes) and renders the page again with the Chinese message and what was typed;
success redirects (303) with `?ok=<what>`. Residents and staff see the same service, scoped by the repository.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from zhili.auth.actor import Actor
from zhili.auth.deps import CurrentActor
from zhili.cases import dedup, service, states
from zhili.cases import repository as repo
from zhili.cases.forms import ActForm, IntakeForm
from zhili.cases.models import CHANNEL_LABEL, SATISFACTION_LABEL, STATUS_LABEL, Case, Channel
from zhili.cases.schemas import ActionIn, CaseDetail, CasePage, EventRead
from zhili.cases.service import Ctx
from zhili.config import Settings
from zhili.kit.errors import Conflict, NotFound, ValidationFailed, ZhiliError
from zhili.kit.pagination import MAX_ID
from zhili.org import service as org_service
from zhili.taxonomy import lookup as taxonomy
from zhili.taxonomy.models import LIMIT_UNIT_LABEL
from zhili.web.deps import AppSettings, DbSession
from zhili.web.templating import render

router = APIRouter(include_in_schema=False)
Number = Annotated[str, Path(min_length=1, max_length=24)]
Photos = Annotated[list[UploadFile | str], File()]  # an empty file input may arrive as ""
MAX_PHOTOS = 9
PHOTO_ACTIONS = {"reply", "verify_ok", "verify_fail", "self_handle"}
OTHER_ACTIONS = {"relocate", "request_extension", "decide_extension", "supervise", "answer_order", "rate"}
ACTIONS = set(states.TABLE) | OTHER_ACTIONS
BACK = {"/gov/inbox", "/gov/supervision", "/gov/grid/tasks"}
QUEUES = [("received", "待立案"), ("registered", "待派遣"), ("dispatched", "待签收"), ("in_progress", "处置中"),
          ("handled", "待核查"), ("suspended", "挂起"), ("yellow", "黄色预警"), ("red", "红色超期"),
          ("closed", "已结案")]
OK_TEXT = {a: f"已{t.label}" for a, t in states.TABLE.items()} | {
    "accepted": "已受理", "registered": "已受理并立案", "dispatched": "已受理、立案并派遣",
    "dispatch_failed": "已受理并立案，但未能自动派遣：请在下方选择承办部门后派遣",
    "reported": "已上报", "self_handled": "已上报并就地处置结案", "relocate": "位置已更正",
    "request_extension": "延期申请已提交", "decide_extension": "已审批延期申请", "supervise": "已发出督办",
    "answer_order": "督办已反馈", "rate": "感谢您的评价",
}
# What a resident sees of the timeline: the steps of their demand, not the staff's internal traffic.
PUBLIC_EVENTS = {"intake", "register", "reject", "dispatch", "acknowledge", "reply", "verify_ok", "verify_fail",
                 "self_handle", "merge", "master_closed", "rate", "reopen", "suspend", "resume"}
PUBLIC_REASONS = {"reject", "reply", "verify_ok", "self_handle", "master_closed", "rate"}


# ---- small helpers ----------------------------------------------------------------------------------------------

def _ctx(session: Session, actor: Actor, settings: Settings) -> Ctx:
    return Ctx(session, actor, settings)


def _formatter(settings: Settings) -> Callable[[datetime | None], str]:
    tz = ZoneInfo(settings.timezone)

    def fmt(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""

    return fmt


def _common(settings: Settings) -> dict[str, Any]:
    return {"fmt": _formatter(settings), "status_label": {s.value: t for s, t in STATUS_LABEL.items()},
            "tile_url": settings.map_tile_url, "tile_attribution": settings.map_tile_attribution}


def _undo(session: Session, exc: ZhiliError) -> None:
    """Roll the failed form's work back, keeping what the failure itself must record (a denial's audit row)."""
    session.rollback()
    if exc.on_rollback is not None:
        exc.on_rollback(session)


def _photos(ctx: Ctx, number: str | None, uploads: list[UploadFile | str]) -> list[int]:
    """Store the chosen photos (a browser sends an empty part when none is chosen) and return their ids."""
    chosen = [u for u in uploads if not isinstance(u, str) and u.filename]
    if len(chosen) > MAX_PHOTOS:
        raise ValidationFailed(f"照片最多 {MAX_PHOTOS} 张", field="photos")
    limit = ctx.settings.max_photo_bytes
    ids = []
    for upload in chosen:
        data = upload.file.read(limit + 1)
        if not data:
            continue
        if len(data) > limit:
            raise ValidationFailed(f"照片“{upload.filename}”超过 {limit // (1024 * 1024)} MB", field="photos")
        ids.append(service.add_photo(ctx, number, data, upload.filename or "photo").id)
    return ids


def _check_version(ctx: Ctx, number: str, version: int | None) -> None:
    """The stale-page check for the use cases that take no version: the same 409 as a stale transition."""
    case = repo.case_by_number(ctx.session, ctx.actor, number)
    if case is None:
        raise NotFound("案件不存在或不在您的辖区内", field="number")
    if version is not None and version != case.version:
        raise Conflict(f"案件已被他人处理，当前状态为“{STATUS_LABEL[case.status]}”，请刷新后重试", code="stale",
                       field="version")


def _departments(session: Session, actor: Actor) -> list[Any]:
    return org_service.list_departments(session, actor) if actor.can("org.read") else []


def _empty_page() -> CasePage:
    return CasePage(items=[], total=0, total_capped=False, offset=0, limit=50)


def _intake_case(ctx: Ctx, form: IntakeForm, photos: list[UploadFile | str], channel: str) -> tuple[Case, str]:
    """受理, then (by the chosen mode) 立案 and 派遣, each its own step on the timeline. A failed dispatch keeps the
    registered case (a savepoint) and says so; any other failure raises and nothing is saved."""
    mode = form.mode_checked() if channel == Channel.hotline else "accept"
    data = form.to_intake(channel, [])
    data.attachment_ids = _photos(ctx, None, photos)
    case, _ = service.intake(ctx, data)
    if data.self_handled:
        return case, "self_handled"
    if mode == "accept":
        return case, "accepted" if channel == Channel.hotline else "reported"
    service.act(ctx, case.number, "register", ActionIn())
    if mode == "register":
        return case, "registered"
    department = form.department.strip()
    if not department:
        suggestion = service.detail_of(ctx, case).suggestion
        department = suggestion.department.code if suggestion and suggestion.department else ""
    if not department:
        return case, "dispatch_failed"
    try:
        with ctx.session.begin_nested():
            service.act(ctx, case.number, "dispatch", ActionIn(
                department=department, co_departments=[c for c in form.co_departments if c],
                task=form.task.strip() or None))
    except ZhiliError:
        return case, "dispatch_failed"
    return case, "dispatched"


def _intake_page(request: Request, actor: Actor, session: Session, settings: Settings, template: str,
                 form: dict[str, Any] | None = None, error: str | None = None, status: int = 200,
                 terminal: str = "governance") -> HTMLResponse:
    return render(request, template, {
        **_common(settings), "categories": taxonomy.leaf_choices(session), "form": form or {}, "error": error,
        "departments": _departments(session, actor) if actor.can("cases.dispatch") else [],
        "layers": actor.can("map.view"), "can_dispatch": actor.can("cases.dispatch"),
    }, status_code=status, terminal=terminal)


def _submit_intake(request: Request, actor: Actor, session: Session, settings: Settings, form: IntakeForm,
                   photos: list[UploadFile | str], channel: str, template: str, detail: str,
                   terminal: str = "governance") -> Response:
    ctx = _ctx(session, actor, settings)
    try:
        case, done = _intake_case(ctx, form, photos, channel)
    except ZhiliError as exc:
        _undo(session, exc)
        return _intake_page(request, actor, session, settings, template, form.kept(), exc.message,
                            exc.status_code, terminal)
    return RedirectResponse(f"{detail}{case.number}?ok={done}", status_code=303)


# ---- the center workbench ---------------------------------------------------------------------------------------

@router.get("/gov/cases")
def workbench(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
              queue: str | None = Query(default=None, max_length=16),
              category: str | None = Query(default=None, max_length=20),
              area: str | None = Query(default=None, max_length=12),
              channel: str | None = Query(default=None, max_length=20),
              q: str | None = Query(default=None, max_length=50),
              before: int | None = Query(default=None, ge=1, le=MAX_ID)) -> HTMLResponse:
    actor.require("cases.read")
    filters = {"queue": queue or "", "category": category or "", "area": (area or "").strip(),
               "channel": channel or "", "q": (q or "").strip()}
    error, status = None, 200
    try:
        page = service.list_cases(_ctx(session, actor, settings), queue=filters["queue"] or None,
                                  category=filters["category"] or None, area=filters["area"] or None,
                                  channel=filters["channel"] or None, q=filters["q"] or None, before=before)
    except ValidationFailed as exc:
        error, status, page = exc.message, exc.status_code, _empty_page()
    counts = repo.status_counts(session, actor) | repo.warn_counts(session, actor)
    kept = {k: v for k, v in filters.items() if v}
    return render(request, "cases/workbench.html", {
        **_common(settings), "page": page, "queues": QUEUES, "counts": counts, "filters": filters,
        "error": error, "categories": taxonomy.leaf_choices(session), "channels": CHANNEL_LABEL,
        "next_url": f"/gov/cases?{urlencode(kept | {'before': page.next_before})}" if page.next_before else None,
        "first_url": f"/gov/cases?{urlencode(kept)}" if before else None,
        "queue_url": lambda key: "/gov/cases?" + urlencode({k: v for k, v in kept.items() if k != "queue"}
                                                           | ({"queue": key} if key else {})),
    }, status_code=status)


# ---- the 12345 intake form --------------------------------------------------------------------------------------

@router.get("/gov/cases/new")
def intake_form(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings) -> HTMLResponse:
    actor.require("cases.intake")
    actor.require("cases.read")
    return _intake_page(request, actor, session, settings, "cases/intake.html",
                        {"mode": "dispatch" if actor.can("cases.dispatch") else "accept", "priority": ""})


@router.post("/gov/cases/new")
def intake_submit(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
                  form: Annotated[IntakeForm, Form()], photos: Photos = []) -> Response:  # noqa: B006
    actor.require("cases.intake")
    actor.require("cases.read")
    form.self_handled = ""
    return _submit_intake(request, actor, session, settings, form, photos, Channel.hotline, "cases/intake.html",
                          "/gov/cases/")


# ---- the detail page and its forms ------------------------------------------------------------------------------

def _detail_page(request: Request, ctx: Ctx, number: str, *, ok: str | None = None, error: str | None = None,
                 failed: str | None = None, form: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    d = service.detail(ctx, number)
    return render(request, "cases/detail.html", {
        **_common(ctx.settings), "d": d, "ok": OK_TEXT.get(ok or ""), "error": error, "failed": failed,
        "form": form or {}, "photos": {a.id: a for a in d.attachments},
        "dept_names": {p.department.code: p.department.name for p in d.parts},
        "departments": _departments(ctx.session, ctx.actor) if "dispatch" in d.actions else [],
        "units": {u.value: label for u, label in LIMIT_UNIT_LABEL.items()},
        "satisfaction_label": {s.value: t for s, t in SATISFACTION_LABEL.items()},
        "can_reveal": ctx.actor.can("pii.reveal"), "layers": ctx.actor.can("map.view"),
        "duplicates": _duplicates(ctx, d),
    }, status_code=status)


def _duplicates(ctx: Ctx, d: CaseDetail) -> list[Any] | None:
    """The 疑似重复 panel: for cases not yet dispatched (the ones that may still be merged); None hides it."""
    if d.status not in ("received", "registered"):
        return None
    return dedup.for_case(ctx.session, ctx.actor, ctx.settings, d.number).candidates


@router.get("/gov/cases/{number}")
def case_page(request: Request, number: Number, actor: CurrentActor, session: DbSession, settings: AppSettings,
              ok: str | None = Query(default=None, max_length=32)) -> HTMLResponse:
    actor.require("cases.read")
    return _detail_page(request, _ctx(session, actor, settings), number, ok=ok)


def _perform(ctx: Ctx, number: str, action: str, form: ActForm, photos: list[UploadFile | str]) -> None:
    if action in states.TABLE:
        data = form.action_in([])
        if action in PHOTO_ACTIONS:
            data.attachment_ids = _photos(ctx, number, photos)
        service.act(ctx, number, action, data)
        return
    if action == "relocate":
        service.relocate(ctx, number, form.location_in())
        return
    _check_version(ctx, number, form.version_number())
    if action == "request_extension":
        service.request_extension(ctx, number, form.extension_in())
    elif action == "decide_extension":
        request_id, approve, note = form.decision()
        service.decide_extension(ctx, number, request_id, approve, note)
    elif action == "supervise":
        service.supervise(ctx, number, form.supervision_reason())
    elif action == "answer_order":
        service.answer_order(ctx, number, form.order_number(), form.answer_text())
    else:  # rate
        service.rate(ctx, number, form.rating_in())


@router.post("/gov/cases/{number}/act/{action}")
def case_action(request: Request, number: Number, action: Annotated[str, Path(max_length=32)],
                actor: CurrentActor, session: DbSession, settings: AppSettings,
                form: Annotated[ActForm, Form()], photos: Photos = []) -> Response:  # noqa: B006
    actor.require("cases.read")
    if action not in ACTIONS:
        raise NotFound("未知的操作", field="action")
    ctx = _ctx(session, actor, settings)
    try:
        _perform(ctx, number, action, form, photos)
    except ZhiliError as exc:
        _undo(session, exc)
        return _detail_page(request, ctx, number, error=exc.message, failed=action, form=form.model_dump(),
                            status=exc.status_code)
    back = form.back if form.back in BACK else f"/gov/cases/{number}"
    return RedirectResponse(f"{back}?ok={action}", status_code=303)


# ---- department inbox and the center's supervision desk ---------------------------------------------------------

@router.get("/gov/inbox")
def inbox(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
          before: int | None = Query(default=None, ge=1, le=MAX_ID),
          ok: str | None = Query(default=None, max_length=32)) -> HTMLResponse:
    actor.require("cases.handle")
    page = service.list_cases(_ctx(session, actor, settings), inbox=True, before=before)
    orders = [(o, c) for o, c in repo.open_orders(session, actor, 0, 100) if o.department_id in actor.department_ids]
    return render(request, "cases/inbox.html", {
        **_common(settings), "page": page, "orders": orders, "ok": OK_TEXT.get(ok or ""),
        "next_url": f"/gov/inbox?before={page.next_before}" if page.next_before else None})


@router.get("/gov/supervision")
def supervision(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
                ok: str | None = Query(default=None, max_length=32)) -> HTMLResponse:
    actor.require("cases.supervise")
    orders = repo.open_orders(session, actor, 0, 200)
    extensions = repo.pending_extensions(session, actor, 200)
    ids = {o.department_id for o, _ in orders if o.department_id} | {e.department_id for e, _ in extensions}
    return render(request, "cases/supervision.html", {
        **_common(settings), "orders": orders, "extensions": extensions, "ok": OK_TEXT.get(ok or ""),
        "depts": org_service.department_refs(session, ids),
        "units": {u.value: label for u, label in LIMIT_UNIT_LABEL.items()}})


# ---- grid worker (phone) ----------------------------------------------------------------------------------------

@router.get("/gov/grid/report")
def grid_report_form(request: Request, actor: CurrentActor, session: DbSession,
                     settings: AppSettings) -> HTMLResponse:
    actor.require("cases.intake")
    return _intake_page(request, actor, session, settings, "cases/grid_report.html", {"priority": ""})


@router.post("/gov/grid/report")
def grid_report(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
                form: Annotated[IntakeForm, Form()], photos: Photos = []) -> Response:  # noqa: B006
    actor.require("cases.intake")
    return _submit_intake(request, actor, session, settings, form, photos, Channel.grid, "cases/grid_report.html",
                          "/gov/cases/")


@router.get("/gov/grid/tasks")
def grid_tasks(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
               ok: str | None = Query(default=None, max_length=32)) -> HTMLResponse:
    actor.require("cases.verify")
    ctx = _ctx(session, actor, settings)
    return render(request, "cases/grid_tasks.html", {
        **_common(settings), "tasks": service.list_cases(ctx, tasks=True, limit=100),
        "mine": service.list_cases(ctx, mine=True, limit=30), "ok": OK_TEXT.get(ok or "")})


# ---- resident (service terminal) --------------------------------------------------------------------------------

def _public_events(events: list[EventRead]) -> list[EventRead]:
    return [e.model_copy(update={"reason": e.reason if e.action in PUBLIC_REASONS else None, "actor": ""})
            for e in events if e.action in PUBLIC_EVENTS]


def _service_detail(request: Request, ctx: Ctx, number: str, *, ok: str | None = None, error: str | None = None,
                    form: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    d: CaseDetail = service.detail(ctx, number)
    events = _public_events(d.events)
    shown = {i for e in events for i in e.attachment_ids}
    return render(request, "cases/service_detail.html", {
        **_common(ctx.settings), "d": d, "events": events, "ok": OK_TEXT.get(ok or ""), "error": error,
        "form": form or {}, "photos": {a.id: a for a in d.attachments if a.id in shown},
        "satisfaction_label": {s.value: t for s, t in SATISFACTION_LABEL.items()},
    }, status_code=status, terminal="service")


@router.get("/service/cases")
def my_cases(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
             before: int | None = Query(default=None, ge=1, le=MAX_ID)) -> HTMLResponse:
    actor.require("cases.report")
    page = service.list_cases(_ctx(session, actor, settings), mine=True, before=before, limit=30)
    return render(request, "cases/service_list.html", {
        **_common(settings), "page": page,
        "next_url": f"/service/cases?before={page.next_before}" if page.next_before else None},
        terminal="service")


@router.get("/service/cases/new")
def report_form(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings) -> HTMLResponse:
    actor.require("cases.report")
    return _intake_page(request, actor, session, settings, "cases/service_new.html", {}, terminal="service")


@router.post("/service/cases/new")
def report(request: Request, actor: CurrentActor, session: DbSession, settings: AppSettings,
           form: Annotated[IntakeForm, Form()], photos: Photos = []) -> Response:  # noqa: B006
    actor.require("cases.report")
    form.self_handled = form.caller_name = form.caller_phone = ""
    return _submit_intake(request, actor, session, settings, form, photos, Channel.resident,
                          "cases/service_new.html", "/service/cases/", terminal="service")


@router.get("/service/cases/{number}")
def my_case(request: Request, number: Number, actor: CurrentActor, session: DbSession, settings: AppSettings,
            ok: str | None = Query(default=None, max_length=32)) -> HTMLResponse:
    actor.require("cases.report")
    return _service_detail(request, _ctx(session, actor, settings), number, ok=ok)


@router.post("/service/cases/{number}/rate")
def rate_my_case(request: Request, number: Number, actor: CurrentActor, session: DbSession, settings: AppSettings,
                 form: Annotated[ActForm, Form()]) -> Response:
    actor.require("cases.report")
    ctx = _ctx(session, actor, settings)
    try:
        _check_version(ctx, number, form.version_number())
        service.rate(ctx, number, form.rating_in())
    except ZhiliError as exc:
        _undo(session, exc)
        return _service_detail(request, ctx, number, error=exc.message, form=form.model_dump(),
                               status=exc.status_code)
    return RedirectResponse(f"/service/cases/{number}?ok=rate", status_code=303)
