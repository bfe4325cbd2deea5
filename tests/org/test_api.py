"""The org JSON API as each persona sees it: the area tree, grids and teams, lookup, departments, map layers,
GeoJSON export/import (all or nothing), team upkeep, phone masking and reveal, authentication errors."""

from __future__ import annotations

import copy
import io
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import A_POINT, B_POINT, C1B_POINT, C_POINT, OUTSIDE, World, make_user
from zhili.auth.models import AuditLog
from zhili.auth.service import ScopeSpec
from zhili.db import transaction
from zhili.kit.geojson import geojson_from_shape
from zhili.org.models import Grid, GridMember, MicroGrid

A, B, C = "330212006001001", "330212006001002", "330212001005001"
S1, S2, C1, C1B, C2 = "330212006000", "330212001000", "330212006001", "330212006002", "330212001005"
RAW_PHONES = ["13812345678", "13900001111", "13700002222", "13500003333", "15000004444", "15100005555",
              "15800006666"]
UNMASKED_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


# ---- helpers -------------------------------------------------------------------------------------------------

def assert_no_raw_phone(body: str) -> None:
    assert not UNMASKED_PHONE.search(body), body
    for phone in RAW_PHONES:
        assert phone not in body


def codes(items: list[dict[str, Any]]) -> list[str]:
    return [i["code"] for i in items]


def audit_rows(db: sessionmaker[Session], action: str) -> list[AuditLog]:
    with transaction(db) as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.seq)))


def grid_snapshot(db: sessionmaker[Session]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with transaction(db) as s:
        grids = [(g.code, g.name, g.kind.value, g.area_id, json.dumps(g.geom, sort_keys=True))
                 for g in s.scalars(select(Grid).order_by(Grid.code))]
        micro = [(m.code, m.name, m.grid_id, json.dumps(m.geom, sort_keys=True))
                 for m in s.scalars(select(MicroGrid).order_by(MicroGrid.code))]
    return grids, micro


def feature(code: str, geom: Any, *, name: str = "新网格", community: str | None = None,
            **props: Any) -> dict[str, Any]:
    geometry = geom if isinstance(geom, dict) else geojson_from_shape(geom)
    return {"type": "Feature", "geometry": geometry,
            "properties": {"level": "grid", "code": code, "name": name,
                           "community_code": community if community is not None else code[:12], **props}}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def upload(client: TestClient, payload: Any, *, raw: bytes | None = None):  # type: ignore[no-untyped-def]
    data = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    return client.post("/api/org/import/grids",
                       files={"file": ("grids.geojson", io.BytesIO(data), "application/geo+json")})


def member_id(client: TestClient, grid: str, name: str) -> int:
    team = client.get(f"/api/org/grids/{grid}/team").json()
    return next(m["id"] for m in team["members"] if m["name"] == name)


@pytest.fixture
def admin2(world: World, db: sessionmaker[Session], app) -> TestClient:  # type: ignore[no-untyped-def]
    """An administrator (org.manage) whose jurisdiction is only street S2."""
    with transaction(db, info={"audit_auto": False}) as s:
        user = make_user(s, "admin_s2", ["admin"], [ScopeSpec(area_id=world.areas["s2"].id,
                                                              area_path=world.areas["s2"].path)])
    world.users["admin_s2"] = user
    token = world.token(db, "admin_s2")
    with TestClient(app, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


# ---- area tree -----------------------------------------------------------------------------------------------

TOP_AREAS = {
    "admin": [("330212000000", "鄞州区")],
    "leader": [("330212000000", "鄞州区")],
    "street": [(S1, "首南街道")],
    "street2": [(S2, "下应街道")],
    "community": [(C1, "南裕社区")],
    "grid_a": [(C1, "南裕社区")],  # only through its grid
    "dept": [(S2, "下应街道")],  # the street its department serves
}


def test_top_areas_per_persona(as_persona) -> None:
    seen = {}
    for persona in TOP_AREAS:
        r = as_persona(persona).get("/api/org/areas")
        assert r.status_code == 200, (persona, r.text)
        seen[persona] = [(a["code"], a["name"]) for a in r.json()]
    assert seen == TOP_AREAS


def test_top_area_counts_and_labels(as_persona) -> None:
    [s1] = as_persona("street").get("/api/org/areas").json()
    assert s1["level"] == "street" and s1["level_label"] == "镇街"
    assert s1["parent_code"] == "330212000000"
    assert s1["children"] == 2 and s1["grids"] == 2
    [district] = as_persona("admin").get("/api/org/areas").json()
    assert district["grids"] == 3 and district["children"] == 2


def test_resident_cannot_read_the_tree(as_persona) -> None:
    r = as_persona("resident").get("/api/org/areas")
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"


def test_children_of_own_street(as_persona) -> None:
    r = as_persona("street").get("/api/org/areas", params={"parent": S1})
    assert r.status_code == 200
    assert [(a["code"], a["name"], a["grids"]) for a in r.json()] == [(C1, "南裕社区", 2), (C1B, "学府社区", 0)]
    assert all(a["parent_code"] == S1 for a in r.json())


def test_grid_worker_cannot_walk_up_or_sideways(as_persona) -> None:
    grid_a = as_persona("grid_a")
    assert grid_a.get("/api/org/areas", params={"parent": S1}).status_code == 404
    assert grid_a.get(f"/api/org/areas/{C1B}").status_code == 404
    [c1] = grid_a.get("/api/org/areas").json()
    assert c1["grids"] == 1  # only grid A, not its sibling B


def test_out_of_scope_area_is_indistinguishable_from_missing(as_persona) -> None:
    street = as_persona("street")
    hidden = street.get("/api/org/areas", params={"parent": S2})
    missing = street.get("/api/org/areas", params={"parent": "330212999000"})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["code"] == "not_found"
    assert hidden.json() == missing.json()

    hidden = street.get(f"/api/org/areas/{S2}")
    missing = street.get("/api/org/areas/330212999000")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["code"] == "not_found"
    assert hidden.json() == missing.json()


def test_area_detail_with_ancestors(as_persona) -> None:
    r = as_persona("street").get(f"/api/org/areas/{C1}")
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "南裕社区" and body["level"] == "community"
    assert [a["code"] for a in body["ancestors"]] == ["330200000000", "330212000000", S1]


def test_bad_parent_code_is_422(as_persona) -> None:
    r = as_persona("admin").get("/api/org/areas", params={"parent": "abc"})
    assert r.status_code == 422
    assert r.json()["field"] == "parent"


# ---- grids -------------------------------------------------------------------------------------------------

GRIDS_SEEN = {
    "admin": [C, A, B],  # ordered by code: 下应 (001) before 首南 (006)
    "street": [A, B],
    "street2": [C],
    "community": [A, B],
    "grid_a": [A],
    "grid_b": [B],
    "dept": [C],
}


def test_grid_list_is_scoped(as_persona) -> None:
    seen, totals = {}, {}
    for persona in GRIDS_SEEN:
        r = as_persona(persona).get("/api/org/grids")
        assert r.status_code == 200, (persona, r.text)
        seen[persona] = codes(r.json()["items"])
        totals[persona] = r.json()["total"]
    assert seen == GRIDS_SEEN
    assert totals == {p: len(g) for p, g in GRIDS_SEEN.items()}
    assert as_persona("resident").get("/api/org/grids").status_code == 403


def test_grid_outside_scope_is_404(as_persona) -> None:
    grid_a = as_persona("grid_a")
    hidden = grid_a.get(f"/api/org/grids/{B}")
    missing = grid_a.get("/api/org/grids/330212006001099")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert hidden.json()["code"] == "not_found"
    assert grid_a.get(f"/api/org/grids/{B}/team").status_code == 404
    assert as_persona("street").get(f"/api/org/grids/{C}").status_code == 404
    assert as_persona("street2").get(f"/api/org/grids/{A}").status_code == 404


def test_grid_list_filters(as_persona) -> None:
    admin = as_persona("admin")
    rural = admin.get("/api/org/grids", params={"kind": "rural"}).json()
    assert codes(rural["items"]) == [C] and rural["total"] == 1
    assert rural["items"][0]["kind_label"] == "农村网格"
    urban = admin.get("/api/org/grids", params={"kind": "urban"}).json()
    assert codes(urban["items"]) == [A, B]
    assert admin.get("/api/org/grids", params={"kind": "special"}).json()["total"] == 0
    by_area = admin.get("/api/org/grids", params={"area": S2}).json()
    assert codes(by_area["items"]) == [C]
    by_name = admin.get("/api/org/grids", params={"q": "东兴"}).json()
    assert codes(by_name["items"]) == [C]
    by_code = admin.get("/api/org/grids", params={"q": "3302120060"}).json()
    assert codes(by_code["items"]) == [A, B]
    # a street cannot filter its way into another street
    assert as_persona("street").get("/api/org/grids", params={"area": S2}).status_code == 404


def test_bad_kind_is_422(as_persona) -> None:
    r = as_persona("admin").get("/api/org/grids", params={"kind": "castle"})
    assert r.status_code == 422
    assert r.json()["code"] == "invalid"
    assert r.json()["field"] == "kind"


def test_grid_list_pagination(as_persona) -> None:
    admin = as_persona("admin")
    first = admin.get("/api/org/grids", params={"limit": 2}).json()
    assert first["total"] == 3 and first["limit"] == 2 and first["offset"] == 0
    assert codes(first["items"]) == [C, A]
    second = admin.get("/api/org/grids", params={"limit": 2, "offset": 2}).json()
    assert second["total"] == 3 and codes(second["items"]) == [B]
    beyond = admin.get("/api/org/grids", params={"offset": 10}).json()
    assert beyond["total"] == 3 and beyond["items"] == []
    r = admin.get("/api/org/grids", params={"limit": 0})
    assert r.status_code == 422 and r.json()["field"] == "limit"


def test_grid_detail(as_persona) -> None:
    r = as_persona("street").get(f"/api/org/grids/{A}")
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == "南裕社区第1网格"
    assert body["kind"] == "urban" and body["kind_label"] == "城市网格"
    assert body["community"] == {"code": C1, "name": "南裕社区"}
    assert body["street"] == {"code": S1, "name": "首南街道"}
    assert codes(body["micro_grids"]) == [A + "01", A + "02"]
    lon, lat = body["center"]
    assert 121.500 < lon < 121.515 and 29.80 < lat < 29.84


# ---- teams, masking, reveal -----------------------------------------------------------------------------------

def test_team_order_masking_and_completeness(as_persona) -> None:
    r = as_persona("street").get(f"/api/org/grids/{A}/team")
    assert r.status_code == 200
    body = r.json()
    assert body["grid"] == A
    assert [m["role"] for m in body["members"]] == ["leader", "full_time", "part_time", "guide", "police",
                                                    "volunteer"]
    assert body["members"][0]["name"] == "王建国" and body["members"][0]["role_label"] == "网格长"
    assert body["members"][0]["phone"] == "138****5678"
    assert body["complete"] is True and body["missing"] == []
    assert_no_raw_phone(r.text)


def test_incomplete_team_names_what_is_missing(as_persona) -> None:
    body = as_persona("street2").get(f"/api/org/grids/{C}/team").json()
    assert [m["role"] for m in body["members"]] == ["full_time"]
    assert body["members"][0]["phone"] == "158****6666"
    assert body["complete"] is False
    assert body["missing"] == ["网格长", "兼职网格员", "网格指导员", "专业力量或志愿者"]


def test_phones_masked_for_everyone(as_persona) -> None:
    for persona in ["admin", "leader", "operator", "street", "community", "grid_a"]:
        client = as_persona(persona)
        for path in (f"/api/org/grids/{A}/team", f"/api/org/grids/{A}", "/api/org/grids",
                     "/api/org/lookup?lon=121.505&lat=29.81", "/api/org/export/grids.geojson?micro=true"):
            r = client.get(path)
            assert r.status_code == 200, (persona, path, r.text)
            assert_no_raw_phone(r.text)


def test_dept_handler_without_staff_read_cannot_see_team(as_persona) -> None:
    dept = as_persona("dept")
    assert dept.get(f"/api/org/grids/{C}").status_code == 200
    assert dept.get(f"/api/org/grids/{C}/team").status_code == 403


def test_reveal_with_permission_is_audited(as_persona, db, world: World) -> None:
    admin = as_persona("admin")
    mid = member_id(admin, A, "王建国")
    r = admin.post(f"/api/org/grids/{A}/team/{mid}/reveal", json={"reason": "联系网格长处理紧急事件"})
    assert r.status_code == 200, r.text
    assert r.json() == {"phone": "13812345678"}
    [row] = audit_rows(db, "pii.reveal")
    assert row.detail["reason"] == "联系网格长处理紧急事件"
    assert row.detail["grid"] == A
    assert row.actor_id == world.users["admin"].id
    assert row.entity_type == "staff" and row.entity_id == str(world.staff["leader_a"].id)
    # revealing leaves the team view masked
    assert_no_raw_phone(admin.get(f"/api/org/grids/{A}/team").text)


def test_reveal_without_permission_is_denied_and_audited(as_persona, db, world: World) -> None:
    street = as_persona("street")
    mid = member_id(street, A, "王建国")
    r = street.post(f"/api/org/grids/{A}/team/{mid}/reveal", json={"reason": "联系网格长处理紧急事件"})
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    assert_no_raw_phone(r.text)
    assert audit_rows(db, "pii.reveal") == []
    denied = audit_rows(db, "auth.denied")
    assert len(denied) == 1
    assert denied[0].detail == {"permission": "pii.reveal"}
    assert denied[0].actor_id == world.users["street"].id


def test_reveal_needs_a_reason(as_persona, db) -> None:
    admin = as_persona("admin")
    mid = member_id(admin, A, "王建国")
    for body in ({"reason": "看看"}, {}):
        r = admin.post(f"/api/org/grids/{A}/team/{mid}/reveal", json=body)
        assert r.status_code == 422
        assert r.json()["field"] == "reason"
        assert_no_raw_phone(r.text)
    assert audit_rows(db, "pii.reveal") == []


def test_reveal_of_member_of_another_grid_is_404(as_persona, db) -> None:
    admin = as_persona("admin")
    c_member = member_id(admin, C, "孙丽")
    r = admin.post(f"/api/org/grids/{A}/team/{c_member}/reveal", json={"reason": "联系网格员核实情况"})
    assert r.status_code == 404
    assert_no_raw_phone(r.text)
    assert audit_rows(db, "pii.reveal") == []


def test_staff_phone_is_stored_encrypted(world: World, db) -> None:
    with transaction(db) as s:
        stored = [row[0] for row in s.execute(text("SELECT phone FROM staff"))]
    assert len(stored) == len(RAW_PHONES)
    for value in stored:
        assert value.startswith("sm4g2:k0:")  # the test key is the legacy single key, kid k0
        assert not re.search(r"\d{11}", value)
        assert not any(p in value for p in RAW_PHONES)


# ---- lookup --------------------------------------------------------------------------------------------------

def test_lookup_finds_micro_grid_grid_community_street(as_persona) -> None:
    r = as_persona("street").get("/api/org/lookup", params={"lon": A_POINT[0], "lat": A_POINT[1]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["grid"]["code"] == A
    assert body["micro_grid"]["code"] == A + "02"  # micro-grids run north to south; 29.81 is the south half
    assert body["community"] == {"code": C1, "name": "南裕社区"}
    assert body["street"] == {"code": S1, "name": "首南街道"}
    north = as_persona("street").get("/api/org/lookup", params={"lon": 121.505, "lat": 29.835}).json()
    assert north["micro_grid"]["code"] == A + "01"
    other = as_persona("admin").get("/api/org/lookup", params={"lon": C_POINT[0], "lat": C_POINT[1]}).json()
    assert other["grid"]["code"] == C and other["street"]["code"] == S2


def test_lookup_outside_jurisdiction_or_any_grid_is_404(as_persona) -> None:
    r = as_persona("street2").get("/api/org/lookup", params={"lon": A_POINT[0], "lat": A_POINT[1]})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = as_persona("grid_a").get("/api/org/lookup", params={"lon": B_POINT[0], "lat": B_POINT[1]})
    assert r.status_code == 404
    r = as_persona("admin").get("/api/org/lookup", params={"lon": OUTSIDE[0], "lat": OUTSIDE[1]})
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = as_persona("admin").get("/api/org/lookup", params={"lon": C1B_POINT[0], "lat": C1B_POINT[1]})
    assert r.status_code == 404


def test_lookup_rejects_bad_coordinates(as_persona) -> None:
    admin = as_persona("admin")
    r = admin.get("/api/org/lookup", params={"lon": 121.5, "lat": 200})
    assert r.status_code == 422 and r.json()["field"] == "lat"
    r = admin.get("/api/org/lookup", params={"lon": 181, "lat": 29.8})
    assert r.status_code == 422 and r.json()["field"] == "lon"
    r = admin.get("/api/org/lookup", params={"lat": 29.8})
    assert r.status_code == 422 and r.json()["field"] == "lon"
    r = admin.get("/api/org/lookup", params={"lon": "east", "lat": 29.8})
    assert r.status_code == 422 and r.json()["field"] == "lon"
    assert as_persona("resident").get("/api/org/lookup", params={"lon": 121.505, "lat": 29.81}).status_code == 403


def test_lookup_follows_an_import_of_a_new_grid(as_persona) -> None:
    admin = as_persona("admin")
    params = {"lon": C1B_POINT[0], "lat": C1B_POINT[1]}
    assert admin.get("/api/org/lookup", params=params).status_code == 404
    new = C1B + "001"
    r = upload(admin, collection(feature(new, box(121.53, 29.80, 121.56, 29.84), name="学府社区第1网格")))
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 1, "updated": 0, "micro_grids": 0}
    found = admin.get("/api/org/lookup", params=params)
    assert found.status_code == 200, found.text
    assert found.json()["grid"]["code"] == new
    assert found.json()["micro_grid"] is None
    assert found.json()["community"]["code"] == C1B


def test_lookup_follows_a_redrawn_grid_with_its_micro_grids(as_persona) -> None:
    admin = as_persona("admin")
    shrunk = box(121.500, 29.80, 121.510, 29.84)
    r = upload(admin, collection(
        feature(A, shrunk, name="南裕社区第1网格"),
        {"type": "Feature", "geometry": geojson_from_shape(box(121.500, 29.82, 121.510, 29.84)),
         "properties": {"level": "micro_grid", "code": A + "01", "name": "北", "grid_code": A}},
        {"type": "Feature", "geometry": geojson_from_shape(box(121.500, 29.80, 121.510, 29.82)),
         "properties": {"level": "micro_grid", "code": A + "02", "name": "南", "grid_code": A}},
    ))
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 0, "updated": 1, "micro_grids": 2}
    inside = admin.get("/api/org/lookup", params={"lon": 121.505, "lat": 29.81}).json()
    assert inside["grid"]["code"] == A and inside["micro_grid"] == {"code": A + "02", "name": "南"}
    # the strip given up by grid A now belongs to no grid
    assert admin.get("/api/org/lookup", params={"lon": 121.512, "lat": 29.81}).status_code == 404


def test_lookup_follows_a_redrawn_grid_without_micro_grids(as_persona) -> None:
    admin = as_persona("admin")
    r = upload(admin, collection(feature(A, box(121.500, 29.80, 121.510, 29.84), name="南裕社区第1网格")))
    assert r.status_code == 200, r.text
    assert r.json()["updated"] == 1
    assert admin.get("/api/org/lookup", params={"lon": 121.512, "lat": 29.81}).status_code == 404



def test_lookup_finds_micro_grids_of_a_newly_imported_grid(as_persona) -> None:
    admin = as_persona("admin")
    new = C1B + "001"
    r = upload(admin, collection(
        feature(new, box(121.53, 29.80, 121.56, 29.84), name="学府社区第1网格", kind="special",
                special_type="school"),
        {"type": "Feature", "geometry": geojson_from_shape(box(121.53, 29.80, 121.545, 29.84)),
         "properties": {"level": "micro_grid", "code": new + "01", "name": "西", "grid_code": new}},
        {"type": "Feature", "geometry": geojson_from_shape(box(121.545, 29.80, 121.56, 29.84)),
         "properties": {"level": "micro_grid", "code": new + "02", "name": "东", "grid_code": new}},
    ))
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 1, "updated": 0, "micro_grids": 2}
    east = admin.get("/api/org/lookup", params={"lon": C1B_POINT[0], "lat": C1B_POINT[1]}).json()
    assert east["grid"]["code"] == new and east["micro_grid"]["code"] == new + "02"
    assert east["grid"]["kind"] == "special" and east["grid"]["special_type"] == "school"
    west = admin.get("/api/org/lookup", params={"lon": 121.535, "lat": 29.82}).json()
    assert west["micro_grid"]["code"] == new + "01"
    detail = admin.get(f"/api/org/grids/{new}").json()
    assert codes(detail["micro_grids"]) == [new + "01", new + "02"]
    assert detail["street"]["code"] == S1
    # and the street official of S1 sees the new grid, the one of S2 does not
    assert new in codes(as_persona("street").get("/api/org/grids").json()["items"])
    assert as_persona("street2").get(f"/api/org/grids/{new}").status_code == 404


# ---- departments ---------------------------------------------------------------------------------------------

def test_departments_are_scoped(as_persona) -> None:
    street2 = {d["code"] for d in as_persona("street2").get("/api/org/departments").json()}
    district_wide = {"330212-ZX", "330212-CG", "330212-ZJ", "330212-GA", "330212-MZ"}
    assert street2 == district_wide | {"330212001-ZX"}
    street = as_persona("street").get("/api/org/departments").json()
    assert {d["code"] for d in street} == district_wide | {"330212006-ZX"}
    center = next(d for d in street if d["code"] == "330212-ZX")
    assert center["area"] == {"code": "330212000000", "name": "鄞州区"} and center["kind"] == "center"
    dept = {d["code"] for d in as_persona("dept").get("/api/org/departments").json()}
    assert "330212001-ZX" in dept
    assert as_persona("resident").get("/api/org/departments").status_code == 403


# ---- map layers ----------------------------------------------------------------------------------------------

def test_grid_layer_is_scoped(as_persona) -> None:
    r = as_persona("street").get("/api/org/map/grid.geojson")
    assert r.status_code == 200
    body = r.json()
    assert body["type"] == "FeatureCollection"
    assert sorted(f["properties"]["code"] for f in body["features"]) == [A, B]
    assert all(f["geometry"]["type"] == "Polygon" for f in body["features"])
    c_only = as_persona("street2").get("/api/org/map/grid.geojson").json()
    assert [f["properties"]["code"] for f in c_only["features"]] == [C]


def test_area_layers(as_persona) -> None:
    street = as_persona("street").get("/api/org/map/street.geojson").json()
    assert [f["properties"]["code"] for f in street["features"]] == [S1]
    admin = as_persona("admin").get("/api/org/map/street.geojson").json()
    assert sorted(f["properties"]["code"] for f in admin["features"]) == [S2, S1]
    communities = as_persona("admin").get("/api/org/map/community.geojson", params={"area": S1}).json()
    assert sorted(f["properties"]["code"] for f in communities["features"]) == [C1, C1B]
    assert as_persona("street").get("/api/org/map/grid.geojson", params={"area": S2}).status_code == 404


def test_bad_layer_and_resident(as_persona) -> None:
    r = as_persona("admin").get("/api/org/map/castle.geojson")
    assert r.status_code == 422 and r.json()["field"] == "level"
    r = as_persona("resident").get("/api/org/map/grid.geojson")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


# ---- export / import -----------------------------------------------------------------------------------------

def test_export_edit_import_round_trip(as_persona, db) -> None:
    admin = as_persona("admin")
    r = admin.get("/api/org/export/grids.geojson", params={"micro": "true"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    assert "attachment" in r.headers["content-disposition"]
    data = r.json()
    grids = [f for f in data["features"] if f["properties"]["level"] == "grid"]
    micro = [f for f in data["features"] if f["properties"]["level"] == "micro_grid"]
    assert sorted(f["properties"]["code"] for f in grids) == [C, A, B]
    assert len(micro) == 6
    assert len(audit_rows(db, "org.export_grids")) == 1

    before = grid_snapshot(db)
    edited = copy.deepcopy(next(f for f in grids if f["properties"]["code"] == A))
    edited["properties"]["name"] = "南裕社区第一网格（更名）"
    r = upload(admin, collection(edited))
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 0, "updated": 1, "micro_grids": 0}
    assert admin.get(f"/api/org/grids/{A}").json()["name"] == "南裕社区第一网格（更名）"
    after = grid_snapshot(db)
    assert [g for g in after[0] if g[0] != A] == [g for g in before[0] if g[0] != A]
    assert after[1] == before[1]
    assert len(audit_rows(db, "org.import_grids")) == 1


def test_reimporting_a_whole_export_changes_nothing(as_persona, db) -> None:
    admin = as_persona("admin")
    data = admin.get("/api/org/export/grids.geojson", params={"micro": "true"}).json()
    before = grid_snapshot(db)
    r = upload(admin, data)
    assert r.status_code == 200, r.text
    assert r.json() == {"created": 0, "updated": 3, "micro_grids": 6}
    assert grid_snapshot(db) == before


def test_export_is_scoped(as_persona) -> None:
    data = as_persona("street").get("/api/org/export/grids.geojson").json()
    assert sorted(f["properties"]["code"] for f in data["features"]) == [A, B]
    assert all(f["properties"]["level"] == "grid" for f in data["features"])


BOW_TIE = {"type": "Polygon", "coordinates": [[[121.535, 29.80], [121.55, 29.83], [121.55, 29.80],
                                               [121.535, 29.83], [121.535, 29.80]]]}
UNCLOSED = {"type": "Polygon", "coordinates": [[[121.535, 29.80], [121.55, 29.80], [121.55, 29.83],
                                                [121.535, 29.83]]]}
NEW1, NEW2 = C1B + "001", C1B + "002"


@pytest.mark.parametrize(("case", "payload", "field", "words"), [
    ("not json", b"this is not json {", "file", ["GeoJSON"]),
    ("not utf-8", b"\xff\xfe\x00garbage", "file", ["GeoJSON"]),
    ("json array", [1, 2, 3], "file", ["FeatureCollection"]),
    ("a bare feature", feature(NEW1, box(121.535, 29.80, 121.55, 29.83)), "file", ["FeatureCollection"]),
    ("bow tie", collection(feature(NEW1, BOW_TIE)), "features[0].geometry", [NEW1]),
    ("unclosed ring", collection(feature(NEW1, UNCLOSED)), "features[0].geometry", ["未闭合"]),
    ("overlapping new grids", collection(feature(NEW1, box(121.53, 29.80, 121.55, 29.84)),
                                         feature(NEW2, box(121.54, 29.80, 121.56, 29.84))),
     "features[0].geometry", [NEW1, NEW2, "重叠"]),
    ("overlapping grid B", collection(feature(C1 + "003", box(121.525, 29.80, 121.535, 29.84))),
     "features[0].geometry", [B, "重叠"]),
    ("unknown community", collection(feature("330212999999001", box(121.535, 29.80, 121.55, 29.83))),
     "features[0].properties.community_code", ["330212999999"]),
    ("street code as community", collection(feature("330212006000001", box(121.535, 29.80, 121.55, 29.83))),
     "features[0].properties.community_code", ["330212006000"]),
    ("code not under community", collection(feature("330212006001001", box(121.535, 29.80, 121.55, 29.83),
                                                    community=C1B)),
     "features[0].properties.code", ["330212006001001"]),
    ("bad kind", collection(feature(NEW1, box(121.535, 29.80, 121.55, 29.83), kind="castle")),
     "features[0].properties.kind", ["castle"]),
    ("valid then invalid", collection(feature(NEW1, box(121.53, 29.80, 121.545, 29.84), name="应当不保存"),
                                      feature(NEW2, BOW_TIE)),
     "features[1].geometry", [NEW2]),
    ("invalid then valid", collection(feature("330212999999001", box(121.535, 29.80, 121.55, 29.83)),
                                      feature(NEW1, box(121.53, 29.80, 121.545, 29.84), name="应当不保存")),
     "features[0].properties.community_code", ["330212999999"]),
    ("micro-grid of unknown grid", collection(
        {"type": "Feature", "geometry": geojson_from_shape(box(121.535, 29.80, 121.55, 29.83)),
         "properties": {"level": "micro_grid", "code": NEW1 + "01", "name": "微", "grid_code": NEW1}}),
     "features[0].properties.grid_code", [NEW1]),
    ("edit of A with a bad twin", collection(feature(A, box(121.500, 29.80, 121.515, 29.84), name="改名"),
                                             feature(A, box(121.500, 29.80, 121.515, 29.84), name="改名")),
     "features[1].properties.code", [A]),
])
def test_bad_import_is_refused_and_saves_nothing(as_persona, db, case: str, payload: Any, field: str,
                                                 words: list[str]) -> None:
    admin = as_persona("admin")
    before = grid_snapshot(db)
    r = upload(admin, payload, raw=payload if isinstance(payload, bytes) else None)
    assert r.status_code == 422, (case, r.text)
    body = r.json()
    assert body["code"] == "invalid"
    assert body["field"] == field, (case, body)
    for word in words:
        assert word in body["message"], (case, body["message"])
    assert grid_snapshot(db) == before
    assert audit_rows(db, "org.import_grids") == []
    assert admin.get("/api/org/grids", params={"area": C1B}).json()["total"] == 0



def test_import_detects_overlap_with_a_large_existing_grid(as_persona, db) -> None:
    admin = as_persona("admin")
    big = C1B + "001"  # a large rural grid north of the world, about 21 km wide, centre near 121.64
    r = upload(admin, collection(feature(big, box(121.53, 29.84, 121.75, 29.90), name="大网格", kind="rural")))
    assert r.status_code == 200, r.text
    before = grid_snapshot(db)
    inside_its_east_end = box(121.73, 29.85, 121.74, 29.86)
    r = upload(admin, collection(feature(C1B + "002", inside_its_east_end, name="小网格")))
    assert r.status_code == 422, r.text
    assert big in r.json()["message"]
    assert grid_snapshot(db) == before


def test_import_refuses_a_micro_grid_outside_its_grid(as_persona, db) -> None:
    admin = as_persona("admin")
    before = grid_snapshot(db)
    stray = box(121.54, 29.81, 121.55, 29.83)  # in community C1b, where there is no grid at all
    r = upload(admin, collection(
        {"type": "Feature", "geometry": geojson_from_shape(stray),
         "properties": {"level": "micro_grid", "code": A + "03", "name": "越界微网格", "grid_code": A}}))
    assert admin.get("/api/org/lookup", params={"lon": 121.545, "lat": 29.82}).status_code == 404
    assert r.status_code == 422, r.text
    assert grid_snapshot(db) == before

def test_import_needs_a_file(as_persona) -> None:
    r = as_persona("admin").post("/api/org/import/grids")
    assert r.status_code == 422 and r.json()["field"] == "file"


def test_import_needs_org_manage(as_persona, db) -> None:
    before = grid_snapshot(db)
    r = upload(as_persona("street"), collection(feature(NEW1, box(121.53, 29.80, 121.545, 29.84))))
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert grid_snapshot(db) == before
    assert [row.detail for row in audit_rows(db, "auth.denied")] == [{"permission": "org.manage"}]


def test_import_outside_jurisdiction_is_refused(admin2: TestClient, db) -> None:
    before = grid_snapshot(db)
    r = upload(admin2, collection(feature(NEW1, box(121.53, 29.80, 121.545, 29.84))))
    assert r.status_code == 422
    assert r.json()["field"] == "features[0].properties.community_code"
    assert "辖区" in r.json()["message"]
    # nor may it redraw an existing grid of another street by naming it under its own community
    r = upload(admin2, collection(feature(A, box(121.500, 29.80, 121.515, 29.84), name="夺取")))
    assert r.status_code == 422
    assert grid_snapshot(db) == before
    # inside its own street it works
    r = upload(admin2, collection(feature(C2 + "002", box(121.59, 29.80, 121.60, 29.84), name="东兴社区第2网格")))
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1


# ---- team management -----------------------------------------------------------------------------------------

def test_add_and_remove_a_member(as_persona, world: World, db) -> None:
    admin = as_persona("admin")
    staff_id = world.staff["full_c"].id
    r = admin.post(f"/api/org/grids/{A}/team", json={"staff_id": staff_id, "role": "specialist"})
    assert r.status_code == 201, r.text
    added = r.json()
    assert added["name"] == "孙丽" and added["role"] == "specialist" and added["role_label"] == "专业力量"
    assert added["phone"] == "158****6666"
    assert_no_raw_phone(r.text)
    team = admin.get(f"/api/org/grids/{A}/team").json()
    assert [m["role"] for m in team["members"]].index("specialist") == 5  # after police, before volunteer
    assert added["id"] in [m["id"] for m in team["members"]]

    r = admin.delete(f"/api/org/grids/{A}/team/{added['id']}")
    assert r.status_code == 204 and r.content == b""
    team = admin.get(f"/api/org/grids/{A}/team").json()
    assert added["id"] not in [m["id"] for m in team["members"]]
    with transaction(db) as s:
        assert s.get(GridMember, added["id"]) is None
    assert admin.delete(f"/api/org/grids/{A}/team/{added['id']}").status_code == 404


def test_filling_the_gaps_completes_a_team(as_persona, world: World) -> None:
    admin = as_persona("admin")
    for key, role in [("leader_a", "leader"), ("part_a", "part_time"), ("guide_a", "guide"),
                      ("vol_a", "volunteer")]:
        r = admin.post(f"/api/org/grids/{C}/team", json={"staff_id": world.staff[key].id, "role": role})
        assert r.status_code == 201, r.text
    team = admin.get(f"/api/org/grids/{C}/team").json()
    assert team["complete"] is True and team["missing"] == []
    assert team["members"][0]["name"] == "王建国"


def test_team_rules(as_persona, world: World) -> None:
    admin = as_persona("admin")
    r = admin.post(f"/api/org/grids/{A}/team", json={"staff_id": world.staff["full_c"].id, "role": "leader"})
    assert r.status_code == 422 and r.json()["field"] == "role"
    r = admin.post(f"/api/org/grids/{A}/team", json={"staff_id": world.staff["full_a"].id, "role": "full_time"})
    assert r.status_code == 422 and r.json()["field"] == "staff_id"
    r = admin.post(f"/api/org/grids/{A}/team", json={"staff_id": world.staff["full_c"].id, "role": "boss"})
    assert r.status_code == 422 and r.json()["field"] == "role"
    r = admin.post(f"/api/org/grids/{A}/team", json={"staff_id": 999999, "role": "volunteer"})
    assert r.status_code == 422 and r.json()["field"] == "staff_id"
    r = admin.post(f"/api/org/grids/{A}/team", json={"staff_id": 0, "role": "volunteer"})
    assert r.status_code == 422 and r.json()["field"] == "staff_id"
    assert len(admin.get(f"/api/org/grids/{A}/team").json()["members"]) == 6


def test_team_changes_need_org_manage_and_scope(as_persona, admin2: TestClient, world: World) -> None:
    street = as_persona("street")
    r = street.post(f"/api/org/grids/{A}/team", json={"staff_id": world.staff["full_c"].id, "role": "volunteer"})
    assert r.status_code == 403
    leader_id = member_id(street, A, "王建国")
    assert street.delete(f"/api/org/grids/{A}/team/{leader_id}").status_code == 403
    # out of scope: 404, whatever the permissions
    assert as_persona("street2").delete(f"/api/org/grids/{A}/team/{leader_id}").status_code == 404
    assert admin2.delete(f"/api/org/grids/{A}/team/{leader_id}").status_code == 404
    r = admin2.post(f"/api/org/grids/{A}/team", json={"staff_id": world.staff["full_c"].id, "role": "volunteer"})
    assert r.status_code == 404
    # a member id of grid A addressed through grid C is not found either
    admin = as_persona("admin")
    assert admin.delete(f"/api/org/grids/{C}/team/{leader_id}").status_code == 404
    assert admin.get(f"/api/org/grids/{A}/team").json()["members"][0]["name"] == "王建国"


# ---- authentication ------------------------------------------------------------------------------------------

def test_unauthenticated_is_401_json(client: TestClient, world: World) -> None:
    for path in ["/api/org/areas", "/api/org/grids", f"/api/org/grids/{A}/team",
                 "/api/org/lookup?lon=121.505&lat=29.81", "/api/org/map/grid.geojson", "/api/org/departments"]:
        r = client.get(path)
        assert r.status_code == 401, path
        assert r.headers["content-type"].startswith("application/json")
        body = r.json()
        assert body["code"] == "login_required" and body["message"], path
        assert_no_raw_phone(r.text)
        r = client.get(path, headers={"Authorization": "Bearer not-a-real-token"})
        assert r.status_code == 401, path
        assert r.json()["code"] == "invalid_token"
        assert r.headers["www-authenticate"] == "Bearer"
    r = client.get("/api/org/areas", headers={"Authorization": "Basic YWRtaW46eA=="})
    assert r.status_code == 401 and r.json()["field"] == "authorization"


def test_unauthenticated_import_saves_nothing(client: TestClient, world: World, db) -> None:
    before = grid_snapshot(db)
    r = upload(client, collection(feature(NEW1, box(121.53, 29.80, 121.545, 29.84))))
    assert r.status_code == 401
    assert grid_snapshot(db) == before

