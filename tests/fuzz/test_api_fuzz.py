"""Schemathesis fuzzes every operation of /api/openapi.json, in process, as the most privileged persona (admin) and
as an unprivileged one (resident).

Checks: no server errors, status codes / content types / headers / bodies conform to the schema, invalid input is
rejected (negative data), and authentication is not ignored (the bearer scheme is declared, so schemathesis repeats
a successful call without and with a wrong token and expects a 401). Calls go to the ASGI app in process, where an
unhandled exception surfaces as itself (with the request to reproduce it) rather than as a 500. The seed and the
number of cases are fixed; the seed is printed and recorded as a junit testsuite property. A failure prints a
reproducing curl command; to replay the run (the same seed gives the same cases):

    ZHILI_FUZZ_SEED=<seed> ZHILI_TEST_DATABASE_URL=postgresql+psycopg://... \\
        .venv/bin/pytest tests/fuzz/test_api_fuzz.py -p no:cacheprovider -k "as_resident and POST /api/cases"

PostgreSQL only (the production database): both databases would double the run time, and the SQLite half is
covered by the rest of the suite. The world is built once per persona (building it for each of the ~130 operations
would take minutes); every other test's `db` fixture empties the database first, so whatever the fuzzer writes is
gone before the next test.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from sqlalchemy import Engine

from tests.conftest import reset
from tests.factories import TEST_KEY, build_world
from zhili.app import create_app
from zhili.config import Settings
from zhili.db import make_engine, make_sessionmaker, transaction

SEED = int(os.environ.get("ZHILI_FUZZ_SEED", "20261129"))
MAX_EXAMPLES = int(os.environ.get("ZHILI_FUZZ_EXAMPLES", "8"))
STATEFUL_EXAMPLES = int(os.environ.get("ZHILI_FUZZ_STATEFUL_EXAMPLES", "20"))
PERSONAS = ["admin", "resident"]

CONFIG = schemathesis.Config.from_dict({
    "seed": SEED,
    # Unknown query parameters and headers are ignored, as HTTP APIs do (clients and proxies add their own):
    # not generating them keeps negative cases on the parameters the schema declares.
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none",
                   "allow-extra-parameters": False},
    "phases": {"coverage": {"enabled": True}},
    # The two event streams stay open for `timeout` seconds: 1 s, and no coverage cases (which leave it out).
    "parameters": {"query.timeout": 1},
    "operations": [
        {"include-path-regex": "/stream$", "phases": {"coverage": {"enabled": False}}},
        # Each login attempt hashes the password (argon2, slow on purpose): the coverage cases took ~25 s.
        {"include-path": "/api/auth/token", "phases": {"coverage": {"enabled": False}}},
        # GET /api/cases/photos reaches GET /api/cases/{number} (a 422 naming `number`), and so on: these
        # answer GET with a 422 rather than a 405, and their Allow lists GET.
        {"include-path-regex": "^/api/(cases/(photos|duplicates)|registry/tasks/generate)$",
         "checks": {"unsupported_method": {"enabled": False}, "allow_header_conformance": {"enabled": False}}},
    ],
    # Positive data may still be refused by rules the schema cannot express (a point outside the district,
    # a case in the wrong state): a 422 there is right, not a bug.
    "checks": {"positive_data_acceptance": {"enabled": False}},
})


def _schema_app() -> Any:
    """The app only to read its schema from (the database is never touched); calls go to the fixture's app."""
    var = tempfile.mkdtemp(prefix="zhili-fuzz-")
    settings = Settings(database_url=f"sqlite:///{var}/schema.db", var_dir=var, secret_key=TEST_KEY)
    return create_app(settings, make_engine(settings.database_url))


# DELETE /api/auth/token revokes the very token the fuzzer calls with: every later call would be a 401.
schema = schemathesis.openapi.from_asgi("/api/openapi.json", _schema_app(), config=CONFIG).exclude(
    method="DELETE", path="/api/auth/token")


@pytest.fixture(scope="module", params=PERSONAS, ids=[f"as_{p}" for p in PERSONAS])
def target(request: pytest.FixtureRequest, engine: Engine, tmp_path_factory: pytest.TempPathFactory,
           record_testsuite_property: Any) -> Iterator[tuple[Any, dict[str, str]]]:
    """(app, headers) of one persona on a freshly built world."""
    if engine.dialect.name != "postgresql":
        pytest.skip("fuzzing runs on PostgreSQL only (the production database), to keep the suite's time")
    reset(engine)
    db = make_sessionmaker(engine)
    with transaction(db, info={"audit_auto": False}) as session:
        world = build_world(session)
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False),
                        var_dir=tmp_path_factory.mktemp("fuzz"), secret_key=TEST_KEY, geo_refresh_seconds=0)
    record_testsuite_property("schemathesis_seed", SEED)  # in the junit xml of CI runs
    print(f"schemathesis seed={SEED} max_examples={MAX_EXAMPLES} persona={request.param}")
    yield create_app(settings, engine), {"Authorization": f"Bearer {world.token(db, request.param)}"}
    reset(engine)


@schema.parametrize()
def test_api(case: Case, target: tuple[Any, dict[str, str]]) -> None:
    app, headers = target
    if case.path.startswith("/open311/"):
        # GeoReport v2 has its own documents (XML or JSON by the path's suffix, a form body, errors as
        # [{code, description}]) that the OpenAPI schema does not describe: only server errors count here;
        # tests/open311 checks the documents themselves.
        case.call_and_validate(headers=headers, app=app, checks=[not_a_server_error])
    else:
        case.call_and_validate(headers=headers, app=app)


def test_stateful(target: tuple[Any, dict[str, str]]) -> None:
    """Sequences of calls along the links between operations, with the same checks after every step: the schema
    declares POST /api/cases -> GET /api/cases/{number}; schemathesis infers ~80 more from names and shapes
    (e.g. POST /api/taxonomy/rules -> PUT/DELETE /api/taxonomy/rules/{rule_id}). Fixed: derandomize."""
    app, headers = target
    base = schema.as_state_machine()

    class Workflow(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"app": app, "headers": headers}

        def validate_response(self, response: Any, case: Case, additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(response, additional_checks=additional_checks, headers=headers,
                                   transport_kwargs=kwargs or None, recorder=self.recorder)

    links = sorted(link.full_name for t in base._transitions.operations.values() for link in t.incoming)
    print(f"stateful: {len(links)} inferred links", *links, sep="\n  ")
    assert links, "no links between operations: the stateful run would only repeat the single-operation test"
    Workflow.run(settings=hypothesis.settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=6,
                                              derandomize=True, database=None, deadline=None,
                                              suppress_health_check=list(hypothesis.HealthCheck)))
