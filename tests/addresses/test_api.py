"""GET /api/addresses/resolve and /api/addresses/{id}: answers and bad input."""

from __future__ import annotations

from tests.addresses.world import TIANTONG_588
from tests.matrix_common import GRID_A


def test_resolve_over_http(as_persona) -> None:
    r = as_persona("operator").get("/api/addresses/resolve", params={"q": "首南天童南路５８８号３幢"})
    assert r.status_code == 200
    body = r.json()
    assert body["matched"] and body["level"] == "building" and body["grid_code"] == GRID_A
    assert body["street_name"] == "首南街道" and body["lon"] == 121.506


def test_an_unmatched_address_is_a_200_with_a_chinese_message(as_persona) -> None:
    r = as_persona("operator").get("/api/addresses/resolve", params={"q": "杭州市西湖区文三路100号"})
    assert r.status_code == 200
    body = r.json()
    assert not body["matched"] and body["lon"] is None and "请在地图上标点" in body["message"]


def test_bad_q_is_422_naming_the_field(as_persona) -> None:
    c = as_persona("operator")
    for params in ({}, {"q": ""}, {"q": "   "}, {"q": "天" * 201}):
        r = c.get("/api/addresses/resolve", params=params)
        assert r.status_code == 422, params
        assert r.json()["field"] == "q" and set(r.json()) == {"code", "message", "field"}


def test_read_one_address(as_persona) -> None:
    c = as_persona("resident")
    body = c.get(f"/api/addresses/{TIANTONG_588}").json()
    assert body["full_text"] == "宁波市鄞州区首南街道天童南路588号" and body["grid_code"] == GRID_A
    for bad in ("0", "abc", str(2**31)):
        r = c.get(f"/api/addresses/{bad}")
        assert r.status_code == 422 and r.json()["field"] == "address_id"
    assert c.get("/api/addresses/424242").status_code == 404
