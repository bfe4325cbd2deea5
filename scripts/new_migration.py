"""Autogenerate an Alembic revision from the models against a scratch SQLite database at head.

    .venv/bin/python scripts/new_migration.py "slug words" [--rev 0002]
"""

from __future__ import annotations

import sys
import tempfile

from alembic import command

import zhili.models  # noqa: F401
from zhili.db import make_engine
from zhili.migrate import alembic_config


def main() -> None:
    message = sys.argv[1]
    rev = sys.argv[sys.argv.index("--rev") + 1] if "--rev" in sys.argv else None
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/scratch.db"
        engine = make_engine(url)
        cfg = alembic_config(url)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            command.revision(cfg, message=message, autogenerate=True, rev_id=rev)


if __name__ == "__main__":
    main()
