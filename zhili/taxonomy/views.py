"""Taxonomy pages of the governance terminal: the category tree (事项分类) with its edit form, and the
responsibility list (权责清单) with the report's gaps and conflicts, rule forms, export and import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from zhili.auth.actor import Actor
from zhili.auth.deps import CurrentActor
from zhili.kit.errors import ZhiliError
from zhili.kit.pagination import MAX_ID
from zhili.org import service as org_service
from zhili.taxonomy import fields, service, xlsx
from zhili.taxonomy import report as report_module
from zhili.taxonomy.api import read_upload
from zhili.taxonomy.fields import FieldError
from zhili.taxonomy.models import (
    CATEGORY_KIND_LABEL,
    LIMIT_UNIT_LABEL,
    PRIORITY_LABEL,
    RULE_BASIS_LABEL,
    RUNWAY_LABEL,
)
from zhili.taxonomy.schemas import CategoryCreate, CategoryUpdate, RuleCreate, RuleUpdate
from zhili.web.deps import DbSession
from zhili.web.templating import render

router = APIRouter(include_in_schema=False)
RuleId = Annotated[int, Path(ge=1, le=MAX_ID)]
Code = Annotated[str, Path(max_length=20)]
CHOICES = {"kinds": CATEGORY_KIND_LABEL, "runways": RUNWAY_LABEL, "priorities": PRIORITY_LABEL,
           "units": LIMIT_UNIT_LABEL, "bases": RULE_BASIS_LABEL}
CATEGORY_FORM = ("code", "name", "parent_code", "kind", "runway", "register_criteria", "close_criteria",
                 "default_priority", "limit_unit", "limit_normal", "limit_urgent", "keywords", "active", "sort", "public")


def _message(exc: Exception) -> tuple[str, int]:
    if isinstance(exc, ZhiliError):
        return exc.message, exc.status_code
    if isinstance(exc, FieldError):
        return exc.message, 422
    if isinstance(exc, ValidationError):
        return "表单内容过长或格式有误", 422
    raise exc


def _category_body(form: dict[str, str]) -> dict[str, object]:
    """The form as schema input: empty limits are "no limit of its own", numbers checked in Chinese."""
    return dict(
        name=form["name"], parent_code=form["parent_code"].strip() or None, kind=form["kind"] or None,
        runway=form["runway"] or None, register_criteria=form["register_criteria"],
        close_criteria=form["close_criteria"], default_priority=form["default_priority"] or None,
        limit_unit=form["limit_unit"] or None,
        limit_normal=fields.parse_number("limit_normal", "一般时限", form["limit_normal"]),
        limit_urgent=fields.parse_number("limit_urgent", "紧急时限", form["limit_urgent"]),
        keywords=form["keywords"], active=form["active"] != "0", public=form["public"] == "1",
        sort=fields.parse_int("sort", "排序", form["sort"]))


# ---- 事项分类 --------------------------------------------------------------------------------------------------

def _tree_page(request: Request, actor: Actor, session: DbSession, *, kind: str | None = None,
               runway: str | None = None, q: str | None = None, error: str | None = None,
               form: dict[str, str] | None = None, notice: str | None = None, status: int = 200) -> HTMLResponse:
    items = service.list_categories(session, actor, kind=kind, runway=runway, q=q)
    parents = [c for c in service.list_categories(session, actor) if c.depth == 0] if actor.can("taxonomy.manage") \
        else []
    return render(request, "taxonomy/tree.html", {
        "items": items, "filters": {"kind": kind or "", "runway": runway or "", "q": q or ""},
        "can_manage": actor.can("taxonomy.manage"), "parents": parents, "error": error, "notice": notice,
        "form": form or {}, **CHOICES}, status_code=status)


@router.get("/gov/taxonomy")
def tree_page(request: Request, actor: CurrentActor, session: DbSession,
              kind: str | None = Query(default=None, max_length=20),
              runway: str | None = Query(default=None, max_length=20),
              q: str | None = Query(default=None, max_length=50)) -> HTMLResponse:
    return _tree_page(request, actor, session, kind=kind, runway=runway, q=q)


@router.post("/gov/taxonomy")
def create_category(request: Request, actor: CurrentActor, session: DbSession, code: str = Form(""),
                    name: str = Form(""), parent_code: str = Form(""), kind: str = Form(""),
                    runway: str = Form(""), register_criteria: str = Form(""), close_criteria: str = Form(""),
                    default_priority: str = Form(""), limit_unit: str = Form(""), limit_normal: str = Form(""),
                    limit_urgent: str = Form(""), keywords: str = Form(""), active: str = Form("1"),
                    sort: str = Form(""), public: str = Form("0")) -> Response:
    actor.require("taxonomy.manage")
    form = dict(zip(CATEGORY_FORM, (code, name, parent_code, kind, runway, register_criteria, close_criteria,
                                    default_priority, limit_unit, limit_normal, limit_urgent, keywords, active,
                                    sort, public), strict=True))
    try:
        created = service.create_category(session, actor, CategoryCreate(code=code.strip(), **_category_body(form)))
    except (ZhiliError, FieldError, ValidationError) as exc:
        session.rollback()
        message, status = _message(exc)
        return _tree_page(request, actor, session, error=message, form=form, status=status)
    return RedirectResponse(f"/gov/taxonomy/{created.code}?saved=1", status_code=303)


def _category_page(request: Request, actor: Actor, session: DbSession, code: str, *, error: str | None = None,
                   form: dict[str, str] | None = None, notice: str | None = None,
                   status: int = 200) -> HTMLResponse:
    category = service.get_category(session, actor, code)
    all_items = service.list_categories(session, actor)
    children = [c for c in all_items if c.parent_code == code]
    parents = [c for c in all_items if c.kind == category.kind and c.code != code
               and not c.full_name.startswith(category.full_name + "/")]
    values = form or {k: ("" if v is None else str(v)) for k, v in category.model_dump().items()}
    if form is None:
        values["active"] = "1" if category.active else "0"
        values["public"] = "1" if category.public else "0"
        values["limit_normal"] = fields.fmt_number(category.limit_normal) if category.limit_normal else ""
        values["limit_urgent"] = fields.fmt_number(category.limit_urgent) if category.limit_urgent else ""
    return render(request, "taxonomy/category.html", {
        "c": category, "children": children, "parents": parents, "form": values, "error": error,
        "notice": notice, "can_manage": actor.can("taxonomy.manage"), **CHOICES}, status_code=status)


@router.get("/gov/taxonomy/{code}")
def category_page(code: Code, request: Request, actor: CurrentActor, session: DbSession,
                  saved: int = Query(default=0, ge=0, le=1)) -> HTMLResponse:
    return _category_page(request, actor, session, code, notice="已保存" if saved else None)


@router.post("/gov/taxonomy/{code}")
def update_category(code: Code, request: Request, actor: CurrentActor, session: DbSession, name: str = Form(""),
                    parent_code: str = Form(""), kind: str = Form(""), runway: str = Form(""),
                    register_criteria: str = Form(""), close_criteria: str = Form(""),
                    default_priority: str = Form(""), limit_unit: str = Form(""), limit_normal: str = Form(""),
                    limit_urgent: str = Form(""), keywords: str = Form(""), active: str = Form("1"),
                    sort: str = Form(""), public: str = Form("0")) -> Response:
    actor.require("taxonomy.manage")
    form = dict(zip(CATEGORY_FORM, (code, name, parent_code, kind, runway, register_criteria, close_criteria,
                                    default_priority, limit_unit, limit_normal, limit_urgent, keywords, active,
                                    sort, public), strict=True))
    try:
        service.update_category(session, actor, code, CategoryUpdate(**_category_body(form)))
    except (ZhiliError, FieldError, ValidationError) as exc:
        session.rollback()
        message, status = _message(exc)
        if status == 404:
            raise
        return _category_page(request, actor, session, code, error=message, form=form, status=status)
    return RedirectResponse(f"/gov/taxonomy/{code}?saved=1", status_code=303)


# ---- 权责清单 --------------------------------------------------------------------------------------------------

def _responsibility_page(request: Request, actor: Actor, session: DbSession, *, category: str | None = None,
                         area: str | None = None, error: str | None = None, errors: list[str] | None = None,
                         notice: str | None = None, form: dict[str, str] | None = None,
                         status: int = 200) -> HTMLResponse:
    report = report_module.report(session, actor)
    rules = service.list_rules(session, actor, category_code=category or None, area_code=area or None, limit=1000)
    tops = org_service.list_areas(session, actor, None)
    areas = [(a.code, a.name) for a in tops]
    for top in tops:
        if top.level == "district":
            areas += [(a.code, a.name) for a in org_service.list_areas(session, actor, top.code)]
    return render(request, "taxonomy/responsibility.html", {
        "report": report, "rules": rules, "categories": service.list_categories(session, actor),
        "departments": org_service.list_departments(session, actor), "areas": areas,
        "filters": {"category": category or "", "area": area or ""}, "error": error, "errors": errors or [],
        "notice": notice, "form": form or {}, **CHOICES}, status_code=status)


@router.get("/gov/responsibility")
def responsibility_page(request: Request, actor: CurrentActor, session: DbSession,
                        category: str | None = Query(default=None, max_length=20),
                        area: str | None = Query(default=None, max_length=12),
                        saved: str | None = Query(default=None, max_length=20)) -> HTMLResponse:
    actor.require("taxonomy.manage")
    notices = {"created": "已新增规则", "updated": "已保存规则", "deleted": "已删除规则"}
    return _responsibility_page(request, actor, session, category=category, area=area,
                                notice=notices.get(saved or ""))


@router.post("/gov/responsibility/rules")
def create_rule(request: Request, actor: CurrentActor, session: DbSession, category_code: str = Form(""),
                area_code: str = Form(""), basis: str = Form(""), department_code: str = Form(""),
                note: str = Form("")) -> Response:
    actor.require("taxonomy.manage")
    form = {"category_code": category_code, "area_code": area_code, "basis": basis,
            "department_code": department_code, "note": note}
    try:
        service.create_rule(session, actor, RuleCreate(category_code=category_code, area_code=area_code,
                                                       basis=basis, department_code=department_code or None,
                                                       note=note))
    except (ZhiliError, ValidationError) as exc:
        session.rollback()
        message, status = _message(exc)
        return _responsibility_page(request, actor, session, error=message, form=form, status=status)
    return RedirectResponse("/gov/responsibility?saved=created", status_code=303)


@router.post("/gov/responsibility/rules/{rule_id}")
def update_rule(rule_id: RuleId, request: Request, actor: CurrentActor, session: DbSession,
                basis: str = Form(""), department_code: str = Form(""), note: str = Form("")) -> Response:
    actor.require("taxonomy.manage")
    try:
        service.update_rule(session, actor, rule_id, RuleUpdate(basis=basis, department_code=department_code or None,
                                                                note=note))
    except (ZhiliError, ValidationError) as exc:
        session.rollback()
        message, status = _message(exc)
        if status == 404:
            raise
        return _responsibility_page(request, actor, session, error=message, status=status)
    return RedirectResponse("/gov/responsibility?saved=updated", status_code=303)


@router.post("/gov/responsibility/rules/{rule_id}/delete")
def delete_rule(rule_id: RuleId, actor: CurrentActor, session: DbSession) -> Response:
    service.delete_rule(session, actor, rule_id)
    return RedirectResponse("/gov/responsibility?saved=deleted", status_code=303)


@router.post("/gov/responsibility/import")
def import_page(request: Request, actor: CurrentActor, session: DbSession, file: UploadFile = File(...)) -> Response:
    actor.require("taxonomy.manage")
    try:
        result = xlsx.import_workbook(session, actor, read_upload(file))
    except xlsx.ImportRejected as exc:
        session.rollback()
        return _responsibility_page(request, actor, session, error=f"导入失败，未做任何修改。共 {len(exc.errors)} 处错误：",
                                    errors=[e.text() for e in exc.errors], status=422)
    except ZhiliError as exc:
        session.rollback()
        return _responsibility_page(request, actor, session, error=exc.message, status=exc.status_code)
    return _responsibility_page(request, actor, session, notice=result.message)
