"""Test harness: every database test runs on SQLite and on PostgreSQL (ZHILI_TEST_DATABASE_URL).

Outside CI, PostgreSQL tests skip with a message when no URL is set; with ZHILI_REQUIRE_POSTGRES=1 (CI) they fail.
Each test starts from an empty, migrated database with the built-in roles seeded.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import TEST_KEY, World, build_world
from zhili.app import create_app
from zhili.config import Settings
from zhili.db import make_engine, make_sessionmaker, transaction
from zhili.kit import crypto
from zhili.migrate import upgrade
from zhili.models import metadata

crypto.configure(TEST_KEY)
REQUIRE_PG = bool(os.environ.get("ZHILI_REQUIRE_POSTGRES"))
# Tests read figures right after changing cases: the read side refreshes on every read (production: once a minute).
os.environ.setdefault("ZHILI_ANALYSIS_REFRESH_SECONDS", "0")


def _postgres_url() -> str:
    url = os.environ.get("ZHILI_TEST_DATABASE_URL", "")
    if not url:
        if REQUIRE_PG:
            pytest.fail("ZHILI_REQUIRE_POSTGRES is set but ZHILI_TEST_DATABASE_URL is empty")
        pytest.skip("PostgreSQL tests skipped: set ZHILI_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:  # pytest -n: each worker gets its own database next to the given one
        from sqlalchemy import create_engine, make_url

        base = make_url(url)
        name = f"{base.database}_{worker}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        url = base.set(database=name).render_as_string(hide_password=False)
    return url


def fresh_engine(kind: str, tmp: Path) -> Engine:
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp}/test.db")
    else:
        engine = make_engine(_postgres_url(), pool_size=5)
        try:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        except Exception as exc:  # unreachable server
            if REQUIRE_PG:
                pytest.fail(f"PostgreSQL unreachable: {exc}")
            pytest.skip(f"PostgreSQL unreachable: {exc}")
    upgrade(engine)
    return engine


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    eng = fresh_engine(request.param, tmp_path_factory.mktemp(request.param))
    yield eng
    eng.dispose()


def reset(engine: Engine) -> None:
    """Empty every table and re-seed what a fresh `zhili db upgrade` leaves behind."""
    from zhili.addresses import service as address_service
    from zhili.cases import service as case_service
    from zhili.org import spatial

    case_service.forget_names()  # ids are reused with other names in the next test's world

    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
            conn.execute(text("DELETE FROM sqlite_sequence")) if conn.execute(
                text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")).first() else None
        conn.execute(text("INSERT INTO geo_state (id, version) VALUES (1, 0)"))
    upgrade(engine)  # a no-op migration; seeds roles and the audit head
    with make_sessionmaker(engine)() as s:
        spatial.forget(s)
        address_service.forget(s)


@pytest.fixture
def db(engine: Engine) -> sessionmaker[Session]:
    reset(engine)
    return make_sessionmaker(engine)


@pytest.fixture
def world(db: sessionmaker[Session]) -> World:
    with transaction(db, info={"audit_auto": False}) as session:
        return build_world(session)


@pytest.fixture
def settings(tmp_path: Path, engine: Engine) -> Settings:
    return Settings(database_url=engine.url.render_as_string(hide_password=False), var_dir=tmp_path,
                    secret_key=TEST_KEY, geo_refresh_seconds=0)


@pytest.fixture
def app(settings: Settings, engine: Engine, db: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    return create_app(settings, engine)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def as_persona(app, world: World, db: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    """as_persona("street") -> a TestClient carrying that persona's bearer token."""
    clients: list[TestClient] = []

    def make(name: str) -> TestClient:
        token = world.token(db, name)
        c = TestClient(app, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"})
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()
