"""Every GeoReport v2 resource and every bad input of the issue, in both formats, through the app."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text

from tests.cases.helpers import _through, act, intake
from tests.factories import A_POINT, OUTSIDE
from tests.matrix_common import ID_NUMBER, PHONE
from tests.open311.helpers import BASE, GARBAGE, LAMP, case_count, issue_key, parse, report
from zhili.cases.models import Case, CaseStatus, Channel
from zhili.db import transaction
from zhili.open311.models import Open311Request

FORMATS = ["json", "xml"]


@pytest.fixture(autouse=True)
def _world(world):  # type: ignore[no-untyped-def]
    """Every test runs in the small district of tests/factories (grids, departments, personas)."""
    return world


def _file(client: Any, key: str, fmt: str = "json", **extra: Any) -> dict[str, Any]:
    r = client.post(f"{BASE}/requests.{fmt}", data=report(key, **extra))
    assert r.status_code == 200, r.text
    return parse(fmt, r.text)[0]  # type: ignore[no-any-return]


def _error(r: Any, fmt: str, status: int) -> str:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/xml" if fmt == "xml" else "application/json")
    body = parse(fmt, r.text)
    assert isinstance(body, list) and len(body) == 1 and set(body[0]) == {"code", "description"}, body
    assert str(body[0]["code"]) == str(status)
    return str(body[0]["description"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_v2_endpoint_and_both_formats(client, fmt) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"{BASE}/discovery.{fmt}")
    assert r.status_code == 200
    if fmt == "xml":
        assert r.text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<discovery>')
    d = parse(fmt, r.text)
    assert set(d) == {"changeset", "contact", "key_service", "endpoints"}
    (ep,) = d["endpoints"]
    assert ep["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert ep["url"] == "http://testserver/open311/v2" and ep["type"] == "production"
    assert ep["formats"] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_list_only_public_leaves(client, fmt) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"{BASE}/services.{fmt}")
    assert r.status_code == 200
    services = {s["service_code"]: s for s in parse(fmt, r.text)}
    assert GARBAGE in services and LAMP in services
    assert not any(code.startswith(("ZL", "SJ04")) or len(code) == 4 for code in services)  # no majors
    lamp = services[LAMP]
    assert list(lamp) == ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
    assert lamp["service_name"] == "路灯" and lamp["group"] == "公用设施" and "不亮" in lamp["keywords"]
    assert str(lamp["metadata"]) in ("True", "true") and lamp["type"] == "realtime"
    assert str(services[GARBAGE]["metadata"]) in ("False", "false")
    if fmt == "json":
        assert isinstance(lamp["service_code"], str) and lamp["metadata"] is True


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition(client, fmt) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"{BASE}/services/{LAMP}.{fmt}")
    assert r.status_code == 200
    d = parse(fmt, r.text)
    assert d["service_code"] == LAMP
    (attr,) = d["attributes"]
    assert list(attr) == ["variable", "code", "datatype", "required", "datatype_description", "order",
                          "description", "values"]
    assert attr["code"] == "lamp_state" and attr["datatype"] == "singlevaluelist"
    assert str(attr["required"]).lower() == "true" and str(attr["order"]) == "1"
    assert {"key": "off", "name": "不亮"} in attr["values"]
    assert "不存在" in _error(client.get(f"{BASE}/services/NOPE.{fmt}"), fmt, 404)
    _error(client.get(f"{BASE}/services/ZL0101.{fmt}"), fmt, 404)  # governance matters are not public


@pytest.mark.parametrize("fmt", FORMATS)
def test_file_then_token_then_fetch(client, db, fmt) -> None:  # type: ignore[no-untyped-def]
    key = issue_key(db)
    filed = _file(client, key, fmt)
    number, token = filed["service_request_id"], filed["token"]
    assert number.startswith("YZ") and filed["account_id"] == "acc-9" and "已受理" in filed["service_notice"]
    r = client.get(f"{BASE}/tokens/{token}.{fmt}")
    assert parse(fmt, r.text) == [{"service_request_id": number, "token": token}]
    (req,) = parse(fmt, client.get(f"{BASE}/requests/{number}.{fmt}").text)
    assert req["status"] == "open" and req["service_code"] == GARBAGE and req["service_name"] == "暴露垃圾"
    assert req["status_notes"] == "已受理，等待立案"
    assert req["requested_datetime"].endswith("+08:00") and "T" in req["requested_datetime"]
    assert float(req["lat"]) == A_POINT[1] and float(req["long"]) == A_POINT[0]
    with transaction(db) as s:
        case = s.scalars(select(Case).where(Case.number == number)).one()
        assert case.channel == Channel.open311 and case.status == CaseStatus.received
        assert case.caller_phone == "13800138000"  # staff can call back (masked on their screens)
        raw = s.execute(text("SELECT phone, email, first_name FROM open311_requests")).one()
        assert "13800138000" not in str(raw) and "wang@" not in str(raw)  # encrypted at rest
        assert s.scalars(select(Open311Request)).one().email == "wang@example.com"
    _error(client.get(f"{BASE}/tokens/nope.{fmt}"), fmt, 404)
    _error(client.get(f"{BASE}/requests/YZ20000101-000001.{fmt}"), fmt, 404)


def test_reporter_data_never_returned_and_description_masked(client, db) -> None:  # type: ignore[no-untyped-def]
    key = issue_key(db)
    number = _file(client, key, description="请回电 13912345678，身份证 330212199001011234 王小明")[
        "service_request_id"]
    for url in (f"{BASE}/requests/{number}.json", f"{BASE}/requests.xml", f"{BASE}/requests.json"):
        body = client.get(url).text
        assert "请回电 139****5678" in body
        assert not PHONE.search(body) and not ID_NUMBER.search(body)
        for secret in ("13800138000", "wang@example.com", "小明", "dev-1", "acc-9"):
            assert secret not in body, (url, secret)


@pytest.mark.parametrize("fmt", FORMATS)
def test_attributes_are_checked_and_kept(client, db, fmt) -> None:  # type: ignore[no-untyped-def]
    key = issue_key(db)
    url = f"{BASE}/requests.{fmt}"
    ok = client.post(url, data=report(key, service_code=LAMP, **{"attribute[lamp_state]": "off"}))
    assert ok.status_code == 200, ok.text
    bad = [({}, "缺少必填属性"), ({"attribute[lamp_state]": "purple"}, "不在可选项中"),
           ({"attribute[lamp_state]": "off", "attribute[color]": "x"}, "未知的属性"),
           ({"attribute[lamp_state][]": ["off", "day"]}, "只能有一个值")]
    for extra, words in bad:
        assert words in _error(client.post(url, data=report(key, service_code=LAMP, **extra)), fmt, 400)
    noise = report(key, service_code="SJ0301", **{"attribute[noise_kind][]": ["machine", "truck"],
                                                   "attribute[noise_at]": "2026-11-28T22:30:00+08:00"})
    assert client.post(url, data=noise).status_code == 200
    assert "应为数字" in _error(client.post(url, data=report(key, service_code="BJ0207", **{
        "attribute[area_m2]": "大约一平方"})), fmt, 400)
    assert "日期" in _error(client.post(url, data=report(key, service_code="SJ0301", **{
        "attribute[noise_kind][]": "machine", "attribute[noise_at]": "昨晚"})), fmt, 400)
    with transaction(db) as s:
        kept = [o.attributes for o in s.scalars(select(Open311Request).order_by(Open311Request.id))]
    assert kept == [{"lamp_state": "off"},
                    {"noise_kind": ["machine", "truck"], "noise_at": "2026-11-28T14:30:00+00:00"}]


BAD_POSTS = [
    ({"description": ""}, 400, "description 不能为空"),
    ({"description": "   "}, 400, "description 不能为空"),
    ({"description": "坏" * 10_000}, 400, "不超过 4000"),
    ({"service_code": "NOPE99"}, 404, "不存在"),
    ({"service_code": None}, 400, "缺少 service_code"),
    ({"lat": None, "long": None}, 400, "缺少位置"),
    ({"long": None}, 400, "须同时提供"),
    ({"lat": "北纬29度"}, 400, "经纬度"),
    ({"lat": "95"}, 400, "-90 到 90"),
    ({"lat": "nan"}, 400, "-90 到 90"),
    ({"description": "井盖\x00丢了"}, 400, "控制字符"),
    ({"lat": str(OUTSIDE[1]), "long": str(OUTSIDE[0])}, 400, "不在鄞州区"),
    ({"lat": None, "long": None, "address_string": "火星某某路1号"}, 400, "address_string 无法定位"),
    ({"lat": None, "long": None, "address_id": "999999"}, 400, "address_id 999999 不存在"),
    ({"api_key": "o311_wrong"}, 403, "api_key 无效"),
    ({"api_key": None}, 403, "缺少 api_key"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ({"phone": "call me"}, 400, "phone"),
    ({"attribute": "x"}, 400, "属性参数格式错误"),
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_posts_answer_in_the_spec_format_and_save_nothing(client, db, fmt) -> None:  # type: ignore[no-untyped-def]
    key = issue_key(db)
    for extra, status, words in BAD_POSTS:
        r = client.post(f"{BASE}/requests.{fmt}", data=report(key, **extra))
        assert words in _error(r, fmt, status), (extra, r.text)
    assert case_count(db) == 0
    with transaction(db) as s:
        assert s.scalar(text("SELECT count(*) FROM open311_requests")) == 0
        denied = s.scalar(text("SELECT count(*) FROM audit_log WHERE action = 'open311.bad_key'"))
    assert denied == 1  # a wrong key is audited even though its request rolled back


def test_formats_must_be_lower_case_and_requests_form_encoded(client, db) -> None:  # type: ignore[no-untyped-def]
    key = issue_key(db)
    for path in ("services.XML", "services.Json", "discovery.JSON", f"services/{LAMP}.Xml", "requests.XML"):
        fmt = "xml" if path.lower().endswith("xml") else "json"
        assert "小写" in _error(client.get(f"{BASE}/{path}"), fmt, 400)
    assert "小写" in _error(client.post(f"{BASE}/requests.JSON", data=report(key)), "json", 400)
    assert "表单" in _error(client.post(f"{BASE}/requests.json", json=report(key)), "json", 400)
    _error(client.get(f"{BASE}/nothing-here.xml"), "xml", 404)
    _error(client.delete(f"{BASE}/requests.json"), "json", 400)
    assert case_count(db) == 0


def test_deactivated_key_is_refused(client, db, as_persona) -> None:  # type: ignore[no-untyped-def]
    admin = as_persona("admin")
    page = admin.post("/gov/open311", data={"name": "网格通", "contact": "区大数据局"})
    assert page.status_code == 201
    import re

    key = re.search(r"o311_[\w-]+", page.text)
    assert key is not None
    assert admin.get("/gov/open311").text.count(key.group(0)) == 0  # shown once, never again
    _file(client, key.group(0))
    with transaction(db) as s:
        cid = s.scalar(text("SELECT id FROM open311_clients WHERE name = '网格通'"))
        assert s.scalar(text("SELECT last_used_at FROM open311_clients WHERE id = :i"), {"i": cid}) is not None
    assert admin.post("/gov/open311", data={"deactivate": str(cid)}, follow_redirects=False).status_code == 303
    r = client.post(f"{BASE}/requests.xml", data=report(key.group(0)))
    assert "已停用" in _error(r, "xml", 403)
    assert "已有名为" in admin.post("/gov/open311", data={"name": "网格通"}).text


@pytest.mark.parametrize("fmt", FORMATS)
def test_list_filters_and_pages(client, db, world, fmt) -> None:  # type: ignore[no-untyped-def]
    key = issue_key(db)
    first = _file(client, key)["service_request_id"]
    lamp = _file(client, key, service_code=LAMP, **{"attribute[lamp_state]": "day"})["service_request_id"]
    third = _file(client, key)["service_request_id"]
    intake(db, world)  # a 12345 call: not filed through Open311, never listed
    _through(db, world, third, "a", "cg", "closed", None)

    def ids(query: str) -> list[str]:
        r = client.get(f"{BASE}/requests.{fmt}?{query}")
        assert r.status_code == 200, r.text
        return [x["service_request_id"] for x in parse(fmt, r.text)]

    assert ids("") == [third, lamp, first]
    assert ids(f"service_code={LAMP}") == [lamp]
    assert ids("status=closed") == [third]
    assert ids("status=open") == [lamp, first]
    assert ids("status=open&status=closed") == [third, lamp, first]
    assert ids(f"service_request_id={first},{third}") == [third, first]
    assert ids(f"service_request_id={first}&status=closed") == [first]  # the id list overrides the rest
    assert ids("page_size=2") == [third, lamp] and ids("page_size=2&page=2") == [first]
    assert ids("start_date=2000-01-01T00:00:00Z&end_date=2000-02-01T00:00:00Z") == []
    (closed,) = parse(fmt, client.get(f"{BASE}/requests/{third}.{fmt}").text)
    assert closed["status"] == "closed" and closed["status_notes"].startswith("核查通过，已办结")
    assert closed["agency_responsible"] == "区综合行政执法局"
    for query, words in [("start_date=yesterday", "start_date"), ("end_date=2026-13-40T00:00:00Z", "end_date"),
                         ("start_date=2020-01-01T00:00:00Z&end_date=2025-01-01T00:00:00Z", "90 天"),
                         ("start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", "早于"),
                         ("start_date=2026-01-01T10:00:00", "格式错误"), ("status=pending", "open 或 closed"),
                         ("page_size=0", "page_size"), ("page_size=5000", "page_size"), ("page=x", "page")]:
        assert words in _error(client.get(f"{BASE}/requests.{fmt}?{query}"), fmt, 400), query


def test_public_status_follows_the_closed_loop(client, db, world) -> None:  # type: ignore[no-untyped-def]
    key = issue_key(db)
    rejected = _file(client, key)["service_request_id"]
    act(db, world, "operator", rejected, "reject", reason="不属于本区管辖")
    merged = _file(client, key)["service_request_id"]
    master = intake(db, world)
    act(db, world, "operator", merged, "merge", master=master)
    dispatched = _file(client, key)["service_request_id"]
    _through(db, world, dispatched, "a", "cg", "dispatched", None)
    got = {r["service_request_id"]: r for r in client.get(f"{BASE}/requests.json").json()}
    assert got[rejected]["status"] == "closed" and got[rejected]["status_notes"] == "不予立案：不属于本区管辖"
    assert got[merged]["status"] == "closed" and master in got[merged]["status_notes"]
    assert got[dispatched]["status"] == "open" and got[dispatched]["status_notes"] == "已派遣至责任部门"
    assert got[dispatched]["agency_responsible"] == "区综合行政执法局"
    assert got[dispatched]["expected_datetime"] is not None
    assert master not in got  # the master came in by phone: not public


def test_taxonomy_admin_decides_what_is_public(client, as_persona) -> None:  # type: ignore[no-untyped-def]
    admin = as_persona("admin")
    assert admin.get("/api/taxonomy/categories/SJ0102").json()["public"] is True
    r = admin.put("/api/taxonomy/categories/ZL0501", json={"public": True})
    assert r.status_code == 200 and r.json()["public"] is True
    assert admin.put("/api/taxonomy/categories/SJ0102", json={"public": False}).json()["public"] is False
    codes = {s["service_code"] for s in client.get(f"{BASE}/services.json").json()}
    assert "ZL0501" in codes and "SJ0102" not in codes
    _error(client.get(f"{BASE}/services/SJ0102.json"), "json", 404)
