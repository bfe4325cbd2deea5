"""The calendar pages: the administrator's month grid and forms (cookie session, CSRF), the coverage warning on
the governance home page, and the deadline calculator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.auth.helpers import csrf_from, web_login
from tests.factories import PASSWORD
from zhili.kit import clock

WARNING_2027 = "2027 年的节假日安排尚未录入，跨年期限按周一至周五计算，请录入国务院办公厅公布的安排"


@pytest.fixture
def late_november() -> Iterator[None]:
    with clock.frozen(datetime(2026, 11, 29, 2, 0, tzinfo=UTC)):
        yield


@pytest.fixture
def admin_browser(app, world, late_november) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://testserver") as c:
        web_login(c, "admin", PASSWORD)
        token = csrf_from(c.get("/login/totp").text)
        r = c.post("/login/totp", data={"code": world.totp("admin"), "csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303
        yield c


def test_admin_sees_the_missing_2027_schedule_on_the_home_page(admin_browser: TestClient) -> None:
    home = admin_browser.get("/gov")
    assert home.status_code == 200
    assert WARNING_2027 in home.text and 'href="/gov/calendar"' in home.text
    page = admin_browser.get("/gov/calendar")
    assert WARNING_2027 in page.text and "2026 年" in page.text


def test_others_do_not_see_the_warning_nor_the_menu(as_persona, world, late_november) -> None:  # type: ignore[no-untyped-def]
    for persona in ("street", "leader", "operator"):
        home = as_persona(persona).get("/gov")
        assert home.status_code == 200 and WARNING_2027 not in home.text
        assert 'href="/gov/calendar"' not in home.text
    page = as_persona("leader").get("/gov/calendar?year=2026")  # readable with cases.supervise, without forms
    assert page.status_code == 200 and "春节" in page.text
    assert WARNING_2027 not in page.text and 'action="/gov/calendar/days"' not in page.text
    assert as_persona("street").get("/gov/calendar").status_code == 403


def test_admin_enters_2027_through_the_page_and_the_warning_goes(admin_browser: TestClient) -> None:
    page = admin_browser.get("/gov/calendar?year=2027")
    assert "安排未录入" in page.text
    token = csrf_from(page.text)
    r = admin_browser.post("/gov/calendar/days", data={"day": "2027-02-06", "kind": "workday", "name": "春节",
                                                      "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/gov/calendar?year=2027&done=saved"
    page = admin_browser.get(r.headers["location"])
    assert "已保存" in page.text and "2027-02-06" in page.text and "调休上班" in page.text
    assert 'class="mk" title="春节调休上班">6<sup>班</sup>' in page.text
    r = admin_browser.post("/gov/calendar/years/2027", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert WARNING_2027 not in admin_browser.get("/gov").text
    r = admin_browser.post("/gov/calendar/days/2027-02-06/delete", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert "2027-02-06" not in admin_browser.get("/gov/calendar?year=2027").text


def test_a_form_without_the_csrf_token_is_refused(admin_browser: TestClient) -> None:
    r = admin_browser.post("/gov/calendar/days", data={"day": "2027-02-06", "kind": "workday"})
    assert r.status_code == 403 and "CSRF" in r.text
    assert "2027-02-06" not in admin_browser.get("/gov/calendar?year=2027").text


@pytest.mark.parametrize(("form", "message"), [
    ({"day": "2027-02-30", "kind": "holiday"}, "日期格式错误"),
    ({"day": "", "kind": "holiday"}, "日期格式错误"),
    ({"day": "2027-02-08", "kind": "vacation"}, "请选择放假或调休上班"),
    ({"day": "2027-02-08", "kind": "holiday", "name": "长" * 40}, "名称不超过 32 个字"),
    ({"day": "1999-02-08", "kind": "holiday"}, "年份应在 2000 至 2100 之间"),
])
def test_bad_form_input_shows_the_page_again_with_the_reason(admin_browser: TestClient, form: dict[str, str],
                                                             message: str) -> None:
    token = csrf_from(admin_browser.get("/gov/calendar").text)
    r = admin_browser.post("/gov/calendar/days", data=form | {"csrf_token": token})
    assert r.status_code == 422 and message in r.text
    assert f'value="{form["day"]}"' in r.text  # what was typed is kept
    assert "2027-02-08" not in admin_browser.get("/gov/calendar?year=2027").text


def test_unmarking_a_built_in_year_is_explained(admin_browser: TestClient) -> None:
    token = csrf_from(admin_browser.get("/gov/calendar").text)
    r = admin_browser.post("/gov/calendar/years/2026/delete", data={"csrf_token": token})
    assert r.status_code == 409 and "来自内置的国务院办公厅通知" in r.text


def test_the_deadline_calculator(as_persona, world) -> None:  # type: ignore[no-untyped-def]
    operator = as_persona("operator")
    page = operator.get("/gov/calendar/deadline")
    assert page.status_code == 200 and "截止时间" not in page.text
    r = operator.get("/gov/calendar/deadline", params={"start": "2026-02-13T16:00", "value": "4",
                                                       "unit": "work_hours"})
    assert r.status_code == 200 and "截止时间：2026-02-14 11:00（周六）" in r.text
    r = operator.get("/gov/calendar/deadline", params={"start": "2026-12-30T10:00", "value": "5",
                                                       "unit": "work_days"})
    assert "2027-01-06 10:00" in r.text and "2027 年的节假日安排尚未录入" in r.text
    r = operator.get("/gov/calendar/deadline", params={"start": "2026-02-13T16:00", "value": "四"})
    assert r.status_code == 422 and "请填写开始时间" in r.text
    r = operator.get("/gov/calendar/deadline", params={"start": "2026-02-13T16:00", "value": "-2"})
    assert r.status_code == 422 and "非负" in r.text
    assert as_persona("grid_a").get("/gov/calendar/deadline").status_code == 403
