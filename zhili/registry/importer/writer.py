"""One batch of parsed rows -> source records, new entities, merges, match reviews and conflicts, in the caller's
transaction (so a batch is written whole or not at all; a refused row writes nothing).

Per batch: repeated source ids and identity keys are refused (the later rows); addresses are resolved (cached per
text); references (owner, household) looked up; the source's existing records found (same row hash: unchanged,
nothing written; changed: the record is updated and the changed fields re-merged); new rows matched exactly on the
identity key, else fuzzily (registry/matching.py) against the entities at the same address or building. New
entities and records go in by COPY (PostgreSQL) or executemany (SQLite) with ids reserved up front; joins and
changes go through the ORM and registry/merge.py. One IN query per lookup per batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from zhili.imports import bulk
from zhili.kit.crypto import blind_index
from zhili.registry import matching, merge, values
from zhili.registry import repository_import as repo
from zhili.registry.fields import IDENTITY, LABELS
from zhili.registry.importer import copyrows
from zhili.registry.importer.places import AddressCache, Located
from zhili.registry.importer.rows import Parsed
from zhili.registry.models import EntityKind, Household, MatchReview, ReviewStatus, SourceRecord
from zhili.registry.repository import MODELS
from zhili.registry.validate import ResidentId


@dataclass
class BatchResult:
    created: int = 0
    linked: int = 0  # joined an existing entity (exact or fuzzy)
    review: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    rejected: list[tuple[Parsed, str, str]] = field(default_factory=list)
    warnings: list[tuple[Parsed, str, str]] = field(default_factory=list)


class RegistryWriter:
    def __init__(self, kind: EntityKind, source: str, source_dept: str | None, import_id: int | None,
                 at: datetime, addresses: AddressCache, *, keep_unknown_address: bool) -> None:
        self.kind = kind
        self.model = MODELS[kind]
        self.source = source
        self.source_dept = source_dept
        self.import_id = import_id
        self.at = at
        self.addresses = addresses
        self.keep_unknown = keep_unknown_address
        self.seen: set[int] = set()  # hash() of every source key of this run (a repeated id is refused)
        self.defaults = merge.defaults(kind)
        self._provenance: dict[tuple[str, ...], dict[str, list[str]]] = {}
        self._confirmed: dict[str, str] = {}
        self.identity_field = IDENTITY[kind]

    # ---- the batch ----------------------------------------------------------------------------------------

    def write(self, session: Session, batch: list[Parsed]) -> BatchResult:
        out = BatchResult()
        batch = self._repeats(batch, out)
        batch = self._place(session, batch, out)
        batch = self._references(session, batch, out)
        batch = self._same_identity(batch, out)
        repo.take_write_lock(session)
        known = repo.records_by_keys(session, self.kind, self.source, [p.source_key for p in batch])
        new: list[Parsed] = []
        changed: list[tuple[Parsed, int, int | None]] = []
        for p in batch:
            rec = known.get(p.source_key)
            if rec is None:
                new.append(p)
            elif rec[1] == p.row_hash:
                out.unchanged += 1
            else:
                changed.append((p, rec[0], rec[2]))
        joins, creates, reviews = self._match(session, new, out)
        self._households(session, [p for p in batch if "household" in p.typed])
        self._create(session, creates, joins, reviews, out)
        self._join(session, joins, out)
        self._update(session, changed, out)
        return out

    def _repeats(self, batch: list[Parsed], out: BatchResult) -> list[Parsed]:
        first: dict[str, int] = {}
        kept = []
        for p in batch:
            h = hash(p.source_key)
            if p.source_key in first:
                out.rejected.append((p, "id", f"源编号“{p.source_key[:40]}”在文件中重复（首次出现在第 {first[p.source_key]} 行）"
                                     if len(p.source_key) < 32 else f"在文件中重复（首次出现在第 {first[p.source_key]} 行）"))
            elif h in self.seen:
                out.rejected.append((p, "id", "在文件中重复（前面的行已有相同的源编号或身份）"))
            else:
                first[p.source_key] = p.row.number
                self.seen.add(h)
                kept.append(p)
        return kept

    def _place(self, session: Session, batch: list[Parsed], out: BatchResult) -> list[Parsed]:
        texts = {str(p.typed["address"]) for p in batch if "address" in p.typed}
        found = self.addresses.resolve(session, texts) if texts else {}
        kept = []
        for p in batch:
            if "address" not in p.typed:
                kept.append(p)
                continue
            text = str(p.typed["address"])
            where = found[text]
            if isinstance(where, Located):
                p.cols["address"] = where.columns()
                if self.kind == EntityKind.house:
                    p.identity = str(where.address_id)
            elif self.keep_unknown:
                p.cols["address"] = {**values.UNPLACED, "address_text": text[:200]}
                out.warnings.append((p, "address", f"{where}（已保留，无标准地址）"))
            else:
                out.rejected.append((p, "address", where))
                continue
            kept.append(p)
        return kept

    def _references(self, session: Session, batch: list[Parsed], out: BatchResult) -> list[Parsed]:
        owners = [p for p in batch if "owner" in p.typed]
        if not owners:
            return batch
        by_bidx = repo.people_by_bidx(session, [blind_index(p.typed["owner"].number) for p in owners
                                                if isinstance(p.typed["owner"], ResidentId)])
        ids = repo.existing_people(session, [p.typed["owner"] for p in owners if isinstance(p.typed["owner"], int)])
        kept = []
        for p in batch:
            owner = p.typed.get("owner")
            if owner is None:
                kept.append(p)
                continue
            pid = by_bidx.get(blind_index(owner.number)) if isinstance(owner, ResidentId) else (
                owner if owner in ids else None)
            if pid is None:
                out.rejected.append((p, "owner", "人口库中没有该所有人（请先导入人口）"))
                continue
            p.cols["owner"] = {"owner_person_id": pid}
            kept.append(p)
        return kept

    def _same_identity(self, batch: list[Parsed], out: BatchResult) -> list[Parsed]:
        first: dict[str, int] = {}
        kept = []
        label = LABELS[self.kind][self.identity_field]
        for p in batch:
            if p.identity is not None and p.identity in first:
                out.rejected.append((p, self.identity_field, f"{label}在文件中重复（首次出现在第 {first[p.identity]} 行）"))
                continue
            if p.identity is not None:
                first[p.identity] = p.row.number
            kept.append(p)
        return kept

    def _households(self, session: Session, batch: list[Parsed]) -> None:
        if not batch:
            return
        known = repo.households_by_number(session, [str(p.typed["household"])[:32] for p in batch])
        for p in batch:
            number = str(p.typed["household"])[:32]
            if number not in known:
                where = p.cols.get("address", {})
                hh = Household(number=number, address_id=where.get("address_id"), area_path=where.get("area_path"),
                               grid_id=where.get("grid_id"), created_at=self.at)
                session.add(hh)
                session.flush()
                known[number] = hh.id
            p.cols["household"] = {"household_id": known[number]}

    # ---- matching -----------------------------------------------------------------------------------------

    def _match(self, session: Session, new: list[Parsed], out: BatchResult
               ) -> tuple[list[tuple[Parsed, int]], list[Parsed], list[tuple[Parsed, int, matching.Score, Any]]]:
        joins: list[tuple[Parsed, int]] = []
        creates: list[Parsed] = []
        reviews: list[tuple[Parsed, int, matching.Score, Any]] = []
        found = repo.entities_by_identity(session, self.kind, [
            int(p.identity) if self.kind == EntityKind.house else p.identity for p in new if p.identity])
        found = {str(k): v for k, v in found.items()}
        theirs = repo.source_keys_of(session, self.kind, self.source, found.values())
        fuzzy: list[Parsed] = []
        for p in new:
            eid = found.get(p.identity) if p.identity else None
            if eid is None:
                fuzzy.append(p)
            elif eid in theirs and theirs[eid] != p.source_key:
                label = LABELS[self.kind][self.identity_field]
                out.rejected.append((p, self.identity_field, f"本来源已有同一{label}的另一条记录（编号“{theirs[eid][:32]}”）"))
            else:
                theirs[eid] = p.source_key
                joins.append((p, eid))
        if fuzzy and self.kind in matching.FUZZY_KINDS:
            creates += self._fuzzy(session, fuzzy, joins, reviews)
        else:
            creates += fuzzy
        return joins, creates, reviews

    def _fuzzy(self, session: Session, rows: list[Parsed], joins: list[tuple[Parsed, int]],
               reviews: list[tuple[Parsed, int, matching.Score, Any]]) -> list[Parsed]:
        placed = [p for p in rows if p.cols.get("address", {}).get("address_id") is not None]
        keyed = [p for p in placed if p.identity]
        if keyed and not repo.any_without_identity(session, self.kind):
            placed = [p for p in placed if not p.identity]  # a keyed row can only match an entity without a key
        if not placed:
            return rows
        building_of = {p.row.number: self._building(p) for p in placed}
        addr = repo.addresses_in_buildings(session, {b for b in building_of.values() if b is not None})
        cands = repo.fuzzy_candidates(session, self.kind, list(addr), without_identity=all(p.identity for p in placed))
        by_building: dict[Any, list[tuple[int, matching.Features, tuple[str | None, int | None]]]] = {}
        for eid, name, birth, aid, identity, path, grid in cands:
            feats = matching.Features(name or "", aid, addr.get(aid), birth, str(identity) if identity else None)
            by_building.setdefault(addr.get(aid), []).append((eid, feats, (path, grid)))
        creates = []
        placed_ids = {id(p) for p in placed}
        for p in rows:
            if id(p) not in placed_ids:
                creates.append(p)
                continue
            pool = by_building.get(building_of[p.row.number], [])
            if p.identity:
                pool = [c for c in pool if c[1].identity is None]
            birth = p.typed["id_number"].birth_date if "id_number" in p.typed else p.typed.get("birth_date")
            me = matching.Features(str(p.typed.get("name", "")), p.cols["address"]["address_id"],
                                   building_of[p.row.number], birth, p.identity)
            best = matching.best(self.kind, me, [(eid, f) for eid, f, _ in pool])
            decision = best[1].decision if best else "new"
            if best is not None and decision == "linked":
                joins.append((p, best[0]))
            elif best is not None and decision == "review":
                where = next(w for eid, _, w in pool if eid == best[0])
                reviews.append((p, best[0], best[1], where))
            else:
                creates.append(p)
        return creates

    def _building(self, p: Parsed) -> tuple[int, int, str, str] | None:
        aid = p.cols.get("address", {}).get("address_id")
        if aid is None:
            return None
        hit = self.addresses._texts.get(str(p.typed["address"]))
        return hit.building if isinstance(hit, Located) else None

    # ---- writing ------------------------------------------------------------------------------------------

    def _record(self, p: Parsed, rid: int, entity_id: int | None) -> dict[str, Any]:
        return {"id": rid, "kind": self.kind.value, "source": self.source, "source_key": p.source_key,
                "entity_id": entity_id, "values": p.stored, "row_hash": p.row_hash, "import_id": self.import_id,
                "imported_at": self.at}

    def _entity(self, p: Parsed, eid: int) -> dict[str, Any]:
        row = dict(self.defaults)
        for cols in p.cols.values():
            row.update(cols)
        if self.kind == EntityKind.vehicle and "plate_kind" not in p.typed:
            row["plate_kind"] = p.typed["plate"].kind
        fields = tuple(p.typed)
        provenance = self._provenance.get(fields)
        if provenance is None:  # shared between rows: the COPY encodes it once
            stamp = [self.source, self.at.isoformat()]
            derived = values.derived("id_number") if "id_number" in fields else ()
            provenance = self._provenance[fields] = {f: stamp for f in (*fields, *derived)}
        row.update(id=eid, provenance=provenance, confirmed=self._confirmed, created_at=self.at, updated_at=self.at)
        for k, v in row.items():
            if hasattr(v, "value") and not isinstance(v, str):
                row[k] = v.value
        return row

    def _create(self, session: Session, creates: list[Parsed], joins: list[tuple[Parsed, int]],
                reviews: list[tuple[Parsed, int, matching.Score, Any]], out: BatchResult) -> None:
        table = self.model.__table__
        eids = bulk.reserve_ids(session, table, len(creates))  # type: ignore[arg-type]
        copyrows.insert_rows(session, table, [self._entity(p, e) for p, e in zip(creates, eids, strict=True)])  # type: ignore[arg-type]
        rec_table = SourceRecord.__table__
        pending = [(p, e) for p, e in zip(creates, eids, strict=True)] + joins + [(p, None) for p, *_ in reviews]
        rids = bulk.reserve_ids(session, rec_table, len(pending))  # type: ignore[arg-type]
        copyrows.insert_rows(session, rec_table, [self._record(p, r, e) for (p, e), r in zip(pending, rids, strict=True)])  # type: ignore[arg-type]
        if reviews:
            review_rids = rids[len(creates) + len(joins):]
            session.execute(insert(MatchReview), [
                {"kind": self.kind.value, "record_id": rid, "candidate_id": cand, "score": score.value,
                 "reasons": score.reasons, "status": ReviewStatus.open.value, "area_path": where[0],
                 "grid_id": where[1], "created_at": self.at}
                for (p, cand, score, where), rid in zip(reviews, review_rids, strict=True)])
        out.created += len(creates)
        out.review += len(reviews)

    def _incoming(self, session: Session, entity: Any, p: Parsed, only: set[str] | None = None
                  ) -> list[merge.Incoming]:
        out = []
        for f, cols in p.cols.items():
            if only is not None and f not in only:
                continue
            display = self._ref_text(f, p) if f in ("address", "owner", "household") else values.display(
                self.kind, f, p.typed[f])
            out.append(merge.Incoming(f, cols, display))
        return out

    @staticmethod
    def _ref_text(f: str, p: Parsed) -> str:
        if f == "address":
            return p.cols["address"].get("address_text", "")
        if f == "owner":
            return f"#{p.cols['owner']['owner_person_id']}"
        return str(p.typed.get(f, ""))

    def _join(self, session: Session, joins: list[tuple[Parsed, int]], out: BatchResult) -> None:
        if not joins:
            return
        found = repo.entities(session, self.kind, [e for _, e in joins])
        for p, eid in joins:
            entity = found[eid]
            result = merge.merge(session, self.kind, entity, self._incoming(session, entity, p),
                                 source=self.source, source_dept=self.source_dept, at=self.at)
            out.conflicts += len(result.conflicts)
        out.linked += len(joins)

    def _update(self, session: Session, changed: list[tuple[Parsed, int, int | None]], out: BatchResult) -> None:
        if not changed:
            return
        recs = repo.records(session, [rid for _, rid, _ in changed])
        found = repo.entities(session, self.kind, [e for _, _, e in changed if e is not None])
        for p, rid, eid in changed:
            rec = recs[rid]
            before = rec.values or {}
            diff = {f for f in p.stored if before.get(f) != p.stored[f]}
            rec.values, rec.row_hash, rec.import_id, rec.imported_at = p.stored, p.row_hash, self.import_id, self.at
            entity = found.get(eid) if eid is not None else None
            if entity is not None and diff:
                result = merge.merge(session, self.kind, entity, self._incoming(session, entity, p, diff),
                                     source=self.source, source_dept=self.source_dept, at=self.at)
                out.conflicts += len(result.conflicts)
        out.updated += len(changed)
