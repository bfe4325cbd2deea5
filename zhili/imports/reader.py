"""Streaming rows of an export file (csv or xlsx), whatever the importer. Pure: no database.

csv: the encoding is UTF-8 (with or without BOM) or GB18030 (a superset of GBK and GB2312, what Excel on a Chinese
Windows writes). The whole file is checked as UTF-8 first, then as GB18030, in 1 MiB chunks (memory stays flat);
a file that is neither is refused before any row is read. xlsx: the first sheet, openpyxl read-only with values
only (cells stream; formulas give their cached value). A missing, empty or broken file is an `ImportFileError`.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2 (a csv record
spanning lines inside quotes still counts as one row). Entirely empty rows are skipped, their numbers kept.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

CHUNK = 1 << 20
ENCODINGS = ("utf-8-sig", "gb18030")
Value = str | datetime | date | time | int | float | bool | None


class ImportFileError(Exception):
    """The file cannot be read at all (missing, wrong encoding, broken xlsx, no header): nothing is imported."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Row:
    number: int  # as the spreadsheet shows it (header = 1)
    values: dict[str, Value]

    def text(self, column: str) -> str:
        """The cell as trimmed text ('' when empty or absent)."""
        v = self.values.get(column)
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v).strip()


@dataclass
class Source:
    """An opened export: its header, and `rows()` to stream it once."""

    path: Path
    kind: str  # csv / xlsx
    header: list[str]
    encoding: str | None = None
    _rows: Iterator[Row] | None = field(default=None, repr=False)

    def rows(self) -> Iterator[Row]:
        if self._rows is None:
            raise RuntimeError("rows() may be read once")
        rows, self._rows = self._rows, None
        return rows


def detect_encoding(path: Path) -> str:
    """utf-8-sig or gb18030, checked over the whole file in chunks; ImportFileError when neither decodes it."""
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as f:
                while chunk := f.read(CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportFileError(f"无法识别文件编码：{path.name} 既不是 UTF-8 也不是 GBK/GB18030，请另存为 UTF-8 编码的 csv")


def _header(raw: list[Any], path: Path) -> list[str]:
    header = ["" if v is None else str(v).strip() for v in raw]
    while header and not header[-1]:
        header.pop()
    if not any(header):
        raise ImportFileError(f"文件 {path.name} 第 1 行没有列名（表头）")
    seen: set[str] = set()
    dup = [h for h in header if h and (h in seen or seen.add(h))]  # type: ignore[func-returns-value]
    if dup:
        raise ImportFileError(f"文件 {path.name} 的表头有重复的列名：{'、'.join(dict.fromkeys(dup))}")
    return header


def _csv_source(path: Path) -> Source:
    encoding = detect_encoding(path)
    f = path.open("r", encoding=encoding, newline="")
    reader = csv.reader(f)
    try:
        first = next(reader)
    except StopIteration:
        f.close()
        raise ImportFileError(f"文件 {path.name} 是空的") from None
    except csv.Error as exc:
        f.close()
        raise ImportFileError(f"文件 {path.name} 不是有效的 csv：{exc}") from exc
    header = _header(first, path)

    def rows() -> Iterator[Row]:
        number = 1
        try:
            for record in reader:
                number += 1
                if not any(cell.strip() for cell in record):
                    continue
                yield Row(number, {h: (record[i] if i < len(record) else None) for i, h in enumerate(header) if h})
        except csv.Error as exc:
            raise ImportFileError(f"文件 {path.name} 第 {number + 1} 行附近 csv 格式错误：{exc}") from exc
        finally:
            f.close()

    return Source(path, "csv", header, encoding, rows())


def _xlsx_source(path: Path) -> Source:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        first = next(it, None)
    except Exception as exc:  # openpyxl raises many kinds (zipfile, KeyError, XML errors) for a broken file
        raise ImportFileError(f"无法读取 xlsx 文件 {path.name}：文件已损坏或不是 xlsx（{type(exc).__name__}）") from exc
    if first is None:
        wb.close()
        raise ImportFileError(f"文件 {path.name} 是空的")
    header = _header(list(first), path)

    def rows() -> Iterator[Row]:
        number = 1
        try:
            for record in it:
                number += 1
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in record):
                    continue
                yield Row(number, {h: (record[i] if i < len(record) else None) for i, h in enumerate(header) if h})
        except Exception as exc:
            raise ImportFileError(f"文件 {path.name} 第 {number + 1} 行附近无法读取：{type(exc).__name__}") from exc
        finally:
            wb.close()

    return Source(path, "xlsx", header, None, rows())


def open_source(path: Path) -> Source:
    """Open a csv or xlsx export for streaming (by its suffix); reads only the header now."""
    if not path.is_file():
        raise ImportFileError(f"文件不存在：{path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_source(path)
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_source(path)
    raise ImportFileError(f"不支持的文件类型“{path.suffix}”：请提供 .csv 或 .xlsx 文件")
