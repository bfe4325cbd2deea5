"""The append-only, SM3 hash-chained audit log.

Entries are gathered during a unit of work (explicit `record()` calls for logins, denials, reveals, exports; and
automatically, after each flush, for every insert/update/delete of a model marked `__audit__ = True`) and are
chained and inserted by a `before_commit` hook, so they commit or roll back with what they record.
The chain is serialised through the one `audit_head` row (`UPDATE ... RETURNING`): on PostgreSQL its row lock is
held to commit, on SQLite the database write lock is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, event, func, insert, inspect, select, update
from sqlalchemy.orm import Session

from zhili.auth.models import AuditHead, AuditLog
from zhili.kit import clock
from zhili.kit.crypto import EncryptedString, sm3

GENESIS_HASH = sm3(b"zhili audit genesis")
PENDING = "audit_pending"
AUTO = "audit_auto"  # session.info flag: False switches off automatic change capture (bulk loads)


def record(
    session: Session,
    action: str,
    *,
    entity_type: str | None = None,
    entity_id: object = None,
    detail: dict[str, Any] | None = None,
    actor_id: int | None = None,
    actor_name: str | None = None,
) -> None:
    """Queue an audit entry; it is written, chained, when the session commits (and dropped if it rolls back)."""
    actor = session.info.get("actor")
    session.info.setdefault(PENDING, []).append(
        {
            "actor_id": actor_id if actor_id is not None else getattr(actor, "user_id", None),
            "actor_name": actor_name if actor_name is not None else getattr(actor, "username", None),
            "action": action,
            "entity_type": entity_type,
            "entity_id": None if entity_id is None else str(entity_id),
            "detail": _jsonable(detail or {}),
            "ip": session.info.get("ip"),
        }
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _summarise(column: str, value: Any, obj: Any) -> Any:
    mapper_col = inspect(type(obj)).columns.get(column)
    if mapper_col is not None and isinstance(mapper_col.type, EncryptedString):
        return None if value is None else "***"
    if column in getattr(obj, "__audit_summarize__", ()):
        return None if value is None else "sm3:" + sm3(json.dumps(_jsonable(value), sort_keys=True).encode())[:16]
    return _jsonable(value)


def _entity_id(obj: Any) -> str:
    state = inspect(obj)
    # New objects have no identity key yet in after_flush, but their primary key values are already set.
    identity = state.identity or state.mapper.primary_key_from_instance(obj)
    if identity is None or all(part is None for part in identity):
        return ""
    return ",".join(str(part) for part in identity)


@event.listens_for(Session, "after_flush")
def _capture_changes(session: Session, flush_context: object) -> None:
    if session.info.get(AUTO) is False:
        return
    for kind, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if not getattr(type(obj), "__audit__", False):
                continue
            excluded: frozenset[str] = getattr(type(obj), "__audit_exclude__", frozenset())
            state = inspect(obj)
            changes: dict[str, Any] = {}
            for attr in state.mapper.column_attrs:
                key = attr.key
                if key in excluded:
                    continue
                hist = state.attrs[key].history
                if kind == "create":
                    value = getattr(obj, key)
                    if value is not None:
                        changes[key] = _summarise(key, value, obj)
                elif kind == "update" and hist.has_changes():
                    old = hist.deleted[0] if hist.deleted else None
                    new = hist.added[0] if hist.added else None
                    changes[key] = [_summarise(key, old, obj), _summarise(key, new, obj)]
            if kind == "update" and not changes:
                continue
            record(
                session,
                f"data.{kind}",
                entity_type=str(state.mapper.local_table.name),
                entity_id=_entity_id(obj),
                detail={"changes": changes} if kind != "delete" else {},
            )


@event.listens_for(Session, "before_commit")
def _write_chain(session: Session) -> None:
    session.flush()
    pending: list[dict[str, Any]] = session.info.pop(PENDING, [])
    if not pending:
        return
    n = len(pending)
    head = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(last_seq=AuditHead.last_seq + n)
        .returning(AuditHead.last_seq, AuditHead.last_hash)
    ).one_or_none()
    if head is None:
        raise RuntimeError("audit_head row missing: run `zhili db upgrade`")
    seq = head.last_seq - n
    prev = head.last_hash
    at = clock.now()
    rows = []
    for entry in pending:
        seq += 1
        digest = chain_hash(prev, seq, at, entry)
        rows.append({**entry, "seq": seq, "at": at, "prev_hash": prev, "hash": digest})
        prev = digest
    session.execute(insert(AuditLog), rows)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=prev))


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING, None)


def chain_hash(prev: str, seq: int, at: datetime, entry: dict[str, Any]) -> str:
    payload = json.dumps(
        [
            seq,
            clock.as_utc(at).isoformat(timespec="microseconds"),
            entry.get("actor_id"),
            entry.get("actor_name"),
            entry["action"],
            entry.get("entity_type"),
            entry.get("entity_id"),
            entry.get("detail") or {},
            entry.get("ip"),
        ],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return sm3((prev + payload).encode("utf-8"))


def ensure_head(session: Session) -> None:
    if session.get(AuditHead, 1) is None:
        session.add(AuditHead(id=1, last_seq=0, last_hash=GENESIS_HASH, anchor_seq=0, anchor_hash=GENESIS_HASH))
        session.flush()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str = ""


def _rows(session: Session) -> Iterator[AuditLog]:
    last = -1
    while True:
        batch = session.scalars(select(AuditLog).where(AuditLog.seq > last).order_by(AuditLog.seq).limit(5000)).all()
        if not batch:
            return
        yield from batch
        last = batch[-1].seq
        session.expunge_all()


def verify(session: Session) -> VerifyResult:
    """Walk the chain from the purge anchor; name the first row whose link, number or content does not hold."""
    head = session.get(AuditHead, 1)
    if head is None:
        return VerifyResult(False, 0, None, "audit_head 缺失")
    expected_seq, prev, checked = head.anchor_seq, head.anchor_hash, 0
    last_seq, last_hash = head.last_seq, head.last_hash
    for row in _rows(session):
        expected_seq += 1
        if row.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"第 {expected_seq} 条缺失（下一条为 {row.seq}）")
        if row.prev_hash != prev:
            return VerifyResult(False, checked, row.seq, f"第 {row.seq} 条的前序哈希与上一条不符")
        entry = {
            "actor_id": row.actor_id,
            "actor_name": row.actor_name,
            "action": row.action,
            "entity_type": row.entity_type,
            "entity_id": row.entity_id,
            "detail": row.detail,
            "ip": row.ip,
        }
        if chain_hash(prev, row.seq, row.at, entry) != row.hash:
            return VerifyResult(False, checked, row.seq, f"第 {row.seq} 条内容被篡改（哈希不符）")
        prev = row.hash
        checked += 1
    if expected_seq != last_seq or prev != last_hash:
        return VerifyResult(False, checked, expected_seq + 1, f"链尾不符：应到第 {last_seq} 条，实际到第 {expected_seq} 条")
    return VerifyResult(True, checked)


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def purge(session: Session, retention_days: int) -> int:
    """Delete the chain's oldest rows older than the retention period; move the anchor so the rest still verifies."""
    if retention_days < 184:
        raise ValueError("audit rows are kept at least 184 days")
    cutoff = clock.now() - timedelta(days=retention_days)
    upto = session.scalar(select(func.max(AuditLog.seq)).where(AuditLog.at < cutoff))
    if upto is None:
        return 0
    anchor_hash = session.scalar(select(AuditLog.hash).where(AuditLog.seq == upto))
    count = _rowcount(session.execute(delete(AuditLog).where(AuditLog.seq <= upto)))
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(anchor_seq=upto, anchor_hash=anchor_hash))
    record(session, "audit.purge", detail={"upto_seq": upto, "rows": count, "retention_days": retention_days})
    return int(count or 0)
