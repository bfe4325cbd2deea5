"""One source row -> checked values (pure: no database). Every mapped cell goes through the mapping's value table
(source word -> our code) and then `values.normalise` (validate.py); the first bad cell refuses the row with its
field and reason. What the row says is kept, normalised, for its source record (`stored`); `row_hash` is a keyed
digest of it, so an unchanged row of a re-run is recognised without decrypting anything.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from zhili.imports.reader import Row
from zhili.kit.crypto import blind_index
from zhili.registry import values
from zhili.registry.fields import IDENTITY, LABELS
from zhili.registry.importer.mapping import ESSENTIAL, RegistryMapping
from zhili.registry.models import EntityKind
from zhili.registry.validate import InvalidValue, Plate, ResidentId

REFS = frozenset({"address", "owner", "household"})
_SPLIT = re.compile(r"[、,，;；/|\s]+")


class RowError(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass
class Parsed:
    row: Row
    source_key: str
    stored: dict[str, Any]  # field -> normalised value (JSON-able), kept encrypted in the source record
    typed: dict[str, Any]  # field -> checked value (values.normalise)
    cols: dict[str, dict[str, Any]]  # field -> the columns it sets (references: filled by the writer)
    row_hash: str
    identity: str | None = None  # blind index / plate / credit code; houses: the address id, set by the writer
    notes: list[str] = field(default_factory=list)  # warnings (kept without a standard address ...)


def stored_value(v: Any) -> Any:
    """A checked value as JSON: the number of an ID or plate, ISO dates, enum codes."""
    if isinstance(v, ResidentId | Plate):
        return v.number
    if isinstance(v, date):
        return v.isoformat()
    if hasattr(v, "value") and not isinstance(v, str | int | float | bool):
        return v.value
    return v


class RowParser:
    def __init__(self, kind: EntityKind, mapping: RegistryMapping, today: date) -> None:
        self.kind = kind
        self.mapping = mapping
        self.today = today
        self.fields = list(mapping.columns.items())
        self.tables = {f: mapping.table(kind, f) for f, _ in self.fields}
        self.formats = tuple(mapping.date_formats)

    def _cell(self, row: Row, column: str) -> Any:
        v = row.values.get(column)
        if v is None or isinstance(v, str):
            return (v or "").strip()
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return v if isinstance(v, date) else str(v).strip()

    def _tags(self, text: str) -> list[str]:
        return [self.mapping.tags.get(w, w) for w in _SPLIT.split(text) if w]

    def parse(self, row: Row) -> Parsed:
        kind = self.kind
        typed: dict[str, Any] = {}
        for name, column in self.fields:
            raw = self._cell(row, column)
            if raw == "":
                continue
            if name == "tags" and isinstance(raw, str):
                raw = self._tags(raw)
            elif isinstance(raw, str) and raw in self.tables[name]:
                raw = self.tables[name][raw]
            try:
                value = values.normalise(kind, name, raw, today=self.today, date_formats=self.formats)
            except InvalidValue as exc:
                raise RowError(name, exc.reason) from None
            if value is not None:
                typed[name] = value
        self._cross_check(typed)
        essential = ESSENTIAL[kind]
        if essential not in typed:
            raise RowError(essential, "不能为空")
        cols = {f: values.columns(kind, f, v) for f, v in typed.items() if f not in REFS}
        stored = {f: stored_value(v) for f, v in typed.items()}
        identity = None
        if kind == EntityKind.person and "id_number" in cols:
            identity = cols["id_number"]["id_number_bidx"]
        elif kind == EntityKind.vehicle and "plate" in typed:
            identity = typed["plate"].number
        elif kind == EntityKind.place and "credit_code" in typed:
            identity = typed["credit_code"]
        source_key = self._cell(row, self.mapping.id_column) if self.mapping.id_column else ""
        if not source_key:
            if kind == EntityKind.house:
                source_key = "addr:" + blind_index(str(typed["address"]))
            elif kind == EntityKind.place and identity is None and "address" in typed:
                source_key = "na:" + blind_index(f"{typed['name']}|{typed['address']}")
            elif identity is None:
                key = IDENTITY[kind]
                raise RowError(key, f"缺少{LABELS[kind][key]}" + (
                    f"和源编号（{self.mapping.id_column}）" if self.mapping.id_column else "") + "，无法识别该行")
            else:
                source_key = identity
        if len(str(source_key)) > 100:
            raise RowError("id", "源编号过长（最多100个字符）")
        digest = blind_index("row:" + json.dumps(stored, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
        return Parsed(row, str(source_key), stored, typed, cols, digest, identity)

    def _cross_check(self, typed: dict[str, Any]) -> None:
        rid = typed.get("id_number")
        if rid is None:
            return
        if "birth_date" in typed and typed["birth_date"] != rid.birth_date:
            raise RowError("birth_date", "出生日期与身份证号不符")
        if "sex" in typed and typed["sex"] != rid.sex:
            raise RowError("sex", "性别与身份证号不符")
