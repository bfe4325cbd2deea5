"""Every transition, allowed and denied by role and scope, and the deadlines across China's holidays."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.cases.helpers import category_code, make_case
from zhili.db import transaction
from zhili.kit import clock

CG, ZJ = "330212-CG", "330212-ZJ"
OK, DENY, GONE = 200, 403, 404

# (action, case spec, body, [(persona, expected status)]) — a = grid A in street S1, c = grid C in street S2
RULES: list[tuple[str, str, dict[str, object], list[tuple[str, int]]]] = [
    ("register", "a_received", {}, [("operator", OK), ("street", DENY), ("community", DENY), ("grid_a", DENY),
                                   ("cg", GONE), ("street2", GONE), ("resident", GONE), ("leader", OK)]),
    ("register", "a_grid", {}, [("community", OK), ("street", OK), ("grid_a", DENY), ("grid_b", GONE)]),
    ("reject", "a_received", {"reason": "重复来电"}, [("operator", OK), ("grid_a", DENY), ("street2", GONE)]),
    ("dispatch", "a_registered", {"department": CG}, [("operator", OK), ("street", DENY), ("cg", GONE),
                                                      ("street2", GONE)]),
    ("acknowledge", "a_dispatched_cg", {}, [("cg", OK), ("zj", GONE), ("operator", DENY), ("grid_a", DENY)]),
    ("send_back", "a_dispatched_cg", {"reason": "非本部门职责"}, [("cg", OK), ("zj", GONE), ("operator", DENY)]),
    ("reply", "a_in_progress_cg", {"text": "已处理"}, [("cg", OK), ("zj", GONE), ("operator", DENY),
                                                     ("grid_a", DENY)]),
    ("verify_ok", "a_handled_cg", {}, [("grid_a", OK), ("operator", OK), ("street", OK), ("grid_b", GONE),
                                       ("cg", DENY), ("street2", GONE)]),
    ("verify_fail", "a_handled_cg", {"reason": "未处理到位"}, [("grid_a", OK), ("grid_b", GONE), ("cg", DENY)]),
    ("escalate", "a_registered", {"reason": "上报"}, [("street", DENY), ("grid_a", DENY)]),
    ("merge", "a_received", {"master": "@a_registered"}, [("operator", OK), ("grid_a", DENY), ("street2", GONE)]),
    ("suspend", "a_dispatched_cg", {"reason": "等待鉴定"}, [("operator", OK), ("leader", OK), ("street", DENY),
                                                        ("cg", DENY), ("street2", GONE)]),
    ("self_handle", "a_received", {"text": "已现场处理"}, [("grid_a", OK), ("grid_b", GONE), ("street", DENY),
                                                       ("operator", DENY)]),
]


def _cases():  # type: ignore[no-untyped-def]
    for action, spec, body, expectations in RULES:
        for persona, status in expectations:
            yield pytest.param(action, spec, body, persona, status, id=f"{action}-{spec}-{persona}")


@pytest.mark.parametrize(("action", "spec", "body", "persona", "expected"), list(_cases()))
def test_who_may_take_each_step(as_persona, db, world, action, spec, body, persona, expected) -> None:  # type: ignore[no-untyped-def]
    number = make_case(db, world, spec)
    body = {k: (make_case(db, world, v[1:]) if isinstance(v, str) and v.startswith("@") else v)
            for k, v in body.items()}
    client = as_persona(persona)
    before = as_persona("operator").get(f"/api/cases/{number}").json()
    r = client.post(f"/api/cases/{number}/actions/{action}", json=body)
    assert r.status_code == expected, r.text
    after = as_persona("operator").get(f"/api/cases/{number}").json()
    if expected == OK:
        assert after["version"] > before["version"] and after["events"][-1]["action"] == action
        assert action in before["actions"] or persona != "operator"
    else:
        assert after == before  # a refused step leaves the case and its timeline exactly as they were


def test_community_escalates_a_community_case_and_street_a_street_case(as_persona, db, world) -> None:  # type: ignore[no-untyped-def]
    number = make_case(db, world, "a_grid")
    community, street = as_persona("community"), as_persona("street")
    assert community.post(f"/api/cases/{number}/actions/register", json={}).status_code == OK
    assert community.post(f"/api/cases/{number}/actions/escalate", json={"reason": "需街道协调"}).status_code == OK
    assert community.post(f"/api/cases/{number}/actions/escalate", json={"reason": "再上报"}).status_code == DENY
    assert street.post(f"/api/cases/{number}/actions/escalate", json={"reason": "需区协调"}).status_code == OK


# Deadlines across the 2026 Spring Festival (off 02-15..02-23, make-up working days Sat 02-14 and Sat 02-28) and
# National Day (off 10-01..10-07). Times in UTC; Beijing is UTC+8; working hours 08:30-12:00 and 13:30-17:30.
HOLIDAY_DEADLINES = [
    # Friday 02-13 16:00 Beijing + 4 working hours: 1.5 h on Friday, 2.5 h on the make-up Saturday -> 02-14 11:00
    ("暴露垃圾", datetime(2026, 2, 13, 8, 0, tzinfo=UTC), datetime(2026, 2, 14, 3, 0, tzinfo=UTC)),
    # + 20 working days: 02-14 is the 1st, the festival is skipped, 02-28 counts -> Thursday 03-19 16:00
    ("违法建设(拆除)", datetime(2026, 2, 13, 8, 0, tzinfo=UTC), datetime(2026, 3, 19, 8, 0, tzinfo=UTC)),
    # Wednesday 09-30 16:00 + 4 working hours: 1.5 h on 09-30, the week off, 2.5 h on Thursday 10-08 -> 11:00
    ("暴露垃圾", datetime(2026, 9, 30, 8, 0, tzinfo=UTC), datetime(2026, 10, 8, 3, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize(("category", "at", "expected"), HOLIDAY_DEADLINES)
def test_deadlines_skip_holidays_and_count_make_up_days(as_persona, db, category, at, expected) -> None:  # type: ignore[no-untyped-def]
    op = as_persona("operator")
    with transaction(db) as s:
        code = category_code(s, category)
    from tests.factories import A_POINT

    with clock.frozen(at):
        r = op.post("/api/cases", json={"title": "节前来电", "category": code, "lon": A_POINT[0], "lat": A_POINT[1]})
        n = r.json()["number"]
        op.post(f"/api/cases/{n}/actions/register", json={})
        d = op.post(f"/api/cases/{n}/actions/dispatch", json={"department": CG}).json()
    assert datetime.fromisoformat(d["deadline_at"]) == expected, d["limit"]
