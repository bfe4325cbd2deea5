"""`zhili demo` builds the real district, and each demo persona sees only its own jurisdiction (both databases)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import reset
from zhili.app import create_app
from zhili.auth import audit
from zhili.auth import service as auth_service
from zhili.auth.models import User
from zhili.config import Settings
from zhili.db import make_sessionmaker, transaction
from zhili.demo.build import build_demo
from zhili.org.models import Area, AreaLevel, Grid, GridMember, MicroGrid


@pytest.fixture(scope="module")
def demo(engine, tmp_path_factory):  # type: ignore[no-untyped-def]
    reset(engine)
    factory = make_sessionmaker(engine)
    with transaction(factory, info={"ip": "test"}) as session:
        logins = build_demo(session, seed=2026)
    settings = Settings(database_url=str(engine.url), var_dir=tmp_path_factory.mktemp("demo"),
                        secret_key="5a" * 32, geo_refresh_seconds=0)
    app = create_app(settings, engine)
    tokens = {}
    with transaction(factory) as session:
        for login in logins:
            user = session.scalar(select(User).where(User.username == login.username))
            tokens[login.username], _ = auth_service.issue_api_token(session, user, settings, "test")
    yield app, tokens, factory, logins


def _get(demo, persona: str, url: str):  # type: ignore[no-untyped-def]
    app, tokens, _, _ = demo
    with TestClient(app, headers={"Authorization": f"Bearer {tokens[persona]}"}) as c:
        return c.get(url)


def test_the_real_district_is_built(demo) -> None:  # type: ignore[no-untyped-def]
    _, _, factory, logins = demo
    with transaction(factory) as s:
        streets = s.scalars(select(Area.name).where(Area.level == AreaLevel.street)).all()
        communities = s.scalar(select(func.count()).where(Area.level == AreaLevel.community))
        grids = s.scalar(select(func.count()).select_from(Grid))
        micro = s.scalar(select(func.count()).select_from(MicroGrid))
        kinds = set(s.scalars(select(Grid.kind).distinct()))
        assert audit.verify(s).ok
    assert len(streets) == 25 and {"首南街道", "下应街道", "姜山镇", "东钱湖镇"} <= set(streets)
    assert communities == 407
    assert 900 <= grids <= 1200 and 4000 <= micro <= 6500
    assert {k.value for k in kinds} == {"urban", "rural", "special"}
    assert {login.username for login in logins} >= {"admin", "leader", "operator", "street", "street2", "community",
                                                   "grid_a", "grid_b", "cg", "ops", "resident", "ga"}


def test_every_grid_has_a_full_1_3_n_team(demo) -> None:  # type: ignore[no-untyped-def]
    _, _, factory, _ = demo
    with transaction(factory) as s:
        roles_per_grid = s.execute(select(GridMember.grid_id, func.count(func.distinct(GridMember.role)))
                                   .group_by(GridMember.grid_id)).all()
        grids = s.scalar(select(func.count()).select_from(Grid))
    assert len(roles_per_grid) == grids
    assert all(n >= 7 for _, n in roles_per_grid)  # leader, 3 core roles, police, specialist, volunteer


def test_street_official_sees_only_their_street(demo) -> None:  # type: ignore[no-untyped-def]
    top = _get(demo, "street", "/api/org/areas").json()
    assert [a["name"] for a in top] == ["首南街道"]
    grids = _get(demo, "street", "/api/org/grids?limit=500").json()
    assert grids["total"] > 10 and all(g["code"].startswith("330212006") for g in grids["items"])
    other = _get(demo, "street2", "/api/org/grids?limit=500").json()
    assert other["total"] > 10 and all(g["code"].startswith("330212001") for g in other["items"])
    assert _get(demo, "street2", f"/api/org/grids/{grids['items'][0]['code']}").status_code == 404


def test_grid_workers_see_their_own_grid_only(demo) -> None:  # type: ignore[no-untyped-def]
    a = _get(demo, "grid_a", "/api/org/grids").json()
    b = _get(demo, "grid_b", "/api/org/grids").json()
    assert a["total"] == 1 and b["total"] == 1 and a["items"][0]["code"] != b["items"][0]["code"]
    assert _get(demo, "grid_a", f"/api/org/grids/{b['items'][0]['code']}").status_code == 404


def test_district_roles_see_the_whole_district(demo) -> None:  # type: ignore[no-untyped-def]
    top = _get(demo, "operator", "/api/org/areas").json()
    assert [a["name"] for a in top] == ["鄞州区"]
    assert _get(demo, "operator", "/api/org/grids?limit=1").json()["total"] >= 900


def test_resident_and_operations_personas(demo) -> None:  # type: ignore[no-untyped-def]
    assert _get(demo, "resident", "/api/org/grids").status_code == 403
    page = _get(demo, "resident", "/service/my-grid")
    assert page.status_code == 200 and "网格长" in page.text
    ops = _get(demo, "ops", "/api/org/areas").json()
    assert len(ops) == 1 and ops[0]["level"] == "community"


def test_a_point_in_the_district_resolves(demo) -> None:  # type: ignore[no-untyped-def]
    grid = _get(demo, "street", "/api/org/grids?limit=1").json()["items"][0]
    lon, lat = grid["center"]
    found = _get(demo, "street", f"/api/org/lookup?lon={lon}&lat={lat}").json()
    assert found["grid"]["code"] == grid["code"] and found["street"]["name"] == "首南街道"
    assert found["micro_grid"]["code"].startswith(grid["code"])


def test_the_issue_address_resolves_in_the_demo(demo) -> None:  # type: ignore[no-untyped-def]
    body = _get(demo, "operator", "/api/addresses/resolve?q=鄞州区首南街道天童南路588号3幢2单元").json()
    assert body["matched"] and body["level"] == "building" and body["street_name"] == "首南街道"
    assert body["grid_code"].startswith(body["community_code"]) and body["lon"] is not None
    assert _get(demo, "operator", f"/api/addresses/{body['standard_address_id']}").json()["building"] == "3"
