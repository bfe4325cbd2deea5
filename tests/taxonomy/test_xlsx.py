"""The workbook: export, re-import changes nothing; edits and additions are upserted; any bad row rejects the
whole file with every problem listed by sheet and row, and nothing is written."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.taxonomy.helpers import read_sheets, snapshot, workbook
from zhili.auth.models import AuditLog
from zhili.db import transaction

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, data: bytes):  # type: ignore[no-untyped-def]
    return client.post("/api/taxonomy/import", files={"file": ("taxonomy.xlsx", data, XLSX)})


def data_changes(db) -> int:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        return int(s.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action.like("data.%"), AuditLog.entity_type.in_(["categories", "responsibility_rules"]))) or 0)


def test_export_then_import_changes_nothing(db, ruled, as_persona) -> None:
    admin = as_persona("admin")
    r = admin.get("/api/taxonomy/export")
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    assert "attachment" in r.headers["content-disposition"]
    sheets = read_sheets(r.content)
    assert list(sheets) == ["事项分类", "权责清单"]
    assert sheets["事项分类"][0][:5] == ["编码", "名称", "上级编码", "类型", "跑道"]
    exposed = next(row for row in sheets["事项分类"] if row[0] == "SJ0102")
    assert exposed[1:5] == ["暴露垃圾", "SJ01", "事件", "经济生态"] and exposed[8:11] == ["工作时", 4, 2]
    assert ["BJ03", "市容环境", "330212000000", "鄞州区", "属主", "330212-CG", "区综合行政执法局", None] in sheets["权责清单"]
    before, changes = snapshot(db), data_changes(db)
    result = upload(admin, r.content)
    assert result.status_code == 200, result.text
    body = result.json()
    assert (body["categories_created"], body["categories_updated"], body["rules_created"], body["rules_updated"]) \
        == (0, 0, 0, 0)
    assert "没有变化" in body["message"]
    assert snapshot(db) == before
    assert data_changes(db) == changes
    # A second export is byte-for-byte the same content.
    assert read_sheets(admin.get("/api/taxonomy/export").content) == sheets


def test_import_updates_by_code_and_adds_new_categories_and_rules(db, ruled, as_persona) -> None:
    admin = as_persona("admin")
    sheets = read_sheets(admin.get("/api/taxonomy/export").content)
    cats, rules = sheets["事项分类"], sheets["权责清单"]
    row = next(r for r in cats if r[0] == "SJ0102")
    row[9] = 6  # 暴露垃圾: 4 -> 6 工作时
    cats.append(["SJ0199", "其他环境卫生问题", "SJ01", "事件", "经济生态", "其他影响环境卫生的问题", "清理完毕",
                 "一般", "工作日", 1, 0.5, "脏乱", "是", 99])
    rules.append(["SJ0199", "", "330212001000", "", "属主", "330212-CG", "", "下应街道由城管处置"])
    r = upload(admin, workbook(sheets))
    assert r.status_code == 200, r.text
    assert (r.json()["categories_created"], r.json()["categories_updated"], r.json()["rules_created"]) == (1, 1, 1)
    got = admin.get("/api/taxonomy/categories/SJ0102").json()
    assert got["limit_normal"] == 6 and got["limit_text"] == "6 工作时（紧急 2 工作时）"
    new = admin.get("/api/taxonomy/categories/SJ0199").json()
    assert new["full_name"] == "市容环境/其他环境卫生问题" and new["kind"] == "event" and new["limit_urgent"] == 0.5
    route = admin.get("/api/taxonomy/route?category=SJ0199&area=330212001005").json()
    assert route["department_name"] == "区综合行政执法局" and "下应街道由城管处置" in route["explanation"]


def test_a_bad_workbook_is_rejected_with_every_row_named_and_nothing_changed(db, ruled, as_persona) -> None:
    admin = as_persona("admin")
    sheets = read_sheets(admin.get("/api/taxonomy/export").content)
    cats, rules = sheets["事项分类"], sheets["权责清单"]
    n = len(cats)
    cats[1][1] = "改了名字"  # a valid edit that must not be written either
    cats.append(["SJ0198", "坏单位", "SJ01", "事件", "经济生态", "", "", "一般", "分钟", 3, 1, "", "是", 0])
    cats.append(["SJ0197", "负时限", "SJ01", "事件", "经济生态", "", "", "一般", "工作时", -2, None, "", "是", 0])
    cats.append(["SJ0101", "重复编码", "SJ01", "事件", "经济生态", "", "", "一般", "工作时", 2, 1, "", "是", 0])
    cats.append(["SJ0196", "无上级", "SJ77", "事件", "经济生态", "", "", "一般", "工作时", 2, 1, "", "是", 0])
    m = len(rules)
    rules.append(["SJ0101", "", "330212006000", "", "属主", "330212-XX", "", ""])
    rules.append(["SJ0102", "", "330212006000", "", "属主", "330212-CG", "", ""])
    rules.append(["SJ0102", "", "330212006000", "", "属地", "", "", ""])
    rules.append(["SJ0103", "", "330212006000", "", "属主", "", "", ""])
    before, changes = snapshot(db), data_changes(db)
    r = upload(admin, workbook(sheets))
    assert r.status_code == 422, r.text
    body = r.json()
    assert set(body) == {"code", "message", "field"} and body["field"] == "file"
    message = body["message"]
    assert "未做任何修改" in message and "共 7 处错误" in message
    assert f"事项分类 第{n + 1}行：时限单位「分钟」无效" in message
    assert f"事项分类 第{n + 2}行：一般时限不能为负数" in message
    assert f"事项分类 第{n + 3}行：编码「SJ0101」重复" in message
    assert f"事项分类 第{n + 4}行：上级分类「SJ77」不存在" in message
    assert f"权责清单 第{m + 1}行：部门「330212-XX」不存在" in message
    assert f"权责清单 第{m + 3}行：与第{m + 2}行冲突" in message
    assert f"权责清单 第{m + 4}行：属主规则必须填写部门编码" in message
    assert snapshot(db) == before
    assert data_changes(db) == changes


def test_an_upload_that_is_not_a_workbook_or_lacks_columns_is_refused(db, ruled, as_persona) -> None:
    admin = as_persona("admin")
    r = upload(admin, b"code,name\nSJ01,x\n")
    assert r.status_code == 422 and r.json()["field"] == "file" and "xlsx" in r.json()["message"]
    r = upload(admin, workbook({"事项分类": [["编码", "名称"]], "其他": [["x"]]}))
    assert r.status_code == 422
    assert "事项分类 第1行：缺少列：类型、跑道" in r.json()["message"]
    assert "权责清单 第1行：缺少工作表「权责清单」" in r.json()["message"]
    assert as_persona("street").post("/api/taxonomy/import", files={"file": ("t.xlsx", b"x", XLSX)}).status_code == 403
