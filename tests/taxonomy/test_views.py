"""The pages: 事项分类 (tree, filter, edit form) and 权责清单 (report, rule forms, import), used as a browser
would (cookie session, CSRF token, one-time code for the administrator)."""

from __future__ import annotations

import io

from tests.auth.helpers import csrf_from, web_login
from tests.factories import PASSWORD
from tests.taxonomy.helpers import read_sheets, workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def admin_browser(client, world):  # type: ignore[no-untyped-def]
    web_login(client, "admin", PASSWORD)
    token = csrf_from(client.get("/login/totp").text)
    client.post("/login/totp", data={"code": world.totp("admin"), "csrf_token": token})
    return client


def test_the_tree_page_lists_filters_and_edits_categories(client, ruled) -> None:
    browser = admin_browser(client, ruled)
    page = browser.get("/gov/taxonomy")
    assert page.status_code == 200
    assert "暴露垃圾" in page.text and "4 工作时（紧急 2 工作时）" in page.text and "违法建设(拆除)" in page.text
    assert 'href="/gov/taxonomy"' in page.text and 'href="/gov/responsibility"' in page.text  # menu entries
    events = browser.get("/gov/taxonomy?kind=component&q=井盖")
    assert "上水井盖" in events.text and "暴露垃圾" not in events.text
    edit = browser.get("/gov/taxonomy/SJ0102")
    assert edit.status_code == 200 and "公共区域存在零散或成堆暴露垃圾" in edit.text
    csrf = csrf_from(edit.text)
    form = {"csrf_token": csrf, "name": "暴露垃圾", "parent_code": "SJ01", "kind": "event", "runway": "economy",
            "register_criteria": "公共区域存在暴露垃圾", "close_criteria": "清理干净", "default_priority": "normal",
            "limit_unit": "work_hours", "limit_normal": "3", "limit_urgent": "5", "keywords": "垃圾",
            "active": "1", "sort": "2"}
    bad = browser.post("/gov/taxonomy/SJ0102", data=form)
    assert bad.status_code == 422 and "紧急时限不能长于一般时限" in bad.text and 'value="5"' in bad.text
    good = browser.post("/gov/taxonomy/SJ0102", data={**form, "limit_urgent": "1.5"}, follow_redirects=False)
    assert good.status_code == 303
    saved = browser.get(good.headers["location"])
    assert "已保存" in saved.text and "3 工作时（紧急 1.5 工作时）" in saved.text
    missing_csrf = browser.post("/gov/taxonomy/SJ0102", data={**form, "csrf_token": "x"})
    assert missing_csrf.status_code == 403
    form["limit_urgent"] = "1.5"
    created = browser.post("/gov/taxonomy", data={**form, "code": "SJ0112", "name": "新增小类"},
                           follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/gov/taxonomy/SJ0112?saved=1"
    dup = browser.post("/gov/taxonomy", data={**form, "code": "SJ0112", "name": "新增小类"})
    assert dup.status_code == 409 and "分类编码「SJ0112」已存在" in dup.text


def test_the_responsibility_page_adds_edits_deletes_rules_and_imports(client, ruled) -> None:
    browser = admin_browser(client, ruled)
    page = browser.get("/gov/responsibility")
    assert page.status_code == 200 and "检查结果" in page.text and "区综合行政执法局" in page.text
    csrf = csrf_from(page.text)
    r = browser.post("/gov/responsibility/rules", data={"csrf_token": csrf, "category_code": "SJ0501",
                                                        "area_code": "330212006000", "basis": "owner",
                                                        "department_code": ""})
    assert r.status_code == 422 and "属主规则必须指定责任部门" in r.text
    r = browser.post("/gov/responsibility/rules", data={"csrf_token": csrf, "category_code": "SJ0501",
                                                        "area_code": "330212006000", "basis": "owner",
                                                        "department_code": "330212-CG"}, follow_redirects=False)
    assert r.status_code == 303
    listed = browser.get("/api/taxonomy/rules?category=SJ0501").json()
    rule = next(x for x in listed if x["category_code"] == "SJ0501")
    r = browser.post(f"/gov/responsibility/rules/{rule['id']}", data={"csrf_token": csrf, "basis": "territory",
                                                                      "department_code": "", "note": "属地"},
                     follow_redirects=False)
    assert r.status_code == 303 and "已保存规则" in browser.get(r.headers["location"]).text
    route = browser.get("/api/taxonomy/route?category=SJ0501&area=330212006001").json()
    assert route["basis"] == "territory" and "备注：属地" in route["explanation"]
    r = browser.post(f"/gov/responsibility/rules/{rule['id']}/delete", data={"csrf_token": csrf},
                     follow_redirects=False)
    assert r.status_code == 303
    assert all(x["category_code"] != "SJ0501" for x in browser.get("/api/taxonomy/rules?category=SJ0501").json())
    # Import through the page: a bad file lists every bad row; a good one reports what changed.
    sheets = read_sheets(browser.get("/api/taxonomy/export").content)
    sheets["权责清单"].append(["SJ0101", "", "330212006000", "", "属主", "330212-XX", "", ""])
    bad = browser.post("/gov/responsibility/import", data={"csrf_token": csrf},
                       files={"file": ("t.xlsx", io.BytesIO(workbook(sheets)), XLSX)})
    n = len(sheets["权责清单"])
    assert bad.status_code == 422 and f"权责清单 第{n}行：部门「330212-XX」不存在" in bad.text
    sheets["权责清单"][-1][5] = "330212-CG"
    good = browser.post("/gov/responsibility/import", data={"csrf_token": csrf},
                        files={"file": ("t.xlsx", io.BytesIO(workbook(sheets)), XLSX)})
    assert good.status_code == 200 and "新增规则 1 条" in good.text


def test_pages_refuse_those_without_the_permission(as_persona, ruled) -> None:
    street = as_persona("street")
    assert street.get("/gov/responsibility").status_code == 403
    assert street.post("/gov/taxonomy/SJ0101", data={"name": "x"}).status_code == 403
    assert street.post("/gov/responsibility/rules/1/delete").status_code == 403
    # A street official may read the tree (cases need categories) but gets no edit form and no menu entry.
    tree = street.get("/gov/taxonomy")
    assert tree.status_code == 200 and "新增分类" not in tree.text
    assert 'href="/gov/responsibility"' not in street.get("/gov").text
    assert as_persona("ops").get("/gov/taxonomy").status_code == 403


def test_the_category_page_decides_what_the_public_may_report(client, ruled) -> None:  # type: ignore[no-untyped-def]
    browser = admin_browser(client, ruled)
    edit = browser.get("/gov/taxonomy/SJ0102")
    assert '<option value="1" selected>是</option>' in edit.text  # 暴露垃圾 is public by default
    form = {"csrf_token": csrf_from(edit.text), "name": "暴露垃圾", "parent_code": "SJ01", "kind": "event",
            "runway": "economy", "register_criteria": "", "close_criteria": "", "default_priority": "normal",
            "limit_unit": "work_hours", "limit_normal": "4", "limit_urgent": "2", "keywords": "垃圾",
            "active": "1", "sort": "2", "public": "0"}
    assert browser.post("/gov/taxonomy/SJ0102", data=form, follow_redirects=False).status_code == 303
    services = {s["service_code"] for s in client.get("/open311/v2/services.json").json()}
    assert "SJ0102" not in services and "SJ0103" in services
    assert browser.post("/gov/taxonomy/SJ0102", data={**form, "public": "1"}, follow_redirects=False).status_code == 303
    assert "SJ0102" in {s["service_code"] for s in client.get("/open311/v2/services.json").json()}
