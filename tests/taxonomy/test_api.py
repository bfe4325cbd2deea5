"""The taxonomy API as each persona sees it: who may read the tree, who may change it, the checks on every
field (in Chinese, naming the field), rules within one's jurisdiction, routing within one's jurisdiction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from zhili.auth.models import AuditLog
from zhili.db import transaction

NEW = {"code": "SJ0110X", "name": "占道堆物", "parent_code": "SJ01", "register_criteria": "占用道路堆放物品",
       "close_criteria": "物品清理", "limit_unit": "work_hours", "limit_normal": 8, "limit_urgent": 4,
       "keywords": "堆物,占道"}


def test_residents_and_staff_read_the_tree_others_do_not(as_persona, ruled, app) -> None:
    from fastapi.testclient import TestClient

    r = as_persona("resident").get("/api/taxonomy/categories?active=1")
    assert r.status_code == 200
    items = {c["code"]: c for c in r.json()}
    assert items["SJ0102"]["full_name"] == "市容环境/暴露垃圾"
    assert items["SJ0102"]["limit_text"] == "4 工作时（紧急 2 工作时）"
    assert items["SJ01"]["leaf"] is False and items["SJ0102"]["leaf"] is True
    codes = [c["code"] for c in r.json()]
    assert codes.index("SJ01") < codes.index("SJ0101") < codes.index("SJ0102")  # parents before children
    assert as_persona("grid_a").get("/api/taxonomy/categories/SJ0304").json()["limit_text"] == \
        "4 工作时（紧急 2 工作时）"
    assert as_persona("ops").get("/api/taxonomy/categories").status_code == 403
    assert TestClient(app).get("/api/taxonomy/categories").status_code == 401
    assert as_persona("resident").get("/api/taxonomy/categories/NOPE").status_code == 404
    only_events = as_persona("resident").get("/api/taxonomy/categories?kind=event&q=垃圾").json()
    assert only_events and all(c["kind"] == "event" for c in only_events)


def test_an_administrator_creates_and_edits_categories_and_it_is_audited(as_persona, db, ruled) -> None:
    admin = as_persona("admin")
    r = admin.post("/api/taxonomy/categories", json=NEW)
    assert r.status_code == 201, r.text
    assert (r.json()["kind"], r.json()["runway"], r.json()["full_name"]) == ("event", "economy", "市容环境/占道堆物")
    assert admin.post("/api/taxonomy/categories", json=NEW).status_code == 409
    r = admin.put("/api/taxonomy/categories/SJ0110X", json={"limit_normal": 6, "active": False})
    assert r.status_code == 200 and r.json()["limit_normal"] == 6 and r.json()["active"] is False
    assert "SJ0110X" not in {c["code"] for c in admin.get("/api/taxonomy/categories?active=1").json()}
    with transaction(db) as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.entity_type == "categories",
                                                AuditLog.actor_name == "admin")).all()
    assert {row.action for row in rows} >= {"data.create", "data.update"}


def test_moving_a_branch_moves_its_whole_subtree(as_persona, ruled) -> None:
    admin = as_persona("admin")
    assert admin.post("/api/taxonomy/categories", json={"code": "SJ06", "name": "扩展事件", "kind": "event",
                                                         "runway": "service"}).status_code == 201
    assert admin.post("/api/taxonomy/categories", json={"code": "SJ0601", "name": "扩展小类",
                                                         "parent_code": "SJ06"}).status_code == 201
    r = admin.put("/api/taxonomy/categories/SJ06", json={"parent_code": "SJ05"})
    assert r.status_code == 200 and r.json()["full_name"] == "街面秩序/扩展事件"
    assert admin.get("/api/taxonomy/categories/SJ0601").json()["full_name"] == "街面秩序/扩展事件/扩展小类"
    # Routing follows the move: the subtree now inherits 街面秩序's rule.
    route = admin.get("/api/taxonomy/route?category=SJ0601&area=330212001005").json()
    assert route["found"] and route["department_name"] == "下应街道社会治理中心"
    r = admin.put("/api/taxonomy/categories/SJ06", json={"parent_code": "SJ0601"})
    assert r.status_code == 422 and r.json()["field"] == "parent_code"


@pytest.mark.parametrize(("change", "field", "text"), [
    ({"limit_unit": "minutes"}, "limit_unit", "时限单位「minutes」无效"),
    ({"limit_normal": -1}, "limit_normal", "一般时限必须大于 0"),
    ({"limit_urgent": 9}, "limit_urgent", "紧急时限不能长于一般时限"),
    ({"limit_unit": None}, "limit_unit", "缺少时限单位"),
    ({"parent_code": "BJ01", "kind": "event"}, "kind", "类型应与上级分类一致（部件）"),
    ({"parent_code": "NOPE"}, "parent_code", "上级分类「NOPE」不存在"),
    ({"code": "有 空格"}, "code", "编码「有 空格」无效"),
    ({"name": " "}, "name", "名称不能为空"),
    ({"parent_code": None, "kind": "event"}, "runway", "跑道不能为空"),
    ({"default_priority": "high"}, "default_priority", "默认等级「high」无效"),
])
def test_bad_category_input_is_a_422_naming_the_field_and_saves_nothing(as_persona, ruled, change, field,
                                                                         text) -> None:
    admin = as_persona("admin")
    r = admin.post("/api/taxonomy/categories", json={**NEW, **change})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and text in r.json()["message"]
    assert admin.get(f"/api/taxonomy/categories/{NEW['code']}").status_code == 404


def test_only_taxonomy_managers_write(as_persona, ruled) -> None:
    for persona in ("street", "leader", "operator", "resident"):
        c = as_persona(persona)
        assert c.post("/api/taxonomy/categories", json=NEW).status_code == 403
        assert c.put("/api/taxonomy/categories/SJ0101", json={"limit_normal": 9}).status_code == 403
        assert c.post("/api/taxonomy/rules", json={"category_code": "SJ01", "area_code": "330212006000",
                                                    "basis": "territory"}).status_code == 403
        assert c.get("/api/taxonomy/rules").status_code == 403
    assert as_persona("admin").get("/api/taxonomy/categories/SJ0101").json()["limit_normal"] == 2


def test_rules_are_checked_and_kept_within_the_jurisdiction(as_persona, ruled) -> None:
    admin = as_persona("admin")
    ok = {"category_code": "SJ0501", "area_code": "330212006000", "basis": "owner", "department_code": "330212-CG"}
    r = admin.post("/api/taxonomy/rules", json=ok)
    assert r.status_code == 201, r.text
    created = r.json()
    assert (created["area_name"], created["department_name"], created["basis_label"]) == \
        ("首南街道", "区综合行政执法局", "属主")
    assert admin.post("/api/taxonomy/rules", json=ok).status_code == 409
    bad = [({"basis": "owner", "department_code": None}, "department_code", "属主规则必须指定责任部门"),
           ({"department_code": "330212-XX"}, "department_code", "部门「330212-XX」不存在"),
           ({"department_code": "330212001-ZX", "category_code": "SJ0502"}, "department_code",
            "服务区域不包含「首南街道」"),
           ({"basis": "both", "category_code": "SJ0502"}, "basis", "依据「both」无效"),
           ({"category_code": "XX01"}, "category_code", "事项分类「XX01」不存在")]
    for change, field, text in bad:
        r = admin.post("/api/taxonomy/rules", json={**ok, **change})
        assert r.status_code == 422 and r.json()["field"] == field and text in r.json()["message"], (change, r.text)
    # The city is above the administrator's district: out of scope, like a missing area.
    r = admin.post("/api/taxonomy/rules", json={**ok, "area_code": "330200000000", "category_code": "SJ0502"})
    assert r.status_code == 404
    r = admin.put(f"/api/taxonomy/rules/{created['id']}", json={"basis": "territory", "department_code": None,
                                                                 "note": "改为属地"})
    assert r.status_code == 200 and (r.json()["basis"], r.json()["department_code"], r.json()["note"]) == \
        ("territory", None, "改为属地")
    r = admin.put(f"/api/taxonomy/rules/{created['id']}", json={"basis": "owner"})
    assert r.status_code == 422 and r.json()["field"] == "department_code"
    listed = admin.get("/api/taxonomy/rules?category=SJ05&area=330212006000").json()
    assert [x["category_code"] for x in listed] == ["SJ05", "SJ0501"]
    assert admin.delete(f"/api/taxonomy/rules/{created['id']}").status_code == 204
    assert admin.delete(f"/api/taxonomy/rules/{created['id']}").status_code == 404


def test_route_answers_within_the_callers_jurisdiction(as_persona, ruled) -> None:
    street = as_persona("street")
    r = street.get("/api/taxonomy/route?category=SJ0101&area=330212006001")
    assert r.status_code == 200 and r.json()["found"] is True
    assert r.json()["basis"] == "territory" and r.json()["explanation"].startswith("权责清单：市容环境/道路清扫保洁")
    assert street.get("/api/taxonomy/route?category=SJ0101&area=330212001005").status_code == 404
    assert street.get("/api/taxonomy/route?category=NOPE&area=330212006001").status_code == 404
    assert as_persona("resident").get("/api/taxonomy/route?category=SJ0101&area=330212006001").status_code == 403
    assert street.get("/api/taxonomy/route?category=SJ0101&area=abc").status_code == 422
