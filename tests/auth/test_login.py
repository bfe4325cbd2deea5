"""Login, lockout, idle expiry, CSRF, the second factor and bearer tokens, through the real routes."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.auth.helpers import csrf_from, web_login
from tests.factories import PASSWORD
from zhili.auth.models import AuditLog, User
from zhili.db import transaction
from zhili.kit import clock


def _actions(db) -> list[str]:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        return list(s.scalars(select(AuditLog.action).order_by(AuditLog.seq)))


def test_login_lands_on_the_terminal_home_and_is_audited(client: TestClient, world, db) -> None:
    r = web_login(client, "street", PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/gov"
    cookie = r.headers["set-cookie"]
    assert "zhili_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = client.get("/gov")
    assert page.status_code == 200 and "首南街道" in page.text and "下应街道" not in page.text
    assert "auth.login" in _actions(db)


def test_resident_lands_on_the_service_terminal(client: TestClient, world) -> None:
    r = web_login(client, "resident", PASSWORD)
    assert r.headers["location"] == "/service"
    assert client.get("/gov", follow_redirects=False).status_code == 404


def test_wrong_password_says_so_in_chinese_and_is_audited(client: TestClient, world, db) -> None:
    r = web_login(client, "street", "wrong-Pass1")
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    assert "zhili_session" not in r.headers.get("set-cookie", "")
    assert _actions(db).count("auth.login_failed") == 1
    r = web_login(client, "nobody", "wrong-Pass1")
    assert r.status_code == 401 and "用户名或密码错误" in r.text


def test_five_failures_lock_the_account_for_fifteen_minutes(client: TestClient, world, db) -> None:
    start = clock.now()
    with clock.frozen(start):
        for _ in range(5):
            assert web_login(client, "street", "wrong-Pass1").status_code == 401
        r = web_login(client, "street", PASSWORD)  # even the right password is refused now
        assert r.status_code == 423 and "锁定" in r.text
    assert "auth.lockout" in _actions(db)
    with clock.frozen(start + timedelta(minutes=14)):
        assert web_login(client, "street", PASSWORD).status_code == 423
    with clock.frozen(start + timedelta(minutes=16)):
        assert web_login(client, "street", PASSWORD).status_code == 303


def test_session_expires_after_thirty_idle_minutes(client: TestClient, world) -> None:
    start = clock.now()
    with clock.frozen(start):
        web_login(client, "street", PASSWORD)
        assert client.get("/gov").status_code == 200
    with clock.frozen(start + timedelta(minutes=29)):
        assert client.get("/gov").status_code == 200  # activity moves the idle window
    with clock.frozen(start + timedelta(minutes=58)):
        assert client.get("/gov").status_code == 200
    with clock.frozen(start + timedelta(minutes=89)):
        r = client.get("/gov", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        api = client.get("/api/auth/me")
        assert api.status_code == 401 and api.json()["code"] in {"session_expired", "login_required"}


def test_forged_or_missing_csrf_token_is_rejected(client: TestClient, world, db) -> None:
    page = client.get("/login")
    token = csrf_from(page.text)
    r = client.post("/login", data={"username": "street", "password": PASSWORD, "csrf_token": token + "x"},
                    follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    web_login(client, "street", PASSWORD)
    # A cookie-authenticated write without the session's token: refused and audited, session kept.
    r = client.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post("/api/org/grids/330212006001001/team", json={"staff_id": 1, "role": "volunteer"})
    assert r.status_code == 403 and r.json()["code"] == "csrf"
    assert "auth.csrf_rejected" in _actions(db)
    assert client.get("/gov").status_code == 200
    good = csrf_from(client.get("/gov").text)
    r = client.post("/logout", data={"csrf_token": good}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/gov", follow_redirects=False).status_code == 303


def test_admin_needs_the_second_factor(client: TestClient, world, db) -> None:
    r = web_login(client, "admin", PASSWORD)
    assert r.status_code == 303 and r.headers["location"].startswith("/login/totp")
    # Password alone opens nothing.
    assert client.get("/gov", follow_redirects=False).headers["location"].startswith("/login/totp")
    assert client.get("/api/auth/me").json()["code"] == "mfa_required"
    page = client.get("/login/totp")
    token = csrf_from(page.text)
    r = client.post("/login/totp", data={"code": "000000", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 422 and "动态口令错误" in r.text
    code = world.totp("admin")
    r = client.post("/login/totp", data={"code": code, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/gov"
    assert client.get("/gov").status_code == 200
    actions = _actions(db)
    assert "auth.totp_failed" in actions and "auth.mfa_verified" in actions


def test_a_totp_code_cannot_be_replayed(client: TestClient, world) -> None:
    code = world.totp("admin")
    web_login(client, "admin", PASSWORD)
    token = csrf_from(client.get("/login/totp").text)
    assert client.post("/login/totp", data={"code": code, "csrf_token": token},
                       follow_redirects=False).status_code == 303
    other = TestClient(client.app)
    web_login(other, "admin", PASSWORD)
    token = csrf_from(other.get("/login/totp").text)
    r = other.post("/login/totp", data={"code": code, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 422


def test_enrolment_shows_a_qr_code_and_a_stable_secret(client: TestClient, world, db) -> None:
    with transaction(db) as s:
        user = s.get(User, world.users["leader"].id)
        user.totp_secret = None
        user.totp_confirmed = False
    web_login(client, "leader", PASSWORD)
    first = client.get("/login/totp").text
    second = client.get("/login/totp").text
    assert "<svg" in first
    secret = first.split('class="secret">')[1].split("<")[0]
    assert secret in second  # reloading the page does not change the secret
    r = client.post("/login/totp", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_from(first)},
                    follow_redirects=False)
    assert r.status_code == 303


def test_api_token_flow(client: TestClient, world) -> None:
    r = client.post("/api/auth/token", json={"username": "street", "password": PASSWORD})
    assert r.status_code == 201
    token = r.json()["access_token"]
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["username"] == "street"
    assert "org.read" in me.json()["permissions"]
    assert client.delete("/api/auth/token", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    again = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 401 and again.json()["code"] == "invalid_token"


def test_api_token_for_an_mfa_role_needs_the_code(client: TestClient, world) -> None:
    r = client.post("/api/auth/token", json={"username": "admin", "password": PASSWORD})
    assert r.status_code == 422 and r.json()["field"] == "totp_code"
    r = client.post("/api/auth/token", json={"username": "admin", "password": PASSWORD,
                                             "totp_code": world.totp("admin")})
    assert r.status_code == 201


def test_api_login_errors_are_structured(client: TestClient, world) -> None:
    r = client.post("/api/auth/token", json={"username": "street", "password": "nope"})
    assert r.status_code == 401
    assert r.json() == {"code": "bad_credentials", "message": "用户名或密码错误", "field": "password"}
    r = client.post("/api/auth/token", json={"username": "street"})
    assert r.status_code == 422 and r.json()["field"] == "password"
    r = client.post("/api/auth/token", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["code"] == "invalid"


def test_expired_token_is_refused(client: TestClient, world, db) -> None:
    token = world.token(db, "street")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    with clock.frozen(clock.now() + timedelta(days=31)):
        assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_unlock_by_an_administrator(as_persona, client: TestClient, world, db) -> None:
    for _ in range(5):
        web_login(client, "street", "wrong-Pass1")
    assert web_login(client, "street", PASSWORD).status_code == 423
    assert as_persona("street2").post(f"/api/auth/users/{world.users['street'].id}/unlock").status_code == 403
    assert as_persona("admin").post(f"/api/auth/users/{world.users['street'].id}/unlock").status_code == 204
    assert web_login(client, "street", PASSWORD).status_code == 303


def test_next_parameter_cannot_redirect_off_site(client: TestClient, world) -> None:
    page = client.get("/login?next=https://evil.example/")
    r = client.post("/login", data={"username": "street", "password": PASSWORD, "csrf_token": csrf_from(page.text),
                                    "next": "https://evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/gov"
    page = client.get("/login")
    r = client.post("/login", data={"username": "street", "password": PASSWORD, "csrf_token": csrf_from(page.text),
                                    "next": "/gov/map"}, follow_redirects=False)
    assert r.headers["location"] == "/gov/map"


def test_even_an_active_session_ends_after_twelve_hours(client: TestClient, world) -> None:
    start = clock.now()
    with clock.frozen(start):
        web_login(client, "street", PASSWORD)
    for minutes in range(20, 12 * 60, 20):  # active every 20 minutes all day
        with clock.frozen(start + timedelta(minutes=minutes)):
            assert client.get("/gov").status_code == 200
    with clock.frozen(start + timedelta(hours=12, minutes=5)):
        r = client.get("/gov", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
