"""The case pages, used as a person would: signed in with the cookie session, forms with their CSRF token."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from tests.auth.helpers import csrf_from, web_login
from tests.cases.helpers import act, category_code, make_case
from tests.factories import A_POINT, OUTSIDE, PASSWORD
from zhili.cases.models import Attachment, Case, CaseEvent
from zhili.db import transaction

Web = Callable[[str], TestClient]


@pytest.fixture
def web(app, world) -> Iterator[Web]:  # type: ignore[no-untyped-def]
    """web("operator") -> a TestClient signed in through the login form (cookie session, CSRF in forms)."""
    clients: list[TestClient] = []

    def make(persona: str) -> TestClient:
        c = TestClient(app, base_url="http://testserver")
        r = web_login(c, persona, PASSWORD)
        assert r.status_code == 303, r  # type: ignore[attr-defined]
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def cat(db) -> str:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        return category_code(s, "暴露垃圾")


def jpeg(size: tuple[int, int] = (120, 90)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (30, 140, 60)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def case_count(db) -> int:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        return int(s.scalar(select(func.count()).select_from(Case)) or 0)


def form_csrf(client: TestClient, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text[:300]
    return csrf_from(page.text)


def version_on(html: str, action: str) -> str:
    form = html.split(f'id="act-{action}"', 1)[1]
    m = re.search(r'name="version" value="(\d+)"', form)
    assert m, f"no version in the {action} form"
    return m.group(1)


INTAKE = {"title": "小区门口垃圾堆放", "description": "居民来电反映门口垃圾三天没人清理", "caller_name": "王小明",
          "caller_phone": "13800138000", "address": "南裕路 1 号", "lon": str(A_POINT[0]), "lat": str(A_POINT[1])}


def test_operator_accepts_registers_and_dispatches_in_one_submit(web, db, cat) -> None:  # type: ignore[no-untyped-def]
    op = web("operator")
    token = form_csrf(op, "/gov/cases/new")
    r = op.post("/gov/cases/new", data={**INTAKE, "category": cat, "mode": "dispatch", "department": "330212-CG",
                                        "task": "请当日清运", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    assert re.fullmatch(r"/gov/cases/YZ\d{8}-\d{6}\?ok=dispatched", r.headers["location"])
    page = op.get(r.headers["location"])
    assert page.status_code == 200
    assert "已受理、立案并派遣" in page.text
    assert "待签收" in page.text and "区综合行政执法局" in page.text and "请当日清运" in page.text
    # Three steps on the timeline, each with its status change; the caller masked.
    assert "待立案 → 待派遣" in page.text and "待派遣 → 待签收" in page.text
    assert "138****8000" in page.text and "13800138000" not in page.text
    number = r.headers["location"].split("/")[-1].split("?")[0]
    with transaction(db) as s:
        case = s.scalars(select(Case).where(Case.number == number)).one()
        actions = list(s.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)))
    assert actions == ["intake", "register", "dispatch"]


def test_dispatch_without_a_chosen_department_follows_the_responsibility_list(web, cat) -> None:  # type: ignore[no-untyped-def]
    op = web("operator")
    r = op.post("/gov/cases/new", data={**INTAKE, "category": cat, "mode": "dispatch",
                                        "csrf_token": form_csrf(op, "/gov/cases/new")}, follow_redirects=False)
    assert r.status_code == 303
    page = op.get(r.headers["location"])
    # An event in grid A (street S1) goes to the territory: the street's social governance center.
    assert "待签收" in page.text and "首南街道社会治理中心" in page.text


def test_a_failed_dispatch_keeps_the_accepted_and_registered_case(web, db, cat) -> None:  # type: ignore[no-untyped-def]
    op = web("operator")
    r = op.post("/gov/cases/new", data={**INTAKE, "category": cat, "mode": "dispatch", "department": "330212-XX",
                                        "csrf_token": form_csrf(op, "/gov/cases/new")},
                files=[("photos", ("现场.jpg", jpeg(), "image/jpeg"))], follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("?ok=dispatch_failed")
    page = op.get(r.headers["location"]).text
    assert "未能自动派遣" in page and "待派遣" in page and 'id="act-dispatch"' in page
    assert re.search(r'src="/api/cases/[^"]+/thumb"', page)  # the photo survived the undone dispatch
    with transaction(db) as s:
        case = s.scalars(select(Case)).one()
        actions = list(s.scalars(select(CaseEvent.action).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)))
        assert case.status == "registered" and case.dispatch_count == 0
    assert actions == ["intake", "register"]


@pytest.mark.parametrize(("change", "message"), [
    ({"title": ""}, "请填写诉求标题"),
    ({"lon": str(OUTSIDE[0]), "lat": str(OUTSIDE[1])}, "不在鄞州区的任何网格内"),
    ({"lon": "", "lat": ""}, "请在地图上选点"),
    ({"category": "ZZ9999"}, "未知或已停用的事项分类"),
])
def test_a_bad_intake_form_comes_back_with_the_message_and_the_input(web, db, cat, change, message) -> None:  # type: ignore[no-untyped-def]
    op = web("operator")
    data = {**INTAKE, "category": cat, "mode": "dispatch", "department": "330212-CG"} | change
    r = op.post("/gov/cases/new", data={**data, "csrf_token": form_csrf(op, "/gov/cases/new")},
                files=[("photos", ("现场.jpg", jpeg(), "image/jpeg"))], follow_redirects=False)
    assert r.status_code == 422, r.text[:300]
    assert message in r.text
    assert "居民来电反映门口垃圾三天没人清理" in r.text  # what was typed is still there
    assert 'value="330212-CG" selected' in r.text
    assert case_count(db) == 0
    with transaction(db) as s:
        assert s.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_stale_page_gets_the_conflict_message_and_nothing_changes(web, db, world) -> None:  # type: ignore[no-untyped-def]
    number = make_case(db, world, "a_received")
    op = web("operator")
    page = op.get(f"/gov/cases/{number}")
    seen = version_on(page.text, "register")
    act(db, world, "operator", number, "register")  # someone else registers it meanwhile
    r = op.post(f"/gov/cases/{number}/act/reject", data={"version": seen, "reason": "重复来电",
                                                         "csrf_token": csrf_from(page.text)})
    assert r.status_code == 409
    assert "案件已被他人处理" in r.text and "待派遣" in r.text
    assert "重复来电" in r.text  # the typed reason is kept in the form
    with transaction(db) as s:
        assert s.scalars(select(Case.status).where(Case.number == number)).one() == "registered"


def test_an_action_form_moves_the_case_and_redirects_back(web, db, world) -> None:  # type: ignore[no-untyped-def]
    number = make_case(db, world, "a_registered")
    op = web("operator")
    page = op.get(f"/gov/cases/{number}")
    assert 'id="act-dispatch"' in page.text and "建议" in page.text
    r = op.post(f"/gov/cases/{number}/act/dispatch",
                data={"version": version_on(page.text, "dispatch"), "department": "330212-ZJ",
                      "co_departments": ["330212-CG"], "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/gov/cases/{number}?ok=dispatch"
    after = op.get(r.headers["location"]).text
    assert "已派遣" in after and "区住房和城乡建设局" in after and "协办" in after
    # The handler's inbox lists it; signing for it moves it on.
    zj = web("zj")
    inbox = zj.get("/gov/inbox")
    assert number in inbox.text
    detail = zj.get(f"/gov/cases/{number}")
    r = zj.post(f"/gov/cases/{number}/act/acknowledge", data={"version": version_on(detail.text, "acknowledge"),
                                                              "csrf_token": csrf_from(detail.text)})
    assert r.status_code == 200 and "处置中" in r.text


def test_a_denied_action_is_a_403_page_with_the_reason(web, db, world) -> None:  # type: ignore[no-untyped-def]
    number = make_case(db, world, "a_received")
    grid = web("grid_a")
    page = grid.get(f"/gov/cases/{number}")
    assert 'id="act-register"' not in page.text
    r = grid.post(f"/gov/cases/{number}/act/register", data={"version": "1", "csrf_token": csrf_from(page.text)})
    assert r.status_code == 403 and "您无权对此案件执行“立案”" in r.text


def test_a_form_without_the_csrf_token_is_refused(web, db, world) -> None:  # type: ignore[no-untyped-def]
    number = make_case(db, world, "a_received")
    r = web("operator").post(f"/gov/cases/{number}/act/register", data={"version": "1"})
    assert r.status_code == 403 and "CSRF" in r.text
    with transaction(db) as s:
        assert s.scalars(select(Case.status).where(Case.number == number)).one() == "received"


def test_grid_worker_reports_with_a_photo_and_its_thumbnail_is_served(web, db) -> None:  # type: ignore[no-untyped-def]
    grid = web("grid_a")
    token = form_csrf(grid, "/gov/grid/report")
    with transaction(db) as s:
        cat = category_code(s, "暴露垃圾")
    r = grid.post("/gov/grid/report", data={"title": "人行道垃圾", "category": cat, "lon": str(A_POINT[0]),
                                            "lat": str(A_POINT[1]), "self_handled": "1",
                                            "self_handle_note": "已叫保洁清理", "csrf_token": token},
                  files=[("photos", ("现场.jpg", jpeg(), "image/jpeg")), ("photos", ("", b"", "application/octet-stream"))],
                  follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    assert r.headers["location"].endswith("?ok=self_handled")
    page = grid.get(r.headers["location"])
    assert "已结案" in page.text and "就地处置" in page.text and "已叫保洁清理" in page.text
    thumb = re.search(r'src="(/api/cases/[^"]+/thumb)"', page.text)
    assert thumb, "the photo's thumbnail is on the page"
    img = grid.get(thumb.group(1))
    assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(img.content)).size[0] <= 320
    # My tasks lists my report.
    number = r.headers["location"].split("/")[-1].split("?")[0]
    assert number in grid.get("/gov/grid/tasks").text
    with transaction(db) as s:
        assert s.scalar(select(func.count()).select_from(Attachment)) == 1


def test_grid_tasks_list_cases_waiting_for_verification_in_my_grid(web, db, world) -> None:  # type: ignore[no-untyped-def]
    handled = make_case(db, world, "a_handled")
    other = make_case(db, world, "b_handled")
    grid = web("grid_a")
    tasks = grid.get("/gov/grid/tasks").text
    assert handled in tasks and other not in tasks
    page = grid.get(f"/gov/cases/{handled}")
    r = grid.post(f"/gov/cases/{handled}/act/verify_ok",
                  data={"version": version_on(page.text, "verify_ok"), "text": "现场已清理干净",
                        "back": "/gov/grid/tasks", "csrf_token": csrf_from(page.text)},
                  files=[("photos", ("核查.jpg", jpeg(), "image/jpeg"))], follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/gov/grid/tasks?ok=verify_ok"
    assert handled not in grid.get("/gov/grid/tasks").text.split("我上报的")[0]


def test_resident_sees_only_own_cases_and_rates_a_closed_one(web, db, world) -> None:  # type: ignore[no-untyped-def]
    mine = make_case(db, world, "a_resident_closed")
    open_mine = make_case(db, world, "a_resident")
    theirs = make_case(db, world, "a_registered")
    me = web("resident")
    listing = me.get("/service/cases")
    assert listing.status_code == 200
    assert mine in listing.text and open_mine in listing.text and theirs not in listing.text
    assert me.get(f"/service/cases/{theirs}").status_code == 404
    assert me.get(f"/gov/cases/{mine}").status_code == 403
    page = me.get(f"/service/cases/{mine}")
    assert "已结案" in page.text and "请对办理结果评价" in page.text
    assert "区综合行政执法局" in page.text  # who handled it
    assert 'id="rate"' not in me.get(f"/service/cases/{open_mine}").text  # only once closed
    r = me.post(f"/service/cases/{mine}/rate", data={"version": re.search(r'name="version" value="(\d+)"',
                                                                         page.text).group(1),  # type: ignore[union-attr]
                                                    "satisfaction": "satisfied", "comment": "很及时",
                                                    "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    after = me.get(r.headers["location"]).text
    assert "感谢您的评价" in after and "满意" in after and "很及时" in after
    assert "请对办理结果评价" not in after


def test_resident_reports_from_the_phone_form(web, db, cat) -> None:  # type: ignore[no-untyped-def]
    me = web("resident")
    token = form_csrf(me, "/service/cases/new")
    r = me.post("/service/cases/new", data={"title": "路灯不亮", "category": cat, "lon": str(A_POINT[0]),
                                            "lat": str(A_POINT[1]), "caller_phone": "13800138000",
                                            "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/service/cases/")
    page = me.get(r.headers["location"]).text
    assert "已上报" in page and "路灯不亮" in page and "待立案" in page
    with transaction(db) as s:
        case = s.scalars(select(Case)).one()
        assert case.channel == "resident" and case.caller_phone is None


def test_staff_internals_stay_off_the_residents_timeline(web, db, world) -> None:  # type: ignore[no-untyped-def]
    number = make_case(db, world, "a_resident")
    act(db, world, "operator", number, "register", reason="内部备注：疑似重复")
    page = web("resident").get(f"/service/cases/{number}").text
    assert "立案" in page and "内部备注" not in page and "operator" not in page


def test_out_of_scope_case_is_404_on_every_page(web, db, world) -> None:  # type: ignore[no-untyped-def]
    number = make_case(db, world, "a_registered")
    s2 = web("street2")
    assert s2.get(f"/gov/cases/{number}").status_code == 404
    page = s2.get("/gov/cases")
    r = s2.post(f"/gov/cases/{number}/act/dispatch", data={"version": "1", "department": "330212-CG",
                                                           "csrf_token": csrf_from(page.text)})
    assert r.status_code == 404
    assert number not in page.text


def test_workbench_counts_queues_and_filters(web, db, world) -> None:  # type: ignore[no-untyped-def]
    for spec in ("a_received", "a_received", "a_registered", "c_dispatched_s2"):
        make_case(db, world, spec)
    op = web("operator")
    page = op.get("/gov/cases").text
    assert re.search(r'data-queue="received">2<', page) and re.search(r'data-queue="registered">1<', page)
    assert re.search(r'data-queue="dispatched">1<', page)
    street = web("street").get("/gov/cases").text  # street S1 does not count S2's case
    assert re.search(r'data-queue="dispatched">0<', street) and re.search(r'data-queue="received">2<', street)
    queue = op.get("/gov/cases?queue=registered").text
    assert queue.count('href="/gov/cases/YZ') == 2  # number and title of the one registered case
    bad = op.get("/gov/cases?category=NOPE")
    assert bad.status_code == 422 and "未知的事项分类" in bad.text


def test_supervision_desk_approves_an_extension(web, db, world) -> None:  # type: ignore[no-untyped-def]
    number = make_case(db, world, "a_in_progress_cg")
    cg = web("cg")
    page = cg.get(f"/gov/cases/{number}")
    r = cg.post(f"/gov/cases/{number}/act/request_extension",
                data={"version": version_on(page.text, "request_extension"), "extra_value": "2",
                      "extra_unit": "work_days", "reason": "需协调施工单位", "csrf_token": csrf_from(page.text)},
                follow_redirects=False)
    assert r.status_code == 303
    op = web("operator")
    desk = op.get("/gov/supervision")
    assert number in desk.text and "需协调施工单位" in desk.text
    rid = re.search(r'name="request_id" value="(\d+)"', desk.text).group(1)  # type: ignore[union-attr]
    version = re.search(r'name="version" value="(\d+)"', desk.text).group(1)  # type: ignore[union-attr]
    r = op.post(f"/gov/cases/{number}/act/decide_extension",
                data={"version": version, "request_id": rid, "approve": "1", "back": "/gov/supervision",
                      "csrf_token": csrf_from(desk.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/gov/supervision?ok=decide_extension"
    assert "需协调施工单位" not in op.get("/gov/supervision").text
    assert "已批准" in op.get(f"/gov/cases/{number}").text


def test_department_answers_a_supervision_order_from_the_inbox(web, db, world) -> None:  # type: ignore[no-untyped-def]
    number = make_case(db, world, "a_in_progress_cg")
    op = web("operator")
    page = op.get(f"/gov/cases/{number}")
    r = op.post(f"/gov/cases/{number}/act/supervise", data={"version": version_on(page.text, "supervise"),
                                                            "reason": "群众反映强烈", "csrf_token": csrf_from(page.text)},
                follow_redirects=False)
    assert r.status_code == 303
    cg = web("cg")
    inbox = cg.get("/gov/inbox").text
    assert "群众反映强烈" in inbox
    oid = re.search(r'name="order_id" value="(\d+)"', inbox).group(1)  # type: ignore[union-attr]
    version = re.search(r'name="version" value="(\d+)"', inbox).group(1)  # type: ignore[union-attr]
    r = cg.post(f"/gov/cases/{number}/act/answer_order",
                data={"version": version, "order_id": oid, "answer": "已安排人员今日处理", "back": "/gov/inbox",
                      "csrf_token": csrf_from(inbox)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/gov/inbox?ok=answer_order"
    assert "已安排人员今日处理" in op.get(f"/gov/cases/{number}").text
    assert "群众反映强烈" not in cg.get("/gov/inbox").text


def test_menus_show_the_case_pages_to_the_right_people(web) -> None:  # type: ignore[no-untyped-def]
    op = web("operator").get("/gov").text
    assert 'href="/gov/cases"' in op and 'href="/gov/cases/new"' in op and 'href="/gov/supervision"' in op
    dept = web("cg").get("/gov").text
    assert 'href="/gov/inbox"' in dept and 'href="/gov/cases/new"' not in dept
    resident = web("resident").get("/service").text
    assert 'href="/service/cases"' in resident and 'href="/service/cases/new"' in resident


def test_a_call_taken_by_a_street_official_stays_with_the_street(web, as_persona, db, cat) -> None:  # type: ignore[no-untyped-def]
    """分级受理: the street official registers and dispatches the call; the district center still sees it."""
    st = web("street")
    r = st.post("/gov/cases/new", data={**INTAKE, "category": cat, "mode": "register",
                                        "csrf_token": form_csrf(st, "/gov/cases/new")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = st.get(r.headers["location"]).text
    assert "待派遣" in page and "街道" in page
    number = r.headers["location"].split("/gov/cases/")[1].split("?")[0]
    detail = as_persona("operator").get(f"/api/cases/{number}").json()
    assert detail["level"] == "street" and detail["status"] == "registered"
    assert as_persona("street2").get(f"/api/cases/{number}").status_code == 404
    assert case_count(db) == 1


@pytest.mark.parametrize(("action", "data", "message"), [
    ("register", {"version": "abc"}, "版本应为数字"),
    ("register", {"version": "99999999999999999999"}, "版本无效"),
    ("dispatch", {"department": "330212-CG", "part_id": "1e400"}, "任务应为数字"),
    ("dispatch", {"department": "330212-CG", "co_departments": [f"D{i}" for i in range(11)]}, "协办部门太多"),
    ("reject", {"reason": "长" * 501}, "理由不能超过 500 个字"),
    ("request_extension", {"extra_value": "-1", "extra_unit": "work_days", "reason": "需协调"}, "延期时长超出允许范围"),
    ("request_extension", {"extra_value": "2", "extra_unit": "years", "reason": "需协调"}, "延期单位填写有误"),
    ("decide_extension", {"request_id": "1"}, "请选择批准或不批准"),
    ("rate", {"satisfaction": "great"}, "满意度填写有误"),
    ("relocate", {"lon": "abc", "lat": "29.8"}, "经度应为数字"),
])
def test_malformed_forms_are_a_4xx_page_in_chinese(as_persona, db, world, action, data, message) -> None:  # type: ignore[no-untyped-def]
    number = make_case(db, world, "a_registered")
    r = as_persona("operator").post(f"/gov/cases/{number}/act/{action}", data=data)
    assert r.status_code == 422, r.text[:300]
    assert message in r.text and "<html" in r.text


def test_workbench_with_a_bad_query_is_not_a_500(as_persona, world) -> None:  # type: ignore[no-untyped-def]
    op = as_persona("operator")
    assert op.get("/gov/cases?before=99999999999999999999").status_code == 422
    assert op.get("/gov/cases?area=abc").status_code == 404
    assert op.get("/gov/cases?queue=nope").status_code == 422
