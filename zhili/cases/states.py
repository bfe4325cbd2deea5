"""The one transition table of the closed loop. `apply()` is the only code that assigns `Case.status`.

Pure: no database. The service decides *who* may take an action (roles and scopes); this module decides *whether*
the action is possible from the case's current status, and what status follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from zhili.cases.models import STATUS_LABEL, CaseStatus
from zhili.kit.errors import Conflict

S = CaseStatus


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[CaseStatus]
    target: CaseStatus | None  # None: decided by the service (resume -> previous, reply -> handled when all parts)
    needs_reason: bool = False
    actor: str = "dispatcher"  # dispatcher / handler / verifier / reporter / grid / center / followup


def _t(action: str, label: str, sources: tuple[CaseStatus, ...], target: CaseStatus | None, *,
       needs_reason: bool = False, actor: str = "dispatcher") -> Transition:
    return Transition(action, label, frozenset(sources), target, needs_reason, actor)


OPEN = (S.received, S.registered, S.dispatched, S.in_progress, S.handled)

TABLE: dict[str, Transition] = {t.action: t for t in (
    _t("register", "立案", (S.received,), S.registered),
    _t("reject", "不予立案", (S.received,), S.rejected, needs_reason=True),
    _t("self_handle", "就地处置(小事不出网格)", (S.received,), S.closed, actor="grid"),
    _t("dispatch", "派遣", (S.registered,), S.dispatched),
    _t("acknowledge", "签收", (S.dispatched, S.in_progress), None, actor="handler"),
    _t("send_back", "退回", (S.dispatched,), S.registered, needs_reason=True, actor="handler"),
    _t("reply", "处置反馈", (S.in_progress,), None, actor="handler"),
    _t("verify_ok", "核查通过", (S.handled,), S.closed, actor="verifier"),
    _t("verify_fail", "核查不通过(返工)", (S.handled,), S.in_progress, needs_reason=True, actor="verifier"),
    _t("escalate", "上报上级", (S.registered, S.dispatched, S.in_progress), S.registered, needs_reason=True),
    _t("merge", "并案", (S.received, S.registered), S.merged, needs_reason=False),
    _t("suspend", "挂起", OPEN, S.suspended, needs_reason=True, actor="center"),
    _t("resume", "恢复", (S.suspended,), None, actor="center"),
    _t("reopen", "重新办理", (S.closed,), S.in_progress, needs_reason=True, actor="followup"),
)}


class HasStatus(Protocol):
    status: CaseStatus
    status_before_suspend: CaseStatus | None


def allowed(action: str, status: CaseStatus) -> bool:
    t = TABLE.get(action)
    return t is not None and status in t.sources


def actions_from(status: CaseStatus) -> list[str]:
    return [a for a, t in TABLE.items() if status in t.sources]


def apply(case: HasStatus, action: str, target: CaseStatus | None = None) -> tuple[CaseStatus, CaseStatus]:
    """Move `case` along `action`; returns (from, to). Raises 409 naming the current status when not allowed.

    `target` is only for actions whose result the service decides: acknowledge (dispatched -> in_progress or
    stays), reply (in_progress -> handled when every part is handled, else stays) and resume (the status before
    the suspension)."""
    t = TABLE[action]
    current = case.status
    if current not in t.sources:
        raise Conflict(f"案件当前状态为“{STATUS_LABEL[current]}”，不能{t.label}", code="invalid_transition",
                       field="status")
    if t.target is not None:
        new = t.target
    elif action == "resume":
        new = case.status_before_suspend or S.registered
    elif action == "acknowledge":
        new = target or S.in_progress
        if new not in (S.in_progress,):
            raise ValueError(new)
    elif action == "reply":
        new = target or S.handled
        if new not in (S.handled, S.in_progress):
            raise ValueError(new)
    else:  # pragma: no cover - every action without a fixed target is handled above
        raise ValueError(action)
    if action == "suspend":
        case.status_before_suspend = current
    elif action == "resume":
        case.status_before_suspend = None
    case.status = new
    return current, new
