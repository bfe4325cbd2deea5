"""Re-encryption after a key rotation, and counts of stored values per key id.

Works on every EncryptedString / EncryptedJSON column of every table in the metadata it is given (each has an
integer `id`). Reads and writes the stored text as it is (lightweight `table()`/`column()` constructs typed
String), so the ORM types never decrypt or re-encrypt behind its back.

Invariants
- Batches are keyset ranges of `id` (`id > last ORDER BY id LIMIT n`) over rows that still hold a value under
  another kid; each batch is its own transaction, so an interrupted run loses at most one batch of work and a
  re-run continues with what is left (values already under the target kid are never touched again).
- A value is replaced compare-and-set (`WHERE id = :id AND col = :old`): a row a running server changed meanwhile
  keeps the server's value (itself encrypted under the new key once that server noticed the new key file, or
  picked up by the next run).
- Plaintext exists only in this process's memory, one batch at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    and_,
    bindparam,
    case,
    column,
    func,
    literal,
    or_,
    select,
    table,
    text,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from zhili.kit import crypto
from zhili.kit.crypto import LEGACY_PREFIX, PREFIX, CryptoError, EncryptedString
from zhili.kit.keys import LEGACY_KID


@dataclass(frozen=True)
class Target:
    table: str
    columns: tuple[str, ...]


def targets(metadata: MetaData) -> list[Target]:
    """Every table with encrypted columns, by name."""
    out = []
    for t in sorted(metadata.tables.values(), key=lambda t: t.name):
        cols = tuple(c.name for c in t.columns if isinstance(c.type, EncryptedString))
        if cols:
            if "id" not in t.c or not isinstance(t.c.id.type, Integer):
                raise CryptoError(f"{t.name}: encrypted columns need an integer id to be re-encrypted in batches")
            out.append(Target(t.name, cols))
    return out


def _raw(target: Target):  # type: ignore[no-untyped-def]
    return table(target.table, column("id", Integer), *(column(c, String) for c in target.columns))


def _under(col: ColumnElement[str], kid: str) -> ColumnElement[bool]:
    clause = col.like(f"{PREFIX}{kid}:%")
    return or_(clause, col.like(f"{LEGACY_PREFIX}%")) if kid == LEGACY_KID else clause


def _stale(t, target: Target, kid: str) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    """Rows holding at least one value not under `kid`."""
    return or_(*(and_(t.c[c].is_not(None), ~t.c[c].like(f"{PREFIX}{kid}:%")) for c in target.columns))


def _kid_expr(conn: Connection, col: ColumnElement[str]) -> ColumnElement[str]:
    rest = func.substr(col, len(PREFIX) + 1)
    if conn.dialect.name == "postgresql":
        named = func.split_part(rest, ":", 1)
    else:
        named = func.substr(rest, 1, func.instr(rest, ":") - 1)
    return case((col.like(f"{LEGACY_PREFIX}%"), literal(LEGACY_KID)), (col.like(f"{PREFIX}%"), named),
                else_=literal("?"))


def counts(conn: Connection, metadata: MetaData) -> dict[tuple[str, str], dict[str, int]]:
    """{(table, column): {kid: values}}; "?" counts values that are not ciphertext at all."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    for target in targets(metadata):
        t = _raw(target)
        for c in target.columns:
            kid = _kid_expr(conn, t.c[c]).label("kid")
            rows = conn.execute(select(kid, func.count()).where(t.c[c].is_not(None)).group_by(kid))
            out[(target.table, c)] = {str(k): int(n) for k, n in rows}
    return out


def uses(conn: Connection, metadata: MetaData, kid: str) -> dict[tuple[str, str], int]:
    """Values still under `kid`, per column (only the columns that have some)."""
    found = {}
    for target in targets(metadata):
        t = _raw(target)
        for c in target.columns:
            n = conn.scalar(select(func.count()).select_from(t).where(_under(t.c[c], kid))) or 0
            if n:
                found[(target.table, c)] = int(n)
    return found


def pending(conn: Connection, metadata: MetaData, kid: str) -> dict[str, int]:
    """Rows per table that still hold a value not under `kid` (what a rotation to `kid` has left to do)."""
    out = {}
    for target in targets(metadata):
        t = _raw(target)
        out[target.table] = int(conn.scalar(select(func.count()).select_from(t).where(_stale(t, target, kid))) or 0)
    return out


@dataclass
class Result:
    rows: int = 0  # rows written
    values: int = 0  # values re-encrypted
    kept: int = 0  # values a concurrent writer changed first (left as they were)
    errors: dict[str, int] = field(default_factory=dict)  # table.column -> values that did not decrypt


def reencrypt(engine: Engine, metadata: MetaData, kid: str, batch: int = 1000,
              progress: Callable[[str, int], None] | None = None) -> Result:
    """Re-encrypt every value not under `kid` with `kid`; `progress(table, rows_done_in_batch)` after each batch."""
    result = Result()
    for target in targets(metadata):
        t = _raw(target)
        stale = _stale(t, target, kid)
        prefix = f"{PREFIX}{kid}:"
        last = 0
        while True:
            with engine.begin() as conn:
                rows = conn.execute(select(t).where(t.c.id > last, stale).order_by(t.c.id).limit(batch)).all()
                if not rows:
                    break
                last = rows[-1].id
                changes: dict[str, list[dict[str, object]]] = {c: [] for c in target.columns}
                for row in rows:
                    for c in target.columns:
                        old = getattr(row, c)
                        if old is None or old.startswith(prefix):
                            continue
                        try:
                            new = crypto.encrypt(crypto.decrypt(old), kid)
                        except Exception:  # a value we cannot read is counted, never lost
                            key = f"{target.table}.{c}"
                            result.errors[key] = result.errors.get(key, 0) + 1
                            continue
                        changes[c].append({"rid": row.id, "old": old, "new": new})
                for c, params in changes.items():
                    if not params:
                        continue
                    if conn.dialect.name == "postgresql":  # one statement per batch, three arrays bound
                        q = conn.dialect.identifier_preparer.quote
                        raw = text(f"UPDATE {q(target.table)} AS t SET {q(c)} = v.new FROM unnest("
                                    "CAST(:rid AS integer[]), CAST(:old AS text[]), CAST(:new AS text[])) "
                                    f"AS v(rid, old, new) WHERE t.id = v.rid AND t.{q(c)} = v.old")
                        done = conn.execute(raw, {"rid": [p["rid"] for p in params],
                                                   "old": [p["old"] for p in params],
                                                   "new": [p["new"] for p in params]}).rowcount
                    else:
                        stmt = (update(t).where(t.c.id == bindparam("rid"), t.c[c] == bindparam("old"))
                                .values({c: bindparam("new")}))
                        done = conn.execute(stmt, params).rowcount
                    done = len(params) if done < 0 else done  # a driver that cannot tell
                    result.values += done
                    result.kept += len(params) - done
                result.rows += len(rows)
            if progress:
                progress(target.table, len(rows))
    return result
