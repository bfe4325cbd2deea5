"""`zhili import people`: csv in UTF-8 and GBK, xlsx; idempotent re-runs; changed rows; refused rows reported."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World
from tests.registry.importing import (
    A1,
    PEOPLE_HEADER,
    B,
    C,
    make_id,
    mapping,
    rejects,
    run,
    write_csv,
    write_xlsx,
)
from zhili.auth.models import AuditLog
from zhili.db import transaction
from zhili.imports.reader import ImportFileError
from zhili.kit.crypto import blind_index
from zhili.registry.models import ImportRun, Person, Residency, SourceRecord

ID1, ID2, ID3 = make_id(date(1950, 3, 1), 11), make_id(date(1988, 7, 9), 22), make_id(date(2001, 12, 31), 33)
ROWS = [
    ["GA-001", "陈一", ID1, "13800000001", A1, "户籍", "独居、低保"],
    ["GA-002", "林二", ID2, "+86 139 0000 0002", B, "流动", ""],
    ["GA-003", "周三", ID3, "", C, "户籍", ""],
]


def _people(db: sessionmaker[Session]) -> dict[str, Person]:
    with transaction(db) as s:
        return {p.name: p for p in s.scalars(select(Person))}


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_csv_creates_people_with_place_provenance_and_records(db: sessionmaker[Session], world: World,
                                                              tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "ga.csv", PEOPLE_HEADER, ROWS, encoding)
    summary = run(db, "people", path, mapping(tmp_path))
    assert (summary.counts["read"], summary.counts["created"], summary.counts["rejected"]) == (3, 3, 0)
    people = _people(db)
    chen = people["陈一"]
    assert chen.id_number == ID1 and chen.id_number_bidx == blind_index(ID1)
    assert (chen.sex, chen.birth_date) == ("M", date(1950, 3, 1))
    assert chen.grid_id == world.grids["a"].id and chen.address_id == 2
    assert sorted(chen.tags) == ["elderly_alone", "low_income"]
    assert chen.provenance["phone"][0] == "公安" and chen.provenance["birth_date"][0] == "公安"
    assert people["林二"].phone == "13900000002" and people["林二"].residency == Residency.floating
    assert people["周三"].phone is None and people["周三"].grid_id == world.grids["c"].id
    with transaction(db) as s:
        assert s.scalar(select(func.count()).select_from(SourceRecord)) == 3
        raw = s.execute(text("SELECT \"values\" FROM registry_records")).scalars().all()
        assert all(v.startswith("sm4g") and ID1 not in v for v in raw)  # the source's row, encrypted
        dump = " ".join(str(r) for r in s.execute(text("SELECT id_number, phone FROM people")).all())
        assert ID1 not in dump and "13800000001" not in dump
        run_row = s.scalars(select(ImportRun)).one()
        assert run_row.counts["created"] == 3 and run_row.source == "公安" and run_row.finished_at is not None
        entry = s.scalars(select(AuditLog).where(AuditLog.action == "import.registry")).one()
        assert entry.detail["created"] == 3


def test_xlsx_imports_like_csv(db: sessionmaker[Session], world: World, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "ga.xlsx", PEOPLE_HEADER, ROWS)
    summary = run(db, "people", path, mapping(tmp_path))
    assert summary.counts["created"] == 3
    assert _people(db)["林二"].phone == "13900000002"


def test_rerun_writes_nothing_and_a_changed_row_updates(db: sessionmaker[Session], world: World,
                                                        tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ga.csv", PEOPLE_HEADER, ROWS)
    run(db, "people", path, mapping(tmp_path))
    before = _people(db)["林二"].updated_at
    again = run(db, "people", path, mapping(tmp_path))
    assert (again.counts["unchanged"], again.counts["created"], again.counts["updated"]) == (3, 0, 0)
    assert _people(db)["林二"].updated_at == before
    changed = [r[:] for r in ROWS]
    changed[1][3] = "13700000009"
    write_csv(path, PEOPLE_HEADER, changed)
    third = run(db, "people", path, mapping(tmp_path))
    assert (third.counts["unchanged"], third.counts["updated"], third.counts["conflicts"]) == (2, 1, 0)
    lin = _people(db)["林二"]
    assert lin.phone == "13700000009" and lin.phone_bidx == blind_index("13700000009")
    with transaction(db) as s:
        assert s.scalar(select(func.count()).select_from(SourceRecord)) == 3
        assert s.scalar(select(func.count()).select_from(Person)) == 4 + 3


def test_bad_rows_reported_with_row_numbers_and_the_rest_goes_on(db: sessionmaker[Session], world: World,
                                                                 tmp_path: Path) -> None:
    impossible = "33021219800230" + "123"
    from stdnum.cn import ric

    impossible += ric.calc_check_digit(impossible + "0")
    rows = [
        *ROWS,
        ["GA-004", "吴四", ID1[:-1] + ("0" if ID1[-1] != "0" else "1"), "", A1, "户籍", ""],  # row 5: checksum
        ["GA-005", "郑五", impossible, "", A1, "户籍", ""],  # row 6: 30 February
        ["GA-006", "王六", make_id(date(1970, 1, 1), 66), "", "火星路1号", "户籍", ""],  # row 7: unknown address
        ["GA-001", "陈一", ID1, "13800000001", A1, "户籍", ""],  # row 8: source id repeated
        ["GA-007", "陈一", ID1, "13800000001", A1, "户籍", ""],  # row 9: ID number repeated
        ["GA-008", "冯八", make_id(date(1990, 1, 1), 88), "12345", A1, "户籍", ""],  # row 10: phone
    ]
    path = write_csv(tmp_path / "ga.csv", PEOPLE_HEADER, rows)
    summary = run(db, "people", path, mapping(tmp_path), batch_size=4)  # repeats across batches too
    assert summary.counts["created"] == 3 and summary.counts["rejected"] == 6
    got = {int(r["行号"]): (r["字段"], r["原因"], r["源编号"]) for r in rejects(tmp_path / "ga.rejects.csv")}
    assert got[5][:2] == ("id_number", "校验位错误") and got[5][2] == "GA-004"
    assert got[6][:2] == ("id_number", "出生日期不存在")
    assert got[7][0] == "address" and "未能匹配到标准地址" in got[7][1]
    assert got[8][0] == "id" and "重复" in got[8][1]
    assert got[9][0] == "id_number" and "同一公民身份号码" in got[9][1]
    assert got[10][0] == "phone"
    assert sorted(_people(db)) == sorted(["张三丰", "李四光", "王五常", "张小明", "陈一", "林二", "周三"])


def test_unknown_address_kept_as_a_warning_when_the_mapping_says_so(db: sessionmaker[Session], world: World,
                                                                    tmp_path: Path) -> None:
    rows = [["GA-009", "钱九", make_id(date(1975, 5, 5), 99), "", "火星路1号", "户籍", ""]]
    path = write_csv(tmp_path / "ga.csv", PEOPLE_HEADER, rows)
    from tests.registry.importing import PEOPLE_MAPPING

    summary = run(db, "people", path, mapping(tmp_path, PEOPLE_MAPPING + "unknown_address: keep\n"))
    assert summary.counts["created"] == 1 and summary.counts["warnings"] == 1
    assert summary.first_warnings[0][0] == 2 and "已保留" in summary.first_warnings[0][3]
    qian = _people(db)["钱九"]
    assert (qian.address_id, qian.grid_id, qian.address_text) == (None, None, "火星路1号")


def test_dry_run_writes_nothing(db: sessionmaker[Session], world: World, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ga.csv", PEOPLE_HEADER, ROWS)
    summary = run(db, "people", path, mapping(tmp_path), dry_run=True)
    assert summary.counts["created"] == 3
    with transaction(db) as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 4
        assert s.scalar(select(func.count()).select_from(ImportRun)) == 0


def test_broken_files_refused_before_anything_is_written(db: sessionmaker[Session], world: World,
                                                         tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ImportFileError, match="无法读取 xlsx"):
        run(db, "people", broken, mapping(tmp_path))
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(",".join(PEOPLE_HEADER).encode("utf-8") + b"\n" + "GA-1,陈一".encode() + b"\n"
                      + "GA-2,林二".encode("gbk") + b"\xff\xfe\n")
    with pytest.raises(ImportFileError, match="编码"):
        run(db, "people", mixed, mapping(tmp_path))
    with transaction(db) as s:
        assert s.scalar(select(func.count()).select_from(ImportRun)) == 0
