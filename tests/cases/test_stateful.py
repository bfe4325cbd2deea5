"""Concurrent actions on one case, checked against the transition table (zhili/cases/states.py), on PostgreSQL.

A hypothesis state machine makes a few cases in various states, then repeatedly fires two or three actions at
one case at the same moment (threads released by a barrier, some a little later), from different people: the operator dispatching,
the department sending back, acknowledging or replying, the grid worker verifying, the leader suspending... each
with the version it read. After each step:

- nobody got a 500: an action that may not happen answers 409 (status or version), 403/422 (this person may not,
  or a reason is missing) or 404 (a department that never had the case cannot see it);
- at most one action won (they all carried the same version); when none won, the case is untouched;
- the case's new status is one TABLE allows from the previous status through the action that won (the same
  status when none won), and the timeline grew by exactly that action's event, which names both statuses;
- the whole timeline is a valid path through TABLE from "received".
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from tests.cases.helpers import make_case
from zhili.cases.models import CaseStatus
from zhili.cases.states import TABLE

CG, ZJ = "330212-CG", "330212-ZJ"
HANDLERS = {"cg": CG, "zj": ZJ}

# (persona, action, body): who may do what on a district-level case of grid A handled by CG or ZJ.
MOVES: list[tuple[str, str, dict[str, Any]]] = [
    ("operator", "register", {}),
    ("operator", "reject", {"reason": "不属于受理范围"}),
    ("grid_a", "self_handle", {"text": "已现场处置"}),
    ("operator", "dispatch", {"department": CG}),
    ("leader", "dispatch", {"department": ZJ}),
    ("cg", "acknowledge", {}),
    ("zj", "acknowledge", {}),
    ("cg", "send_back", {"reason": "不属于本部门职责"}),
    ("zj", "send_back", {"reason": "不属于本部门职责"}),
    ("cg", "reply", {"text": "已处置完毕"}),
    ("zj", "reply", {"text": "已处置完毕"}),
    ("grid_a", "verify_ok", {"text": "核查通过"}),
    ("operator", "verify_fail", {"reason": "仍未处理到位"}),
    ("leader", "suspend", {"reason": "等待产权单位确认"}),
    ("operator", "resume", {}),
    ("operator", "escalate", {"reason": "请上级协调"}),  # a district case: nothing above, always 409
    ("street", "register", {}),  # a street official on a district case: 403
    ("cg", "verify_ok", {}),  # a department may not verify its own work: 403 (or 404 before it had the case)
]
SPECS = ["a_received", "a_registered", "a_dispatched_cg", "a_dispatched_zj", "a_in_progress_cg", "a_handled_zj"]


def _valid_moves(detail: dict[str, Any]) -> list[int]:
    """Indexes of the moves that would succeed alone right now (the case's own department acting)."""
    status, dept = detail["status"], (detail["department"] or {}).get("code")
    wanted: set[tuple[str, str]] = {
        "received": {("operator", "register"), ("operator", "reject"), ("grid_a", "self_handle")},
        "registered": {("operator", "dispatch"), ("leader", "dispatch"), ("leader", "suspend")},
        "dispatched": {(p, "acknowledge") for p, d in HANDLERS.items() if d == dept} | {("leader", "suspend")},
        "in_progress": {(p, "reply") for p, d in HANDLERS.items() if d == dept} | {("leader", "suspend")},
        "handled": {("grid_a", "verify_ok"), ("operator", "verify_fail"), ("leader", "suspend")},
        "suspended": {("operator", "resume")},
    }.get(status, set())
    return [i for i, (p, a, _) in enumerate(MOVES) if (p, a) in wanted]


def _targets(action: str, before: str, before_suspend: str | None) -> set[str]:
    """The statuses TABLE allows after `action` from `before` (empty: not allowed)."""
    t = TABLE[action]
    if CaseStatus(before) not in t.sources:
        return set()
    if t.target is not None:
        return {t.target.value}
    return {"acknowledge": {"in_progress", before}, "reply": {"handled", "in_progress"},
            "resume": {before_suspend or "registered"}}[action]


def _check_path(events: list[dict[str, Any]]) -> None:
    """Every status-changing event starts where the previous one ended and is a move TABLE allows."""
    assert events and events[0]["action"] == "intake" and events[0]["to_status"] == "received", events[:1]
    status, before_suspend = "received", None
    for e in events[1:]:
        if e["from_status"] is None:  # a note on the timeline (warning, supervision, ...): no move
            continue
        assert e["from_status"] == status, (e, status)
        assert e["to_status"] in _targets(e["action"], status, before_suspend), (e, status)
        before_suspend = status if e["action"] == "suspend" else before_suspend
        status = e["to_status"]


def _race(calls: list[Any], delays: list[float]) -> list[Any]:
    """Run the calls in threads released together; each waits its delay first (0: truly simultaneous; later: it
    arrives after the others may have committed, with the version it read before)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, fn: Any) -> None:
        barrier.wait()
        time.sleep(delays[i])
        try:
            results[i] = fn()
        except Exception as exc:  # reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.fixture(autouse=True)
def _postgres_only(engine) -> None:  # type: ignore[no-untyped-def]
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrency is decided by PostgreSQL row versions; SQLite serialises writers")


def test_concurrent_actions_follow_the_transition_table(app, world, db) -> None:  # type: ignore[no-untyped-def]
    personas = sorted({p for p, _, _ in MOVES})
    clients = {p: TestClient(app, headers={"Authorization": f"Bearer {world.token(db, p)}"}) for p in personas}
    steps: list[tuple[bool, list[tuple[str, str, int]]]] = []
    failures: list[Exception] = []

    class CaseRaces(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.status: dict[str, str] = {}
            self.before_suspend: dict[str, str | None] = {}

        def open_cases(self) -> list[str]:
            return [n for n, s in self.status.items() if s not in ("closed", "rejected", "merged")]

        @precondition(lambda self: len(self.open_cases()) < 3)
        @rule(spec=st.sampled_from(SPECS))
        def new_case(self, spec: str) -> None:
            number = make_case(db, world, spec)
            self.status[number] = clients["operator"].get(f"/api/cases/{number}").json()["status"]
            self.before_suspend[number] = None

        @precondition(lambda self: bool(self.open_cases()))
        @rule(data=st.data())
        def race(self, data: st.DataObject) -> None:
            try:
                self._race(data)
            except Exception as exc:  # kept: hypothesis replays the failing run, and a race does not replay
                exc.add_note(f"last steps (contested, [(persona, action, answer)]): {steps[-3:]}")
                failures.append(exc)
                raise

        def _race(self, data: st.DataObject) -> None:
            number = data.draw(st.sampled_from(self.open_cases()), label="case")
            op = clients["operator"]
            before = op.get(f"/api/cases/{number}").json()
            assert before["status"] == self.status[number], "the case changed outside the race"
            _check_path(before["events"])
            valid = _valid_moves(before)
            picks = data.draw(st.lists(st.sampled_from(range(len(MOVES))), min_size=2, max_size=3, unique=True),
                              label="moves")
            if valid:  # every race with a possible move includes one, so the machine makes progress
                first = data.draw(st.sampled_from(valid), label="valid move")
                if first not in picks:
                    picks[0] = first
                rivals = [i for i in valid if i != first]
                if rivals and data.draw(st.booleans(), label="two that could both happen"):
                    second = data.draw(st.sampled_from(rivals), label="rival move")
                    picks = [first, second, *(i for i in picks if i not in (first, second))][:3]
            moves = [MOVES[i] for i in picks]
            version = before["version"]
            delays = data.draw(st.lists(st.sampled_from([0.0, 0.0, 0.05, 0.2]), min_size=len(moves),
                                        max_size=len(moves)), label="delays")
            results = _race([
                (lambda p=p, a=a, b=b: clients[p].post(f"/api/cases/{number}/actions/{a}",
                                                       json={**b, "version": version}))
                for p, a, b in moves], delays)
            after = op.get(f"/api/cases/{number}").json()
            contested = sum(i in valid for i in picks) >= 2
            steps.append((contested, [(p, a, getattr(r, "status_code", 0))
                                      for (p, a, _), r in zip(moves, results, strict=True)]))
            # a department sees a case once it was dispatched to it (and ever after); before that, 404
            known = {(p.get("department") or {}).get("code") for p in before["parts"]}
            winners = []
            for (persona, action, _), r in zip(moves, results, strict=True):
                assert not isinstance(r, Exception), r
                code = r.status_code
                refused = {409, 403, 422} | ({404} if HANDLERS.get(persona) not in known | {None} else set())
                assert code == 200 or code in refused, (persona, action, code, r.text)
                if code == 200:
                    winners.append((persona, action, r.json()))
                elif code == 409:
                    assert r.json()["code"] in ("stale", "invalid_transition", "top_level", "designated",
                                                "send_back_expired"), r.text
            assert len(winners) <= 1, [(p, a) for p, a, _ in winners]
            if valid:  # the others may lose to it, but a move that can happen alone is not lost in the race
                assert winners, "every move was refused though one of them could happen"
            old, new = before["events"], after["events"]
            assert new[:len(old)] == old, "the timeline's past changed"
            if not winners:
                assert after["status"] == before["status"] and after["version"] == version, "a refused move left a trace"
                assert new == old
                return
            _, action, answer = winners[0]
            assert answer["status"] == after["status"] and after["version"] > version
            allowed = _targets(action, before["status"], self.before_suspend[number])
            assert after["status"] in allowed, (action, before["status"], after["status"])
            assert [(e["action"], e["from_status"], e["to_status"]) for e in new[len(old):]] == [
                (action, before["status"], after["status"])]
            _check_path(new)
            if action == "suspend":
                self.before_suspend[number] = before["status"]
            self.status[number] = after["status"]

    outcome: Exception | None = None
    try:
        run_state_machine_as_test(CaseRaces, settings=settings(
            max_examples=8, stateful_step_count=15, deadline=None, derandomize=True, database=None,
            # no shrinking: a race does not replay the same way, and the first failure is the clearest
            phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck)))
    except Exception as exc:
        outcome = exc
    finally:
        for c in clients.values():
            c.close()
    if failures:  # the first failure as it happened, not hypothesis's replay of it (which may come out "flaky")
        raise failures[0]
    if outcome is not None:
        raise outcome
    # The machine did race: many steps set two moves that could each happen against each other (one won), and
    # every kind of move won somewhere.
    won = {a for _, moves in steps for _, a, code in moves if code == 200}
    print(f"\n{len(steps)} races, {sum(c for c, _ in steps)} contested; won: {sorted(won)}")
    assert sum(contested for contested, _ in steps) >= 15, steps
    assert len(won & {"register", "reject", "self_handle", "dispatch", "acknowledge", "reply", "verify_ok",
                      "verify_fail", "suspend", "resume"}) >= 8, (won, steps)
