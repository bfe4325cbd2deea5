"""The pure rules: formats, dates and windows, open/closed, attribute values, masking, XML/JSON rendering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest

from zhili.open311 import formats, rules
from zhili.open311.rules import AttributeSpec, RuleError

NOW = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)


def test_formats_are_exact_lower_case() -> None:
    assert rules.check_format("xml") == "xml" and rules.check_format("json") == "json"
    for bad in ("XML", "Json", "html", "", "xml "):
        with pytest.raises(RuleError):
            rules.check_format(bad)


def test_status_maps_every_finished_state_to_closed() -> None:
    assert [rules.status_of(s) for s in ("received", "registered", "dispatched", "in_progress", "handled",
                                          "suspended")] == ["open"] * 6
    assert [rules.status_of(s) for s in ("closed", "rejected", "merged")] == ["closed"] * 3


def test_date_window() -> None:
    assert rules.date_window(None, None, NOW) == (NOW - timedelta(days=90), NOW)
    lo, hi = rules.date_window("2026-01-01T00:00:00+08:00", None, NOW)
    assert lo == datetime(2025, 12, 31, 16, tzinfo=UTC) and hi == lo + timedelta(days=90)
    assert rules.date_window(None, "2026-06-01", NOW)[0] == datetime(2026, 3, 3, tzinfo=UTC)
    for start, end in [("2021-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),  # five years
                       ("2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z"),  # reversed
                       ("2026-01-01T10:00:00", None),  # a time without its zone
                       ("2026-02-30T00:00:00Z", None), ("tomorrow", None), (None, "2026/01/01")]:
        with pytest.raises(RuleError):
            rules.date_window(start, end, NOW)


def test_lists_and_pages() -> None:
    assert rules.split_list(" a, b,,a ", "x") == ["a", "b"] and rules.split_list("", "x") == []
    with pytest.raises(RuleError):
        rules.split_list(",".join(str(i) for i in range(101)), "x")
    assert rules.page_args(None, None) == (1, 1000) and rules.page_args("3", "50") == (3, 50)
    for page, size in [("0", None), (None, "1001"), ("a", None), (None, "-1")]:
        with pytest.raises(RuleError):
            rules.page_args(page, size)


SPECS = [AttributeSpec("kind", "singlevaluelist", True, True, [{"key": "a", "name": "甲"}, {"key": "b", "name": "乙"}]),
         AttributeSpec("tags", "multivaluelist", False, True, [{"key": "x", "name": "X"}, {"key": "y", "name": "Y"}]),
         AttributeSpec("size", "number", False, True, []), AttributeSpec("when", "datetime", False, True, []),
         AttributeSpec("name", "string", False, True, []), AttributeSpec("info", "text", False, False, [])]


def test_attributes() -> None:
    got = rules.check_attributes(SPECS, {"kind": ["a"], "tags": ["x", "y"], "size": ["2.5"],
                                         "when": ["2026-11-28T22:30:00+08:00"], "name": ["井盖"]})
    assert got == {"kind": "a", "tags": ["x", "y"], "size": "2.5", "when": "2026-11-28T14:30:00+00:00",
                   "name": "井盖"}
    assert rules.check_attributes(SPECS, {"kind": ["b"], "tags": [" "]}) == {"kind": "b"}
    for given in [{}, {"kind": ["c"]}, {"kind": ["a", "b"]}, {"kind": ["a"], "tags": ["z"]},
                  {"kind": ["a"], "size": ["nan"]}, {"kind": ["a"], "size": ["1e999"]},
                  {"kind": ["a"], "when": ["28/11/2026"]}, {"kind": ["a"], "name": ["两\n行"]},
                  {"kind": ["a"], "info": ["not an input"]}, {"kind": ["a"], "other": ["1"]}]:
        with pytest.raises(RuleError):
            rules.check_attributes(SPECS, given)


def test_mask_text() -> None:
    text = "王小明说：电话13812345678，身份证33021219900101123X，邮箱 a.b@example.com，座机 87654321"
    masked = rules.mask_text(text, ["王小明", "小明", None])
    assert masked == "王**说：电话138****5678，身份证3**************3X，邮箱 ***@***，座机 87654321"


def test_rendering_follows_the_spec_shapes() -> None:
    value = [{"service_request_id": "YZ1", "status": "open", "status_notes": None, "lat": 29.8, "ok": True}]
    xml = formats.to_xml("service_requests", value).decode()
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<service_requests><request>')
    req = ET.fromstring(xml.encode()).find("request")
    assert req is not None and req.findtext("status_notes") == "" and req.findtext("ok") == "true"
    assert formats.to_json(value) == b'[{"service_request_id":"YZ1","status":"open","status_notes":null,' \
                                     b'"lat":29.8,"ok":true}]'
    err = ET.fromstring(formats.errors("xml", 403, "坏").body)
    assert err.tag == "errors" and err.findtext("error/code") == "403" and err.findtext("error/description") == "坏"
    assert formats.format_of_path("/open311/v2/services.XML") == "xml"
    assert formats.format_of_path("/open311/v2/services") == "json"
