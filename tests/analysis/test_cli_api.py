"""`zhili report indicators` (table, json, csv with BOM; bad dates exit 2 with a Chinese message) and the API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from tests.analysis.helpers import put
from tests.factories import TEST_KEY
from zhili.cli import app
from zhili.db import transaction

runner = CliRunner()
H = timedelta(hours=1)


@pytest.fixture
def cli_env(engine, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    from zhili.config import get_settings

    monkeypatch.setenv("ZHILI_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ZHILI_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("ZHILI_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _cases(db, world) -> None:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        put(s, world, "a", closed_after=2 * H, deadline_after=4 * H)
        put(s, world, "a", closed_after=9 * H, deadline_after=4 * H)
        put(s, world, "c", department="zj")


def test_cli_json_csv_and_table(db, world, cli_env) -> None:  # type: ignore[no-untyped-def]
    _cases(db, world)
    r = runner.invoke(app, ["report", "indicators", "--from", "2026-11-01", "--to", "2026-11-30", "--by", "street",
                            "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    rows = {row["label"]: row["values"] for row in data["rows"]}
    assert rows["首南街道"]["received"] == 2 and rows["首南街道"]["ontime_rate"] == 0.5
    assert rows["下应街道"]["received"] == 1
    assert data["total"]["values"]["overdue_closed"] == 1

    r = runner.invoke(app, ["report", "indicators", "--from", "2026-11-01", "--to", "2026-11-30", "--by",
                            "department", "--format", "csv"])
    assert r.exit_code == 0, r.output
    assert r.stdout_bytes.startswith("\ufeff".encode())
    lines = r.output.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("主办部门,受理量,立案量,结案量,立案率(%)")
    assert any(line.startswith("城管,2,2,2,100.0") for line in lines), lines
    assert lines[-1].startswith("合计,3,")

    r = runner.invoke(app, ["report", "indicators", "--from", "2026-11-01", "--to", "2026-11-30"])
    assert r.exit_code == 0, r.output
    assert "按期处置率" in r.output and "50.0%" in r.output


@pytest.mark.parametrize("args, message", [
    (["--from", "2026-11-30", "--to", "2026-11-01"], "开始日期不能晚于结束日期"),
    (["--from", "2026-13-01", "--to", "2026-11-01"], "日期格式应为"),
    (["--from", "2026-11-01", "--to", "2026-11-30", "--by", "planet"], "不支持的分组维度"),
])
def test_cli_bad_input_exits_2(db, cli_env, args, message) -> None:  # type: ignore[no-untyped-def]
    r = runner.invoke(app, ["report", "indicators", *args])
    assert r.exit_code == 2
    assert message in r.output


def test_api_table_csv_and_errors(db, world, as_persona) -> None:  # type: ignore[no-untyped-def]
    _cases(db, world)
    street = as_persona("street")
    r = street.get("/api/analysis/indicators", params={"start": "2026-11-01", "end": "2026-11-30", "by": "grid"})
    assert r.status_code == 200
    body = r.json()
    assert [row["label"] for row in body["rows"]] == ["南裕社区第1网格"]  # street S2's case is out of scope
    assert body["total"]["values"]["received"] == 2
    r = street.get("/api/analysis/indicators", params={"start": "2026-11-01", "end": "2026-11-30", "format": "csv"})
    assert r.content.startswith(b"\xef\xbb\xbf") and "attachment" in r.headers["content-disposition"]
    r = street.get("/api/analysis/indicators", params={"start": "2026-11-30", "end": "2026-11-01"})
    assert r.status_code == 422 and r.json()["field"] == "end"
    r = street.get("/api/analysis/indicators", params={"start": "2020-01-01", "end": "2026-11-01"})
    assert r.status_code == 422 and "3 年" in r.json()["message"]
    r = street.get("/api/analysis/indicators", params={"start": "2026-02-30", "end": "2026-03-01"})
    assert r.status_code == 422
    r = street.get("/api/analysis/indicators", params={"start": "2026-11-01", "end": "2026-11-30", "channel": "fax"})
    assert r.status_code == 422 and r.json()["field"] == "channel"
    # An empty period is no error: zero counts, undefined rates.
    r = street.get("/api/analysis/indicators", params={"start": "2025-01-01", "end": "2025-01-31"})
    assert r.json()["total"]["values"]["received"] == 0 and r.json()["total"]["values"]["ontime_rate"] is None
