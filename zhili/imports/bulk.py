"""Bulk writes for importers: ids reserved up front, rows written by COPY on PostgreSQL and by a Core executemany
on SQLite. No ORM hooks run (callers fill what hooks would) and no RETURNING is needed, which is what makes a
million rows affordable: psycopg's multi-row INSERT ... RETURNING spends most of its time parsing the statement.
Values go through each column type's bind processing, so encrypted or UTC columns are stored as the ORM would.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, Table, func, insert, select, text
from sqlalchemy.orm import Session

CHUNK = 5000


def reserve_ids(session: Session, table: Table, n: int) -> list[int]:
    """`n` fresh primary keys of `table`. PostgreSQL: from its sequence. SQLite: above the current maximum (the
    caller must already hold the write lock, i.e. have written in this transaction)."""
    if n <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                               {"t": table.name, "n": n}).scalars()
        return [int(x) for x in rows]
    top = int(session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0)
    return list(range(top + 1, top + n + 1))


def insert_many(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table` in the session's transaction."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        for i in range(0, len(rows), CHUNK):
            conn.execute(insert(table), rows[i:i + CHUNK])
        return
    names = list(rows[0])
    cols = [table.c[n] for n in names]
    procs = [c.type._cached_bind_processor(conn.dialect) for c in cols]
    json_cols = [isinstance(c.type, JSON) for c in cols]
    raw = conn.connection.driver_connection
    assert raw is not None
    quoted = ", ".join(f'"{n}"' for n in names)
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            out = []
            for name, proc, is_json in zip(names, procs, json_cols, strict=True):
                v = row[name]
                if v is not None:
                    if is_json:
                        v = json.dumps(v, ensure_ascii=False)
                    elif proc is not None:
                        v = proc(v)
                out.append(v)
            copy.write_row(out)
