"""The Open311 round trip against a running server over TCP, as an outside client library would make it: discover,
list services, read a definition, file (form-encoded), token -> id, fetch, list, filter; in XML and in JSON.

XML is read the way GeoReport v2 client libraries read it (e.g. codeforamerica/three and node-open311 map the
document element's children by tag: <services><service>, <service_requests><request>, <errors><error> with
<code>/<description>): by element names only, with ElementTree, no knowledge of our internals."""

from __future__ import annotations

import json
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

import httpx
import pytest

from tests.factories import A_POINT, OUTSIDE
from tests.live import live_server
from tests.open311.helpers import GARBAGE, LAMP, issue_key


def _xml_requests(text: str) -> list[dict[str, str]]:
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "service_requests"
    return [{child.tag: child.text or "" for child in req} for req in root.findall("request")]


def test_round_trip_over_http_in_xml_and_json(app, db, world) -> None:  # type: ignore[no-untyped-def]
    key = issue_key(db, "live client")
    with live_server(app) as base, httpx.Client(base_url=base, timeout=20) as http:
        disc = ET.fromstring(http.get("/open311/v2/discovery.xml").content)
        endpoint = disc.find("endpoints/endpoint")
        assert endpoint is not None and endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
        root = endpoint.findtext("url") or ""
        assert root == f"{base}/open311/v2"
        assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]

        services = ET.fromstring(http.get(f"{root}/services.xml").content)
        codes = {s.findtext("service_code"): s.findtext("metadata") for s in services.findall("service")}
        assert codes[GARBAGE] == "false" and codes[LAMP] == "true"
        definition = ET.fromstring(http.get(f"{root}/services/{LAMP}.xml").content)
        keys = [v.findtext("key") for v in definition.findall("attributes/attribute/values/value")]
        assert "off" in keys

        body = {"api_key": key, "service_code": LAMP, "lat": A_POINT[1], "long": A_POINT[0],
                "description": "路灯晚上不亮，行人看不清路", "attribute[lamp_state]": "off", "phone": "13800138000"}
        r = http.post(f"{root}/requests.xml", content=urlencode(body),
                      headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        assert r.status_code == 200 and r.headers["content-type"] == "text/xml; charset=utf-8"
        assert r.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
        (xml_filed,) = _xml_requests(r.text)
        xml_id, xml_token = xml_filed["service_request_id"], xml_filed["token"]

        garbage = {k: v for k, v in body.items() if not k.startswith("attribute")}
        r = http.post(f"{root}/requests.json", data={**garbage, "service_code": GARBAGE, "description": "垃圾堆放"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/json; charset=utf-8"
        (json_filed,) = json.loads(r.content.decode("utf-8"))
        json_id, json_token = json_filed["service_request_id"], json_filed["token"]
        assert isinstance(json_id, str) and json_id != xml_id

        assert _xml_requests(http.get(f"{root}/tokens/{xml_token}.xml").text) == [
            {"service_request_id": xml_id, "token": xml_token}]
        assert http.get(f"{root}/tokens/{json_token}.json").json() == [
            {"service_request_id": json_id, "token": json_token}]

        (one,) = _xml_requests(http.get(f"{root}/requests/{xml_id}.xml").text)
        assert one["status"] == "open" and one["service_code"] == LAMP and one["description"].startswith("路灯")
        assert one["requested_datetime"].endswith("+08:00")
        (other,) = http.get(f"{root}/requests/{json_id}.json").json()
        assert other["status"] == "open" and other["service_name"] == "暴露垃圾"

        listed = [r["service_request_id"] for r in _xml_requests(http.get(f"{root}/requests.xml").text)]
        assert listed == [json_id, xml_id]
        assert [r["service_request_id"] for r in http.get(
            f"{root}/requests.json", params={"service_code": LAMP, "status": "open"}).json()] == [xml_id]
        assert http.get(f"{root}/requests.json", params={"status": "closed"}).json() == []
        assert "13800138000" not in http.get(f"{root}/requests.json").text

        bad = http.post(f"{root}/requests.xml", data={**body, "lat": OUTSIDE[1], "long": OUTSIDE[0]})
        err = ET.fromstring(bad.content)
        assert bad.status_code == 400 and err.tag == "errors"
        assert err.findtext("error/code") == "400" and "不在" in (err.findtext("error/description") or "")
        denied = http.post(f"{root}/requests.json", data={**body, "api_key": "nope"})
        assert denied.status_code == 403 and denied.json()[0]["code"] == 403


@pytest.mark.parametrize("path", ["services.XML", "requests.Json"])
def test_wrong_case_format_over_http(app, path) -> None:  # type: ignore[no-untyped-def]
    with live_server(app) as base:
        r = httpx.get(f"{base}/open311/v2/{path}", timeout=20)
    assert r.status_code == 400
    fmt_xml = path.lower().endswith("xml")
    assert r.headers["content-type"].startswith("text/xml" if fmt_xml else "application/json")


def test_the_calls_of_the_three_client_library(app, db, world) -> None:  # type: ignore[no-untyped-def]
    """codeforamerica/three (three/core.py) builds `endpoint + '/'.join(args) + '.json'`, always sends
    jurisdiction_id, posts multipart when a `media` file is attached, renames `count` to `page_size`, and
    writes dates as '%Y-%m-%dT%H:%M:%SZ'. Those exact requests must work."""
    from datetime import date, timedelta

    key = issue_key(db, "three")
    with live_server(app) as base, httpx.Client(base_url=base + "/open311/v2/", timeout=20) as http:
        form = {"service_code": GARBAGE, "lat": str(A_POINT[1]), "long": str(A_POINT[0]), "api_key": key,
                "description": "My issue description.", "first_name": "Zach", "last_name": "Williams",
                "jurisdiction_id": "yinzhou.gov.cn"}
        posted = http.post("requests.json", data=form, files={"media": ("photo.png", b"\x89PNG", "image/png")})
        assert posted.status_code == 200, posted.text
        number = posted.json()[0]["service_request_id"]
        start = (date.today() - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
        end = (date.today() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        listed = http.get("requests.json", params={"jurisdiction_id": "yinzhou.gov.cn", "start_date": start,
                                                   "end_date": end, "page_size": 5})
        assert [r["service_request_id"] for r in listed.json()] == [number]
        assert http.get(f"requests/{number}.json", params={"jurisdiction_id": "x"}).json()[0]["status"] == "open"
        assert "Williams" not in listed.text
