"""One demo case's life, reconstructed as the closed loop would have written it: the case row's milestones, its
parts (lead and co-handlers), its timeline events, supervision orders and extension requests.

Why a simulation and not the service: the history needs 100k+ cases a minute. The rules are the same: each step
is a transition of `zhili.cases.states.TABLE` (checked with `states.allowed`), deadlines come from the category
limit through the work calendar, yellow at `warning_ratio` of the working time, and a life stops at `cutoff`
(now) or at a chosen open status, so the case is left exactly as a live one would be at that moment.
Pure: no database; ids are handed out by the caller's counters.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from zhili.cases import states
from zhili.cases.models import CaseStatus
from zhili.demo import texts
from zhili.kit.workdays import WorkCalendar

S = CaseStatus
HOUR = 3600.0


class Stop(Exception):
    """The case's life ends here (the cutoff or the chosen open status was reached)."""


@dataclass
class Counters:
    case: int
    part: int
    event: int
    order: int
    extension: int

    def take(self, name: str) -> int:
        value = getattr(self, name) + 1
        setattr(self, name, value)
        return value


@dataclass
class Dept:
    id: int
    code: str
    short: str


@dataclass
class Plan:
    """What will happen to the case (drawn by the caller), before the cutoff decides how much of it did."""

    fate: str = "normal"  # normal / self_handle / reject / merge
    master: tuple[int, str] | None = None  # (id, number) of the merge master
    master_closed_at: datetime | None = None
    send_back: bool = False
    escalate: bool = False
    co: Dept | None = None
    extension: bool = False
    suspend: bool = False
    stuck: bool = False  # never finishes: parked or forgotten
    rework: bool = False
    pace: float = 0.45  # handling time as a share of the limit
    rate: bool = False
    satisfaction: str = "satisfied"
    reopen: bool = False


@dataclass
class Life:
    cal: WorkCalendar
    ids: Counters
    case: dict[str, Any]
    cutoff: datetime
    stop_status: CaseStatus | None
    warning_ratio: float
    events: list[dict[str, Any]] = field(default_factory=list)
    parts: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    extensions: list[dict[str, Any]] = field(default_factory=list)

    # -- recording ---------------------------------------------------------------------------------------------
    def event(self, at: datetime, action: str, frm: CaseStatus | None, to: CaseStatus | None, actor: str, *,
              reason: str | None = None, detail: dict[str, Any] | None = None, case_id: int | None = None) -> None:
        self.events.append(dict(id=0, case_id=case_id or self.case["id"], at=at, actor_id=None, actor_name=actor,
                                action=action, from_status=frm.value if frm else None,
                                to_status=to.value if to else None, reason=reason, detail=detail,
                                attachment_ids=None))
        if case_id is None:
            self.case["updated_at"] = max(self.case["updated_at"], at)

    def step(self, at: datetime, action: str, actor: str, *, target: CaseStatus | None = None,
             reason: str | None = None, detail: dict[str, Any] | None = None,
             apply: Callable[[], None] | None = None) -> None:
        """Take `action` at `at` if that is before the cutoff: check the transition table, change the case,
        append the event; then stop if the chosen open status is reached."""
        if at > self.cutoff:
            raise Stop
        status = S(self.case["status"])
        if not states.allowed(action, status):
            raise AssertionError(f"{action} from {status}")  # a bug in the simulation
        t = states.TABLE[action]
        to = t.target or target or status
        if apply is not None:
            apply()
        self.case["status"] = to.value
        self.event(at, action, status, to, actor, reason=reason, detail=detail)
        if self.stop_status is not None and to == self.stop_status:
            raise Stop

    # -- the clock ---------------------------------------------------------------------------------------------
    def start_clock(self, at: datetime) -> None:
        c = self.case
        if c["limit_unit"] is None:
            c["clock_started_at"], c["deadline_at"], c["yellow_at"] = at, None, None
            return
        c["clock_started_at"] = at
        c["deadline_at"] = self.cal.add(at, c["limit_value"], c["limit_unit"])
        self.set_yellow()
        c["warn_level"] = "none"

    def set_yellow(self) -> None:
        c = self.case
        start, end = c["clock_started_at"], c["deadline_at"]
        if c["limit_unit"] == "hours":
            c["yellow_at"] = start + (end - start) * self.warning_ratio
        else:
            c["yellow_at"] = self.cal.add_working_seconds(start, self.cal.working_seconds(start, end)
                                                          * self.warning_ratio)

    def limit_seconds(self) -> float:
        c = self.case
        if c["limit_unit"] is None:
            return 5 * self.cal.day_seconds
        if c["limit_unit"] == "hours":
            return float(c["limit_value"]) * HOUR
        if c["limit_unit"] == "work_hours":
            return float(c["limit_value"]) * HOUR
        return float(c["limit_value"]) * self.cal.day_seconds

    def later(self, at: datetime, seconds: float) -> datetime:
        """`seconds` of working time after `at` (natural time for an hours-limited, urgent category)."""
        if self.case["limit_unit"] == "hours":
            return at + timedelta(seconds=seconds)
        return self.cal.add_working_seconds(at, max(60.0, seconds))


def _part(life: Life, dept: Dept, role: str, at: datetime, dispatch_no: int) -> dict[str, Any]:
    p = dict(id=life.ids.take("part"), case_id=life.case["id"], department_id=dept.id, role=role,
             status="dispatched", task="", reply=None, dispatch_no=dispatch_no, dispatched_at=at,
             acknowledged_at=None, handled_at=None)
    life.parts.append(p)
    return p


def run(life: Life, plan: Plan, rng: random.Random, *, lead: Dept, alternative: Dept, center_name: str,
        dispatcher: str, close_criteria: str) -> None:
    """Play the plan until the cutoff; afterwards derive the warning colour and supervision of a late case."""
    with contextlib.suppress(Stop):
        _play(life, plan, rng, lead, alternative, center_name, dispatcher, close_criteria)
    _warnings(life)


def _play(life: Life, plan: Plan, rng: random.Random, lead: Dept, alternative: Dept, center_name: str,
          dispatcher: str, close_criteria: str) -> None:
    c, cal = life.case, life.cal
    t: datetime = c["received_at"]
    if life.stop_status == S.received:
        raise Stop
    if plan.fate == "self_handle":
        t += timedelta(minutes=rng.uniform(3, 40))

        def done() -> None:
            c.update(self_handled=True, registered_at=t, handled_at=t, closed_at=t)
        life.step(t, "self_handle", "网格员", reason=rng.choice(("已现场劝导整改", "已当场清理", "已联系责任人处理完毕",
                                                                 "已现场协调解决")), apply=done)
        return
    t = cal.add_working_seconds(t, rng.uniform(300, 2 * HOUR))
    if plan.fate == "reject":
        reason = rng.choice(texts.REJECT_REASONS)
        life.step(t, "reject", dispatcher, reason=reason,
                  apply=lambda: c.update(reject_reason=reason, closed_at=t))
        return
    if plan.fate == "merge" and plan.master is not None:
        master_id, master_number = plan.master
        life.step(t, "merge", dispatcher, detail={"master": master_number},
                  apply=lambda: c.update(master_id=master_id, closed_at=t))
        life.event(t, "merge", None, None, dispatcher, reason=f"并入案件 {c['number']}",
                   detail={"merged": c["number"]}, case_id=master_id)
        if plan.master_closed_at is not None and plan.master_closed_at <= life.cutoff:
            life.event(plan.master_closed_at, "master_closed", None, None, "系统",
                       reason=f"主案件 {master_number} 已办结")
        return
    life.step(t, "register", dispatcher, apply=lambda: c.update(registered_at=t))
    if plan.escalate and c["level"] != "district":
        t = cal.add_working_seconds(t, rng.uniform(HOUR, 6 * HOUR))
        up = "street" if c["level"] == "community" else "district"
        old = c["level"]
        life.step(t, "escalate", dispatcher, reason=rng.choice(texts.ESCALATE_REASONS),
                  detail={"from_level": old, "to_level": up},
                  apply=lambda: c.update(level=up, escalation_count=c["escalation_count"] + 1))
        dispatcher = center_name if up == "district" else "街道治理中心"
    t = cal.add_working_seconds(t, rng.uniform(120, HOUR))
    depts = [lead]
    if plan.send_back:
        _dispatch(life, t, lead, None, dispatcher)
        t = cal.add_working_seconds(t, rng.uniform(0.1, 0.9) * cal.day_seconds)
        parts = [p for p in life.parts if p["status"] != "cancelled"]

        def back() -> None:
            for p in parts:
                p["status"] = "cancelled"
            c.update(send_back_count=c["send_back_count"] + 1, department_id=None, deadline_at=None,
                     yellow_at=None, clock_started_at=None, warn_level="none")
        life.step(t, "send_back", f"{lead.short}办理人", reason=rng.choice(texts.SEND_BACK_REASONS),
                  detail={"part_id": parts[0]["id"]}, apply=back)
        t = cal.add_working_seconds(t, rng.uniform(600, 3 * HOUR))
        lead = alternative
        depts = [lead]
    _dispatch(life, t, lead, plan.co, dispatcher)
    if plan.co is not None:
        depts.append(plan.co)
    limit = life.limit_seconds()
    active = [p for p in life.parts if p["status"] != "cancelled"]
    # Acknowledge: the lead moves the case to in_progress; a co-handler's acknowledgement leaves it there.
    for p, dept in zip(active, depts, strict=True):
        t_ack = max(t, life.later(c["dispatched_at"], rng.uniform(0.01, 0.12) * limit))

        def ack(p: dict[str, Any] = p, at: datetime = t_ack) -> None:
            p.update(status="in_progress", acknowledged_at=at)
            if p["role"] == "lead":
                c["acknowledged_at"] = at
        life.step(t_ack, "acknowledge", f"{dept.short}办理人", target=S.in_progress,
                  detail={"part_id": p["id"], "role": p["role"]}, apply=ack)
        t = max(t, t_ack)
    if plan.extension:
        t_req = life.later(c["dispatched_at"], 0.55 * limit)
        if t_req > life.cutoff:
            raise Stop
        reason = rng.choice(texts.EXTENSION_REASONS)
        ext = dict(id=life.ids.take("extension"), case_id=c["id"], department_id=lead.id, extra_value=3.0,
                   extra_unit="work_days", reason=reason, status="pending", requested_by=None,
                   requested_at=t_req, decided_by=None, decided_at=None, decision_note=None)
        life.extensions.append(ext)
        life.event(t_req, "request_extension", None, None, f"{lead.short}办理人", reason=reason,
                   detail={"extra": "3工作日"})
        t_dec = cal.add_working_seconds(t_req, rng.uniform(0.5, 4) * HOUR)
        if t_dec > life.cutoff:
            raise Stop
        ext.update(status="approved", decided_at=t_dec, decision_note="同意延期")
        if c["deadline_at"] is not None:
            c["deadline_at"] = cal.add(c["deadline_at"], 3, "work_days")
            life.set_yellow()
        c["extension_count"] += 1
        life.event(t_dec, "decide_extension", None, None, center_name, reason="同意延期",
                   detail={"approved": True, "deadline_at": c["deadline_at"].isoformat() if c["deadline_at"]
                           else None})
        limit += 3 * cal.day_seconds
    if plan.suspend:
        t_s = life.later(c["dispatched_at"], 0.3 * limit)
        _suspend(life, t_s, rng, center_name, forever=plan.stuck)
    if plan.stuck:
        raise Stop
    t_done = life.later(c["dispatched_at"], plan.pace * limit)
    t = max(t, t_done, c["updated_at"] + timedelta(minutes=30))
    reply = texts.reply_text(rng, close_criteria)
    t = _replies(life, t, rng, depts, reply)
    # Verification on site follows the reply within hours, sooner for a short limit (a 2-hour urgent case is
    # checked within the hour): a case's lateness comes from its pace, not from the checker.
    t = life.later(t, min(rng.uniform(0.3, 10) * HOUR, rng.uniform(0.05, 0.25) * limit))
    if plan.rework:
        reason = rng.choice(texts.REWORK_REASONS)

        def fail() -> None:
            c.update(rework_count=c["rework_count"] + 1, handled_at=None)
            lead_part = next(p for p in life.parts if p["role"] == "lead" and p["status"] != "cancelled")
            lead_part.update(status="in_progress", handled_at=None)
        life.step(t, "verify_fail", "网格员", reason=reason, apply=fail)
        t = life.later(t, rng.uniform(0.1, 0.5) * limit)
        t = _replies(life, t, rng, [lead], "已按核查意见重新整改：" + close_criteria, only_lead=True)
        t = life.later(t, min(rng.uniform(0.3, 8) * HOUR, rng.uniform(0.05, 0.25) * limit))
    _close(life, t, rng)
    if not plan.rate:
        return
    t = c["closed_at"] + timedelta(hours=rng.uniform(4, 72))
    _rate(life, t, plan.satisfaction, rng)
    if plan.reopen and plan.satisfaction == "unsatisfied":
        reason = "回访不满意：" + (c["satisfaction_comment"] or "")

        def reopen(at: datetime = t) -> None:
            c.update(reopen_count=c["reopen_count"] + 1, closed_at=None, handled_at=None, satisfaction=None,
                     satisfaction_comment=None, rated_at=None)
            lead_part = next(p for p in life.parts if p["role"] == "lead" and p["status"] != "cancelled")
            lead_part.update(status="in_progress", handled_at=None)
            life.start_clock(at)
        life.step(t, "reopen", "回访员", reason=reason, apply=reopen)
        t = life.later(t, rng.uniform(0.2, 0.7) * life.limit_seconds())
        t = _replies(life, t, rng, [lead], "已再次到场处理并与反映人沟通：" + close_criteria, only_lead=True)
        t = cal.add_working_seconds(t, rng.uniform(0.3, 8) * HOUR)
        _close(life, t, rng)
        _rate(life, c["closed_at"] + timedelta(hours=rng.uniform(4, 48)),
              rng.choice(("satisfied", "basic")), rng)


def _dispatch(life: Life, at: datetime, lead: Dept, co: Dept | None, dispatcher: str) -> None:
    c = life.case
    no = c["dispatch_count"] + 1

    def apply() -> None:
        c.update(dispatch_count=no, department_id=lead.id, dispatched_at=at, acknowledged_at=None, handled_at=None)
        _part(life, lead, "lead", at, no)
        if co is not None:
            _part(life, co, "co", at, no)
        life.start_clock(at)
    if at > life.cutoff:
        raise Stop
    apply()
    detail = {"department": lead.code, "co_departments": [co.code] if co else [], "task": None,
              "dispatch_no": no, "designated": False,
              "deadline_at": c["deadline_at"].isoformat() if c["deadline_at"] else None}
    life.step(at, "dispatch", dispatcher, detail=detail)


def _replies(life: Life, t: datetime, rng: random.Random, depts: list[Dept], text: str, *,
             only_lead: bool = False) -> datetime:
    """Co-handlers reply first (the case stays in progress), then the lead (the case becomes handled)."""
    c = life.case
    active = [p for p in life.parts if p["status"] == "in_progress"]
    active.sort(key=lambda p: p["role"] == "lead")
    names = {d.id: d.short for d in depts}
    for i, p in enumerate(active):
        at = t + timedelta(minutes=(i - len(active) + 1) * rng.uniform(20, 180))
        at = max(at, c["updated_at"] + timedelta(minutes=1))
        remaining = len(active) - i - 1
        target = S.handled if remaining == 0 else S.in_progress

        def reply(p: dict[str, Any] = p, at: datetime = at, target: CaseStatus = target) -> None:
            p.update(status="handled", reply=text, handled_at=at)
            if target == S.handled:
                c["handled_at"] = at
        life.step(at, "reply", f"{names.get(p['department_id'], '部门')}办理人", target=target, reason=text,
                  detail={"part_id": p["id"], "role": p["role"], "remaining_parts": remaining}, apply=reply)
        t = max(t, at)
    return t


def _close(life: Life, t: datetime, rng: random.Random) -> None:
    c = life.case
    life.step(t, "verify_ok", "网格员", reason=rng.choice(("现场核查已整改到位", "经核查问题已解决", None, None)),
              apply=lambda: c.update(closed_at=t))


def _rate(life: Life, t: datetime, satisfaction: str, rng: random.Random) -> None:
    if t > life.cutoff:
        raise Stop
    c = life.case
    comment = rng.choice(texts.UNSATISFIED) if satisfaction == "unsatisfied" else None
    c.update(satisfaction=satisfaction, satisfaction_comment=comment, rated_at=t)
    life.event(t, "rate", None, None, "回访员", reason=comment, detail={"satisfaction": satisfaction})


def _suspend(life: Life, t: datetime, rng: random.Random, center: str, *, forever: bool) -> None:
    c = life.case
    reason = rng.choice(texts.SUSPEND_REASONS)
    status = S(c["status"])

    def apply() -> None:
        c.update(status_before_suspend=status.value, suspended_at=t)
        if c["deadline_at"] is not None:
            c["remaining_seconds"] = (max(0.0, (c["deadline_at"] - t).total_seconds())
                                      if c["limit_unit"] == "hours" else life.cal.working_seconds(t, c["deadline_at"]))
    life.step(t, "suspend", center, reason=reason, apply=apply)
    if forever:
        raise Stop
    t_r = t + timedelta(days=rng.uniform(2, 20))
    since = t

    def resume() -> None:
        for key in ("deadline_at", "yellow_at"):
            moment = c[key]
            if moment is not None and moment > since:
                c[key] = (t_r + (moment - since) if c["limit_unit"] == "hours"
                          else life.cal.add_working_seconds(t_r, life.cal.working_seconds(since, moment)))
        c.update(suspended_at=None, remaining_seconds=None, status_before_suspend=None)
    life.step(t_r, "resume", center, target=status, apply=resume)


def _warnings(life: Life) -> None:
    """The warning job's marks on this case as of its last moment: yellow and red events, and a supervision
    order when it went red (closed with the case, answered once handled, else open)."""
    c = life.case
    if c["deadline_at"] is None or c["yellow_at"] is None or c["status"] in ("received", "registered", "rejected",
                                                                               "merged"):
        return
    running_until = c["handled_at"] or c["closed_at"]
    if c["status"] == "suspended":
        running_until = c["suspended_at"]
    if running_until is None:
        running_until = life.cutoff
    if c["yellow_at"] <= running_until and c["yellow_at"] <= life.cutoff:
        c["warn_level"] = "yellow"
        life.event(c["yellow_at"], "warning", None, None, "系统", detail={"warn_level": "yellow"})
    if c["deadline_at"] <= running_until and c["deadline_at"] <= life.cutoff:
        at = c["deadline_at"]
        c["warn_level"] = "red"
        life.event(at, "overdue", None, None, "系统", detail={"warn_level": "red"})
        reason = "案件已超过办理期限，请说明原因并加快办理"
        status = "closed" if c["status"] == "closed" else ("answered" if c["status"] == "handled" else "open")
        answered = at + timedelta(hours=4) if status != "open" else None
        life.orders.append(dict(id=life.ids.take("order"), case_id=c["id"], department_id=c["department_id"],
                                kind="overdue", reason=reason, status=status, issued_at=at, issued_by=None,
                                answer="正在加快办理" if answered else None, answered_at=answered,
                                answered_by=None))
        life.event(at, "supervise", None, None, "系统", reason=reason, detail={"kind": "overdue"})
