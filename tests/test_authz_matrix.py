"""Every route of the app, called as personas inside and outside their jurisdiction.

The table below must name every route the app has (the test enumerates `app.routes`, so a new route without an
entry fails). Each non-public route needs at least one allowed and one denied case. Every response body is also
searched for an unmasked phone or ID number.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from tests.domain_matrices import DOMAIN_MATRICES
from tests.factories import A_POINT, C_POINT
from tests.matrix_common import (
    C1,
    C2,
    DENY,
    GRID_A,
    GRID_B,
    GRID_C,
    ID_NUMBER,
    MISSING,
    OK,
    PHONE,
    PUBLIC,
    S1,
    S2,
    Case,
)

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("DELETE", "/api/auth/token"): [Case("street", "/api/auth/token", 204), Case("anon", "/api/auth/token", 401)],
    ("GET", "/api/auth/me"): [Case("grid_a", "/api/auth/me", OK, contains=["grid_a"]),
                              Case("anon", "/api/auth/me", 401)],
    ("POST", "/api/auth/users/{user_id}/unlock"): [
        Case("admin", "/api/auth/users/{uid:street}/unlock", 204),
        Case("street", "/api/auth/users/{uid:street}/unlock", DENY),
        Case("admin", "/api/auth/users/99999/unlock", MISSING)],
    ("GET", "/api/audit"): [Case("leader", "/api/audit", OK), Case("street", "/api/audit", DENY)],
    ("GET", "/api/audit/verify"): [Case("admin", "/api/audit/verify", OK), Case("community", "/api/audit/verify", DENY)],
    ("GET", "/api/org/areas"): [
        Case("street", "/api/org/areas", OK, contains=["首南街道"], absent=["下应街道"]),
        Case("street", f"/api/org/areas?parent={S2}", MISSING), Case("resident", "/api/org/areas", DENY)],
    ("GET", "/api/org/areas/{code}"): [
        Case("street", f"/api/org/areas/{C1}", OK), Case("street", f"/api/org/areas/{S2}", MISSING),
        Case("grid_a", f"/api/org/areas/{S1}", MISSING)],
    ("GET", "/api/org/grids"): [
        Case("street", "/api/org/grids", OK, contains=[GRID_A, GRID_B], absent=[GRID_C]),
        Case("grid_a", "/api/org/grids", OK, contains=[GRID_A], absent=[GRID_B, GRID_C]),
        Case("street2", f"/api/org/grids?area={S1}", MISSING), Case("resident", "/api/org/grids", DENY)],
    ("GET", "/api/org/grids/{code}"): [
        Case("grid_a", f"/api/org/grids/{GRID_A}", OK), Case("grid_b", f"/api/org/grids/{GRID_A}", MISSING),
        Case("street2", f"/api/org/grids/{GRID_A}", MISSING), Case("dept", f"/api/org/grids/{GRID_C}", OK),
        Case("dept", f"/api/org/grids/{GRID_A}", MISSING)],
    ("GET", "/api/org/grids/{code}/team"): [
        Case("community", f"/api/org/grids/{GRID_A}/team", OK, contains=["138****5678"]),
        Case("street2", f"/api/org/grids/{GRID_A}/team", MISSING),
        Case("dept", f"/api/org/grids/{GRID_C}/team", DENY)],
    ("POST", "/api/org/grids/{code}/team"): [
        Case("admin", f"/api/org/grids/{GRID_B}/team", 201, json={"staff_id": "{staff:vol_a}", "role": "volunteer"}),
        Case("street", f"/api/org/grids/{GRID_B}/team", DENY, json={"staff_id": "{staff:vol_a}", "role": "volunteer"}),
        Case("street2", f"/api/org/grids/{GRID_B}/team", MISSING,
             json={"staff_id": "{staff:vol_a}", "role": "volunteer"})],
    ("DELETE", "/api/org/grids/{code}/team/{member_id}"): [
        Case("community", f"/api/org/grids/{GRID_A}/team/{{member}}", DENY, member="vol_a"),
        Case("street2", f"/api/org/grids/{GRID_A}/team/{{member}}", MISSING, member="vol_a"),
        Case("admin", f"/api/org/grids/{GRID_A}/team/{{member}}", 204, member="vol_a")],
    ("POST", "/api/org/grids/{code}/team/{member_id}/reveal"): [
        Case("admin", f"/api/org/grids/{GRID_A}/team/{{member}}/reveal", OK, json={"reason": "核实上门走访"},
             member="leader_a", contains=["13812345678"]),
        Case("street", f"/api/org/grids/{GRID_A}/team/{{member}}/reveal", DENY, json={"reason": "核实上门走访"},
             member="leader_a"),
        Case("street2", f"/api/org/grids/{GRID_A}/team/{{member}}/reveal", MISSING, json={"reason": "核实上门走访"},
             member="leader_a")],
    ("GET", "/api/org/lookup"): [
        Case("street", f"/api/org/lookup?lon={A_POINT[0]}&lat={A_POINT[1]}", OK, contains=[GRID_A]),
        Case("street", f"/api/org/lookup?lon={C_POINT[0]}&lat={C_POINT[1]}", MISSING),
        Case("resident", f"/api/org/lookup?lon={A_POINT[0]}&lat={A_POINT[1]}", DENY)],
    ("GET", "/api/org/departments"): [
        Case("street2", "/api/org/departments", OK, contains=["下应街道社会治理中心"]),
        Case("street", "/api/org/departments", OK, absent=["下应街道社会治理中心"]),
        Case("resident", "/api/org/departments", DENY)],
    ("GET", "/api/org/map/{level}.geojson"): [
        Case("street", "/api/org/map/grid.geojson", OK, contains=[GRID_A], absent=[GRID_C]),
        Case("ops", "/api/org/map/grid.geojson", DENY)],
    ("GET", "/api/org/export/grids.geojson"): [
        Case("street2", "/api/org/export/grids.geojson", OK, contains=[GRID_C], absent=[GRID_A]),
        Case("resident", "/api/org/export/grids.geojson", DENY),
        Case("street2", f"/api/org/export/grids.geojson?area={S1}", MISSING)],
    ("POST", "/api/org/import/grids"): [
        Case("street", "/api/org/import/grids", DENY, files={"file": ("g.geojson", b'{"type":"FeatureCollection","features":[]}')}),
        Case("admin", "/api/org/import/grids", OK, files={"file": ("g.geojson", b'{"type":"FeatureCollection","features":[]}')})],
    ("GET", "/api/admin/users"): [Case("admin", "/api/admin/users", OK, contains=["grid_a"]),
                                  Case("leader", "/api/admin/users", DENY)],
    ("POST", "/api/admin/users"): [
        Case("admin", "/api/admin/users", 201, json={"username": "new1", "display_name": "新人", "password": "Grid@2026x",
                                                     "roles": ["grid_worker"], "grid_codes": [GRID_C]}),
        Case("street", "/api/admin/users", DENY, json={"username": "new2", "display_name": "新人",
                                                       "password": "Grid@2026x", "roles": ["grid_worker"],
                                                       "grid_codes": [GRID_A]})],
    ("GET", "/api/admin/roles"): [Case("admin", "/api/admin/roles", OK, contains=["grid_worker"]),
                                  Case("community", "/api/admin/roles", DENY)],
    ("GET", "/gov/users"): [Case("admin", "/gov/users", OK, contains=["grid_b"]), Case("street", "/gov/users", DENY)],
    ("POST", "/gov/users"): [
        Case("street", "/gov/users", DENY),
        Case("admin", "/gov/users", 201, data={"username": "new3", "display_name": "新人", "password": "Grid@2026x",
                                                "role": "grid_worker", "grid_codes": GRID_C},
             contains=["已创建用户 new3"])],
    ("POST", "/gov/users/{user_id}/unlock"): [Case("admin", "/gov/users/{uid:street}/unlock", 303),
                                              Case("street2", "/gov/users/{uid:street}/unlock", DENY),
                                              Case("admin", "/gov/users/99999/unlock", MISSING)],
    ("POST", "/logout"): [Case("street", "/logout", 303), Case("anon", "/logout", 303)],
    ("GET", "/home"): [Case("street", "/home", 303), Case("anon", "/home", 303)],
    ("GET", "/gov"): [Case("street", "/gov", OK, contains=["首南街道"]), Case("resident", "/gov", MISSING)],
    ("GET", "/ops"): [Case("ops", "/ops", OK), Case("street", "/ops", MISSING)],
    ("GET", "/ops/community"): [Case("ops", "/ops/community", OK, contains=[GRID_A]), Case("grid_a", "/ops/community", MISSING)],
    ("GET", "/service"): [Case("resident", "/service", OK), Case("street", "/service", MISSING)],
    ("GET", "/service/my-grid"): [Case("resident", "/service/my-grid", OK, contains=[GRID_A, "138****5678"]),
                                  Case("grid_a", "/service/my-grid", MISSING)],
    ("GET", "/gov/audit"): [Case("leader", "/gov/audit", OK), Case("street", "/gov/audit", DENY)],
    ("GET", "/account"): [Case("resident", "/account", OK), Case("anon", "/account", 303)],
    ("GET", "/gov/map"): [Case("grid_a", "/gov/map", OK), Case("resident", "/gov/map", DENY)],
    ("GET", "/gov/org"): [Case("street", f"/gov/org?area={C1}", OK, contains=[GRID_A]),
                          Case("street", f"/gov/org?area={C2}", MISSING), Case("resident", "/gov/org", DENY)],
    ("GET", "/gov/grids/{code}"): [Case("grid_a", f"/gov/grids/{GRID_A}", OK, contains=["南裕社区第1网格"]),
                                   Case("grid_a", f"/gov/grids/{GRID_B}", MISSING)],
    ("GET", "/gov/departments"): [Case("operator", "/gov/departments", OK), Case("resident", "/gov/departments", DENY)],
}


for _domain in DOMAIN_MATRICES:
    assert not set(_domain) & set(MATRIX), set(_domain) & set(MATRIX)
    MATRIX.update(_domain)

def _walk(routes, found: set[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    for route in routes:
        if isinstance(route, Mount):
            continue
        nested = getattr(route, "original_router", None)  # FastAPI's included routers
        if nested is not None:
            _walk(nested.routes, found)
        elif isinstance(route, APIRoute | Route):
            for method in route.methods or ():
                if method != "HEAD":
                    found.add((method, route.path))


def app_routes(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    found: set[tuple[str, str]] = set()
    _walk(app.routes, found)
    assert len(found) > 20, "route discovery found too few routes"
    return found


def test_every_route_is_in_the_matrix(app) -> None:
    routes = app_routes(app)
    missing = routes - set(MATRIX) - PUBLIC
    stale = set(MATRIX) - routes
    assert not missing, f"routes without an authorization case: {sorted(missing)}"
    assert not stale, f"matrix names routes the app does not have: {sorted(stale)}"
    for key, cases in MATRIX.items():
        statuses = [c.status for c in cases]
        assert any(s in (200, 201, 204) or (s == 303 and c.persona != "anon") for s, c in zip(statuses, cases)), key
        assert any(s in (401, 403, 404) or (c.persona == "anon") for s, c in zip(statuses, cases)), key
        if set(re.findall(r"\{(\w+)\}", key[1])) - GLOBAL_PARAMS:  # an object in the path: a missing one is 404
            assert any(404 in (s if isinstance(s, tuple) else (s,)) for s in statuses), f"{key}: no 404 row"


def _fill(value: Any, world, db=None) -> Any:  # type: ignore[no-untyped-def]
    if isinstance(value, dict):
        return {k: _fill(v, world, db) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{staff:"):
        return world.staff[value[7:-1]].id
    if isinstance(value, str) and value.startswith("{cat:"):
        from tests.cases.helpers import category_code
        from zhili.db import transaction

        with transaction(db) as s:
            return category_code(s, value[5:-1])
    return value


def _member_id(db, world, staff_key: str) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from zhili.db import transaction
    from zhili.org.models import GridMember

    with transaction(db) as s:
        return s.scalars(select(GridMember.id).where(GridMember.staff_id == world.staff[staff_key].id)).first()


def _call(case: Case, method: str, app, world, db, as_persona, persona: str | None = None):  # type: ignore[no-untyped-def]
    """Make the matrix row's request (objects made on demand) as its persona, or as `persona` if given."""
    from fastapi.testclient import TestClient

    who = persona or case.persona
    client = TestClient(app) if who == "anon" else as_persona(who)
    url = case.url
    if case.member:
        url = url.replace("{member}", str(_member_id(db, world, case.member)))
    url = re.sub(r"\{uid:(\w+)\}", lambda m: str(world.users[m.group(1)].id), url)
    if re.search(r"\{(case|photo|ext|order):", url):
        from tests.cases.helpers import fill

        url = fill(url, db, world, app.state.settings)
    if "{registry:" in url:  # registry objects made on demand (tests/registry/matrix_fill.py)
        from tests.registry.matrix_fill import fill as registry_fill

        url = registry_fill(url, db, world, app.state.settings)
    kwargs: dict[str, Any] = {"follow_redirects": False}
    if case.json is not None:
        kwargs["json"] = _fill(case.json, world, db)
    if case.files is not None:
        kwargs["files"] = case.files
    if case.data is not None:
        kwargs["data"] = case.data
    return url, client.request(method, url, **kwargs)


@pytest.mark.parametrize("key", sorted(MATRIX), ids=lambda k: f"{k[0]} {k[1]}")
def test_route_allows_and_denies(key, app, world, db, as_persona) -> None:  # type: ignore[no-untyped-def]
    method, _ = key
    for case in MATRIX[key]:
        url, r = _call(case, method, app, world, db, as_persona)
        expected = case.status if isinstance(case.status, tuple) else (case.status,)
        assert r.status_code in expected, f"{case.persona} {method} {url}: {r.status_code} {r.text[:200]}"
        if url.startswith("/api") and r.status_code >= 400:
            body = r.json()
            assert set(body) == {"code", "message", "field"}, body
        for text in case.contains:
            assert text in r.text, f"{case.persona} {url}: expected {text!r}"
        for text in case.absent:
            assert text not in r.text, f"{case.persona} {url}: leaked {text!r}"
        if not (case.persona in ("admin", "leader") and url.endswith("/reveal")):
            assert not PHONE.search(r.text), f"{case.persona} {url}: unmasked phone in response"
            assert not ID_NUMBER.search(r.text), f"{case.persona} {url}: unmasked ID number in response"


# IDOR: a persona with the same role as another but a disjoint jurisdiction (a sibling street, the neighbouring
# grid, another street's center, another functional department for cases) replays every allowed request of the
# matrix that names an object in its path. The replay must answer 404 (or 403) and change nothing: the original
# persona's request, made afterwards, must still get its own answer.
SIBLINGS = {"street": "street2", "street2": "street", "grid_a": "grid_b", "grid_b": "grid_a", "s1dept": "dept",
            "dept": "s1dept", "community": "street2", "ops": "street2", "resident": "grid_b",
            # district-wide personas' objects, tried by the street official of the street they do not lie in
            "operator": "street2", "admin": "street2", "leader": "street2"}
CASE_SIBLINGS = {"cg": "zj", "zj": "cg"}  # functional departments see only the cases dispatched to them
GLOBAL_PARAMS = {"action", "day", "year", "level", "name", "kind", "version", "scheme_id", "unit_id", "rule_id"}
# The standard address book is district-wide reference data (intake resolves any address in the district); the
# registry's address pages, with who lives there, are jurisdiction-bound and stay in the sweep.
# Categories are the district's one taxonomy.
REFERENCE = {("GET", "/api/addresses/{address_id}"), ("GET", "/api/taxonomy/categories/{code}"),
             ("GET", "/gov/taxonomy/{code}")}


def _idor_rows() -> list[tuple[str, str, int]]:
    rows = []
    for (method, path), cases in sorted(MATRIX.items()):
        params = set(re.findall(r"\{(\w+)\}", path))
        if not params - GLOBAL_PARAMS or (method, path) in REFERENCE:
            continue  # no jurisdiction-bound object in the path (lists are checked by contains/absent above)
        for i, case in enumerate(cases):
            ok = case.status if isinstance(case.status, tuple) else (case.status,)
            siblings = SIBLINGS | (CASE_SIBLINGS if "/cases" in path else {})
            if not re.fullmatch(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)), case.url.split("?")[0]):
                continue  # a set-up row that calls another route (e.g. one that makes a notification)
            if case.persona in siblings and any(s in (200, 201, 204, 303) for s in ok):
                rows.append((method, path, i))
    return rows


IDOR_ROWS = _idor_rows()


def test_idor_sweep_covers_the_object_routes() -> None:
    """The sweep must reach the case loop, the grids and the registry: if the matrix's allowed rows moved to
    personas without a sibling, this would silently shrink."""
    paths = {p for _, p, _ in IDOR_ROWS}
    assert len(IDOR_ROWS) >= 40, len(IDOR_ROWS)
    for must in ("/api/cases/{number}", "/api/cases/{number}/actions/{action}", "/api/org/grids/{code}",
                 "/api/registry/people/{entity_id}", "/api/registry/tasks/{task_id}/complete"):
        assert must in paths, must


@pytest.mark.parametrize("row", IDOR_ROWS, ids=lambda r: f"{r[0]} {r[1]} #{r[2]}")
def test_sibling_jurisdiction_cannot_reach_the_object(row, app, world, db, as_persona) -> None:  # type: ignore[no-untyped-def]
    method, path, i = row
    for earlier in MATRIX[(method, path)][:i]:  # the rows before it may set the object up (e.g. a dispatch)
        _call(earlier, method, app, world, db, as_persona)
    case = MATRIX[(method, path)][i]
    sibling = (SIBLINGS | (CASE_SIBLINGS if "/cases" in path else {}))[case.persona]
    url, r = _call(case, method, app, world, db, as_persona, persona=sibling)
    assert r.status_code in (403, 404), f"{sibling} reached {case.persona}'s object: {method} {url} -> " \
        f"{r.status_code} {r.text[:200]}"
    assert not PHONE.search(r.text) and not ID_NUMBER.search(r.text)
    url2, again = _call(case, method, app, world, db, as_persona)
    expected = case.status if isinstance(case.status, tuple) else (case.status,)
    assert again.status_code in expected, f"after {sibling}'s attempt, {case.persona} {method} {url2}: " \
        f"{again.status_code} {again.text[:200]}"


@pytest.mark.parametrize("key", sorted(MATRIX), ids=lambda k: f"{k[0]} {k[1]}")
def test_anonymous_gets_nothing(key, app, world) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    method, path = key
    url = re.sub(r"\{[^}]+\}", "1", path)
    r = TestClient(app).request(method, url, follow_redirects=False)
    if path.startswith("/api"):
        assert r.status_code == 401 and r.json()["code"] in {"login_required", "unauthenticated"}
    else:
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_out_of_scope_answers_exactly_like_missing(as_persona, world) -> None:
    c = as_persona("street2")
    out_of_scope = c.get(f"/api/org/grids/{GRID_A}")
    missing = c.get("/api/org/grids/330212001005999")
    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.json() == missing.json()
