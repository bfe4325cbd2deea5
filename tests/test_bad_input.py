"""Numbers too large for the database, and other malformed values, are a 4xx with the field named, never a 500."""

from __future__ import annotations

import pytest

HUGE = 99_999_999_999_999_999_999


@pytest.mark.parametrize(("method", "url", "body", "field"), [
    ("GET", f"/api/audit?before={HUGE}", None, "before"),
    ("DELETE", f"/api/org/grids/330212006001001/team/{HUGE}", None, "member_id"),
    ("POST", f"/api/org/grids/330212006001001/team/{HUGE}/reveal", {"reason": "核实信息用"}, "member_id"),
    ("POST", "/api/org/grids/330212006001001/team", {"staff_id": HUGE, "role": "volunteer"}, "staff_id"),
    ("POST", f"/api/auth/users/{HUGE}/unlock", None, "user_id"),
    ("GET", "/api/org/grids?offset=-1", None, "offset"),
    ("GET", "/api/org/lookup?lon=nan&lat=29.8", None, "lon"),
    ("GET", "/api/org/lookup?lon=121.5&lat=inf", None, "lat"),
    ("GET", "/api/org/areas?parent=abc", None, "parent"),
])
def test_out_of_range_values_are_422_naming_the_field(as_persona, world, method, url, body, field) -> None:
    r = as_persona("admin").request(method, url, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and r.json()["code"] == "invalid"


def test_pages_answer_bad_query_values_in_chinese(as_persona, world) -> None:
    r = as_persona("leader").get(f"/gov/audit?before={HUGE}")
    assert r.status_code == 422 and "before" in r.text and "<html" in r.text
