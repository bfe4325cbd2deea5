"""`zhili import people|houses|vehicles|places FILE --source 公安 --mapping MAP.yaml`: a department's export into
the registry.

Before anything is written: the mapping is validated (unknown keys, fields the kind lacks, no way to key a row),
the file opened (csv UTF-8 or GBK checked over the whole file, or xlsx), its header checked against the mapping.
Any of these: `ImportMappingError` / `ImportFileError` with a Chinese message (the CLI exits 2).
Then the file streams in batches (`batch_size` rows, one transaction each: whole or absent). Each row is checked
(rows.py), refused rows go to the rejects report (row number, source id, field, reason) and the rest goes on; the
writer (writer.py) matches, creates, merges and keeps conflicts. Idempotent: a source record is unique by (kind,
source, source key); an unchanged row writes nothing. A `registry_imports` row holds the counts and one audit
entry `import.registry` summarises the run. `dry_run` rolls every batch back (the counts and the report are real).
"""

from __future__ import annotations

import time as timer
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from zhili.auth import audit
from zhili.auth.actor import Actor
from zhili.imports.batches import batches as _batches
from zhili.imports.batches import unit as _unit
from zhili.imports.mapping import ImportMappingError, check_columns, load_mapping
from zhili.imports.reader import Row, open_source
from zhili.imports.rejects import RejectsReport
from zhili.kit import clock
from zhili.registry import repository_import as repo
from zhili.registry.importer.mapping import KIND_BY_COMMAND, RegistryMapping
from zhili.registry.importer.places import AddressCache
from zhili.registry.importer.rows import Parsed, RowError, RowParser
from zhili.registry.importer.writer import BatchResult, RegistryWriter
from zhili.registry.models import ImportRun

BATCH = 5000
COUNTS = ("read", "created", "linked", "review", "updated", "unchanged", "rejected", "conflicts", "warnings")


@dataclass
class RegistryImportSummary:
    kind: str
    source: str
    file: str
    import_id: int | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    seconds: float = 0.0
    dry_run: bool = False
    rejects_by_field: dict[str, int] = field(default_factory=dict)
    first_rejects: list[tuple[int, str, str, str]] = field(default_factory=list)
    first_warnings: list[tuple[int, str, str, str]] = field(default_factory=list)


def import_registry(factory: sessionmaker[Session], actor: Actor, what: str, file: Path, mapping_file: Path, *,
                    source: str | None = None, rejects: Path | None = None, dry_run: bool = False,
                    batch_size: int = BATCH, refresh_seconds: float = 5.0,
                    progress: Callable[[int], None] | None = None) -> RegistryImportSummary:
    """Run one import (see the module docstring); raises ImportMappingError / ImportFileError before writing."""
    started = timer.perf_counter()
    kind = KIND_BY_COMMAND[what]
    mapping = load_mapping(mapping_file, RegistryMapping)
    mapping.check(kind)
    name = (source or mapping.source or "").strip()
    if not name:
        raise ImportMappingError("请给出来源名：命令行 --source 或映射文件中的 source")
    if len(name) > 64:
        raise ImportMappingError("来源名不能超过 64 个字符")
    src = open_source(file)
    check_columns(mapping.mapped_columns(), src.header, file_name=f"文件 {file.name} ")
    at = clock.now()
    info = {"actor": actor, "ip": "cli", audit.AUTO: False}
    with _unit(factory, info, commit=not dry_run) as session:
        depts = repo.department_codes(session)
        dept = mapping.department or name
        source_dept = depts.get(dept) or (dept.rsplit("-", 1)[-1] if mapping.department else None)
        import_id = None
        if not dry_run:
            run = ImportRun(kind=kind, source=name, file_name=file.name[:200], started_at=at, counts={},
                            by=actor.username or "system")
            session.add(run)
            session.flush()
            import_id = run.id
    summary = RegistryImportSummary(kind=what, source=name, file=file.name, import_id=import_id, dry_run=dry_run)
    parser = RowParser(kind, mapping, at.date())
    writer = RegistryWriter(kind, name, source_dept, import_id, at, AddressCache(refresh_seconds),
                            keep_unknown_address=mapping.unknown_address == "keep")
    counts = summary.counts
    with RejectsReport(rejects, src.header) as report:
        for rows in _batches(src.rows(), batch_size):
            parsed: list[Parsed] = []
            refused: list[tuple[Row, str, str]] = []
            for row in rows:
                try:
                    parsed.append(parser.parse(row))
                except RowError as exc:
                    refused.append((row, exc.field, exc.reason))
            with _unit(factory, info, commit=not dry_run) as session:
                result = writer.write(session, parsed)
            refused += [(p.row, fld, reason) for p, fld, reason in result.rejected]
            for row, fld, reason in sorted(refused, key=lambda r: r[0].number):  # the report in row order
                report.add(row, _source_id(row, mapping), fld, reason)
            _count(summary, result, len(rows), mapping)
            if progress is not None:
                progress(counts["read"])
        counts["rejected"] = report.count
        summary.rejects_by_field = dict(report.by_field)
        summary.first_rejects = [(r.row, r.source_id, r.field, r.reason) for r in report.first]
    summary.seconds = round(timer.perf_counter() - started, 3)
    if not dry_run:
        with _unit(factory, info, commit=True) as session:
            assert import_id is not None
            repo.finish_run(session, import_id, dict(counts), clock.now())
            audit.record(session, "import.registry", entity_type="registry_imports", entity_id=import_id, detail={
                "kind": what, "source": name, "file": file.name, **counts,
                "rejects_by_field": summary.rejects_by_field})
    return summary


def _source_id(row: Row, mapping: RegistryMapping) -> str:
    return row.text(mapping.id_column)[:100] if mapping.id_column else ""


def _count(summary: RegistryImportSummary, result: BatchResult, read: int, mapping: RegistryMapping) -> None:
    c = summary.counts
    c["read"] += read
    for key in ("created", "linked", "review", "updated", "unchanged", "conflicts"):
        c[key] += getattr(result, key)
    for p, fld, reason in result.warnings:
        c["warnings"] += 1
        if len(summary.first_warnings) < 200:
            summary.first_warnings.append((p.row.number, _source_id(p.row, mapping), fld, reason))
