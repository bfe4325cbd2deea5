"""Journey: a 12345 operator types a call into the intake form and sees, live, the suggested category, the
resolved address (the pin moves to it) and the likely duplicate; then takes the call."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.cases.helpers import intake
from tests.factories import A_POINT, PASSWORD, World

pytestmark = pytest.mark.usefixtures("world")


def test_operator_sees_category_address_and_duplicate_live(open_page: Any, db: sessionmaker[Session],
                                                           world: World) -> None:
    earlier = intake(db, world, "a", title="小区门口垃圾堆放三天没人清理")
    page = open_page("operator", PASSWORD)
    page.goto("/gov/cases/new")

    page.fill("input[name=title]", "小区门口垃圾堆放很多天了")
    page.fill("textarea[name=description]", "垃圾桶旁边堆满了生活垃圾，味道很大")
    chips = page.locator("[data-cat-suggest] button.chip")
    chips.first.wait_for(timeout=5000)
    assert "暴露垃圾" in page.locator("[data-cat-suggest]").inner_text()
    page.locator("[data-cat-suggest] button.chip", has_text="暴露垃圾").click()
    assert page.locator("select[name=category] option:checked").inner_text().endswith("暴露垃圾")

    # An address that the standard addresses don't hold: the form says so and asks for a pin, it does not guess.
    page.fill("input[name=address]", "火星殖民地一号基地")
    page.wait_for_selector("[data-address-result][data-matched='0']", timeout=5000)
    assert "标点" in page.locator("[data-address-result]").inner_text()
    assert page.input_value("input[name=lon]") == ""

    # A standard address: the form names where it is and moves the pin there, which finds the duplicate.
    page.fill("input[name=address]", "首南天童南路588号")
    page.wait_for_selector("[data-address-result][data-matched='1']", timeout=5000)
    assert "天童南路588号" in page.locator("[data-address-result]").inner_text()
    assert (float(page.input_value("input[name=lon]")), float(page.input_value("input[name=lat]"))) == A_POINT
    page.wait_for_selector("[data-duplicates] ol.dups li", timeout=5000)
    dup = page.locator("[data-duplicates]").inner_text()
    assert earlier in dup and "米" in dup

    page.click("button.primary[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/gov/cases/" in page.url and page.url.rstrip("/").split("/")[-1] != "new"
