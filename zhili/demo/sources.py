"""What each department's system holds about a demo entity: the source records (registry_records), the provenance
of every field, the freshness of on-site confirmations, and the phone conflicts between 公安 and 民政. Pure: rows
as dicts for the bulk writer, no database.

Sources: 公安 (every person, every vehicle, the rented rooms shared by flatmates), 民政 (people 60 and over and
anyone with a special-group tag), 住建 (every house), 市场监管 (every place with a credit code). A record's values
are the source's whole row, keyed by the registry's field names (registry/fields.py LABELS); personal values stay
inside the encrypted `values`. `source_key` is the source's own row id.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from zhili.kit.crypto import blind_index
from zhili.registry.models import EntityKind

FRESH_DAYS = 548  # verification dates are spread over the last 18 months
KEYS = {("person", "公安"): "RK", ("person", "民政"): "MZ", ("house", "住建"): "FW", ("vehicle", "公安"): "CL",
        ("place", "市场监管"): "SJ", ("place", "公安"): "CZ"}


def row_hash(values: dict[str, Any]) -> str:
    """Keyed digest of a record's values (32 hex), as the importer makes it (registry/importer/rows.py): an unchanged
    row re-imported is recognised without decrypting."""
    return blind_index("row:" + json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


@dataclass
class Runs:
    """One import run per (kind, source): its id and time; provenance and records carry that time."""

    ids: dict[tuple[str, str], int]
    at: dict[tuple[str, str], datetime]

    def stamp(self, kind: str, source: str, fields: list[str] | tuple[str, ...]) -> dict[str, list[str]]:
        iso = self.at[(kind, source)].isoformat()
        return {f: [source, iso] for f in fields}


class Records:
    """Collects registry_records rows with each source's running key."""

    def __init__(self, runs: Runs) -> None:
        self.runs = runs
        self.seq: dict[tuple[str, str], int] = dict.fromkeys(KEYS, 0)
        self.rows: list[dict[str, Any]] = []

    def key(self, kind: str, source: str) -> str:
        self.seq[(kind, source)] += 1
        return f"{KEYS[(kind, source)]}{self.seq[(kind, source)]:010d}"

    def add(self, kind: str, source: str, entity_id: int | None, values: dict[str, Any]) -> dict[str, Any]:
        """The record's row; its `values` may still change until `finish()` (which digests them)."""
        row = dict(kind=EntityKind(kind), source=source, source_key=self.key(kind, source), entity_id=entity_id,
                   values=values, row_hash="", import_id=self.runs.ids[(kind, source)],
                   imported_at=self.runs.at[(kind, source)])
        self.rows.append(row)
        return row

    def finish(self) -> list[dict[str, Any]]:
        """The rows collected since the last call, digested, ready to insert."""
        rows, self.rows = self.rows, []
        for row in rows:  # like an import, a record keeps the fields the source filled
            row["values"] = {f: v for f, v in row["values"].items() if v is not None}
            row["row_hash"] = row_hash(row["values"])
        return rows


def verification(rng: random.Random, now: datetime, share: float, fields: tuple[str, ...],
                 present: set[str]) -> tuple[datetime | None, dict[str, str]]:
    """(verified_at, confirmed) for an entity: `share` of them verified on site some time in the last 18 months,
    confirming the fields they hold; the others never."""
    if rng.random() >= share:
        return None, {}
    at = now - timedelta(days=rng.uniform(0, FRESH_DAYS))
    day = at.date().isoformat()
    return at, {f: day for f in fields if f in present}


def conflict_row(kind: str, entity_id: int, field: str, sides: list[tuple[str, str, datetime]],
                 located: dict[str, Any], now: datetime) -> dict[str, Any]:
    return dict(kind=EntityKind(kind), entity_id=entity_id, field=field,
                values=[{"source": s, "value": v, "at": at.isoformat()} for s, v, at in sides], open=True,
                area_path=located["area_path"], grid_id=located["grid_id"], created_at=now, resolved_at=None,
                resolved_by=None)


def iso(d: date | None) -> str | None:
    return d.isoformat() if d else None
