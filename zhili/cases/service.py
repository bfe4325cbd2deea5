"""Use cases of the closed loop: intake, every transition, the clock, supervision, extensions, follow-up.

Who may act is decided here (roles and scopes); whether the case's status allows the action is decided by the
transition table in states.py, the only code that assigns `Case.status`. Every change appends a CaseEvent in the
same transaction and is audited (Case is an audited model). Nothing here commits.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from zhili.auth import service as auth_service
from zhili.auth.actor import Actor
from zhili.brain import service as brain_service
from zhili.cases import dedup, states
from zhili.cases import repository as repo
from zhili.cases.models import (
    CHANNEL_LABEL,
    PART_STATUS_LABEL,
    REQUEST_STATUS_LABEL,
    STATUS_LABEL,
    WARN_LABEL,
    Attachment,
    Case,
    CaseEvent,
    CaseLevel,
    CasePart,
    CaseStatus,
    Channel,
    ExtensionRequest,
    IdempotencyKey,
    OrderStatus,
    PartRole,
    PartStatus,
    RequestStatus,
    Satisfaction,
    SupervisionOrder,
    WarnLevel,
)
from zhili.cases.schemas import (
    ActionIn,
    AttachmentRead,
    CaseDetail,
    CasePage,
    CaseSummary,
    EventRead,
    ExtensionIn,
    ExtensionRead,
    IntakeIn,
    LocationIn,
    OrderRead,
    PartRead,
    RatingIn,
    Ref,
    Suggestion,
)
from zhili.config import Settings
from zhili.kit import clock
from zhili.kit.crypto import blind_index
from zhili.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from zhili.kit.masking import mask_name, mask_phone
from zhili.kit.workdays import WorkCalendar
from zhili.notify import service as notify
from zhili.org import service as org_service
from zhili.taxonomy import lookup as taxonomy
from zhili.taxonomy import routing
from zhili.taxonomy.models import LIMIT_UNIT_LABEL, Category, LimitUnit, Priority
from zhili.workcal import service as workcal

log = logging.getLogger("zhili.cases")

ACTION_LABEL = {a: t.label for a, t in states.TABLE.items()} | {
    "intake": "受理", "relocate": "更正位置", "warning": "黄色预警", "overdue": "红色超期", "supervise": "督办",
    "answer_supervision": "回复督办", "request_extension": "申请延期", "decide_extension": "延期审批",
    "rate": "回访评价", "master_closed": "主案件办结", "attach": "补充附件",
}
_NUMBER = re.compile(r"[A-Z]{1,4}\d{8}-\d{6}")
LEVEL_DEPTH = {CaseLevel.district: 2, CaseLevel.street: 3, CaseLevel.community: 4}
UP = {CaseLevel.community: CaseLevel.street, CaseLevel.street: CaseLevel.district}


# ---- who may act ---------------------------------------------------------------------------------------------

def _depth(path: str) -> int:
    return path.strip("/").count("/") + 1 if path.strip("/") else 0


def _dispatcher(actor: Actor, case: Case) -> bool:
    """A dispatcher of the case's level or above whose area subtree holds the case (the center acts on every
    level; a street official on street and community cases of the street; a community worker on community ones)."""
    if not actor.can("cases.dispatch"):
        return False
    need = LEVEL_DEPTH[case.level]
    return any(case.area_path.startswith(p) and _depth(p) <= need for p in actor.area_paths)


def _center(actor: Actor, case: Case, permission: str = "cases.supervise") -> bool:
    return actor.can(permission) and any(case.area_path.startswith(p) and _depth(p) <= 2 for p in actor.area_paths)


def _handler_parts(actor: Actor, parts: Sequence[CasePart]) -> list[CasePart]:
    if not actor.can("cases.handle"):
        return []
    return [p for p in parts if p.department_id in actor.department_ids and p.status != PartStatus.cancelled]


def _verifier(actor: Actor, case: Case) -> bool:
    if actor.can("cases.verify") and (case.grid_id in actor.grid_ids or actor.in_area(case.area_path)):
        return True
    return actor.can("cases.report") and case.reporter_user_id == actor.user_id


def _follower(actor: Actor, case: Case) -> bool:
    if actor.can("cases.followup") and actor.in_area(case.area_path):
        return True
    return actor.can("cases.report") and case.reporter_user_id == actor.user_id


def _grid_worker(actor: Actor, case: Case) -> bool:
    return actor.can("cases.intake") and case.grid_id is not None and case.grid_id in actor.grid_ids


def _deny(action: str) -> Forbidden:
    label = ACTION_LABEL.get(action, action)
    return Forbidden(f"您无权对此案件执行“{label}”", code="forbidden")


# ---- the clock -------------------------------------------------------------------------------------------------

@dataclass
class Ctx:
    session: Session
    actor: Actor
    settings: Settings
    _cal: WorkCalendar | None = None

    @property
    def cal(self) -> WorkCalendar:
        if self._cal is None:
            self._cal = workcal.calendar_for(self.session, self.settings)
        return self._cal


def _add(cal: WorkCalendar, start: datetime, value: float, unit: LimitUnit) -> datetime:
    return cal.add(start, value, unit.value)


def _start_clock(ctx: Ctx, case: Case, now: datetime) -> None:
    category = ctx.session.get(Category, case.category_id)
    limit = routing.limit_for(ctx.session, category, case.priority) if category else None
    if limit is None:
        case.limit_value = case.limit_unit = case.deadline_at = case.yellow_at = None
        case.clock_started_at = now
        case.warn_level = WarnLevel.none
        return
    value, unit = limit
    case.limit_value, case.limit_unit = float(value), LimitUnit(unit)
    case.clock_started_at = now
    case.deadline_at = _add(ctx.cal, now, float(value), LimitUnit(unit))
    _set_yellow(ctx, case)
    case.warn_level = WarnLevel.none


def _set_yellow(ctx: Ctx, case: Case) -> None:
    start, end = case.clock_started_at, case.deadline_at
    if start is None or end is None:
        case.yellow_at = None
        return
    ratio = ctx.settings.warning_ratio
    if case.limit_unit == LimitUnit.hours:
        case.yellow_at = start + (end - start) * ratio
    else:
        case.yellow_at = ctx.cal.add_working_seconds(start, ctx.cal.working_seconds(start, end) * ratio)


def _rewarn(case: Case, now: datetime) -> None:
    """After the deadline moved (extension, resume): the colour the case has now."""
    if case.deadline_at is None or case.yellow_at is None:
        case.warn_level = WarnLevel.none
    elif now >= case.deadline_at:
        case.warn_level = WarnLevel.red
    elif now >= case.yellow_at:
        case.warn_level = WarnLevel.yellow
    else:
        case.warn_level = WarnLevel.none


# ---- events and notifications -------------------------------------------------------------------------------

def _event(ctx: Ctx, case: Case, action: str, frm: CaseStatus | None, to: CaseStatus | None, *,
           reason: str | None = None, detail: dict[str, Any] | None = None,
           attachments: Sequence[int] = (), now: datetime | None = None) -> CaseEvent:
    ev = CaseEvent(case_id=case.id, at=now or clock.now(), actor_id=ctx.actor.user_id or None,
                   actor_name=ctx.actor.display_name, action=action,
                   from_status=frm.value if frm else None, to_status=to.value if to else None,
                   reason=reason, detail=detail or None, attachment_ids=list(attachments) or None)
    ctx.session.add(ev)
    case.updated_at = ev.at
    return ev


def _notify_departments(ctx: Ctx, case: Case, department_ids: Sequence[int], kind: str, title: str) -> None:
    users = auth_service.user_ids_for_departments(ctx.session, department_ids)
    users.discard(ctx.actor.user_id)
    if users:
        notify.notify(ctx.session, users, kind, f"{title}：{case.number} {case.title}", case.title, case.id)


def _notify_reporter(ctx: Ctx, case: Case, kind: str, title: str, body: str = "") -> None:
    if case.reporter_user_id and case.reporter_user_id != ctx.actor.user_id:
        notify.notify(ctx.session, [case.reporter_user_id], kind, f"{title}：{case.number}", body or case.title,
                      case.id)
    if case.caller_phone and case.channel == Channel.hotline:
        notify.sms_sender(ctx.settings).send(ctx.session, case.caller_phone,
                                             f"【{ctx.settings.district_name}12345】您反映的{case.number}号诉求{title}。"
                                             f"{body}", case.id)


def _notify_grid(ctx: Ctx, case: Case, kind: str, title: str) -> None:
    if case.grid_id is None:
        return
    users = auth_service.user_ids_for_grids(ctx.session, [case.grid_id], permission="cases.verify")
    users.discard(ctx.actor.user_id)
    if users:
        notify.notify(ctx.session, users, kind, f"{title}：{case.number} {case.title}", case.title, case.id)


# ---- reading ----------------------------------------------------------------------------------------------------

def _case_or_404(ctx: Ctx, number: str) -> Case:
    if not number or len(number) > 24:
        raise NotFound(field="number")
    case = repo.case_by_number(ctx.session, ctx.actor, number)
    if case is None:
        raise NotFound("案件不存在或不在您的辖区内", field="number")
    return case


def _check_version(ctx: Ctx, case: Case, version: int | None) -> None:
    if version is not None and version != case.version:
        raise _stale(case)


def _stale(case: Case) -> Conflict:
    return Conflict(f"案件已被他人处理，当前状态为“{STATUS_LABEL[case.status]}”，请刷新后重试", code="stale",
                    field="version", extra={"current": {"number": case.number, "status": case.status.value,
                                                        "status_label": STATUS_LABEL[case.status],
                                                        "version": case.version}})


def _flush(ctx: Ctx, case: Case) -> None:
    """Write now, so that a concurrent change (the version moved) becomes a 409 here rather than at commit."""
    with _guard(ctx, case.id):
        ctx.session.flush()


@contextmanager
def _guard(ctx: Ctx, case_id: int) -> Iterator[None]:
    """A concurrent change to the case (its version moved under us, found by any flush) answers 409 with the
    case's current state; the request's transaction rolls back, so nothing of this change remains."""
    try:
        yield
    except StaleDataError:
        current = _fresh_state(ctx, case_id)
        raise Conflict("案件已被他人同时处理，本次操作未生效，请刷新后重试", code="stale", field="version",
                       extra={"current": current}) from None


def _fresh_state(ctx: Ctx, case_id: int) -> dict[str, Any]:
    bind = ctx.session.get_bind()
    from sqlalchemy import select

    with bind.connect() as conn:  # type: ignore[union-attr]
        row = conn.execute(select(Case.number, Case.status, Case.version).where(Case.id == case_id)).first()
    if row is None:
        return {}
    status = CaseStatus(row.status)
    return {"number": row.number, "status": status.value, "status_label": STATUS_LABEL[status],
            "version": row.version}


class _Names:
    """Per-process cache of (code, name) by id for categories, grids, areas and departments: the same few
    thousand names label every list and every case, and they change rarely (a rename shows within a minute)."""

    TTL = 60.0

    def __init__(self) -> None:
        self.loaded_at = 0.0
        self.maps: dict[str, dict[Any, tuple[str, str]]] = {}

    def get(self, kind: str, keys: set[Any], load: Any) -> dict[Any, tuple[str, str]]:
        now = time.monotonic()
        if now - self.loaded_at > self.TTL:
            self.maps, self.loaded_at = {}, now
        cache = self.maps.setdefault(kind, {})
        missing = {k for k in keys if k not in cache}
        if missing:
            cache.update(load(missing))
        return {k: cache[k] for k in keys if k in cache}


_names = _Names()


def forget_names() -> None:
    """Drop the name cache (tests rebuilding the database; an administrator's bulk rename)."""
    _names.loaded_at = 0.0


def _refs(ctx: Ctx, cases: Sequence[Case]) -> dict[str, dict[Any, Ref]]:
    s = ctx.session
    cats = _names.get("cat", {c.category_id for c in cases}, lambda ids: taxonomy.category_refs(s, ids))
    grids = _names.get("grid", {c.grid_id for c in cases if c.grid_id}, lambda ids: org_service.grid_refs(s, ids))
    codes = {code for c in cases for code in c.area_path.strip("/").split("/") if code}
    areas = _names.get("area", codes, lambda cs: org_service.area_refs_on_paths(s, {"/" + "/".join(sorted(cs)) + "/"}))
    depts = _names.get("dept", {c.department_id for c in cases if c.department_id},
                       lambda ids: org_service.department_refs(s, ids))
    return {"cat": {k: Ref(code=v[0], name=v[1]) for k, v in cats.items()},
            "grid": {k: Ref(code=v[0], name=v[1]) for k, v in grids.items()},
            "area": {k: Ref(code=v[0], name=v[1]) for k, v in areas.items()},
            "dept": {k: Ref(code=v[0], name=v[1]) for k, v in depts.items()}}


def _path_ids(path: str) -> tuple[str | None, str | None]:
    parts = path.strip("/").split("/")
    return (parts[2] if len(parts) > 2 else None, parts[3] if len(parts) > 3 else None)


def _summary(case: Case, refs: dict[str, dict[Any, Ref]]) -> dict[str, Any]:
    street_code, community_code = _path_ids(case.area_path)
    return dict(
        number=case.number, version=case.version, title=case.title, channel=case.channel.value,
        channel_label=CHANNEL_LABEL[case.channel],
        category=refs["cat"].get(case.category_id) or Ref(code="?", name="?"),
        priority=case.priority.value, status=case.status.value, status_label=STATUS_LABEL[case.status],
        level=case.level.value, warn_level=case.warn_level.value, warn_label=WARN_LABEL[case.warn_level],
        address=case.address, lon=case.lon, lat=case.lat,
        grid=refs["grid"].get(case.grid_id) if case.grid_id else None,
        community=refs["area"].get(community_code) if community_code else None,
        street=refs["area"].get(street_code) if street_code else None,
        department=refs["dept"].get(case.department_id) if case.department_id else None,
        received_at=case.received_at, deadline_at=case.deadline_at,
        repeat_complaint=bool(case.repeat_complaint), repeat_count=case.repeat_count or 0,
    )


def list_cases(ctx: Ctx, *, queue: str | None = None, status: str | None = None, warn: str | None = None,
               category: str | None = None, area: str | None = None, channel: str | None = None,
               q: str | None = None, inbox: bool = False, tasks: bool = False, mine: bool = False,
               before: int | None = None, offset: int = 0, limit: int = 50) -> CasePage:
    actor = ctx.actor
    if not (actor.can("cases.read") or actor.can("cases.report")):
        actor.require("cases.read")
    filters: list[ColumnElement[bool]] = []
    if queue:
        try:
            filters += repo.in_queue(queue)
        except KeyError:
            raise ValidationFailed("未知的队列", field="queue") from None
    if status:
        try:
            filters.append(Case.status == CaseStatus(status))
        except ValueError:
            raise ValidationFailed("未知的案件状态", field="status") from None
    if warn:
        try:
            filters.append(Case.warn_level == WarnLevel(warn))
        except ValueError:
            raise ValidationFailed("未知的预警等级", field="warn") from None
    if channel:
        try:
            filters.append(Case.channel == Channel(channel))
        except ValueError:
            raise ValidationFailed("未知的来源渠道", field="channel") from None
    if category:
        path = taxonomy.category_path(ctx.session, category)
        if path is None:
            raise ValidationFailed("未知的事项分类", field="category")
        filters.append(Case.category_id.in_(taxonomy.category_ids_under(ctx.session, path)))
    if area:
        area_path = org_service.area_path_for(ctx.session, actor, area)
        if area_path is None:
            raise NotFound("区划不存在或不在您的辖区内", field="area")
        filters.append(repo.subtree(area_path))
    if q:
        q = q.strip()
        if _NUMBER.fullmatch(q):  # a case number: the unique index, not a scan of every title
            filters.append(Case.number == q)
        else:
            filters.append(Case.title.contains(q))
    if inbox:
        filters.append(repo.department_inbox(actor))
    if tasks:
        filters.append(repo.grid_tasks(actor))
    if mine:
        filters.append(Case.reporter_user_id == actor.user_id)
    items, total = repo.case_list(ctx.session, actor, filters=filters, before_id=before, offset=offset, limit=limit)
    refs = _refs(ctx, items)
    return CasePage(items=[CaseSummary(**_summary(c, refs)) for c in items], total=min(total, repo.COUNT_CAP),
                    total_capped=total > repo.COUNT_CAP, offset=offset, limit=limit,
                    next_before=items[-1].id if len(items) == limit else None)


def summary_of(ctx: Ctx, case: Case) -> CaseSummary:
    return CaseSummary(**_summary(case, _refs(ctx, [case])))


def visible_summaries(ctx: Ctx, case_ids: Sequence[int], limit: int = 50) -> list[CaseSummary]:
    """The cases among `case_ids` that the actor may read, newest first (another domain's page listing the cases
    linked to it, e.g. a person's in the registry). Nothing when the actor may read no cases."""
    if not case_ids or not (ctx.actor.can("cases.read") or ctx.actor.can("cases.report")):
        return []
    items, _ = repo.case_list(ctx.session, ctx.actor, filters=[Case.id.in_(sorted(set(case_ids)))], before_id=None,
                              offset=0, limit=limit)
    refs = _refs(ctx, items)
    return [CaseSummary(**_summary(c, refs)) for c in items]


def _limit_text(case: Case) -> str | None:
    if case.limit_value is None or case.limit_unit is None:
        return None
    v = case.limit_value
    return f"{int(v) if v == int(v) else v}{LIMIT_UNIT_LABEL[case.limit_unit]}"


def available_actions(ctx: Ctx, case: Case, parts: Sequence[CasePart]) -> list[str]:
    actor, out = ctx.actor, []
    mine = _handler_parts(actor, parts)
    for action in states.actions_from(case.status):
        t = states.TABLE[action]
        ok = {
            "dispatcher": _dispatcher(actor, case),
            "handler": bool(mine),
            "verifier": _verifier(actor, case),
            "grid": _grid_worker(actor, case),
            "center": _center(actor, case),
            "followup": _follower(actor, case) and ctx.settings.reopen_on_unsatisfied
            and case.satisfaction == Satisfaction.unsatisfied,
        }[t.actor]
        if action == "escalate" and case.level == CaseLevel.district:
            ok = False
        if action == "send_back" and case.designated:
            ok = False
        if action == "acknowledge":
            ok = any(p.status == PartStatus.dispatched for p in mine)
        if action == "reply":
            ok = any(p.status == PartStatus.in_progress for p in mine)
        if ok:
            out.append(action)
    if case.status in (CaseStatus.dispatched, CaseStatus.in_progress) and mine:
        out.append("request_extension")
    if case.status in states.OPEN and _center(actor, case):
        out.append("supervise")
    if case.status == CaseStatus.closed and case.satisfaction is None and _follower(actor, case):
        out.append("rate")
    if case.status in (CaseStatus.received, CaseStatus.registered) and _dispatcher(actor, case):
        out.append("relocate")
    return out


def detail(ctx: Ctx, number: str) -> CaseDetail:
    case = _case_or_404(ctx, number)
    return detail_of(ctx, case)


def detail_of(ctx: Ctx, case: Case) -> CaseDetail:
    s = ctx.session
    parts = repo.parts_of(s, [case.id])
    refs = _refs(ctx, [case])
    depts = org_service.department_refs(s, {p.department_id for p in parts}
                                        | {o.department_id for o in repo.orders_of(s, case.id) if o.department_id}
                                        | {e.department_id for e in repo.extensions_of(s, case.id)})
    dref = {k: Ref(code=v[0], name=v[1]) for k, v in depts.items()}
    events = repo.events_of(s, case.id)
    attachments = repo.attachments_of(s, case.id)
    micro = org_service.micro_grid_ref(s, case.micro_grid_id) if case.micro_grid_id else None
    master = repo.case_by_id_unscoped(s, case.master_id) if case.master_id else None
    suggestion = None
    if case.status in (CaseStatus.received, CaseStatus.registered) and _dispatcher(ctx.actor, case):
        r = routing.route(s, case.category_id, case.area_path)
        if r is None:
            suggestion = Suggestion(department=None, basis=None, explanation="权责清单中没有适用的规则，请人工指定")
        else:
            dept = org_service.department_refs(s, {r.department_id}).get(r.department_id)
            suggestion = Suggestion(department=Ref(code=dept[0], name=dept[1]) if dept else None,
                                    basis=r.basis.value if hasattr(r.basis, "value") else str(r.basis),
                                    explanation=r.explanation)
    warnings: list[str] = []
    if case.clock_started_at and case.deadline_at and ctx.actor.can("cases.read"):
        years = ctx.cal.uncovered_years(case.clock_started_at, case.deadline_at)
        if years:
            warnings.append("、".join(map(str, years)) + " 年的节假日安排尚未录入，期限暂按周一至周五计算")
    return CaseDetail(
        **_summary(case, refs),
        description=case.description,
        caller_name=mask_name(case.caller_name),
        caller_phone=mask_phone(case.caller_phone),
        reporter=None,
        dispatch_count=case.dispatch_count, designated=case.designated, self_handled=case.self_handled,
        rework_count=case.rework_count, send_back_count=case.send_back_count,
        extension_count=case.extension_count, reopen_count=case.reopen_count,
        master=master.number if master else None,
        merged=[c.number for c in repo.merged_into(s, case.id)],
        reject_reason=case.reject_reason, limit=_limit_text(case), yellow_at=case.yellow_at,
        registered_at=case.registered_at, dispatched_at=case.dispatched_at, acknowledged_at=case.acknowledged_at,
        handled_at=case.handled_at, closed_at=case.closed_at, suspended_at=case.suspended_at,
        satisfaction=case.satisfaction.value if case.satisfaction else None,
        satisfaction_comment=case.satisfaction_comment,
        micro_grid=Ref(code=micro[0], name=micro[1]) if micro else None,
        parts=[PartRead(id=p.id, department=dref.get(p.department_id) or Ref(code="?", name="?"),
                        role=p.role.value, status=p.status.value, status_label=PART_STATUS_LABEL[p.status],
                        task=p.task, reply=p.reply, dispatched_at=p.dispatched_at,
                        acknowledged_at=p.acknowledged_at, handled_at=p.handled_at) for p in parts],
        events=[EventRead(id=e.id, at=e.at, actor=e.actor_name, action=e.action,
                          action_label=ACTION_LABEL.get(e.action, e.action), from_status=e.from_status,
                          to_status=e.to_status, reason=e.reason, detail=e.detail,
                          attachment_ids=e.attachment_ids or []) for e in events],
        attachments=[_attachment_read(case, a) for a in attachments],
        orders=[OrderRead(id=o.id, kind=o.kind, reason=o.reason, status=o.status.value,
                          status_label={"open": "待反馈", "answered": "已反馈", "closed": "已办结"}[o.status.value],
                          issued_at=o.issued_at, answer=o.answer, answered_at=o.answered_at,
                          department=dref.get(o.department_id) if o.department_id else None)
                for o in repo.orders_of(s, case.id)],
        extensions=[ExtensionRead(id=e.id, extra_value=e.extra_value, extra_unit=e.extra_unit.value,
                                  reason=e.reason, status=e.status.value,
                                  status_label=REQUEST_STATUS_LABEL[e.status], requested_at=e.requested_at,
                                  decided_at=e.decided_at, decision_note=e.decision_note,
                                  department=dref.get(e.department_id) or Ref(code="?", name="?"))
                    for e in repo.extensions_of(s, case.id)],
        actions=available_actions(ctx, case, parts),
        suggestion=suggestion,
        calendar_warnings=warnings,
    )


def _attachment_read(case: Case, a: Attachment) -> AttachmentRead:
    base = f"/api/cases/{case.number}/attachments/{a.id}"
    return AttachmentRead(id=a.id, mime=a.mime, size=a.size, width=a.width, height=a.height, filename=a.filename,
                          url=base, thumb_url=f"{base}/thumb")


# ---- intake -----------------------------------------------------------------------------------------------------

def _default_channel(actor: Actor) -> Channel:
    """Grid workers report from the grid, residents from the service terminal, center staff take 12345 calls;
    other systems say which channel they forward (`channel`)."""
    if actor.grid_ids and actor.can("cases.intake") and not actor.area_paths:
        return Channel.grid
    if not actor.can("cases.intake"):
        return Channel.resident
    return Channel.hotline


def _intake_level(actor: Actor, channel: Channel, path: str) -> CaseLevel:
    """Where the case starts: reports from grids and residents at the community; calls taken by staff at the
    level of the taker's own jurisdiction over the place (a street official's call stays with the street)."""
    if channel in (Channel.grid, Channel.resident):
        return CaseLevel.community
    depths = [_depth(p) for p in actor.area_paths if path.startswith(p)]
    top = min(depths) if depths else 2
    return {3: CaseLevel.street, 4: CaseLevel.community}.get(top, CaseLevel.district)


def intake(ctx: Ctx, data: IntakeIn, idempotency_key: str | None = None) -> tuple[Case, bool]:
    """Create a case (status received). A retried request with the same Idempotency-Key returns the first case."""
    actor, s = ctx.actor, ctx.session
    if not (actor.can("cases.intake") or actor.can("cases.report")):
        actor.require("cases.intake")
    if idempotency_key is not None:
        if not (1 <= len(idempotency_key) <= 100) or not idempotency_key.isprintable():
            raise ValidationFailed("Idempotency-Key 应为 1-100 个可见字符", field="Idempotency-Key")
        existing = repo.idempotent_case(s, actor.user_id, idempotency_key)
        if existing is not None:
            return existing, False
    channel = Channel(data.channel) if data.channel else _default_channel(actor)
    if not actor.can("cases.intake") and channel != Channel.resident:
        raise ValidationFailed("居民只能以“居民上报”渠道提交", field="channel")
    category = taxonomy.category_by_code(s, data.category)
    if category is None or not category.active:
        raise ValidationFailed(f"未知或已停用的事项分类：{data.category}", field="category")
    loc = org_service.locate(s, data.lon, data.lat, ctx.settings.geo_refresh_seconds)
    if loc is None:
        raise ValidationFailed(f"位置不在{ctx.settings.district_name}的任何网格内，请在地图上重新选点", field="location")
    # Anonymous calls are allowed: a hotline case needs neither the caller's name nor phone.
    if data.self_handled:
        if loc.grid_id not in actor.grid_ids or not actor.can("cases.intake"):
            raise ValidationFailed("只有本网格的网格员可以就地处置", field="self_handled")
        if not (data.self_handle_note or "").strip():
            raise ValidationFailed("就地处置须填写处置说明", field="self_handle_note")
    now = clock.now()
    if idempotency_key is not None:
        # Claim the key first: a concurrent retry blocks here and then finds the first request's case.
        placeholder = IdempotencyKey(user_id=actor.user_id, key=idempotency_key, case_id=None, created_at=now)
        try:
            with s.begin_nested():
                s.add(placeholder)
                s.flush()
        except IntegrityError:
            existing = repo.idempotent_case(s, actor.user_id, idempotency_key)
            if existing is None:
                raise Conflict("相同 Idempotency-Key 的请求正在处理中，请稍后重试", field="Idempotency-Key") from None
            return existing, False
    local_day = now.astimezone(ZoneInfo(ctx.settings.timezone)).strftime("%Y%m%d")
    seq = repo.next_sequence(s, local_day)
    level = _intake_level(actor, channel, loc.community_path)
    case = Case(
        number=f"{ctx.settings.case_number_prefix}{local_day}-{seq:06d}", title=data.title.strip(),
        description=data.description.strip(), channel=channel, category_id=category.id,
        priority=Priority(data.priority) if data.priority else category.default_priority,
        status=CaseStatus.received, level=level, lon=data.lon, lat=data.lat, address=data.address.strip(),
        micro_grid_id=loc.micro_grid_id, grid_id=loc.grid_id, area_id=loc.community_id,
        area_path=loc.community_path,
        reporter_user_id=actor.user_id if channel == Channel.resident or not actor.can("cases.intake")
        or channel == Channel.grid else None,
        caller_name=data.caller_name.strip() if data.caller_name else None,
        caller_phone=data.caller_phone.strip() if data.caller_phone else None,
        caller_phone_bidx=blind_index(data.caller_phone.strip()) if data.caller_phone else None,
        created_by=actor.user_id or None, received_at=now, updated_at=now,
    )
    dedup.flag_repeat(s, ctx.settings, case, category)  # 重复投诉, before the case counts itself
    s.add(case)
    s.flush()
    if idempotency_key is not None:
        placeholder.case_id = case.id
    photos = _claim_attachments(ctx, case, data.attachment_ids)
    _event(ctx, case, "intake", None, CaseStatus.received, now=now, attachments=photos,
           detail={"channel": channel.value})
    if data.self_handled:
        frm, to = states.apply(case, "self_handle")
        case.self_handled = True
        case.registered_at = case.handled_at = case.closed_at = now
        _event(ctx, case, "self_handle", frm, to, reason=data.self_handle_note, now=now, attachments=photos)
    brain_service.record_choice(s, case)  # suggestion vs. the category chosen: production accuracy; never raises
    s.flush()
    return case, True


def _claim_attachments(ctx: Ctx, case: Case, ids: Sequence[int]) -> list[int]:
    """Attach photos the actor uploaded (unattached, or already on this case)."""
    if not ids:
        return []
    found = repo.attachments_by_ids(ctx.session, list(dict.fromkeys(ids)))
    by_id = {a.id: a for a in found}
    for i in ids:
        a = by_id.get(i)
        if a is None or a.uploaded_by != ctx.actor.user_id or a.case_id not in (None, case.id):
            raise ValidationFailed(f"附件 {i} 不存在或不属于您", field="attachment_ids")
        a.case_id = case.id
    return list(dict.fromkeys(ids))


# ---- transitions --------------------------------------------------------------------------------------------------

def act(ctx: Ctx, number: str, action: str, data: ActionIn) -> Case:
    """Take `action` on the case. Each action checks who may take it, then moves the case through states.apply."""
    if action not in states.TABLE:
        raise NotFound("未知的操作", field="action")
    case = _case_or_404(ctx, number)
    _check_version(ctx, case, data.version)
    t = states.TABLE[action]
    if not states.allowed(action, case.status):
        states.apply(case, action)  # raises the 409 naming the current status
    reason = (data.reason or "").strip() or None
    if t.needs_reason and not reason:
        raise ValidationFailed(f"{t.label}须填写理由", field="reason")
    handler = _ACTIONS[action]
    with _guard(ctx, case.id):
        handler(ctx, case, data, reason)
        ctx.session.flush()
    return case


def _require(ok: bool, action: str) -> None:
    if not ok:
        raise _deny(action)


def _register(ctx: Ctx, case: Case, data: ActionIn, reason: str | None) -> None:
    _require(_dispatcher(ctx.actor, case), "register")
    now = clock.now()
    frm, to = states.apply(case, "register")
    case.registered_at = now
    _event(ctx, case, "register", frm, to, reason=reason, now=now)


def _reject(ctx: Ctx, case: Case, data: ActionIn, reason: str | None) -> None:
    _require(_dispatcher(ctx.actor, case), "reject")
    now = clock.now()
    frm, to = states.apply(case, "reject")
    case.reject_reason = reason
    case.closed_at = now
    _event(ctx, case, "reject", frm, to, reason=reason, now=now)
    _notify_reporter(ctx, case, "rejected", "不予立案", reason or "")


def _department(ctx: Ctx, code: str | None, field: str) -> int:
    if not code:
        raise ValidationFailed("请选择承办部门", field=field)
    dept_id = org_service.department_id_by_code(ctx.session, code)
    if dept_id is None:
        raise ValidationFailed(f"未知的部门：{code}", field=field)
    return dept_id


def _dispatch(ctx: Ctx, case: Case, data: ActionIn, reason: str | None) -> None:
    _require(_dispatcher(ctx.actor, case), "dispatch")
    lead = _department(ctx, data.department, "department")
    co = [_department(ctx, c, "co_departments") for c in data.co_departments]
    if lead in co or len(set(co)) != len(co):
        raise ValidationFailed("协办部门不能重复，也不能与主办部门相同", field="co_departments")
    designate = case.dispatch_count + 1 >= ctx.settings.max_dispatches
    if designate and not _center(ctx.actor, case, "cases.dispatch"):
        raise Forbidden(f"案件已派遣 {case.dispatch_count} 次，须由区治理中心指定承办部门", code="designate_required")
    now = clock.now()
    frm, to = states.apply(case, "dispatch")
    for p in repo.active_parts(ctx.session, case.id):
        p.status = PartStatus.cancelled
    case.dispatch_count += 1
    case.designated = designate
    case.department_id = lead
    case.dispatched_at = now
    case.acknowledged_at = case.handled_at = None
    task = (data.task or "").strip()
    ctx.session.add(CasePart(case_id=case.id, department_id=lead, role=PartRole.lead, status=PartStatus.dispatched,
                             task=task, dispatch_no=case.dispatch_count, dispatched_at=now))
    for c in co:
        ctx.session.add(CasePart(case_id=case.id, department_id=c, role=PartRole.co, status=PartStatus.dispatched,
                                 task=task, dispatch_no=case.dispatch_count, dispatched_at=now))
    _start_clock(ctx, case, now)
    _event(ctx, case, "dispatch", frm, to, reason=reason, now=now,
           detail={"department": data.department, "co_departments": data.co_departments, "task": task or None,
                   "dispatch_no": case.dispatch_count, "designated": designate,
                   "deadline_at": case.deadline_at.isoformat() if case.deadline_at else None})
    _notify_departments(ctx, case, [lead, *co], "dispatched", "新派遣案件" if not designate else "指定承办案件")


def _my_part(ctx: Ctx, case: Case, data: ActionIn, action: str, statuses: tuple[PartStatus, ...]) -> CasePart:
    parts = _handler_parts(ctx.actor, repo.active_parts(ctx.session, case.id))
    if not parts:
        raise _deny(action)
    if data.part_id is not None:
        parts = [p for p in parts if p.id == data.part_id]
        if not parts:
            raise NotFound("该任务不存在或不属于您的部门", field="part_id")
    usable = [p for p in parts if p.status in statuses]
    if not usable:
        label = PART_STATUS_LABEL[parts[0].status]
        raise Conflict(f"您部门的任务当前为“{label}”，不能{ACTION_LABEL[action]}", code="invalid_transition",
                       field="status")
    usable.sort(key=lambda p: p.role != PartRole.lead)
    return usable[0]


def _acknowledge(ctx: Ctx, case: Case, data: ActionIn, reason: str | None) -> None:
    if case.status not in states.TABLE["acknowledge"].sources:
        states.apply(case, "acknowledge")  # raises the 409 naming the status
    part = _my_part(ctx, case, data, "acknowledge", (PartStatus.dispatched,))
    now = clock.now()
    part.status = PartStatus.in_progress
    part.acknowledged_at = now
    frm = case.status
    to: CaseStatus | None = None
    if case.status == CaseStatus.dispatched and part.role == PartRole.lead:
        frm, to = states.apply(case, "acknowledge", CaseStatus.in_progress)
        case.acknowledged_at = now
    _event(ctx, case, "acknowledge", frm, to or frm, now=now, detail={"part_id": part.id, "role": part.role.value})


def _send_back(ctx: Ctx, case: Case, data: ActionIn, reason: str | None) -> None:
    if case.status != CaseStatus.dispatched:
        states.apply(case, "send_back")
    part = _my_part(ctx, case, data, "send_back", (PartStatus.dispatched,))
    if part.role != PartRole.lead:
        raise Forbidden("只有主办部门可以退回案件", code="forbidden")
    if case.designated:
        raise Conflict("该案件由区治理中心指定承办，不能退回", code="designated", field="action")
    now = clock.now()
    window = ctx.settings.send_back_work_days
    if case.dispatched_at and now > ctx.cal.add(case.dispatched_at, window, "work_days"):
        raise Conflict(f"已超过派遣后 {window:g} 个工作日的退回期限", code="send_back_expired", field="action")
    frm, to = states.apply(case, "send_back")
    for p in repo.active_parts(ctx.session, case.id):
        p.status = PartStatus.cancelled
    case.send_back_count += 1
    case.department_id = None
    case.deadline_at = case.yellow_at = case.clock_started_at = None
    case.warn_level = WarnLevel.none
    _event(ctx, case, "send_back", frm, to, reason=reason, now=now, detail={"part_id": part.id})
    center_users = auth_service.user_ids_with_permission_over(ctx.session, "cases.dispatch", case.area_path)
    if center_users:
        notify.notify(ctx.session, center_users, "sent_back", f"案件被退回：{case.number} {case.title}",
                      reason or "", case.id)


def _reply(ctx: Ctx, case: Case, data: ActionIn, reason: str | None) -> None:
    if case.status != CaseStatus.in_progress:
        states.apply(case, "reply")
    part = _my_part(ctx, case, data, "reply", (PartStatus.in_progress,))
    text = (data.text or "").strip()
    if not text:
        raise ValidationFailed("请填写处置情况说明", field="text")
    photos = _claim_attachments(ctx, case, data.attachment_ids)
    now = clock.now()
    part.status = PartStatus.handled
    part.reply = text
    part.handled_at = now
    remaining = [p for p in repo.active_parts(ctx.session, case.id) if p.id != part.id
                 and p.status != PartStatus.handled]
    target = CaseStatus.in_progress if remaining else CaseStatus.handled
    frm, to = states.apply(case, "reply", target)
    if to == CaseStatus.handled:
        case.handled_at = now
        _notify_grid(ctx, case, "verify", "待核查案件")
    _event(ctx, case, "reply", frm, to, reason=text, now=now, attachments=photos,
           detail={"part_id": part.id, "role": part.role.value, "remaining_parts": len(remaining)})


def _verify_ok(ctx: Ctx, case: Case, data: ActionIn, reason: str | None) -> None:
    _require(_verifier(ctx.actor, case), "verify_ok")
    photos = _claim_attachments(ctx, case, data.attachment_ids)
    now = clock.now()
    frm, to = states.apply(case, "verify_ok")
    case.closed_at = now
    _event(ctx, case, "verify_ok", frm, to, reason=(data.text or reason), now=now, attachments=photos)
    _on_closed(ctx, case)


def _verify_fail(ctx: Ctx, case: Case, data: ActionIn, reason: str | None) -> None:
    _require(_verifier(ctx.actor, case), "verify_fail")
    photos = _claim_attachments(ctx, case, data.attachment_ids)
    now = clock.now()
    frm, to = states.apply(case, "verify_fail")
    case.rework_count += 1
    case.handled_at = None
    lead = next((p for p in repo.active_parts(ctx.session, case.id) if p.role == PartRole.lead), None)
    if lead is not None:
        lead.status = PartStatus.in_progress
        lead.handled_at = None
    _event(ctx, case, "verify_fail", frm, to, reason=reason, now=now, attachments=photos)
    if case.department_id:
        _notify_departments(ctx, case, [case.department_id], "rework", "案件核查不通过，需返工")


def _escalate(ctx: Ctx, case: Case, data: ActionIn, reason: str | None) -> None:
    _require(_dispatcher(ctx.actor, case), "escalate")
    up = UP.get(case.level)
    if up is None:
        raise Conflict("案件已在区中心，不能再上报", code="top_level", field="level")
    now = clock.now()
    frm, to = states.apply(case, "escalate")
    old = case.level
    for p in repo.active_parts(ctx.session, case.id):
        p.status = PartStatus.cancelled
    case.level = up
    case.escalation_count += 1
    case.department_id = None
    case.deadline_at = case.yellow_at = case.clock_started_at = None
    case.warn_level = WarnLevel.none
    _event(ctx, case, "escalate", frm, to, reason=reason, now=now, detail={"from_level": old.value,
                                                                         "to_level": up.value})
    users = auth_service.user_ids_with_permission_over(ctx.session, "cases.dispatch", case.area_path,
                                                       max_depth=LEVEL_DEPTH[up])
    users.discard(ctx.actor.user_id)
    if users:
        notify.notify(ctx.session, users, "escalated", f"下级上报案件：{case.number} {case.title}", reason or "",
                      case.id)


def _merge(ctx: Ctx, case: Case, data: ActionIn, reason: str | None) -> None:
    _require(_dispatcher(ctx.actor, case), "merge")
    if not data.master:
        raise ValidationFailed("请填写主案件编号", field="master")
    master = repo.case_by_number(ctx.session, ctx.actor, data.master)
    if master is None:
        raise ValidationFailed("主案件不存在或不在您的辖区内", field="master")
    if master.id == case.id:
        raise ValidationFailed("不能并入案件自身", field="master")
    if master.status in (CaseStatus.merged, CaseStatus.rejected, CaseStatus.closed):
        raise ValidationFailed(f"主案件状态为“{STATUS_LABEL[master.status]}”，不能作为并案主案件", field="master")
    now = clock.now()
    frm, to = states.apply(case, "merge")
    case.master_id = master.id
    case.closed_at = now
    _event(ctx, case, "merge", frm, to, reason=reason, now=now, detail={"master": master.number})
    _event(ctx, master, "merge", None, None, reason=f"并入案件 {case.number}", now=now,
           detail={"merged": case.number})


def _suspend(ctx: Ctx, case: Case, data: ActionIn, reason: str | None) -> None:
    _require(_center(ctx.actor, case), "suspend")
    now = clock.now()
    frm, to = states.apply(case, "suspend")
    case.suspended_at = now
    if case.deadline_at is not None:
        case.remaining_seconds = (max(0.0, (case.deadline_at - now).total_seconds())
                                  if case.limit_unit == LimitUnit.hours
                                  else ctx.cal.working_seconds(now, case.deadline_at))
    _event(ctx, case, "suspend", frm, to, reason=reason, now=now)


def _resume(ctx: Ctx, case: Case, data: ActionIn, reason: str | None) -> None:
    _require(_center(ctx.actor, case), "resume")
    now = clock.now()
    since = case.suspended_at or now
    frm, to = states.apply(case, "resume")
    if case.deadline_at is not None:
        case.deadline_at = _shift(ctx, case, case.deadline_at, since, now)
        if case.yellow_at is not None:
            case.yellow_at = _shift(ctx, case, case.yellow_at, since, now)
        _rewarn(case, now)
    case.suspended_at = None
    case.remaining_seconds = None
    _event(ctx, case, "resume", frm, to, reason=reason, now=now,
           detail={"deadline_at": case.deadline_at.isoformat() if case.deadline_at else None})


def _shift(ctx: Ctx, case: Case, moment: datetime, since: datetime, now: datetime) -> datetime:
    """Move a clock point by the time the case spent suspended: what was left at `since` is left at `now`."""
    if moment <= since:
        return moment
    if case.limit_unit == LimitUnit.hours:
        return now + (moment - since)
    return ctx.cal.add_working_seconds(now, ctx.cal.working_seconds(since, moment))


def _reopen(ctx: Ctx, case: Case, data: ActionIn, reason: str | None) -> None:
    _require(_follower(ctx.actor, case), "reopen")
    if not ctx.settings.reopen_on_unsatisfied:
        raise Forbidden("系统设置不允许因不满意重新办理", code="reopen_disabled")
    if case.satisfaction != Satisfaction.unsatisfied:
        raise Conflict("只有回访不满意的案件可以重新办理", code="not_unsatisfied", field="satisfaction")
    _do_reopen(ctx, case, reason)


def _do_reopen(ctx: Ctx, case: Case, reason: str | None) -> None:
    now = clock.now()
    frm, to = states.apply(case, "reopen")
    case.reopen_count += 1
    case.closed_at = case.handled_at = None
    case.satisfaction = None
    case.satisfaction_comment = None
    case.rated_at = None
    lead = next((p for p in repo.parts_of(ctx.session, [case.id])
                 if p.role == PartRole.lead and p.status != PartStatus.cancelled), None)
    if lead is not None:
        lead.status = PartStatus.in_progress
        lead.handled_at = None
    _start_clock(ctx, case, now)
    _event(ctx, case, "reopen", frm, to, reason=reason, now=now)
    if case.department_id:
        _notify_departments(ctx, case, [case.department_id], "reopened", "群众不满意，案件重新办理")


def _self_handle(ctx: Ctx, case: Case, data: ActionIn, reason: str | None) -> None:
    _require(_grid_worker(ctx.actor, case), "self_handle")
    text = (data.text or reason or "").strip()
    if not text:
        raise ValidationFailed("就地处置须填写处置说明", field="text")
    photos = _claim_attachments(ctx, case, data.attachment_ids)
    now = clock.now()
    frm, to = states.apply(case, "self_handle")
    case.self_handled = True
    case.registered_at = case.handled_at = case.closed_at = now
    _event(ctx, case, "self_handle", frm, to, reason=text, now=now, attachments=photos)


_ACTIONS = {
    "register": _register, "reject": _reject, "dispatch": _dispatch, "acknowledge": _acknowledge,
    "send_back": _send_back, "reply": _reply, "verify_ok": _verify_ok, "verify_fail": _verify_fail,
    "escalate": _escalate, "merge": _merge, "suspend": _suspend, "resume": _resume, "reopen": _reopen,
    "self_handle": _self_handle,
}
assert set(_ACTIONS) == set(states.TABLE), "every transition has a handler"


def _on_closed(ctx: Ctx, case: Case) -> None:
    """Tell the reporter, and every reporter of the cases merged into this one, the outcome."""
    outcome = next((p.reply for p in repo.parts_of(ctx.session, [case.id])
                    if p.role == PartRole.lead and p.reply), None) or ""
    _notify_reporter(ctx, case, "closed", "已办结", outcome[:200])
    for merged in repo.merged_into(ctx.session, case.id):
        _event(ctx, merged, "master_closed", None, None, reason=f"主案件 {case.number} 已办结：{outcome[:200]}")
        _notify_reporter(ctx, merged, "closed", f"已随主案件 {case.number} 办结", outcome[:200])
    for order in repo.orders_of(ctx.session, case.id):
        if order.status != OrderStatus.closed:
            order.status = OrderStatus.closed


# ---- location, extensions, supervision, follow-up ---------------------------------------------------------------

def relocate(ctx: Ctx, number: str, data: LocationIn) -> Case:
    case = _case_or_404(ctx, number)
    _check_version(ctx, case, data.version)
    _require(_dispatcher(ctx.actor, case), "relocate")
    if case.status not in (CaseStatus.received, CaseStatus.registered):
        raise Conflict(f"案件当前状态为“{STATUS_LABEL[case.status]}”，不能更正位置", code="invalid_transition",
                       field="status")
    loc = org_service.locate(ctx.session, data.lon, data.lat, ctx.settings.geo_refresh_seconds)
    if loc is None:
        raise ValidationFailed(f"位置不在{ctx.settings.district_name}的任何网格内", field="location")
    if not any(loc.community_path.startswith(p) for p in ctx.actor.area_paths):
        raise ValidationFailed("新位置不在您的辖区内", field="location")
    old = {"lon": case.lon, "lat": case.lat, "address": case.address}
    case.lon, case.lat = data.lon, data.lat
    if data.address is not None:
        case.address = data.address.strip()
    case.micro_grid_id, case.grid_id = loc.micro_grid_id, loc.grid_id
    case.area_id, case.area_path = loc.community_id, loc.community_path
    _event(ctx, case, "relocate", None, None, detail={"from": old, "to": {"lon": data.lon, "lat": data.lat}})
    _flush(ctx, case)
    return case


def request_extension(ctx: Ctx, number: str, data: ExtensionIn) -> ExtensionRequest:
    case = _case_or_404(ctx, number)
    if case.status not in (CaseStatus.dispatched, CaseStatus.in_progress):
        raise Conflict(f"案件当前状态为“{STATUS_LABEL[case.status]}”，不能申请延期", code="invalid_transition",
                       field="status")
    parts = _handler_parts(ctx.actor, repo.active_parts(ctx.session, case.id))
    lead = [p for p in parts if p.role == PartRole.lead]
    if not lead:
        raise _deny("request_extension")
    if repo.pending_extension(ctx.session, case.id) is not None:
        raise Conflict("已有待审批的延期申请", code="pending_extension", field="action")
    now = clock.now()
    req = ExtensionRequest(case_id=case.id, department_id=lead[0].department_id, extra_value=data.extra_value,
                           extra_unit=LimitUnit(data.extra_unit), reason=data.reason.strip(),
                           status=RequestStatus.pending, requested_by=ctx.actor.user_id, requested_at=now)
    ctx.session.add(req)
    _event(ctx, case, "request_extension", None, None, reason=req.reason, now=now,
           detail={"extra": f"{data.extra_value:g}{LIMIT_UNIT_LABEL[LimitUnit(data.extra_unit)]}"})
    users = auth_service.user_ids_with_permission_over(ctx.session, "cases.supervise", case.area_path, max_depth=2)
    if users:
        notify.notify(ctx.session, users, "extension", f"延期申请待审批：{case.number}", req.reason, case.id)
    _flush(ctx, case)
    return req


def decide_extension(ctx: Ctx, number: str, request_id: int, approve: bool, note: str | None) -> ExtensionRequest:
    case = _case_or_404(ctx, number)
    _require(_center(ctx.actor, case), "decide_extension")
    req = repo.extension_by_id(ctx.session, case.id, request_id)
    if req is None:
        raise NotFound("延期申请不存在", field="request_id")
    if req.status != RequestStatus.pending:
        raise Conflict(f"该申请已{REQUEST_STATUS_LABEL[req.status]}", code="already_decided", field="request_id")
    now = clock.now()
    req.status = RequestStatus.approved if approve else RequestStatus.denied
    req.decided_by, req.decided_at, req.decision_note = ctx.actor.user_id, now, (note or "").strip() or None
    detail: dict[str, Any] = {"approved": approve}
    if approve and case.deadline_at is not None and case.status != CaseStatus.suspended:
        case.deadline_at = _add(ctx.cal, case.deadline_at, req.extra_value, req.extra_unit)
        _set_yellow(ctx, case)
        _rewarn(case, now)
        case.extension_count += 1
        detail["deadline_at"] = case.deadline_at.isoformat()
    elif approve:
        case.extension_count += 1
    _event(ctx, case, "decide_extension", None, None, reason=req.decision_note, now=now, detail=detail)
    _notify_departments(ctx, case, [req.department_id], "extension_decided",
                        "延期申请已批准" if approve else "延期申请未获批准")
    _flush(ctx, case)
    return req


def supervise(ctx: Ctx, number: str, reason: str) -> SupervisionOrder:
    case = _case_or_404(ctx, number)
    _require(_center(ctx.actor, case), "supervise")
    if case.status not in states.OPEN:
        raise Conflict(f"案件当前状态为“{STATUS_LABEL[case.status]}”，无需督办", code="invalid_transition",
                       field="status")
    order = _raise_order(ctx, case, "manual", reason.strip())
    _flush(ctx, case)
    return order


def _raise_order(ctx: Ctx, case: Case, kind: str, reason: str, now: datetime | None = None) -> SupervisionOrder:
    now = now or clock.now()
    order = SupervisionOrder(case_id=case.id, department_id=case.department_id, kind=kind, reason=reason,
                             status=OrderStatus.open, issued_at=now, issued_by=ctx.actor.user_id or None)
    ctx.session.add(order)
    _event(ctx, case, "supervise", None, None, reason=reason, now=now, detail={"kind": kind})
    if case.department_id:
        _notify_departments(ctx, case, [case.department_id], "supervision", "督办")
    return order


def answer_order(ctx: Ctx, number: str, order_id: int, answer: str) -> SupervisionOrder:
    case = _case_or_404(ctx, number)
    order = repo.order_by_id(ctx.session, case.id, order_id)
    if order is None:
        raise NotFound("督办单不存在", field="order_id")
    if not (ctx.actor.can("cases.handle") and order.department_id in ctx.actor.department_ids):
        raise _deny("answer_supervision")
    if order.status != OrderStatus.open:
        raise Conflict("该督办单已反馈", code="already_answered", field="order_id")
    now = clock.now()
    order.status, order.answer, order.answered_at, order.answered_by = (OrderStatus.answered, answer.strip(), now,
                                                                        ctx.actor.user_id)
    _event(ctx, case, "answer_supervision", None, None, reason=order.answer, now=now, detail={"order_id": order.id})
    _flush(ctx, case)
    return order


def rate(ctx: Ctx, number: str, data: RatingIn) -> Case:
    case = _case_or_404(ctx, number)
    _require(_follower(ctx.actor, case), "rate")
    if case.status != CaseStatus.closed:
        raise Conflict("案件办结后才能回访评价", code="invalid_transition", field="status")
    if case.satisfaction is not None:
        raise Conflict("该案件已评价", code="already_rated", field="satisfaction")
    now = clock.now()
    case.satisfaction = Satisfaction(data.satisfaction)
    case.satisfaction_comment = (data.comment or "").strip() or None
    case.rated_at = now
    _event(ctx, case, "rate", None, None, reason=case.satisfaction_comment, now=now,
           detail={"satisfaction": data.satisfaction})
    if data.reopen:
        if case.satisfaction != Satisfaction.unsatisfied:
            raise ValidationFailed("只有不满意时才能要求重新办理", field="reopen")
        if not ctx.settings.reopen_on_unsatisfied:
            raise Forbidden("系统设置不允许因不满意重新办理", code="reopen_disabled")
        comment = case.satisfaction_comment
        _do_reopen(ctx, case, f"回访不满意：{comment}" if comment else "回访不满意")
    _flush(ctx, case)
    return case


def add_photo(ctx: Ctx, number: str | None, data: bytes, filename: str) -> Attachment:
    """Store a photo (checked by content) for a case the actor may see, or unattached for a report in progress."""
    from zhili.files import store

    if number is not None:
        case = _case_or_404(ctx, number)
        case_id: int | None = case.id
    else:
        if not (ctx.actor.can("cases.intake") or ctx.actor.can("cases.report")):
            ctx.actor.require("cases.intake")
        case_id = None
    photo = store.save_photo(data, filename, ctx.settings)
    a = Attachment(sha256=photo.sha256, mime=photo.mime, size=photo.size, width=photo.width, height=photo.height,
                   filename=filename[:200], case_id=case_id, uploaded_by=ctx.actor.user_id or None,
                   uploaded_at=clock.now())
    ctx.session.add(a)
    ctx.session.flush()
    return a


def reveal_caller(ctx: Ctx, number: str, reason: str) -> dict[str, str | None]:
    """The caller's unmasked name and phone, for holders of pii.reveal, with the reason in the audit log."""
    from zhili.auth import audit

    case = _case_or_404(ctx, number)
    ctx.actor.require("pii.reveal")
    audit.record(ctx.session, "pii.reveal", entity_type="case", entity_id=case.id,
                 detail={"fields": ["caller_name", "caller_phone"], "reason": reason, "number": case.number})
    return {"caller_name": case.caller_name, "caller_phone": case.caller_phone}


def photo_for(ctx: Ctx, number: str, attachment_id: int) -> Attachment:
    case = _case_or_404(ctx, number)
    a = ctx.session.get(Attachment, attachment_id)
    if a is None or a.case_id != case.id:
        raise NotFound("附件不存在", field="attachment_id")
    return a


# ---- the warning job -------------------------------------------------------------------------------------------

def mark_warnings(session: Session, settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """Yellow at the warning point, red at the deadline, each case exactly once (compare-and-set UPDATEs);
    a red case gets a supervision order the department must answer. Safe with several workers at once."""
    from zhili.auth.actor import system_actor

    now = now or clock.now()
    ctx = Ctx(session, system_actor(), settings)
    yellow = repo.mark_yellow(session, now)
    red = repo.mark_red(session, now)
    cases = {c.id: c for c in repo.cases_by_ids(session, [i for i, _ in yellow + red])}
    for case_id, dept in yellow:
        case = cases[case_id]
        _event(ctx, case, "warning", None, None, now=now, detail={"warn_level": "yellow"})
        if dept:
            _notify_departments(ctx, case, [dept], "warning", "黄色预警")
    for case_id, _dept in red:
        case = cases[case_id]
        _event(ctx, case, "overdue", None, None, now=now, detail={"warn_level": "red"})
        deadline = case.deadline_at.astimezone(ZoneInfo(settings.timezone)).strftime("%m-%d %H:%M") \
            if case.deadline_at else ""
        _raise_order(ctx, case, "overdue", f"案件已超过办理期限（{deadline}），请说明原因并加快办理", now=now)
    return {"yellow": len(yellow), "red": len(red)}


def timeline_deadline_text(case: Case, tz: str) -> str | None:
    if case.deadline_at is None:
        return None
    return case.deadline_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def overdue_by(case: Case, now: datetime) -> timedelta | None:
    if case.deadline_at is None or now <= case.deadline_at:
        return None
    return now - case.deadline_at
