"""Helpers for the registry import tests: valid ID numbers, files in csv (UTF-8 / GBK) and xlsx, mappings, a run."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy.orm import Session, sessionmaker
from stdnum.cn import ric

from zhili.auth.actor import system_actor
from zhili.registry.importer.run import RegistryImportSummary, import_registry

PEOPLE_HEADER = ["人员编号", "姓名", "公民身份号码", "联系电话", "居住地址", "户籍类型", "人群标签"]
PEOPLE_MAPPING = """
source: 公安
id_column: 人员编号
columns:
  name: 姓名
  id_number: 公民身份号码
  phone: 联系电话
  address: 居住地址
  residency: 户籍类型
  tags: 人群标签
residency:
  户籍: registered
  流动: floating
tags:
  低保: low_income
  独居: elderly_alone
"""
A1 = "天童南路588号1幢"  # address 2, grid A
B = "天童南路590号"  # address 5, grid B
C = "钱湖北路588号"  # address 7, grid C


def make_id(born: date, seq: int, region: str = "330212") -> str:
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")


def wrong_check(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def write_csv(path: Path, header: list[str], rows: list[list[Any]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def mapping(tmp: Path, text: str = PEOPLE_MAPPING, name: str = "map.yaml") -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def run(db: sessionmaker[Session], what: str, file: Path, mapping_file: Path, **kw: Any) -> RegistryImportSummary:
    kw.setdefault("refresh_seconds", 0)
    kw.setdefault("rejects", file.with_name(file.stem + ".rejects.csv"))
    return import_registry(db, system_actor(), what, file, mapping_file, **kw)


def rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))
