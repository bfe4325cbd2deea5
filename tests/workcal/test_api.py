"""The calendar API: coverage, a year's days, administrators' edits, bad input, permissions, the deadline."""

from __future__ import annotations

import pytest

from zhili.kit import clock
from zhili.workcal.service import FESTIVALS


def test_years_show_coverage_including_the_missing_next_year(as_persona, world) -> None:  # type: ignore[no-untyped-def]
    with clock.frozen(clock.now().replace(year=2026, month=11, day=29)):
        years = {y["year"]: y for y in as_persona("leader").get("/api/calendar/years").json()}
    assert years[2026]["covered"] and years[2026]["source"] == "chinesecalendar"
    assert years[2026]["holidays"] == 19 and years[2026]["workdays"] == 6
    assert not years[2027]["covered"] and years[2027]["source_label"] == "未录入"
    assert min(years) == 2004


def test_a_years_days_list_holidays_and_make_up_days(as_persona, world) -> None:  # type: ignore[no-untyped-def]
    days = as_persona("operator").get("/api/calendar/days?year=2026").json()
    by_day = {d["day"]: d for d in days}
    assert (by_day["2026-02-16"]["kind"], by_day["2026-02-16"]["name"], by_day["2026-02-16"]["weekday"]) == (
        "holiday", "春节", "周一")
    assert by_day["2026-09-20"]["kind_label"] == "调休上班" and by_day["2026-09-20"]["weekday"] == "周日"
    assert all(d["day"].startswith("2026-") for d in days) and len(days) == 19 + 6
    assert {d["name"] for d in days} <= set(FESTIVALS.values())


def test_admin_adds_a_year_day_by_day_then_marks_it(as_persona, world) -> None:  # type: ignore[no-untyped-def]
    admin = as_persona("admin")
    r = admin.put("/api/calendar/days/2027-02-08", json={"kind": "holiday", "name": "  春节 "})
    assert r.status_code == 200
    assert r.json() == {"day": "2027-02-08", "weekday": "周一", "kind": "holiday", "kind_label": "放假",
                             "name": "春节", "source": "admin", "source_label": "管理员录入", "regular": False}
    assert admin.put("/api/calendar/days/2027-02-20", json={"kind": "workday"}).json()["kind_label"] == "调休上班"
    assert [d["day"] for d in admin.get("/api/calendar/days?year=2027").json()] == ["2027-02-08", "2027-02-20"]
    r = admin.post("/api/calendar/years/2027")
    assert r.status_code == 200 and r.json()["covered"] and r.json()["source"] == "admin"
    assert r.json()["holidays"] == 1 and r.json()["workdays"] == 1
    assert admin.post("/api/calendar/years/2027").status_code == 200  # idempotent
    r = admin.get("/api/calendar/deadline", params={"start": "2027-02-05T16:00", "value": 1, "unit": "work_days"})
    assert r.json()["deadline_local"].startswith("2027-02-09 16:00") and r.json()["warning"] is None
    assert admin.delete("/api/calendar/years/2027").status_code == 204
    assert not next(y for y in admin.get("/api/calendar/years").json() if y["year"] == 2027)["covered"]


def test_a_built_in_year_cannot_be_unmarked(as_persona, world) -> None:  # type: ignore[no-untyped-def]
    r = as_persona("admin").delete("/api/calendar/years/2026")
    assert r.status_code == 409 and r.json()["field"] == "year"
    assert next(y for y in as_persona("admin").get("/api/calendar/years").json() if y["year"] == 2026)["covered"]


def test_deleting_a_day_returns_it_to_monday_to_friday(as_persona, world) -> None:  # type: ignore[no-untyped-def]
    admin = as_persona("admin")
    params = {"start": "2026-09-30T16:00", "value": 1, "unit": "work_days"}
    assert admin.get("/api/calendar/deadline", params=params).json()["deadline_local"].startswith("2026-10-08")
    assert admin.delete("/api/calendar/days/2026-10-01").status_code == 204
    day = next(d for d in admin.get("/api/calendar/days?year=2026").json() if d["day"] == "2026-10-01")
    assert day["regular"] and day["kind_label"] == "按常规" and day["source"] == "admin"
    assert admin.get("/api/calendar/deadline", params=params).json()["deadline_local"].startswith("2026-10-01 16:00")
    assert admin.delete("/api/calendar/days/2026-03-03").status_code == 204  # already regular: nothing to do
    admin.put("/api/calendar/days/2027-05-03", json={"kind": "holiday"})
    assert admin.delete("/api/calendar/days/2027-05-03").status_code == 204
    assert admin.get("/api/calendar/days?year=2027").json() == []


def test_the_deadline_warns_when_it_crosses_an_uncovered_year(as_persona, world) -> None:  # type: ignore[no-untyped-def]
    r = as_persona("operator").get("/api/calendar/deadline",
                                   params={"start": "2026-12-30T10:00+08:00", "value": 5, "unit": "work_days"})
    assert r.status_code == 200
    body = r.json()
    assert body["deadline"] == "2027-01-06T02:00:00Z" and body["uncovered_years"] == [2027]
    assert "2027 年的节假日安排尚未录入" in body["warning"]
    r = as_persona("operator").get("/api/calendar/deadline",
                                   params={"start": "2026-02-13T08:00:00Z", "value": 4, "unit": "work_hours"})
    assert r.json()["deadline"] == "2026-02-14T03:00:00Z" and r.json()["deadline_local"] == "2026-02-14 11:00（周六）"


@pytest.mark.parametrize(("method", "url", "body", "field"), [
    ("put", "/api/calendar/days/2026-02-30", {"kind": "holiday"}, "day"),
    ("put", "/api/calendar/days/tomorrow", {"kind": "holiday"}, "day"),
    ("put", "/api/calendar/days/1999-12-31", {"kind": "holiday"}, "day"),
    ("put", "/api/calendar/days/2101-01-03", {"kind": "holiday"}, "day"),
    ("put", "/api/calendar/days/2027-01-04", {"kind": "vacation"}, "kind"),
    ("put", "/api/calendar/days/2027-01-04", {}, "kind"),
    ("put", "/api/calendar/days/2027-01-04", {"kind": "holiday", "name": "长" * 33}, "name"),
    ("delete", "/api/calendar/days/2026-13-01", None, "day"),
    ("delete", "/api/calendar/days/1900-01-01", None, "day"),
    ("post", "/api/calendar/years/1999", None, "year"),
    ("post", "/api/calendar/years/99999999999999999999", None, "year"),
    ("delete", "/api/calendar/years/2101", None, "year"),
    ("get", "/api/calendar/days?year=2101", None, "year"),
    ("get", "/api/calendar/days?year=abc", None, "year"),
    ("get", "/api/calendar/deadline?start=2026-02-13T16:00&value=-1", None, "value"),
    ("get", "/api/calendar/deadline?start=2026-02-13T16:00&value=1&unit=weeks", None, "unit"),
    ("get", "/api/calendar/deadline?start=yesterday&value=1", None, "start"),
    ("get", "/api/calendar/deadline?start=1990-02-13T16:00&value=1", None, "start"),
    ("get", "/api/calendar/deadline?start=2100-12-30T16:00&value=9000&unit=work_days", None, "value"),
])
def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(as_persona, world, method, url, body,
                                                                 field) -> None:  # type: ignore[no-untyped-def]
    admin = as_persona("admin")
    before = admin.get("/api/calendar/days?year=2027").json()
    r = admin.request(method.upper(), url, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and r.json()["code"] == "invalid"
    assert admin.get("/api/calendar/days?year=2027").json() == before


def test_only_calendar_managers_change_it_and_readers_need_supervision(as_persona, world) -> None:  # type: ignore[no-untyped-def]
    for persona in ("leader", "operator", "street"):
        r = as_persona(persona).put("/api/calendar/days/2027-01-04", json={"kind": "holiday"})
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
        assert as_persona(persona).post("/api/calendar/years/2027").status_code == 403
        assert as_persona(persona).delete("/api/calendar/days/2026-10-01").status_code == 403
    assert as_persona("leader").get("/api/calendar/days").status_code == 200
    for persona in ("street", "grid_a", "dept", "resident"):
        assert as_persona(persona).get("/api/calendar/days").status_code == 403
        assert as_persona(persona).get("/api/calendar/deadline?start=2026-03-02T10:00&value=1").status_code == 403
    assert as_persona("admin").get("/api/calendar/days?year=2026").json()[0]["day"] == "2026-01-01"
