"""Bulk rows of the registry import: on PostgreSQL one COPY per table and batch, the text built here (one
encoder per column, chosen once from the column type: ciphertext for encrypted columns, JSON text memoised for the
provenance and default objects the writer shares between rows, ISO text for times), which costs a fraction of
psycopg's per-value adaptation. Elsewhere zhili/imports/bulk.py's executemany. Values go in exactly as the ORM
would store them (encrypted columns through kit.crypto.encrypt).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Enum, Table
from sqlalchemy.orm import Session

from zhili.db import UTCDateTime
from zhili.imports import bulk
from zhili.kit.crypto import EncryptedJSON, EncryptedString, encrypt

_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def _text(v: Any) -> str:
    return str(v).translate(_ESCAPE)


def _encoder(column: Any) -> Callable[[Any], str]:
    t = column.type
    if isinstance(t, EncryptedJSON):
        return lambda v: encrypt(json.dumps(v, ensure_ascii=False, separators=(",", ":")))
    if isinstance(t, EncryptedString):
        return lambda v: encrypt(v)
    if isinstance(t, JSON):
        memo: dict[int, tuple[Any, str]] = {}

        def as_json(v: Any) -> str:
            hit = memo.get(id(v))
            if hit is not None and hit[0] is v:
                return hit[1]
            out = json.dumps(v, ensure_ascii=False).translate(_ESCAPE)
            if len(memo) < 1000:
                memo[id(v)] = (v, out)
            return out
        return as_json
    if isinstance(t, UTCDateTime):
        stamps: dict[datetime, str] = {}

        def as_time(v: datetime) -> str:
            hit = stamps.get(v)
            if hit is None:
                hit = (v if v.tzinfo else v.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
                stamps[v] = hit
            return hit
        return as_time
    if isinstance(t, Boolean):
        return lambda v: "t" if v else "f"
    if isinstance(t, Date):
        return lambda v: v.isoformat() if isinstance(v, date) else str(v)
    if isinstance(t, Enum):
        return lambda v: _text(v.value if hasattr(v, "value") else v)
    return _text


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table` in the session's transaction."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        bulk.insert_many(session, table, rows)
        return
    names = list(rows[0])
    encoders = [_encoder(table.c[n]) for n in names]
    lines = []
    for row in rows:
        lines.append("\t".join(NULL if (v := row[n]) is None else enc(v) for n, enc in zip(names, encoders,
                                                                                            strict=True)))
    lines.append("")
    raw = conn.connection.driver_connection
    assert raw is not None
    quoted = ", ".join(f'"{n}"' for n in names)
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        copy.write("\n".join(lines).encode("utf-8"))
