"""User administration: list within one's jurisdiction, create with roles and scopes, never grant more than held."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.auth.helpers import csrf_from, web_login
from tests.factories import PASSWORD, make_user
from zhili.auth.models import AuditLog, Permission, Role, RolePermission
from zhili.auth.service import ScopeSpec
from zhili.db import transaction

GOOD = {"username": "wang.li", "display_name": "王丽", "password": "Grid@2026x", "roles": ["street_official"],
        "area_codes": ["330212006000"]}


@pytest.fixture
def street_admin(db, world):  # type: ignore[no-untyped-def]
    """An administrator of street S1 only, holding users.manage and org.read but not pii.reveal etc."""
    with transaction(db) as s:
        role = Role(code="street_admin", name="街道管理员", terminal="governance", requires_mfa=False)
        s.add(role)
        s.flush()
        for perm in ("users.manage", "org.read", "staff.read", "map.view", "cases.read", "cases.intake",
                     "cases.dispatch", "cases.verify", "cockpit.view", "analysis.view", "assessment.view",
                     "registry.read", "registry.export", "registry.verify"):
            s.add(RolePermission(role_id=role.id, permission_code=perm))
        assert s.get(Permission, "users.manage") is not None
        user = make_user(s, "s1admin", ["street_admin"], [ScopeSpec(area_id=world.areas["s1"].id,
                                                                        area_path=world.areas["s1"].path)])
        world.users["s1admin"] = user
    return "s1admin"


def test_admin_lists_every_user_of_the_district_including_grid_and_department_scopes(as_persona, world) -> None:
    r = as_persona("admin").get("/api/admin/users?limit=100")
    assert r.status_code == 200
    names = {u["username"] for u in r.json()["items"]}
    assert {"street", "street2", "grid_a", "grid_b", "dept", "resident"} <= names
    grid_a = next(u for u in r.json()["items"] if u["username"] == "grid_a")
    assert grid_a["scopes"] == [{"kind": "grid", "code": "330212006001001", "name": "南裕社区第1网格"}]
    resident = next(u for u in r.json()["items"] if u["username"] == "resident")
    assert resident["phone"] == "139****2222"


def test_a_street_administrator_sees_only_the_streets_users(as_persona, world, street_admin) -> None:
    names = {u["username"] for u in as_persona(street_admin).get("/api/admin/users?limit=100").json()["items"]}
    assert {"street", "community", "grid_a", "grid_b", "resident", "ops"} <= names
    assert not names & {"street2", "dept", "admin", "leader", "operator"}


def test_create_user_then_that_user_can_log_in_with_its_scope(as_persona, client, world, db) -> None:
    r = as_persona("admin").post("/api/admin/users", json=GOOD)
    assert r.status_code == 201, r.text
    assert r.json()["scopes"] == [{"kind": "area", "code": "330212006000", "name": "首南街道"}]
    token = client.post("/api/auth/token", json={"username": "wang.li", "password": "Grid@2026x"})
    assert token.status_code == 201
    areas = client.get("/api/org/areas", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert [a["name"] for a in areas.json()] == ["首南街道"]
    with transaction(db) as s:
        created = s.scalars(select(AuditLog).where(AuditLog.action == "data.create",
                                                   AuditLog.entity_type == "users")).all()
    assert any(row.actor_name == "admin" for row in created)
    assert all("Grid@2026x" not in str(row.detail) for row in created)


@pytest.mark.parametrize(("change", "field"), [
    ({"password": "short1A"}, "password"),
    ({"password": "alllowercase"}, "password"),
    ({"roles": ["no_such_role"]}, "roles"),
    ({"area_codes": ["330200000000"]}, "area_codes"),  # the city: above the admin's district
    ({"area_codes": ["330212999000"]}, "area_codes"),
    ({"area_codes": [], "grid_codes": []}, "area_codes"),
    ({"grid_codes": ["330212006001999"], "area_codes": []}, "grid_codes"),
    ({"department_codes": ["nope"], "area_codes": []}, "department_codes"),
    ({"phone": "12345"}, "phone"),
    ({"username": "has space"}, "username"),
    ({"username": "street"}, "username"),  # taken
])
def test_bad_user_input_is_refused_naming_the_field_and_saves_nothing(as_persona, world, change, field) -> None:
    admin = as_persona("admin")
    before = admin.get("/api/admin/users?limit=500").json()["total"]
    r = admin.post("/api/admin/users", json={**GOOD, **change})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field
    assert admin.get("/api/admin/users?limit=500").json()["total"] == before


def test_no_one_grants_more_than_they_hold(as_persona, world, street_admin) -> None:
    c = as_persona(street_admin)
    assignable = {r["code"] for r in c.get("/api/admin/roles").json()}
    assert "admin" not in assignable and "center_leader" not in assignable
    r = c.post("/api/admin/users", json={**GOOD, "roles": ["admin"]})
    assert r.status_code == 422 and r.json()["field"] == "roles"
    r = c.post("/api/admin/users", json={**GOOD, "area_codes": ["330212001000"]})  # street S2
    assert r.status_code == 422 and r.json()["field"] == "area_codes"
    r = c.post("/api/admin/users", json={**GOOD, "roles": ["grid_worker"], "area_codes": [],
                                         "grid_codes": ["330212001005001"]})  # grid C in S2
    assert r.status_code == 422 and r.json()["field"] == "grid_codes"
    ok = c.post("/api/admin/users", json={**GOOD, "roles": ["grid_worker"], "area_codes": [],
                                          "grid_codes": ["330212006001002"]})
    assert ok.status_code == 201


def test_users_without_users_manage_are_refused(as_persona, world) -> None:
    assert as_persona("street").get("/api/admin/users").status_code == 403
    assert as_persona("leader").post("/api/admin/users", json=GOOD).status_code == 403


def test_the_users_page_creates_reports_errors_in_chinese_and_unlocks(app, client, world, db) -> None:
    from fastapi.testclient import TestClient

    from tests.factories import World

    assert isinstance(world, World)
    # The admin logs in with password and one-time code.
    web_login(client, "admin", PASSWORD)
    token = csrf_from(client.get("/login/totp").text)
    client.post("/login/totp", data={"code": world.totp("admin"), "csrf_token": token})
    page = client.get("/gov/users")
    assert page.status_code == 200 and "grid_a" in page.text and "新建用户" in page.text
    csrf = csrf_from(page.text)
    bad = client.post("/gov/users", data={"csrf_token": csrf, "username": "zhao", "display_name": "赵",
                                          "password": "weak", "role": "grid_worker", "area_codes": "330212006001"})
    assert bad.status_code == 422 and "密码至少 8 位" in bad.text and 'value="zhao"' in bad.text
    good = client.post("/gov/users", data={"csrf_token": csrf, "username": "zhao", "display_name": "赵",
                                           "password": "Grid@2026x", "role": "community_worker",
                                           "area_codes": "330212006001"})
    assert good.status_code == 201 and "已创建用户 zhao" in good.text
    # Lock the street official, then unlock from the page.
    other = TestClient(app)
    for _ in range(5):
        web_login(other, "street", "wrong-Pass1")
    assert "已锁定" in client.get("/gov/users").text
    r = client.post(f"/gov/users/{world.users['street'].id}/unlock", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert web_login(other, "street", PASSWORD).status_code == 303
