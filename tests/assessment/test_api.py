"""The JSON API and the monthly report files: schemes with Chinese errors, computing and reading a ranking, bad
months (422), the xlsx opened with openpyxl holding the month's figures, the PDF's text, the CLI."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

from tests.assessment.helpers import NOW, put
from tests.factories import TEST_KEY
from zhili.cli import app as cli
from zhili.db import transaction
from zhili.kit import clock

SCHEME = {"name": "按期处置考核", "unit_kind": "department",
          "items": [{"indicator": "ontime_rate", "weight": 100, "target": 1.0, "floor": 0.0}],
          "deductions": [{"kind": "overdue_case", "points": 10, "cap": 15}]}


def _cases(db, world) -> None:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        put(s, world, department="cg")
        put(s, world, department="cg")
        put(s, world, department="zj")
        put(s, world, department="zj", on_time=False)  # 3 of 4 on time in October: 75.0 %


def test_scheme_compute_and_rank(db, world, as_persona) -> None:  # type: ignore[no-untyped-def]
    _cases(db, world)
    leader = as_persona("leader")
    with clock.frozen(NOW):
        bad = leader.post("/api/assessment/schemes", json={**SCHEME, "items": [{**SCHEME["items"][0], "weight": 80}]})
        assert bad.status_code == 422
        assert bad.json()["code"] == "invalid_scheme" and "权重之和应为 100，现为 80" in bad.json()["message"]
        created = leader.post("/api/assessment/schemes", json=SCHEME)
        assert created.status_code == 201, created.text
        sid = created.json()["id"]
        assert leader.post("/api/assessment/schemes", json=SCHEME).status_code == 409
        assert as_persona("street").post(f"/api/assessment/schemes/{sid}/runs", json={"month": "2026-10"}
                                         ).status_code == 403
        run = leader.post(f"/api/assessment/schemes/{sid}/runs", json={"month": "2026-10"})
        assert run.status_code == 200 and run.json()["unit_count"] == 7
        ranking = leader.get(f"/api/assessment/schemes/{sid}/ranking?month=2026-10").json()
        zj = next(x for x in ranking["scores"] if x["unit_label"] == "区住房和城乡建设局")
        assert (zj["total"], zj["rank"], zj["breakdown"]["deductions"][0]["points"]) == (40.0, 7, 10.0)
        for month, text in (("2026-13", "月份应在 1 到 12 之间"), ("2027-01", "尚未开始")):
            r = leader.get(f"/api/assessment/schemes/{sid}/ranking?month={month}")
            assert r.status_code == 422 and r.json()["field"] == "month" and text in r.json()["message"]
            assert leader.get(f"/api/assessment/reports/monthly.xlsx?month={month}").status_code == 422
        page = leader.get(f"/gov/assessment?scheme={sid}&month=2026-10")
        assert page.status_code == 200 and "区住房和城乡建设局" in page.text and "40.00" in page.text


def test_monthly_workbook_and_pdf(db, world, as_persona) -> None:  # type: ignore[no-untyped-def]
    _cases(db, world)
    with clock.frozen(NOW):
        leader = as_persona("leader")
        sid = leader.get("/api/assessment/schemes").json()[0]["id"]
        assert leader.post(f"/api/assessment/schemes/{sid}/runs", json={"month": "2026-10"}).status_code == 200
        x = leader.get("/api/assessment/reports/monthly.xlsx?month=2026-10")
        assert x.status_code == 200 and "attachment" in x.headers["content-disposition"]
        wb = load_workbook(BytesIO(x.content))
        assert wb.sheetnames[:4] == ["概览", "按镇街", "按部门", "按分类"] and "超期清单" in wb.sheetnames
        ov = wb["概览"]
        lines = {ov.cell(row=r, column=1).value: ov.cell(row=r, column=2) for r in range(5, 25)}
        assert lines["受理量"].value == 4
        assert lines["按期处置率"].value == 0.75 and lines["按期处置率"].number_format == "0.0%"
        assert ov.freeze_panes == "B5" and ov._charts  # a native chart of the daily intake
        streets = {wb["按镇街"].cell(row=r, column=1).value: wb["按镇街"].cell(row=r, column=2).value
                   for r in range(2, 5)}
        assert streets["首南街道"] == 4
        overdue = wb["超期清单"]
        assert overdue.cell(row=1, column=1).value == "案件编号" and overdue.cell(row=2, column=3).value == "区住房和城乡建设局"
        ranking = wb[wb.sheetnames[4]]
        assert ranking.cell(row=3, column=2).value  # the scheme's first-ranked unit

        p = leader.get("/api/assessment/reports/monthly.pdf?month=2026-10")
        assert p.status_code == 200 and p.content.startswith(b"%PDF")
        text = "".join(page.extract_text() for page in PdfReader(BytesIO(p.content)).pages)
        assert "社会治理月度报告" in text and "2026年10月" in text and "75.0%" in text
        assert as_persona("resident").get("/api/assessment/reports/monthly.pdf?month=2026-10").status_code == 403


def test_cli_monthly(db, world, engine, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from zhili.config import get_settings

    _cases(db, world)
    monkeypatch.setenv("ZHILI_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ZHILI_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("ZHILI_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        with clock.frozen(NOW):
            bad = runner.invoke(cli, ["report", "monthly", "--month", "2026-13"])
            assert bad.exit_code == 2 and "月份应在 1 到 12 之间" in bad.output
            ok = runner.invoke(cli, ["report", "monthly", "--month", "2026-10", "--output", str(tmp_path / "out")])
            assert ok.exit_code == 0, ok.output
    finally:
        get_settings.cache_clear()
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["社会治理月度报告-2026-10.pdf", "社会治理月度报告-2026-10.xlsx"]
    wb = load_workbook(tmp_path / "out" / "社会治理月度报告-2026-10.xlsx")
    assert len([n for n in wb.sheetnames if n.startswith("排名")]) == 5  # the CLI scored every default scheme


def test_ranking_page_pages_through_many_units(db, world, as_persona, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Thousands of grid workers would make one page of thousands of rows: the ranking is shown a page at a time."""
    from zhili.assessment import views

    monkeypatch.setattr(views, "PAGE_ROWS", 2)
    _cases(db, world)
    with clock.frozen(NOW):
        leader = as_persona("leader")
        sid = leader.get("/api/assessment/schemes").json()[0]["id"]
        assert leader.post(f"/api/assessment/schemes/{sid}/runs", json={"month": "2026-10"}).status_code == 200
        labels = [x["unit_label"] for x in leader.get(f"/api/assessment/schemes/{sid}/ranking?month=2026-10"
                                                      ).json()["scores"]]
        assert len(labels) == 7
        first = leader.get(f"/gov/assessment?scheme={sid}&month=2026-10").text
        assert "第 1 / 4 页" in first and f"scheme={sid}&amp;month=2026-10&amp;page=2" in first
        assert sum(label in first for label in labels) == 2
        last = leader.get(f"/gov/assessment?scheme={sid}&month=2026-10&page=9").text  # past the end: the last page
        assert "第 4 / 4 页" in last and sum(label in last for label in labels) == 1
