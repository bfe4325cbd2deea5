"""The shared import kit without a database: reading csv (UTF-8, BOM, GBK, neither) and xlsx (good, broken),
spreadsheet row numbers, mapping files (unknown keys, missing columns, zones) and the source's date formats."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from zhili.imports.case_mapping import CaseMapping
from zhili.imports.mapping import DateParser, ImportMappingError, check_columns, load_mapping
from zhili.imports.reader import ImportFileError, Row, open_source
from zhili.imports.rejects import RejectsReport

CSV = "编号,时间,内容\nA1,2025-01-02 03:04:05,第一行\n,,\nA2,2025-01-03 00:00:00,\"跨行\n内容\"\nA3,2025-01-04 00:00:00,第三行\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_and_row_numbers(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(CSV.encode(encoding))
    src = open_source(path)
    assert src.header == ["编号", "时间", "内容"]
    rows = list(src.rows())
    assert [(r.number, r.text("编号")) for r in rows] == [(2, "A1"), (4, "A2"), (5, "A3")]  # empty row 3 skipped
    assert rows[1].text("内容") == "跨行\n内容"


def test_file_in_neither_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes("编号,内容\n".encode() + b"\xff\xff\xff\x80\n")
    with pytest.raises(ImportFileError, match="无法识别文件编码"):
        open_source(path)


def test_broken_missing_and_unknown_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ImportFileError, match="无法读取 xlsx"):
        open_source(broken)
    with pytest.raises(ImportFileError, match="文件不存在"):
        open_source(tmp_path / "nope.csv")
    other = tmp_path / "a.json"
    other.write_text("{}")
    with pytest.raises(ImportFileError, match="不支持的文件类型"):
        open_source(other)
    dup = tmp_path / "dup.csv"
    dup.write_text("编号,编号\n1,2\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="重复的列名：编号"):
        open_source(dup)


def test_xlsx_rows_and_dates(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["编号", "时间", "数量"])
    ws.append(["A1", datetime(2025, 1, 2, 3, 4, 5), 12.0])
    ws.append([None, None, None])
    ws.append(["A2", "2025-01-03 00:00:00", 3])
    wb.save(tmp_path / "a.xlsx")
    rows = list(open_source(tmp_path / "a.xlsx").rows())
    assert [r.number for r in rows] == [2, 4]
    assert rows[0].text("数量") == "12"
    parser = DateParser(["%Y-%m-%d %H:%M:%S"], ZoneInfo("Asia/Shanghai"))
    assert parser.parse(rows[0].values["时间"]) == datetime(2025, 1, 1, 19, 4, 5, tzinfo=UTC)


def test_date_parser_formats_and_zones() -> None:
    p = DateParser(["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"], ZoneInfo("Asia/Shanghai"))
    assert p.parse("2025/10/09 21:40") == datetime(2025, 10, 9, 13, 40, tzinfo=UTC)
    assert p.parse("2025-10-09 21:40:00") == datetime(2025, 10, 9, 13, 40, tzinfo=UTC)
    with pytest.raises(ValueError, match="无法识别的时间"):
        p.parse("2025年10月9日")


def _mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = "columns: {id: 编号, opened: 时间, status: 状态, category: 分类, address: 地址}\nstatus: {已办结: closed}\n"


def test_mapping_problems_are_named(tmp_path: Path) -> None:
    m = load_mapping(_mapping(tmp_path, BASE + "channel: {12345: hotline}\n"), CaseMapping)
    assert m.channel == {"12345": "hotline"} and m.timezone == "Asia/Shanghai"
    cases = [
        (BASE + "colour: red\n", ["colour", "未知的配置项"]),
        (BASE.replace("address: 地址", "addres: 地址"), ["columns.addres", "未知的配置项"]),
        (BASE.replace(", address: 地址", ""), ["columns", "应给出位置"]),
        (BASE.replace("address: 地址", "lon: 经度"), ["经度(lon)和纬度(lat)应同时给出"]),
        (BASE + "timezone: Mars/Olympus\n", ["timezone", "未知的时区"]),
        (BASE.replace("closed}", "finished}"), ["status.已办结", "取值无效"]),
        (BASE + "columns: [1\n", ["不是有效的 YAML"]),
        ("- a\n- b\n", ["应为“键: 值”的表"]),
    ]
    for text, words in cases:
        with pytest.raises(ImportMappingError) as err:
            load_mapping(_mapping(tmp_path, text), CaseMapping)
        assert all(w in err.value.message for w in words), err.value.message


def test_mapped_columns_must_exist_in_the_header() -> None:
    check_columns(["编号", "时间"], ["编号", "时间", "其他"])
    with pytest.raises(ImportMappingError, match="表头中不存在：受理时间、地址"):
        check_columns(["编号", "受理时间", "地址"], ["编号", "时间"])


def test_rejects_report_keeps_the_raw_row(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    with RejectsReport(path, ["编号", "内容"]) as report:
        report.add(Row(7, {"编号": "A7", "内容": "有逗号,的内容"}), "A7", "opened", "受理时间为空")
    text = path.read_text(encoding="utf-8-sig").splitlines()
    assert text[0] == "行号,源编号,字段,原因,编号,内容"
    assert text[1] == '7,A7,opened,受理时间为空,A7,"有逗号,的内容"'
    assert report.count == 1 and report.by_field == {"opened": 1}
