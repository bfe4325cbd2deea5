"""Journey on a phone (390 px): a grid worker opens its verification tasks, corrects a phone number on site (a bad
ID number first: the message stands next to the field and what was typed stays), and the task is done. The pages
never scroll sideways and their controls are big enough to tap."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import PASSWORD
from tests.registry.helpers_verify import NEW_PHONE, P_A, task_for
from zhili.config import Settings
from zhili.registry.models import EntityKind

pytestmark = pytest.mark.usefixtures("world")
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


def _smallest_target(page: Any, selector: str) -> float:
    return page.eval_on_selector_all(
        selector, "els => Math.min(...els.filter(e => e.offsetParent).map(e => e.getBoundingClientRect().height))")


def test_grid_worker_corrects_a_phone_on_a_phone(open_page: Any, db: sessionmaker[Session],
                                                 settings: Settings) -> None:
    task_id = task_for(db, settings, EntityKind.person, P_A)
    page = open_page("grid_a", PASSWORD, phone=True)
    page.goto("/gov/registry/tasks")
    assert page.evaluate("window.innerWidth") == 390
    assert page.evaluate(NO_SIDEWAYS)
    page.click(f"a[href='/gov/registry/tasks/{task_id}']")
    page.wait_for_load_state("networkidle")
    assert page.evaluate(NO_SIDEWAYS)
    assert "138****2222" in page.locator("#f-phone").inner_text()
    assert _smallest_target(page, ".choices label, .verify button") >= 44
    assert not page.locator("#f-phone .fix").is_visible()  # shown only when 更正 is chosen

    page.locator("#f-id_number .choices label", has_text="更正").click()
    page.fill("input[name=value_id_number]", "330203198001011239")
    page.fill("input[name=reason_id_number]", "核对证件")
    page.locator("#f-phone .choices label", has_text="更正").click()
    assert page.locator("#f-phone .fix").is_visible()
    page.fill("input[name=value_phone]", NEW_PHONE)
    page.fill("input[name=reason_phone]", "本人现场告知")
    page.click("button.primary[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "校验位错误" in page.locator("#f-id_number .field-error").inner_text()
    assert page.input_value("input[name=value_phone]") == NEW_PHONE
    assert page.evaluate(NO_SIDEWAYS)

    page.locator("#f-id_number .choices label", has_text="未核查").click()
    page.click("button.primary[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/gov/registry/tasks?ok=done")
    assert "核查结果已提交" in page.inner_text("main")
    assert page.locator(f"a[href='/gov/registry/tasks/{task_id}']").count() == 0
