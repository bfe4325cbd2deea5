"""Journey: one demand goes round the closed loop, every step clicked and typed in the pages by the person whose job
it is: a resident reports it on a phone (located by GPS), the 12345 operator registers and dispatches it to the
city-management department, whose handler signs for it and replies with a photo, the grid worker of the case's grid
sees the photo on a phone and closes it, the resident rates it, the street official reads the whole history (the
sibling street's official cannot find it), and the leader's cockpit counts it closed today.

A case is linked to a resident only as its reporter (`reporter_user_id`: a hotline call is not tied to a user by the
caller's phone), so the resident files the case; the operator's own intake form (a call taken, registered and
dispatched in one go) is the second, shorter journey."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cases.helpers import png_bytes
from tests.e2e.test_cockpit import counter, login_with_code
from tests.factories import A_POINT, PASSWORD, World

pytestmark = pytest.mark.usefixtures("world")
NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"
TITLE = "南裕小区3幢楼下建筑垃圾堆了一周"
CG = "区综合行政执法局"


def status(page: Any) -> str:
    """The status badge next to a case's title (desktop detail and the resident's phone page)."""
    return str(page.locator("h1 ~ * .badge[class*='st-']").first.inner_text()).strip()


def notice(page: Any) -> str:
    return str(page.locator("p.notice[role=status]").inner_text()).strip()


def submit(page: Any, selector: str) -> None:
    """Click a form's button and wait for the page it lands on (a 303 to the next page, or the form again)."""
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state("networkidle")


def choose_category(page: Any, name: str) -> None:
    option = page.locator("select[name=category] option", has_text=name).first
    page.select_option("select[name=category]", value=option.get_attribute("value"))


def photo_shown(page: Any, scope: str) -> bool:
    """A thumbnail inside `scope` that the browser actually fetched and decoded (not a broken image)."""
    img = page.locator(f"{scope} .thumbs img").first
    img.scroll_into_view_if_needed()  # the thumbnails load lazily: as a user scrolls down to them
    img.wait_for(timeout=5000)
    page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=img.element_handle(), timeout=5000)
    return bool(img.is_visible())


@pytest.fixture
def login(open_page: Any) -> Any:
    """open_page with a 10 s wait for anything (Playwright's 30 s default makes a broken step slow to report)."""
    def make(username: str, *, phone: bool = False) -> Any:
        page = open_page(username, PASSWORD, phone=phone)
        page.set_default_timeout(10000)
        return page

    return make


def test_a_residents_report_goes_round_the_loop(browser: Any, live_url: str, login: Any, world: World,
                                                request: pytest.FixtureRequest, tmp_path: Path) -> None:
    # 0. The resident reports it on a phone; the GPS button puts the pin where they stand (inside grid A).
    resident = login("resident", phone=True)
    resident.context.grant_permissions(["geolocation"], origin=live_url)
    resident.context.set_geolocation({"longitude": A_POINT[0], "latitude": A_POINT[1], "accuracy": 10})
    resident.goto("/service/cases")
    submit(resident, "main a.button[href='/service/cases/new']")
    resident.fill("input[name=title]", TITLE)
    choose_category(resident, "暴露垃圾")
    resident.fill("textarea[name=description]", "装修垃圾堆在绿化带旁，已经一周没人清运")
    resident.click("button[data-gps]")
    resident.wait_for_function("document.querySelector('[data-lon]').value !== ''", timeout=10000)
    assert "已定位" in resident.inner_text("[data-gps-status]")
    resident.fill("input[name=address]", "南裕小区3幢北侧")
    assert resident.evaluate(NO_SIDEWAYS)
    submit(resident, "button.primary[type=submit]")
    assert "/service/cases/" in resident.url and "ok=reported" in resident.url, resident.url
    number = resident.url.split("?")[0].rstrip("/").split("/")[-1]
    assert notice(resident) == "已上报" and status(resident) == "待立案"

    # 1. The 12345 operator (desktop) finds it in the 待立案 queue, registers it and dispatches it to 城管.
    operator = login("operator")
    operator.goto("/gov/cases")
    operator.locator("nav.queues a", has_text="待立案").click()
    operator.wait_for_load_state("networkidle")
    submit(operator, f".bench-list a[href='/gov/cases/{number}'] >> nth=0")
    assert "居民上报" in operator.inner_text("dl.kv") and status(operator) == "待立案"
    submit(operator, "#act-register button")
    assert (notice(operator), status(operator)) == ("已立案", "待派遣")
    operator.select_option("#act-dispatch select[name=department]", label=CG)
    operator.fill("#act-dispatch input[name=task]", "请尽快清运并反馈现场照片")
    submit(operator, "#act-dispatch button")
    assert (notice(operator), status(operator)) == ("已派遣", "待签收")
    assert CG in operator.inner_text("dl.kv")

    # 2. The city-management handler sees it in the inbox, signs for it and replies with a photo of the clean site.
    handler = login("cg")
    handler.goto("/gov/inbox")
    row = handler.locator("table.cases tbody tr", has=handler.locator(f"a[href='/gov/cases/{number}']"))
    assert "待签收" in row.inner_text() and TITLE in row.inner_text()
    submit(handler, f"table.cases a[href='/gov/cases/{number}'] >> nth=0")
    submit(handler, "#act-acknowledge button")
    assert (notice(handler), status(handler)) == ("已签收", "处置中")
    photo = tmp_path / "清运后.png"
    photo.write_bytes(png_bytes((160, 120), "green"))
    handler.fill("#act-reply textarea[name=text]", "已组织清运，现场已清理干净")
    handler.set_input_files("#act-reply input[name=photos]", str(photo))
    submit(handler, "#act-reply button")
    assert (notice(handler), status(handler)) == ("已处置反馈", "待核查")
    assert photo_shown(handler, "section.summary")

    # 3. The grid worker of grid A, on a phone: the task list, the photo, 核查通过; no page scrolls sideways.
    grid = login("grid_a", phone=True)
    grid.goto("/gov/grid/tasks")
    assert grid.evaluate("window.innerWidth") == 390 and grid.evaluate(NO_SIDEWAYS)
    card = grid.locator("ul.case-cards").first.locator(f"a[href='/gov/cases/{number}']")
    assert TITLE in card.inner_text() and "待核查" in card.inner_text()
    with grid.expect_navigation():
        card.click()
    grid.wait_for_load_state("networkidle")
    assert status(grid) == "待核查"
    assert photo_shown(grid, "ol.timeline li.ev-reply")
    assert grid.evaluate(NO_SIDEWAYS)
    grid.fill("#act-verify_ok textarea[name=text]", "现场核查，垃圾已清运")
    submit(grid, "#act-verify_ok button")
    assert (notice(grid), status(grid)) == ("已核查通过", "已结案")
    assert grid.evaluate(NO_SIDEWAYS)

    # 4. The resident sees it closed with the handler's photo, rates it 满意, and the rating is what the page shows.
    resident.goto("/service/cases")
    mine = resident.locator(f"ul.case-cards a[href='/service/cases/{number}']")
    assert "已结案" in mine.inner_text()
    with resident.expect_navigation():
        mine.click()
    resident.wait_for_load_state("networkidle")
    assert photo_shown(resident, "ol.timeline")
    resident.check("#rate input[name=satisfaction][value=satisfied]")
    resident.fill("#rate textarea[name=comment]", "清理得很及时")
    submit(resident, "#rate button.primary")
    assert notice(resident) == "感谢您的评价"
    assert "满意 清理得很及时" in resident.inner_text("dl.kv")
    assert resident.locator("#rate").count() == 0  # rated once: the form is gone
    assert resident.evaluate(NO_SIDEWAYS)

    # 5. The official of 首南街道 sees it in the list and its whole history; the official of 下应街道 does not.
    street = login("street")
    street.goto("/gov/cases")
    submit(street, f".bench-list a[href='/gov/cases/{number}'] >> nth=0")
    assert status(street) == "已结案"
    steps = [t.strip() for t in street.locator("ol.timeline li strong").all_inner_texts()]
    assert steps == ["受理", "立案", "派遣", "签收", "处置反馈", "核查通过", "回访评价"], steps
    assert "满意 清理得很及时" in street.inner_text("dl.kv")
    other = login("street2")
    other.goto("/gov/cases")
    assert other.locator(f"a[href='/gov/cases/{number}']").count() == 0
    assert "暂无案件" in other.inner_text(".bench-list")
    response = other.goto(f"/gov/cases/{number}")
    assert response is not None and response.status == 404
    assert TITLE not in other.inner_text("main") and "不存在" in other.inner_text("main")

    # 6. The leader's cockpit counts it: received and closed today, nothing open.
    pages = list(request.node.pages)
    leader = login_with_code(browser, live_url, world, request)
    request.node.pages = [*pages, leader]  # keep every page for the failure screenshots
    leader.goto("/gov/cockpit")
    assert (counter(leader, "received_today"), counter(leader, "closed_today"), counter(leader, "open")) == \
        ("1", "1", "0")


def test_an_operator_takes_a_call_and_dispatches_it(login: Any) -> None:
    """The 12345 intake form: the caller, what they report, where (a standard address), dispatched at once."""
    operator = login("operator")
    operator.goto("/gov/cases")
    submit(operator, "main a.button[href='/gov/cases/new']")
    operator.fill("input[name=caller_name]", "王小明")
    operator.fill("input[name=caller_phone]", "13911112222")
    operator.fill("input[name=title]", "天童南路人行道上堆满建筑垃圾")
    operator.fill("textarea[name=description]", "来电人反映人行道被建筑垃圾占用，行人只能走机动车道")
    choose_category(operator, "暴露垃圾")
    operator.fill("input[name=address]", "首南天童南路588号")
    operator.wait_for_selector("[data-address-result][data-matched='1']", timeout=5000)
    operator.check("input[name=mode][value=dispatch]")
    operator.select_option("select[name=department]", label=CG)
    submit(operator, "button.primary[type=submit]")
    assert notice(operator) == "已受理、立案并派遣" and status(operator) == "待签收"
    number = operator.url.split("?")[0].rstrip("/").split("/")[-1]
    summary = operator.inner_text("dl.kv")
    assert "12345热线" in summary and CG in summary and "天童南路588号" in summary
    assert "139****2222" in operator.inner_text("[data-caller]")  # masked on the page
    assert "13911112222" not in operator.content()

    handler = login("cg")
    handler.goto("/gov/inbox")
    row = handler.locator("table.cases tbody tr", has=handler.locator(f"a[href='/gov/cases/{number}']"))
    assert "待签收" in row.inner_text()
