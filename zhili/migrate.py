"""Run Alembic from code: `zhili db upgrade`, the demo and the tests all go through here."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from zhili.db import make_sessionmaker, transaction

HERE = Path(__file__).resolve().parent


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option(
        "file_template", "%%(year)d-%%(month).2d-%%(day).2d-%%(hour).2d%%(minute).2d_%%(slug)s"
    )
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`, then seed the built-in roles and the singleton rows (idempotent)."""
    from zhili.assessment import defaults as assessment_defaults
    from zhili.auth import service as auth_service
    from zhili.open311 import seed as open311_seed
    from zhili.taxonomy import seed as taxonomy_seed
    from zhili.workcal import service as workcal_service

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    with transaction(make_sessionmaker(engine), info={"audit_auto": False}) as session:
        auth_service.seed_roles(session)
        taxonomy_seed.seed_categories(session)
        workcal_service.seed_from_package(session)
        open311_seed.seed_attributes(session)
        if revision == "head":  # the assessment tables exist from revision 0004 on
            assessment_defaults.seed_default_schemes(session)


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
