"""What makes an import idempotent: one row per imported source record, (kind, source, source id) -> our row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhili.db import Base, UTCDateTime


class ImportKey(Base):
    """An imported record: `kind` is what it became ("case"; later "person", "house", ...), `source` the system it
    came from (the mapping's or the command's name), `source_id` its id there, `target_id` our row's id.

    Unique by (kind, source, source_id): re-running the same export finds its rows here and writes nothing; and by
    (kind, target_id): one of our rows comes from one source record. No foreign key, so every kind shares the
    table; a deleted target leaves its key behind (a re-import then skips the record, on purpose)."""

    __tablename__ = "import_keys"
    __table_args__ = (
        UniqueConstraint("kind", "source", "source_id", name="uq_import_keys_kind_source_source_id"),
        Index("ux_import_keys_kind_target", "kind", "target_id", unique=True),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(64))
    source_id: Mapped[str] = mapped_column(String(100))
    target_id: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
