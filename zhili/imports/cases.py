"""`zhili import cases`: a legacy system's case history (csv/xlsx + a YAML mapping) into closed-loop cases.

Order of work: the mapping is validated, the file's header checked against it and the mapping's category and
department tables against the database, all before anything is written (a bad mapping or file is an error, exit
2). Then the file streams in batches of `batch_size` rows; each batch is one transaction, so a batch is written
whole or not at all, and a refused row writes nothing. Idempotent by (source, source id) through `import_keys`:
a second run of the same file imports nothing and counts the rows as already present. At the end, the analysis
rollups of the days touched are refreshed and one audit entry (`import.cases`) summarises the run.
`dry_run` does all of it inside transactions that are rolled back: the counts and the rejects report are real,
the database is unchanged.
"""

from __future__ import annotations

import time as timer
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from zhili.auth import audit
from zhili.auth.actor import Actor
from zhili.config import Settings
from zhili.imports import repository as repo
from zhili.imports.batches import batches as _batches
from zhili.imports.batches import unit as _unit
from zhili.imports.case_lookups import CategoryLookup, DepartmentLookup
from zhili.imports.case_mapping import CaseMapping
from zhili.imports.case_rows import ParsedCase, RowError, RowParser
from zhili.imports.case_writer import BatchResult, CaseWriter
from zhili.imports.mapping import ImportMappingError, check_columns, load_mapping
from zhili.imports.reader import ImportFileError, open_source
from zhili.imports.rejects import RejectsReport
from zhili.kit import clock
from zhili.org import spatial

BATCH = 2000


@dataclass
class ImportSummary:
    source: str
    file: str
    read: int = 0
    imported: int = 0
    present: int = 0
    rejected: int = 0
    categories_created: int = 0
    first_day: date | None = None
    last_day: date | None = None
    seconds: float = 0.0
    dry_run: bool = False
    refreshed: bool = False
    refresh_error: str | None = None
    rejects_by_field: dict[str, int] = field(default_factory=dict)
    first_rejects: list[tuple[int, str, str, str]] = field(default_factory=list)  # row, source id, field, reason


def _refresh(session: Session, first: date, last: date) -> bool:
    """Bring the analysis engine's rollups up to date for the days the import touched (bulk inserts bypass the
    hooks that keep them). The contract names `zhili.analysis.service.refresh_after_bulk`; until H1 exports it
    there, its home `zhili.analysis.rollup` serves. TODO(issue 5): call the service directly once it does."""
    try:
        from zhili.analysis import rollup, service
    except ImportError:  # pragma: no cover - the analysis engine ships in the same release
        return False
    refresh = getattr(service, "refresh_after_bulk", None) or getattr(rollup, "refresh_after_bulk", None)
    if refresh is None:
        return False
    refresh(session, first, last)
    return True


def import_cases(factory: sessionmaker[Session], settings: Settings, actor: Actor, file: Path, mapping_file: Path,
                 *, source: str | None = None, rejects: Path | None = None, dry_run: bool = False,
                 batch_size: int = BATCH, progress: Callable[[int], None] | None = None) -> ImportSummary:
    """Run one import; raises ImportMappingError / ImportFileError (nothing written) for a bad mapping or file."""
    started = timer.perf_counter()
    mapping = load_mapping(mapping_file, CaseMapping)
    name = (source or mapping.source or "").strip()
    if not name:
        raise ImportMappingError("请给出来源系统名：命令行 --source 或映射文件中的 source")
    if len(name) > 64:
        raise ImportMappingError("来源系统名不能超过 64 个字符")
    src = open_source(file)
    check_columns(mapping.columns.mapped().values(), src.header, file_name=f"文件 {file.name} ")
    now = clock.now()
    info = {"actor": actor, "ip": "cli", audit.AUTO: False}
    with _unit(factory, info, commit=False) as session:
        categories = CategoryLookup(session, mapping)
        departments = DepartmentLookup(session, mapping)
        watermark = repo.key_watermark(session)
        if not spatial.current_index(session, settings.geo_refresh_seconds).grid_to_area:
            raise ImportFileError("系统中还没有网格：请先导入网格（zhili import grids）再导入案件")
    parser = RowParser(mapping, categories, departments, now)
    writer = CaseWriter(settings, actor, name, categories, watermark, now)
    summary = ImportSummary(source=name, file=file.name, dry_run=dry_run)
    first: datetime | None = None
    last: datetime | None = None
    with RejectsReport(rejects, src.header) as report:
        for rows in _batches(src.rows(), batch_size):
            parsed: list[ParsedCase] = []
            for row in rows:
                try:
                    parsed.append(parser.parse(row))
                except RowError as exc:
                    report.add(row, row.text(mapping.columns.id), exc.field, exc.reason)
            result = _write(factory, info, writer, categories, parsed, commit=not dry_run)
            for p, fld, reason in result.rejected or []:
                report.add(p.row, p.source_id, fld, reason)
            summary.read += len(rows)
            summary.imported += result.imported
            summary.present += result.present
            if result.first is not None:
                first = result.first if first is None else min(first, result.first)
            if result.last is not None:
                last = result.last if last is None else max(last, result.last)
            if progress is not None:
                progress(summary.read)
        summary.rejected = report.count
        summary.rejects_by_field = dict(report.by_field)
        summary.first_rejects = [(r.row, r.source_id, r.field, r.reason) for r in report.first]
    summary.categories_created = categories.children_made
    tz = ZoneInfo(settings.timezone)
    if first is not None and last is not None:
        summary.first_day, summary.last_day = first.astimezone(tz).date(), last.astimezone(tz).date()
    summary.seconds = round(timer.perf_counter() - started, 3)
    if not dry_run:
        if summary.imported and summary.first_day and summary.last_day:
            try:
                with _unit(factory, info, commit=True) as session:
                    summary.refreshed = _refresh(session, summary.first_day, summary.last_day)
            except SQLAlchemyError as exc:  # the cases are in; the rollups can be rebuilt later
                summary.refresh_error = str(exc.orig if isinstance(exc, DBAPIError) else exc).splitlines()[0][:300]
        with _unit(factory, info, commit=True) as session:
            audit.record(session, "import.cases", entity_type="cases", detail={
                "source": name, "file": file.name, "read": summary.read, "imported": summary.imported,
                "present": summary.present, "rejected": summary.rejected,
                "categories_created": summary.categories_created, "from": summary.first_day,
                "to": summary.last_day, "rejects_by_field": summary.rejects_by_field,
                "analysis_refreshed": summary.refreshed, "refresh_error": summary.refresh_error})
    return summary


def _write(factory: sessionmaker[Session], info: dict[str, Any], writer: CaseWriter, categories: CategoryLookup,
           parsed: list[ParsedCase], *, commit: bool) -> BatchResult:
    """One batch in one transaction. A concurrent run of the same source may win a key first (unique
    violation): the batch is rolled back and done again, finding those rows already present."""
    for attempt in range(3):
        try:
            with _unit(factory, info, commit=commit) as session:
                result = writer.write(session, parsed)
        except IntegrityError:
            categories.rolled_back()
            if attempt == 2:
                raise
            continue
        except BaseException:
            categories.rolled_back()
            raise
        if commit:
            categories.committed()
        else:
            categories.rolled_back()
        return result
    raise AssertionError("unreachable")
