"""The models and the migration head agree, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from zhili.migrate import alembic_config, current
from zhili.models import metadata


def test_models_match_migration_head(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        diff = compare_metadata(ctx, metadata)
    assert diff == [], f"models differ from the migrations: {diff}"


def test_database_is_at_head(engine: Engine) -> None:
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    assert current(engine) == head


def test_migration_files_follow_the_naming_rule() -> None:
    import re
    from pathlib import Path

    import zhili

    versions = Path(zhili.__file__).parent / "migrations" / "versions"
    names = [p.name for p in versions.glob("*.py") if p.name != "__init__.py"]
    assert names
    assert all(re.match(r"^\d{4}-\d{2}-\d{2}-\d{4}_[a-z0-9_]+\.py$", n) for n in names), names
