"""Browser journeys: Debian's chromium driven by Playwright (its own browser download needs the internet).

Where chromium or Playwright is missing the journeys skip with the reason; with ZHILI_REQUIRE_BROWSER=1 (CI) they
fail instead. A failing journey leaves a screenshot under var/e2e-failures/."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import live_server

REQUIRE = bool(os.environ.get("ZHILI_REQUIRE_BROWSER"))
SHOTS = Path(__file__).resolve().parents[2] / "var" / "e2e-failures"


def _unavailable(reason: str) -> None:
    if REQUIRE:
        pytest.fail(f"browser journeys required (ZHILI_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(f"browser journeys skipped: {reason} (run `bash scripts/ensure_browser.sh`)")


@pytest.fixture
def browser() -> Iterator[Any]:
    """One browser per test: Playwright's sync API keeps an event loop running while it is open, which would break
    later tests in the same worker that start their own (asyncio.run)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        _unavailable("Debian's chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def live_url(app: Any) -> Iterator[str]:
    with live_server(app) as url:
        yield url


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()  # type: ignore[attr-defined]
    if rep.when == "call":
        item.rep_call = rep  # type: ignore[attr-defined]


@pytest.fixture
def open_page(browser: Any, live_url: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """open_page(persona, phone=False) -> a logged-in Playwright page on the live server."""
    contexts: list[Any] = []
    request.node.pages = []

    def make(username: str, password: str, *, phone: bool = False) -> Any:
        size = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True} if phone else \
            {"viewport": {"width": 1366, "height": 900}}
        ctx = browser.new_context(base_url=live_url, locale="zh-CN", **size)
        contexts.append(ctx)
        page = ctx.new_page()
        request.node.pages.append(page)
        page.goto("/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "/login" not in page.url, f"login as {username} failed: {page.url}"
        return page

    yield make
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        SHOTS.mkdir(parents=True, exist_ok=True)
        for i, page in enumerate(request.node.pages):
            with contextlib.suppress(Exception):  # a closed page must not hide the real failure
                page.screenshot(path=str(SHOTS / f"{request.node.name}-{i}.png"), full_page=True)
    for ctx in contexts:
        ctx.close()
