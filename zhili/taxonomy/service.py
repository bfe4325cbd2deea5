"""Taxonomy use cases: browse and edit the category tree, keep the responsibility list, route, report, xlsx.

Never commits. Reading the tree is open to whoever reports or reads cases (residents pick a category); every write
needs taxonomy.manage, and a rule can only be written for an area inside the actor's jurisdiction. Every change
bumps the taxonomy version so that every process's routing table follows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from sqlalchemy.orm import Session

from zhili.auth import audit
from zhili.auth.actor import Actor
from zhili.kit.errors import Conflict, NotFound, ValidationFailed
from zhili.org import service as org_service
from zhili.org.models import Area, Department
from zhili.taxonomy import fields, repository, routing
from zhili.taxonomy.fields import FieldError
from zhili.taxonomy.models import (
    CATEGORY_KIND_LABEL,
    LIMIT_UNIT_LABEL,
    PRIORITY_LABEL,
    RULE_BASIS_LABEL,
    RUNWAY_LABEL,
    Category,
    CategoryKind,
    ResponsibilityRule,
    RuleBasis,
)
from zhili.taxonomy.schemas import (
    CategoryCreate,
    CategoryFields,
    CategoryRead,
    CategoryUpdate,
    RouteRead,
    RuleCreate,
    RuleRead,
    RuleUpdate,
)

P = ParamSpec("P")
R = TypeVar("R")
READ_PERMISSIONS = ("cases.read", "cases.report", "taxonomy.manage")
MANAGE = "taxonomy.manage"


def require_read(actor: Actor) -> None:
    if not any(actor.can(p) for p in READ_PERMISSIONS):
        actor.require(MANAGE)


def _field(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn a FieldError into the API's 422 naming the field."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except FieldError as exc:
            raise ValidationFailed(exc.message, field=exc.field) from None

    return wrapper


# ---- reading the tree ------------------------------------------------------------------------------------------

@dataclass
class Tree:
    """The categories in display order (kind, sort, code; children under their parent), with derived labels."""

    items: list[CategoryRead]

    def get(self, code: str) -> CategoryRead | None:
        return next((c for c in self.items if c.code == code), None)


def build_tree(categories: list[Category]) -> Tree:
    by_id = {c.id: c for c in categories}
    children: dict[int | None, list[Category]] = {}
    for c in categories:
        children.setdefault(c.parent_id if c.parent_id in by_id else None, []).append(c)
    kind_order = {k: i for i, k in enumerate(CategoryKind)}
    out: list[CategoryRead] = []

    def walk(c: Category, ancestors: list[Category]) -> None:
        chain = [c, *reversed(ancestors)]
        limit = next((x for x in chain if x.limit_unit is not None and x.limit_normal is not None), None)
        out.append(CategoryRead(
            code=c.code, name=c.name, full_name="/".join(x.name for x in [*ancestors, c]),
            parent_code=ancestors[-1].code if ancestors else None, depth=len(ancestors),
            leaf=not children.get(c.id), kind=c.kind.value, kind_label=CATEGORY_KIND_LABEL[c.kind],
            runway=c.runway.value, runway_label=RUNWAY_LABEL[c.runway], register_criteria=c.register_criteria,
            close_criteria=c.close_criteria, default_priority=c.default_priority.value,
            priority_label=PRIORITY_LABEL[c.default_priority],
            limit_unit=c.limit_unit.value if c.limit_unit else None,
            limit_unit_label=LIMIT_UNIT_LABEL[c.limit_unit] if c.limit_unit else None,
            limit_normal=c.limit_normal, limit_urgent=c.limit_urgent,
            limit_text=fields.limit_text(limit.limit_unit, limit.limit_normal, limit.limit_urgent) if limit else "",
            keywords=c.keywords, active=c.active, sort=c.sort, public=c.public))
        for child in sorted(children.get(c.id, []), key=lambda x: (x.sort, x.code)):
            walk(child, [*ancestors, c])

    for root in sorted(children.get(None, []), key=lambda x: (kind_order[x.kind], x.sort, x.code)):
        walk(root, [])
    return Tree(out)


def list_categories(session: Session, actor: Actor, *, active: bool | None = None, kind: str | None = None,
                    runway: str | None = None, q: str | None = None) -> list[CategoryRead]:
    require_read(actor)
    items = build_tree(repository.all_categories(session)).items
    if active:
        items = [c for c in items if c.active]
    if kind:
        items = [c for c in items if c.kind == kind]
    if runway:
        items = [c for c in items if c.runway == runway]
    if q:
        items = [c for c in items if q in c.full_name or q in c.keywords or c.code.startswith(q.upper())]
    return items


def get_category(session: Session, actor: Actor, code: str) -> CategoryRead:
    require_read(actor)
    found = build_tree(repository.all_categories(session)).get(code)
    if found is None:
        raise NotFound("事项分类不存在", field="code")
    return found


# ---- editing the tree ------------------------------------------------------------------------------------------

def _apply_fields(session: Session, c: Category, body: CategoryFields, sent: set[str]) -> None:
    """Copy the sent fields onto `c` (new or existing), checking each one and the tree's shape."""
    if "name" in sent:
        c.name = fields.check_name(body.name)
    parent = None
    if "parent_code" in sent:
        if body.parent_code:
            parent = repository.category_by_code(session, body.parent_code.strip())
            if parent is None:
                raise FieldError("parent_code", f"上级分类「{body.parent_code}」不存在")
            if c.id is not None and parent.path.startswith(c.path):
                raise FieldError("parent_code", "不能把分类移到它自己或它的下级之下")
        new_path = (parent.path if parent else "/") + c.code + "/"
        if c.id is not None and new_path != c.path:
            old = c.path
            for sub in repository.categories_under(session, old):
                sub.path = new_path + sub.path[len(old):]
        c.parent_id = parent.id if parent else None
        c.path = new_path
    elif c.parent_id is not None:
        parent = session.get(Category, c.parent_id)
    if "kind" in sent and body.kind is not None:
        kind = fields.parse_kind(body.kind)
        if c.id is not None and kind != c.kind and repository.has_children(session, c.id):
            raise FieldError("kind", "该分类下有子分类，不能修改类型")
        c.kind = kind
    elif c.id is None and parent is not None:
        c.kind = parent.kind
    if c.id is None and getattr(c, "kind", None) is None:
        c.kind = fields.parse_kind(None)
    if parent is not None and c.kind != parent.kind:
        raise FieldError("kind", f"类型应与上级分类一致（{CATEGORY_KIND_LABEL[parent.kind]}）")
    if "runway" in sent and body.runway is not None:
        c.runway = fields.parse_runway(body.runway)
    elif c.id is None:
        c.runway = parent.runway if parent else fields.parse_runway(None)
    for name in ("register_criteria", "close_criteria", "keywords"):
        if name in sent:
            setattr(c, name, (getattr(body, name) or "").strip())
    if "default_priority" in sent or c.id is None:
        c.default_priority = fields.parse_priority(body.default_priority)
    unit = fields.parse_unit(body.limit_unit) if "limit_unit" in sent else c.limit_unit
    normal = body.limit_normal if "limit_normal" in sent else c.limit_normal
    urgent = body.limit_urgent if "limit_urgent" in sent else c.limit_urgent
    fields.check_limits(unit, normal, urgent)
    c.limit_unit, c.limit_normal, c.limit_urgent = unit, normal, urgent
    if "active" in sent and body.active is not None:
        c.active = body.active
    if "sort" in sent and body.sort is not None:
        c.sort = body.sort
    if "public" in sent and body.public is not None:
        c.public = body.public


@_field
def create_category(session: Session, actor: Actor, body: CategoryCreate) -> CategoryRead:
    actor.require(MANAGE)
    code = fields.check_code(body.code)
    if repository.category_by_code(session, code) is not None:
        raise Conflict(f"分类编码「{code}」已存在", field="code")
    c = Category(code=code, path="/" + code + "/", register_criteria="", close_criteria="", keywords="",
                 active=True if body.active is None else body.active, sort=body.sort or 0)
    sent = set(body.model_fields_set) | {"name", "parent_code"}
    _apply_fields(session, c, body, sent)
    session.add(c)
    session.flush()
    repository.bump_version(session)
    return get_category(session, actor, code)


@_field
def update_category(session: Session, actor: Actor, code: str, body: CategoryUpdate) -> CategoryRead:
    actor.require(MANAGE)
    c = repository.category_by_code(session, code)
    if c is None:
        raise NotFound("事项分类不存在", field="code")
    _apply_fields(session, c, body, set(body.model_fields_set))
    session.flush()
    repository.bump_version(session)
    return get_category(session, actor, code)


# ---- the responsibility list -----------------------------------------------------------------------------------

def _rule_read(r: ResponsibilityRule, c: Category, a: Area, d: Department | None) -> RuleRead:
    return RuleRead(id=r.id, category_code=c.code, category_name=c.name, area_code=a.code, area_name=a.name,
                    basis=r.basis.value, basis_label=RULE_BASIS_LABEL[r.basis],
                    department_code=d.code if d else None, department_name=d.name if d else None, note=r.note)


def list_rules(session: Session, actor: Actor, *, category_code: str | None = None, area_code: str | None = None,
               limit: int = 2000) -> list[RuleRead]:
    actor.require(MANAGE)
    category_path = area_path = None
    if category_code:
        cat = repository.category_by_code(session, category_code)
        if cat is None:
            raise NotFound("事项分类不存在", field="category")
        category_path = cat.path
    if area_code:
        area = repository.area_by_code(session, area_code)
        if area is None or not actor.in_area(area.path):
            raise NotFound(field="area")
        area_path = area.path
    rows = repository.rules_page(session, actor, category_path=category_path, area_path=area_path, limit=limit)
    return [_rule_read(*row) for row in rows]


def _department_for(session: Session, basis: RuleBasis, code: str | None, area: Area) -> Department | None:
    dept = repository.department_by_code(session, code.strip()) if code and code.strip() else None
    if code and code.strip() and dept is None:
        raise FieldError("department_code", f"部门「{code}」不存在")
    if basis == RuleBasis.owner and dept is None:
        raise FieldError("department_code", "属主规则必须指定责任部门")
    if dept is not None and not area.path.startswith(dept.area_path):
        raise FieldError("department_code", f"部门「{dept.name}」的服务区域不包含「{area.name}」")
    return dept


def _rule_row(session: Session, rule: ResponsibilityRule) -> RuleRead:
    c = session.get(Category, rule.category_id)
    a = session.get(Area, rule.area_id)
    d = session.get(Department, rule.department_id) if rule.department_id else None
    assert c is not None and a is not None
    return _rule_read(rule, c, a, d)


@_field
def create_rule(session: Session, actor: Actor, body: RuleCreate) -> RuleRead:
    actor.require(MANAGE)
    cat = repository.category_by_code(session, body.category_code.strip())
    if cat is None:
        raise FieldError("category_code", f"事项分类「{body.category_code}」不存在")
    area = repository.area_by_code(session, body.area_code.strip())
    if area is None or not actor.in_area(area.path):
        raise NotFound("区划不存在或不在您的辖区内", field="area_code")
    basis = fields.parse_basis(body.basis)
    dept = _department_for(session, basis, body.department_code, area)
    if repository.rule_for(session, cat.id, area.id) is not None:
        raise Conflict(f"「{cat.name}」在「{area.name}」已有规则，请修改原规则", field="category_code")
    rule = ResponsibilityRule(category_id=cat.id, area_id=area.id, area_path=area.path, basis=basis,
                              department_id=dept.id if dept else None, note=body.note.strip())
    session.add(rule)
    session.flush()
    repository.bump_version(session)
    return _rule_row(session, rule)


def _writable_rule(session: Session, actor: Actor, rule_id: int) -> ResponsibilityRule:
    actor.require(MANAGE)
    rule = repository.rule_by_id(session, actor, rule_id)
    if rule is None or not actor.in_area(rule.area_path):
        raise NotFound("规则不存在或不在您的辖区内")
    return rule


@_field
def update_rule(session: Session, actor: Actor, rule_id: int, body: RuleUpdate) -> RuleRead:
    rule = _writable_rule(session, actor, rule_id)
    sent = body.model_fields_set
    basis = fields.parse_basis(body.basis) if "basis" in sent else rule.basis
    area = session.get(Area, rule.area_id)
    assert area is not None
    if "department_code" in sent:
        dept = _department_for(session, basis, body.department_code, area)
    else:
        current = session.get(Department, rule.department_id) if rule.department_id else None
        dept = _department_for(session, basis, current.code if current else None, area)
    rule.basis = basis
    rule.department_id = dept.id if dept else None
    if "note" in sent:
        rule.note = (body.note or "").strip()
    session.flush()
    repository.bump_version(session)
    return _rule_row(session, rule)


def delete_rule(session: Session, actor: Actor, rule_id: int) -> None:
    rule = _writable_rule(session, actor, rule_id)
    session.delete(rule)
    session.flush()
    repository.bump_version(session)


# ---- routing ---------------------------------------------------------------------------------------------------

def route_for(session: Session, actor: Actor, category_code: str, area_code: str) -> RouteRead:
    """Where a case of this category at this area would go, and why. The area must be in the actor's scope."""
    actor.require("cases.read")
    cat = repository.category_by_code(session, category_code)
    if cat is None:
        raise NotFound("事项分类不存在", field="category")
    area = org_service.area_detail(session, actor, area_code)
    path = "/" + "/".join([a.code for a in area.ancestors] + [area.code]) + "/"
    found = routing.route(session, cat.id, path)
    if found is None:
        return RouteRead(found=False, category_code=cat.code, area_code=area.code,
                         explanation="权责清单中没有适用的规则，或规则指定的部门不存在，请人工指定")
    dept = repository.departments_by_ids(session, [found.department_id]).get(found.department_id)
    return RouteRead(found=True, category_code=cat.code, area_code=area.code,
                     department_code=dept.code if dept else None, department_name=found.department_name,
                     basis=found.basis.value, basis_label=RULE_BASIS_LABEL[found.basis], rule_id=found.rule_id,
                     explanation=found.explanation)


def record_export(session: Session, categories: int, rules: int) -> None:
    audit.record(session, "taxonomy.export", entity_type="taxonomy",
                 detail={"categories": categories, "rules": rules})
