"""`import_cases` on both databases, against a synthetic export with a known answer: counts, case rows, timelines,
rejects with their row numbers, idempotent re-runs, csv in UTF-8 and GBK, xlsx, dry runs, addresses, the audit
entry, and the indicators computed over the imported cases."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World
from tests.imports import synthetic
from zhili.auth.actor import system_actor
from zhili.auth.models import AuditLog
from zhili.cases import geocell
from zhili.cases.models import Case, CaseCounter, CaseEvent, CasePart
from zhili.config import Settings
from zhili.db import transaction
from zhili.imports.cases import import_cases
from zhili.imports.mapping import ImportMappingError
from zhili.imports.models import ImportKey
from zhili.kit import clock
from zhili.taxonomy.models import Category

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
START = datetime(2025, 11, 3, 0, 30, tzinfo=UTC)
EXAMPLES = Path(__file__).resolve().parents[2] / "zhili" / "imports" / "examples"
MAPPING = EXAMPLES / "cases_mapping.yaml"
# Inside grids a, b (首南街道) and c (下应街道) of the test world, away from their edges.
POINTS = [(121.505, 29.81), (121.51, 29.83), (121.52, 29.82), (121.525, 29.835), (121.57, 29.82), (121.58, 29.81)]


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def _run(db: sessionmaker[Session], settings: Settings, path: Path, tmp_path: Path, **kw):  # type: ignore[no-untyped-def]
    return import_cases(db, settings, system_actor(), path, kw.pop("mapping", MAPPING),
                        rejects=kw.pop("rejects", tmp_path / "rejects.csv"), **kw)


def _counts(db: sessionmaker[Session]) -> dict[str, int]:
    with transaction(db) as s:
        return {m.__name__: int(s.scalar(select(func.count()).select_from(m)) or 0)
                for m in (Case, CaseEvent, CasePart, ImportKey, Category)} | {
            "counter": int(s.scalar(select(func.coalesce(func.sum(CaseCounter.value), 0))) or 0)}


def _rejects(path: Path) -> dict[int, str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return {int(r["行号"]): r["字段"] for r in csv.DictReader(f)}


def test_known_answer_then_rerun_changes_nothing(db: sessionmaker[Session], world: World, settings: Settings,
                                                  tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    ans = synthetic.write_csv(path, 200, POINTS, start=START)
    assert len(ans.bad) >= 10 and ans.closed > 50 and 0 < ans.ontime < ans.closed  # the export tests something
    summary = _run(db, settings, path, tmp_path, batch_size=37)  # duplicates across batch boundaries too
    assert (summary.read, summary.imported, summary.present, summary.rejected) == (200, ans.good, 0, len(ans.bad))
    assert _rejects(tmp_path / "rejects.csv") == ans.bad  # the right rows, blamed on the right field
    with transaction(db) as s:
        cases = list(s.scalars(select(Case)))
        assert sum(c.status == "closed" for c in cases) == ans.closed
        assert sum(c.status == "rejected" for c in cases) == ans.rejected_status
        assert sum(c.status not in ("closed", "rejected") for c in cases) == ans.open
        closed = [c for c in cases if c.status == "closed"]
        assert sum(c.closed_at <= c.deadline_at for c in closed) == ans.ontime
        for c in cases:
            assert c.geo_cell == geocell.cell_of(c.lon, c.lat)
            assert c.grid_id is not None and c.area_path.startswith(world.areas["district"].path)
            assert c.number.startswith("YZ" + c.received_at.astimezone(synthetic.TZ).strftime("%Y%m%d") + "-")
        assert len({c.number for c in cases}) == len(cases)
        events = {}
        for e in s.scalars(select(CaseEvent).order_by(CaseEvent.case_id, CaseEvent.at, CaseEvent.id)):
            events.setdefault(e.case_id, []).append(e)
        for c in closed:
            timeline = events[c.id]
            assert [e.action for e in timeline] == ["intake", "register", "dispatch", "acknowledge", "reply",
                                                    "verify_ok"]
            assert timeline[0].at == c.received_at and timeline[-1].at == c.closed_at
            assert {e.actor_name for e in timeline} == {"历史导入"}
        rejected = [c for c in cases if c.status == "rejected"]
        assert all([e.action for e in events[c.id]] == ["intake", "reject"] for c in rejected)
        branch = s.scalars(select(Category).where(Category.code == "IMPORT")).one()
        children = {c.name for c in s.scalars(select(Category).where(Category.parent_id == branch.id))}
        assert branch.name == "历史导入" and children == set(synthetic.UNKNOWN)
        assert sum(c.category_id != branch.id and c.category_id in
                   {x.id for x in s.scalars(select(Category).where(Category.parent_id == branch.id))}
                   for c in cases) == ans.unknown_category_rows
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "import.cases")).one()
        assert entry.detail["imported"] == ans.good and entry.detail["rejected"] == len(ans.bad)
    before = _counts(db)
    again = _run(db, settings, path, tmp_path, batch_size=37, rejects=tmp_path / "again.csv")
    duplicates = sum(f == "id" for f in ans.bad.values())
    assert duplicates  # a repeated id is refused in the run that imports its first copy...
    assert (again.imported, again.present, again.rejected) == (0, ans.good + duplicates, len(ans.bad) - duplicates)
    assert set(_rejects(tmp_path / "again.csv").items()) == {(r, f) for r, f in ans.bad.items() if f != "id"}
    assert _counts(db) == before


def test_indicators_agree_with_the_source_timestamps(db: sessionmaker[Session], world: World, settings: Settings,
                                                      tmp_path: Path) -> None:
    analysis = pytest.importorskip("zhili.analysis.service")
    path = tmp_path / "export.csv"
    ans = synthetic.write_csv(path, 200, POINTS, start=START)
    summary = _run(db, settings, path, tmp_path)
    assert summary.imported == ans.good
    q = analysis.IndicatorQuery(start=date(2025, 11, 1), end=date(2026, 11, 20))
    with transaction(db, info={"actor": system_actor()}) as s:
        total = analysis.indicators(s, system_actor(), q).total.values
    assert total["received"] == ans.good
    assert total["closed"] == ans.closed
    assert total["overdue_closed"] == ans.overdue_closed
    assert total["ontime_rate"] == pytest.approx(ans.ontime / ans.closed)


@pytest.mark.parametrize("kind", ["gbk", "xlsx"])
def test_gbk_csv_and_xlsx(db: sessionmaker[Session], world: World, settings: Settings, tmp_path: Path,
                          kind: str) -> None:
    if kind == "gbk":
        path = tmp_path / "export_gbk.csv"
        ans = synthetic.write_csv(path, 60, POINTS, start=START, encoding="gbk")
        assert path.read_bytes().decode("gb18030") and not _is_utf8(path)
    else:
        path = tmp_path / "export.xlsx"
        ans = synthetic.write_xlsx(path, 60, POINTS, start=START)
    summary = _run(db, settings, path, tmp_path)
    assert (summary.imported, summary.rejected) == (ans.good, len(ans.bad))
    assert _rejects(tmp_path / "rejects.csv") == ans.bad
    with transaction(db) as s:
        assert s.scalar(select(func.count()).select_from(Case).where(Case.status == "closed")) == ans.closed
        assert "合成诉求" in (s.scalars(select(Case.description)).first() or "")


def _is_utf8(path: Path) -> bool:
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_dry_run_writes_nothing(db: sessionmaker[Session], world: World, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    ans = synthetic.write_csv(path, 80, POINTS, start=START)
    before = _counts(db)
    summary = _run(db, settings, path, tmp_path, dry_run=True)
    assert (summary.imported, summary.rejected) == (ans.good, len(ans.bad))
    assert _counts(db) == before
    with transaction(db) as s:
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "import.cases")) == 0


def test_example_file_and_addresses(db: sessionmaker[Session], world: World, settings: Settings,
                                    tmp_path: Path) -> None:
    """The documented example imports as its comments say; a row with only an address is placed by the address
    matcher, one whose address matches nothing is refused."""
    path = tmp_path / "cases_export.csv"
    shutil.copy(EXAMPLES / "cases_export.csv", path)
    with path.open("a", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["GD2025000009", "2025-10-13 08:00:00", "", "", "2025-10-15 08:00:00", "", "待派遣", "暴露垃圾", "",
                    "", "", "鄞州区首南街道天童南路588号", "12345", "", "门口垃圾", ""])
        w.writerow(["GD2025000010", "2025-10-13 08:00:00", "", "", "", "", "待派遣", "暴露垃圾", "", "", "",
                    "火星大道99号", "12345", "", "门口垃圾", ""])
    summary = _run(db, settings, path, tmp_path)
    assert (summary.read, summary.imported, summary.rejected) == (10, 7, 3)
    assert _rejects(tmp_path / "rejects.csv") == {8: "deadline", 9: "lon", 11: "address"}
    with transaction(db) as s:
        placed = s.scalars(select(Case).join(ImportKey, ImportKey.target_id == Case.id)
                           .where(ImportKey.source_id == "GD2025000009")).one()
        assert placed.grid_id == world.grids["a"].id and placed.status == "registered"
        cg = s.scalars(select(Case).join(ImportKey, ImportKey.target_id == Case.id)
                       .where(ImportKey.source_id == "GD2025000001")).one()
        assert cg.department_id == world.departments["cg"].id and cg.satisfaction == "satisfied"
        assert cg.closed_at - cg.received_at == timedelta(hours=29, minutes=50)
        part = s.scalars(select(CasePart).where(CasePart.case_id == cg.id)).one()
        assert (part.department_id, part.role, part.status) == (world.departments["cg"].id, "lead", "handled")
        unknown_dept = s.scalars(select(Case).join(ImportKey, ImportKey.target_id == Case.id)
                                 .where(ImportKey.source_id == "GD2025000003")).one()
        assert unknown_dept.department_id is None  # no department given: kept unassigned


def test_bad_mapping_writes_nothing(db: sessionmaker[Session], world: World, settings: Settings,
                                    tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    synthetic.write_csv(path, 20, POINTS, start=START)
    text = MAPPING.read_text(encoding="utf-8")
    bad_key = tmp_path / "bad_key.yaml"
    bad_key.write_text(text.replace("columns:", "colour: red\ncolumns:"), encoding="utf-8")
    missing = tmp_path / "missing.yaml"
    missing.write_text(text.replace("title: 标题", "title: 工单标题"), encoding="utf-8")
    unknown_code = tmp_path / "code.yaml"
    unknown_code.write_text(text.replace("占道经营: SJ0503", "占道经营: NOPE99"), encoding="utf-8")
    before = _counts(db)
    for mapping, words in ((bad_key, ["colour", "未知的配置项"]), (missing, ["工单标题", "不存在"]),
                           (unknown_code, ["NOPE99"])):
        with pytest.raises(ImportMappingError) as err:
            _run(db, settings, path, tmp_path, mapping=mapping)
        assert all(w in err.value.message for w in words), err.value.message
    assert _counts(db) == before
