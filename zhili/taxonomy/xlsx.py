"""The category tree and the responsibility list as one .xlsx workbook (sheets 事项分类 and 权责清单), and back.

Import reads the workbook streaming, checks every row first and reports every problem with its sheet, row number
and reason; only when there is none does it write, upserting categories by code and rules by (category code, area
code). Nothing is deleted. Exporting and importing the same file changes nothing.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

from zhili.auth import audit
from zhili.auth.actor import Actor
from zhili.kit.errors import ValidationFailed
from zhili.taxonomy import fields, repository
from zhili.taxonomy.fields import FieldError
from zhili.taxonomy.models import RULE_BASIS_LABEL, Category, CategoryKind, ResponsibilityRule, RuleBasis
from zhili.taxonomy.report import report  # noqa: F401  (the report lives beside the workbook it checks)
from zhili.taxonomy.schemas import ImportResult
from zhili.taxonomy.service import build_tree

CATEGORY_SHEET, RULE_SHEET = "事项分类", "权责清单"
CATEGORY_COLUMNS = [("code", "编码"), ("name", "名称"), ("parent_code", "上级编码"), ("kind", "类型"),
                    ("runway", "跑道"), ("register_criteria", "立案标准"), ("close_criteria", "结案标准"),
                    ("default_priority", "默认等级"), ("limit_unit", "时限单位"), ("limit_normal", "一般时限"),
                    ("limit_urgent", "紧急时限"), ("keywords", "关键词"), ("active", "启用"), ("sort", "排序")]
RULE_COLUMNS = [("category_code", "分类编码"), ("category_name", "分类名称"), ("area_code", "区划代码"),
                ("area_name", "区划名称"), ("basis", "依据"), ("department_code", "部门编码"),
                ("department_name", "部门名称"), ("note", "备注")]
REQUIRED = {CATEGORY_SHEET: ("code", "name", "kind", "runway"),
            RULE_SHEET: ("category_code", "area_code", "basis", "department_code")}
MAX_ROWS = 50_000
MAX_ERRORS_SHOWN = 50
TEXT_LIMITS = {"register_criteria": 2000, "close_criteria": 2000, "keywords": 500, "note": 200}


# ---- export ----------------------------------------------------------------------------------------------------

def export_workbook(session: Session, actor: Actor) -> tuple[bytes, int, int]:
    """(xlsx bytes, categories, rules): every category, and the rules the actor can read."""
    actor.require("taxonomy.manage")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(CATEGORY_SHEET)
    for letter, width in zip("ABCDEFGHIJKLMN", (10, 16, 10, 9, 10, 40, 40, 9, 9, 9, 9, 30, 6, 6), strict=True):
        ws.column_dimensions[letter].width = width
    ws.append([label for _, label in CATEGORY_COLUMNS])
    tree = build_tree(repository.all_categories(session)).items
    for c in tree:
        ws.append([c.code, c.name, c.parent_code or "", c.kind_label, c.runway_label, c.register_criteria,
                   c.close_criteria, c.priority_label, c.limit_unit_label or "", _num(c.limit_normal),
                   _num(c.limit_urgent), c.keywords, "是" if c.active else "否", c.sort])
    ws = wb.create_sheet(RULE_SHEET)
    for letter, width in zip("ABCDEFGH", (10, 16, 14, 14, 6, 14, 26, 30), strict=True):
        ws.column_dimensions[letter].width = width
    ws.append([label for _, label in RULE_COLUMNS])
    rules = repository.rules_page(session, actor, category_path=None, area_path=None, limit=10**7)
    for r, cat, a, d in rules:
        ws.append([cat.code, cat.name, a.code, a.name, RULE_BASIS_LABEL[r.basis], d.code if d else "",
                   d.name if d else "", r.note])
    buf = io.BytesIO()
    wb.save(buf)
    audit.record(session, "taxonomy.export", entity_type="taxonomy",
                 detail={"categories": len(tree), "rules": len(rules)})
    return buf.getvalue(), len(tree), len(rules)


def _num(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


# ---- import: reading -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    message: str

    def text(self) -> str:
        return f"{self.sheet} 第{self.row}行：{self.message}"


class ImportRejected(ValidationFailed):
    """The workbook had errors; nothing was written. `errors` lists them all."""

    def __init__(self, errors: list[RowError]) -> None:
        shown = "；".join(e.text() for e in errors[:MAX_ERRORS_SHOWN])
        more = f"；另有 {len(errors) - MAX_ERRORS_SHOWN} 处" if len(errors) > MAX_ERRORS_SHOWN else ""
        super().__init__(f"导入失败，未做任何修改。共 {len(errors)} 处错误：{shown}{more}", field="file")
        self.errors = errors


@dataclass
class Row:
    sheet: str
    row: int
    values: dict[str, Any] = field(default_factory=dict)  # parsed, only for the columns present


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(wb: Any, sheet: str, columns: list[tuple[str, str]], errors: list[RowError]) -> Iterator[tuple[int, dict[str, object]]]:
    if sheet not in wb.sheetnames:
        errors.append(RowError(sheet, 1, f"缺少工作表「{sheet}」"))
        return
    cells = wb[sheet].iter_rows(values_only=True)
    header = [_text(h) for h in next(cells, ())]
    by_label = {label: key for key, label in columns}
    index = {by_label[h]: i for i, h in enumerate(header) if h in by_label}
    missing = [label for key, label in columns if key in REQUIRED[sheet] and key not in index]
    if missing:
        errors.append(RowError(sheet, 1, f"缺少列：{'、'.join(missing)}"))
        return
    for n, raw in enumerate(cells, start=2):
        if n > MAX_ROWS + 1:
            errors.append(RowError(sheet, n, f"行数超过 {MAX_ROWS}"))
            return
        if all(v is None or _text(v) == "" for v in raw):
            continue
        yield n, {key: (raw[i] if i < len(raw) else None) for key, i in index.items()}


def _parse_category(n: int, raw: dict[str, object], errors: list[RowError]) -> Row | None:
    row = Row(CATEGORY_SHEET, n)
    parsers: dict[str, Any] = {
        "code": fields.check_code, "name": fields.check_name,
        "parent_code": lambda v: _text(v) or None, "kind": fields.parse_kind, "runway": fields.parse_runway,
        "default_priority": fields.parse_priority, "limit_unit": fields.parse_unit,
        "limit_normal": lambda v: fields.parse_number("limit_normal", "一般时限", v),
        "limit_urgent": lambda v: fields.parse_number("limit_urgent", "紧急时限", v),
        "active": lambda v: fields.parse_bool("active", "启用", v),
        "sort": lambda v: fields.parse_int("sort", "排序", v),
    }
    ok = True
    for key, value in raw.items():
        try:
            if key in ("register_criteria", "close_criteria", "keywords"):
                text = _text(value)
                if len(text) > TEXT_LIMITS[key]:
                    raise FieldError(key, f"{dict(CATEGORY_COLUMNS)[key]}超过 {TEXT_LIMITS[key]} 字")
                row.values[key] = text
            else:
                row.values[key] = parsers[key](value)
        except FieldError as exc:
            errors.append(RowError(CATEGORY_SHEET, n, exc.message))
            ok = False
    for key in ("limit_normal", "limit_urgent"):
        v = row.values.get(key)
        if v is not None and v < 0:
            errors.append(RowError(CATEGORY_SHEET, n, f"{dict(CATEGORY_COLUMNS)[key]}不能为负数"))
            ok = False
    return row if ok else None


def _parse_rule(n: int, raw: dict[str, object], errors: list[RowError]) -> Row | None:
    row = Row(RULE_SHEET, n)
    ok = True
    for key in ("category_code", "area_code"):
        row.values[key] = _text(raw.get(key))
        if not row.values[key]:
            errors.append(RowError(RULE_SHEET, n, f"{dict(RULE_COLUMNS)[key]}不能为空"))
            ok = False
    try:
        row.values["basis"] = fields.parse_basis(raw.get("basis"))
    except FieldError as exc:
        errors.append(RowError(RULE_SHEET, n, exc.message))
        ok = False
    row.values["department_code"] = _text(raw.get("department_code")) or None
    if "note" in raw:
        row.values["note"] = _text(raw.get("note"))
        if len(row.values["note"]) > TEXT_LIMITS["note"]:
            errors.append(RowError(RULE_SHEET, n, "备注超过 200 字"))
            ok = False
    return row if ok else None


def _open(data: bytes) -> Any:
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # any unreadable upload: zip, xml or openpyxl's own errors
        raise ValidationFailed("文件不是有效的 xlsx 工作簿", field="file") from exc


# ---- import: checking and applying -----------------------------------------------------------------------------

def import_workbook(session: Session, actor: Actor, data: bytes) -> ImportResult:
    actor.require("taxonomy.manage")
    wb = _open(data)
    errors: list[RowError] = []
    try:
        cat_rows = [r for n, raw in _rows(wb, CATEGORY_SHEET, CATEGORY_COLUMNS, errors)
                    if (r := _parse_category(n, raw, errors)) is not None]
        rule_rows = [r for n, raw in _rows(wb, RULE_SHEET, RULE_COLUMNS, errors)
                     if (r := _parse_rule(n, raw, errors)) is not None]
    finally:
        wb.close()
    plan = _Plan(session, actor, errors)
    plan.check_categories(cat_rows)
    plan.check_rules(rule_rows)
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: (e.sheet != CATEGORY_SHEET, e.row)))
    return plan.apply(cat_rows, rule_rows)


class _Plan:
    def __init__(self, session: Session, actor: Actor, errors: list[RowError]) -> None:
        self.session, self.actor, self.errors = session, actor, errors
        self.existing = {c.code: c for c in repository.all_categories(session)}
        by_id = {c.id: c.code for c in self.existing.values()}
        self.parent = {c.code: by_id.get(c.parent_id) if c.parent_id else None for c in self.existing.values()}
        self.kind: dict[str, CategoryKind] = {c.code: c.kind for c in self.existing.values()}
        self.sheet: dict[str, Row] = {}
        self.areas: dict[str, Any] = {}
        self.depts: dict[str, Any] = {}

    def error(self, row: Row, message: str) -> None:
        self.errors.append(RowError(row.sheet, row.row, message))

    def check_categories(self, rows: list[Row]) -> None:
        for row in rows:
            code = row.values["code"]
            if code in self.sheet:
                self.error(row, f"编码「{code}」重复（与第{self.sheet[code].row}行）")
                continue
            self.sheet[code] = row
            if "parent_code" in row.values:
                self.parent[code] = row.values["parent_code"]
            self.kind[code] = row.values["kind"]
        for code, row in self.sheet.items():
            parent = self.parent.get(code)
            if parent is not None and parent not in self.kind:
                self.error(row, f"上级分类「{parent}」不存在")
                continue
            seen, at = {code}, parent
            while at is not None:
                if at in seen:
                    self.error(row, "上级关系形成循环")
                    break
                seen.add(at)
                at = self.parent.get(at)
            old = self.existing.get(code)
            v = row.values
            unit = v.get("limit_unit", old.limit_unit if old else None)
            normal = v.get("limit_normal", old.limit_normal if old else None)
            urgent = v.get("limit_urgent", old.limit_urgent if old else None)
            try:
                fields.check_limits(unit, normal, urgent)
            except FieldError as exc:
                self.error(row, exc.message)
        for child, parent in self.parent.items():
            if parent is None or parent not in self.kind or (child not in self.sheet and parent not in self.sheet):
                continue
            if self.kind[child] != self.kind[parent]:
                row = self.sheet.get(child) or self.sheet[parent]
                self.error(row, f"分类「{child}」的类型与上级分类「{parent}」不一致")

    def check_rules(self, rows: list[Row]) -> None:
        self.areas = repository.areas_by_codes(self.session, (r.values["area_code"] for r in rows))
        self.depts = repository.departments_by_codes(
            self.session, (r.values["department_code"] for r in rows if r.values["department_code"]))
        stored = {(r.category_id, r.area_id): r for r in repository.all_rules(self.session)}
        seen: dict[tuple[str, str], Row] = {}
        for row in rows:
            v = row.values
            cat, area_code, dept_code = v["category_code"], v["area_code"], v["department_code"]
            area, dept = self.areas.get(area_code), self.depts.get(dept_code) if dept_code else None
            problems = []
            if cat not in self.kind:
                problems.append(f"事项分类「{cat}」不存在")
            if area is None:
                problems.append(f"区划「{area_code}」不存在")
            elif not self.actor.in_area(area.path):
                problems.append(f"区划「{area_code}」不在您的辖区内")
            if dept_code and dept is None:
                problems.append(f"部门「{dept_code}」不存在")
            if v["basis"] == RuleBasis.owner and not dept_code:
                problems.append("属主规则必须填写部门编码")
            for p in problems:
                self.error(row, p)
            key = (cat, area_code)
            if key in seen:
                other = seen[key]
                same = (other.values["basis"], other.values["department_code"]) == (v["basis"], dept_code)
                self.error(row, f"与第{other.row}行重复" if same else
                           f"与第{other.row}行冲突：同一分类和区划指定了不同的责任部门")
                continue
            seen[key] = row
            if problems or dept is None or area is None:
                continue
            old_cat = self.existing.get(cat)
            old = stored.get((old_cat.id, area.id)) if old_cat else None
            unchanged = old is not None and old.department_id == dept.id and old.basis == v["basis"]
            if not unchanged and not area.path.startswith(dept.area_path):
                self.error(row, f"部门「{dept.name}」的服务区域不包含「{area.name}」")

    def apply(self, cat_rows: list[Row], rule_rows: list[Row]) -> ImportResult:
        s = self.session
        created_c = updated_c = created_r = updated_r = 0
        cats = dict(self.existing)
        for row in cat_rows:
            code = row.values["code"]
            if code not in cats:
                cats[code] = Category(code=code, path=f"/{code}/", name=row.values["name"],
                                      kind=row.values["kind"], runway=row.values["runway"],
                                      register_criteria="", close_criteria="", keywords="", active=True, sort=0,
                                      default_priority=fields.parse_priority(None))
                s.add(cats[code])
                created_c += 1
        s.flush()
        changed: set[str] = set()
        for row in cat_rows:
            c = cats[row.values["code"]]
            for key, value in row.values.items():
                if key == "parent_code":
                    value = cats[value].id if value else None
                    key = "parent_id"
                if key != "code" and getattr(c, key) != value:
                    setattr(c, key, value)
                    changed.add(c.code)
        for c in cats.values():  # paths follow the (possibly new) parents
            chain, at = [c.code], self.parent.get(c.code)
            while at is not None:
                chain.append(at)
                at = self.parent.get(at)
            path = "/" + "/".join(reversed(chain)) + "/"
            if c.path != path:
                c.path = path
                changed.add(c.code)
        updated_c = len(changed - {r.values["code"] for r in cat_rows if r.values["code"] not in self.existing})
        s.flush()
        stored = {(r.category_id, r.area_id): r for r in repository.all_rules(s)}
        for row in rule_rows:
            v = row.values
            cat, area = cats[v["category_code"]], self.areas[v["area_code"]]
            dept = self.depts.get(v["department_code"]) if v["department_code"] else None
            wanted = dict(basis=v["basis"], department_id=dept.id if dept else None)
            if "note" in v:
                wanted["note"] = v["note"]
            rule = stored.get((cat.id, area.id))
            if rule is None:
                s.add(ResponsibilityRule(category_id=cat.id, area_id=area.id, area_path=area.path,
                                         **{"note": "", **wanted}))
                created_r += 1
            elif any(getattr(rule, k) != w for k, w in wanted.items()):
                for k, w in wanted.items():
                    setattr(rule, k, w)
                updated_r += 1
        s.flush()
        total = created_c + updated_c + created_r + updated_r
        if total:
            repository.bump_version(s)
        audit.record(s, "taxonomy.import", entity_type="taxonomy",
                     detail={"categories_created": created_c, "categories_updated": updated_c,
                             "rules_created": created_r, "rules_updated": updated_r})
        message = (f"导入完成：新增分类 {created_c} 个、更新 {updated_c} 个；新增规则 {created_r} 条、更新 {updated_r} 条"
                   if total else "导入完成：内容与现有数据一致，没有变化")
        return ImportResult(categories_created=created_c, categories_updated=updated_c, rules_created=created_r,
                            rules_updated=updated_r, message=message)
