"""`zhili import cases` on the command line: counts printed, exit 0 when it ran, 2 for a bad mapping or file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from tests.factories import TEST_KEY, World
from tests.imports import synthetic
from tests.imports.test_import_cases import MAPPING, POINTS
from zhili.cli import app
from zhili.config import get_settings


@pytest.fixture
def env(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ZHILI_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ZHILI_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("ZHILI_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_import_and_exit_codes(db: sessionmaker[Session], world: World, env: None, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    ans = synthetic.write_csv(path, 60, POINTS, start=datetime(2025, 11, 3, tzinfo=UTC))
    runner = CliRunner()
    out = runner.invoke(app, ["import", "cases", str(path), "--mapping", str(MAPPING)])
    assert out.exit_code == 0, out.output
    assert f"读取 60 行，导入 {ans.good} 件，已存在 0 件，拒绝 {len(ans.bad)} 行" in _flat(out.output)
    assert (tmp_path / "export.rejects.csv").is_file()
    again = runner.invoke(app, ["import", "cases", str(path), "--mapping", str(MAPPING)])
    assert again.exit_code == 0 and f"导入 0 件，已存在 {ans.good}" in _flat(again.output)
    bad = tmp_path / "bad.yaml"
    bad.write_text(MAPPING.read_text(encoding="utf-8").replace("title: 标题", "title: 工单标题"), encoding="utf-8")
    out = runner.invoke(app, ["import", "cases", str(path), "--mapping", str(bad)])
    assert out.exit_code == 2 and "工单标题" in _flat(out.output)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not an xlsx")
    out = runner.invoke(app, ["import", "cases", str(broken), "--mapping", str(MAPPING)])
    assert out.exit_code == 2 and "无法读取 xlsx" in _flat(out.output)


def _flat(text: str) -> str:
    """The output without the console's line wrapping."""
    return text.replace("\n", "")
