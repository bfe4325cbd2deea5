"""Small helpers for the taxonomy tests: ids by code, extra departments and areas, snapshots of the tables."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import make_area
from zhili.db import transaction
from zhili.org.models import Area, AreaLevel, Department, DepartmentKind
from zhili.taxonomy import routing
from zhili.taxonomy.models import Category, ResponsibilityRule


def cat(s: Session, code: str) -> Category:
    found = s.scalar(select(Category).where(Category.code == code))
    assert found is not None, code
    return found


def area(s: Session, code: str) -> Area:
    found = s.scalar(select(Area).where(Area.code == code))
    assert found is not None, code
    return found


def department(s: Session, code: str, name: str, area_code: str,
               kind: DepartmentKind = DepartmentKind.functional) -> Department:
    """The department with this code, created when the test world does not have it yet."""
    found = s.scalar(select(Department).where(Department.code == code))
    if found is not None:
        return found
    a = area(s, area_code)
    d = Department(code=code, name=name, short_name=name[:8], kind=kind, area_id=a.id, area_path=a.path)
    s.add(d)
    s.flush()
    return d


def new_street(s: Session, code: str, name: str) -> tuple[Area, Area]:
    """A street with one community, under the test district; never given a center."""
    district = area(s, "330212000000")
    street = make_area(s, code, name, AreaLevel.street, district)
    community = make_area(s, code[:9] + "001", name + "一社区", AreaLevel.community, street)
    return street, community


def route(db: sessionmaker[Session], code: str, area_path: str) -> routing.RouteResult | None:
    with transaction(db) as s:
        return routing.route(s, cat(s, code).id, area_path)


def snapshot(db: sessionmaker[Session]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with transaction(db) as s:
        cats = [(c.id, c.code, c.name, c.parent_id, c.path, c.kind, c.runway, c.register_criteria, c.close_criteria,
                 c.default_priority, c.limit_unit, c.limit_normal, c.limit_urgent, c.keywords, c.active, c.sort)
                for c in s.scalars(select(Category).order_by(Category.id))]
        rules = [(r.id, r.category_id, r.area_id, r.area_path, r.basis, r.department_id, r.note)
                 for r in s.scalars(select(ResponsibilityRule).order_by(ResponsibilityRule.id))]
    return cats, rules


def read_sheets(data: bytes) -> dict[str, list[list[Any]]]:
    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
