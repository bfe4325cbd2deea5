"""Journey: a leader signs in (password + one-time code), opens the cockpit and sees today's counters for the
seeded cases, the charts and the heat map drawn; turns a chart into its table, downloads its CSV; then a case filed
through the API shows up in the counter live (server-sent events), without reloading the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.cases.helpers import category_code, make_case, make_order
from tests.factories import A_POINT, PASSWORD, TEST_KEY, World
from zhili.config import Settings
from zhili.db import transaction

pytestmark = pytest.mark.usefixtures("world")


def login_with_code(browser: Any, live_url: str, world: World, request: pytest.FixtureRequest) -> Any:
    """The shared `open_page` stops at the one-time-code step that a leader's role requires: this one goes on."""
    ctx = browser.new_context(base_url=live_url, locale="zh-CN", viewport={"width": 1920, "height": 1080},
                              accept_downloads=True)
    page = ctx.new_page()
    request.node.pages = [page]  # the e2e conftest screenshots these on failure; closing the browser closes ctx
    page.goto("/login")
    page.fill("input[name=username]", "leader")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/login/totp**")
    page.fill("input[name=code]", world.totp("leader"))
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, page.url
    return page


def counter(page: Any, key: str) -> str:
    return str(page.inner_text(f"[data-counter={key}]")).strip()


def test_leader_watches_the_cockpit_live(browser: Any, live_url: str, open_page: Any, db: sessionmaker[Session],
                                         world: World, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings = Settings(secret_key=TEST_KEY, geo_refresh_seconds=0)
    make_case(db, world, "a_received")
    make_case(db, world, "c_received")
    make_case(db, world, "a_closed")
    make_order(db, world, "a_dispatched", settings)  # a supervision order by hand: an alert
    page = login_with_code(browser, live_url, world, request)

    page.goto("/gov/cockpit")
    assert (counter(page, "received_today"), counter(page, "open"), counter(page, "closed_today")) == ("4", "3", "1")
    assert (counter(page, "yellow"), counter(page, "red")) == ("0", "0")
    for name in ("trend", "categories", "streets"):
        page.wait_for_selector(f"[data-chart={name}][data-ready='1'] .chart canvas", timeout=10000)
    page.wait_for_selector("#mon-map[data-ready='1'] canvas", timeout=10000)
    assert "督办" in page.inner_text("[data-alerts]")

    # The trend as a table: the same figures, today's row with the four cases received.
    trend = page.locator("[data-chart=trend]")
    trend.locator("[data-toggle]").click()
    table = trend.locator(".chart-table table")
    table.wait_for(timeout=5000)
    assert trend.locator(".chart").is_hidden()
    assert "受理量" in table.inner_text()
    last = table.locator("tbody tr").last.inner_text().split("\t")
    assert last[1:] == ["4", "1"], last

    with page.expect_download() as info:
        trend.locator("[data-csv]").click()
    saved = tmp_path / "trend.csv"
    info.value.save_as(saved)
    raw = saved.read_bytes()
    assert raw.startswith("\ufeff".encode()) and raw.decode("utf-8-sig").splitlines()[0] == "日期,受理量,结案量"

    # Live: wait for the feed, file a case through the API, and watch the counter move without a reload.
    page.wait_for_selector("[data-live].on", timeout=10000)
    page.evaluate("window.__sameDocument = true")
    with transaction(db) as s:
        code = category_code(s)
    token = world.token(db, "operator")
    r = httpx.post(f"{live_url}/api/cases", headers={"Authorization": f"Bearer {token}"},
                   json={"title": "人行道上堆满建筑垃圾", "category": code, "lon": A_POINT[0], "lat": A_POINT[1],
                         "address": "测试路2号"})
    assert r.status_code == 201, r.text
    page.wait_for_function("document.querySelector('[data-counter=received_today]').textContent.trim() === '5'",
                           timeout=15000)
    assert counter(page, "open") == "4"
    assert page.evaluate("window.__sameDocument") is True
