"""The rejects report: every row an import refused, with why, so nothing is silently dropped. Pure: no database.

A csv in UTF-8 with BOM (Excel opens it correctly): 行号 (the source row number, header = 1), 源编号 (the source
id, when readable), 字段 (the field at fault), 原因 (the reason), then the row's raw cells under the source's own
column names, so the report can be corrected and imported again. Written as it goes (memory stays flat).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from zhili.imports.reader import Row

FIXED = ("行号", "源编号", "字段", "原因")


@dataclass(frozen=True)
class Reject:
    row: int
    source_id: str
    field: str
    reason: str


class RejectsReport:
    """Collects rejects: counts them by field, keeps the first `keep` in memory (for tests and the CLI summary),
    and writes every one to `path` when given."""

    def __init__(self, path: Path | None, header: list[str], keep: int = 200) -> None:
        self.path = path
        self.header = [h for h in header if h]
        self.keep = keep
        self.first: list[Reject] = []
        self.by_field: Counter[str] = Counter()
        self.count = 0
        self._file: IO[str] | None = None
        self._writer: csv.DictWriter[str] | None = None

    def __enter__(self) -> RejectsReport:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("w", encoding="utf-8-sig", newline="")
            names = list(FIXED) + [h for h in self.header if h not in FIXED]
            self._writer = csv.DictWriter(self._file, fieldnames=names, extrasaction="ignore")
            self._writer.writeheader()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def add(self, row: Row, source_id: str, field: str, reason: str) -> None:
        self.count += 1
        self.by_field[field] += 1
        reject = Reject(row.number, source_id, field, reason)
        if len(self.first) < self.keep:
            self.first.append(reject)
        if self._writer is not None:
            raw = {h: ("" if v is None else str(v)) for h, v in row.values.items()}
            self._writer.writerow({**raw, "行号": row.number, "源编号": source_id, "字段": field, "原因": reason})
