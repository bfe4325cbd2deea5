"""Reading a deployment's own labelled export (csv or xlsx) for `zhili brain evaluate-classifier`. Pure.

csv: UTF-8 (with or without BOM), falling back to GB18030 (what Excel on a Chinese Windows writes). xlsx: the first
sheet, read with openpyxl in read-only mode (streams, so a large export does not fill memory twice). The first row
names the columns. Rows whose label or every text column is empty are skipped and counted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from zhili.brain.classifier import ClassifierError


@dataclass
class Labelled:
    texts: list[str]
    labels: list[str]
    skipped: int


def _csv_rows(path: Path) -> Iterator[list[str]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ClassifierError(f"无法识别文件编码（应为 UTF-8 或 GB18030）：{path}")
    yield from csv.reader(io.StringIO(text, newline=""))


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a corrupt or mislabelled file: openpyxl raises many kinds
        raise ClassifierError(f"无法读取 xlsx 文件 {path}：{exc}") from exc
    try:
        ws = wb.worksheets[0]
        for row in ws.iter_rows(values_only=True):
            yield ["" if v is None else str(v) for v in row]
    finally:
        wb.close()


def read_labelled(path: Path, text_cols: Sequence[str], label_col: str) -> Labelled:
    """Texts (the text columns joined by a newline, in the order given) and labels of every usable row."""
    if not path.is_file():
        raise ClassifierError(f"文件不存在：{path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path)
    elif suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
    else:
        raise ClassifierError(f"不支持的文件类型 {suffix or '(无扩展名)'}：请使用 .csv 或 .xlsx")
    if not text_cols:
        raise ClassifierError("请至少指定一个文本列（--text-col）")
    header = next(rows, None)
    if header is None:
        raise ClassifierError(f"文件是空的：{path}")
    names = [h.strip() for h in header]
    missing = [c for c in [*text_cols, label_col] if c not in names]
    if missing:
        raise ClassifierError(f"找不到列：{'、'.join(missing)}；文件中的列有：{'、'.join(n for n in names if n)}")
    t_idx = [names.index(c) for c in text_cols]
    l_idx = names.index(label_col)
    texts: list[str] = []
    labels: list[str] = []
    skipped = 0
    for row in rows:
        cells = [row[i].strip() if i < len(row) else "" for i in t_idx]
        label = row[l_idx].strip() if l_idx < len(row) else ""
        if not label or not any(cells):
            skipped += 1
            continue
        texts.append("\n".join(cells))
        labels.append(label)
    if not texts:
        raise ClassifierError("文件中没有同时包含文本与标签的行")
    return Labelled(texts, labels, skipped)
