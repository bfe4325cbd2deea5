"""`zhili brain evaluate-classifier` on a deployment's own labelled export (csv or xlsx): the figures, the per-class
table, and clear refusals (exit code 2) for a missing file, a missing column, a class too small to split, one class.
`zhili brain train-classifier` against a database."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from tests.brain.helpers import DANCE, GARBAGE, LAMP, STALLS, texts_for
from zhili.cli import app

runner = CliRunner()
HEADER = ["编号", "标题", "内容", "分类"]


def rows(per_class: dict[str, int]) -> list[list[str]]:
    names = {LAMP: "路灯", GARBAGE: "暴露垃圾", STALLS: "占道经营", DANCE: "广场舞噪声"}
    out = []
    for code, n in per_class.items():
        for i, (title, description) in enumerate(texts_for(code, n)):
            out.append([f"{code}-{i}", title, description, names[code]])
    return out


def write_csv(path: Path, data: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        csv.writer(f).writerows([HEADER, *data])
    return path


def write_xlsx(path: Path, data: list[list[str]]) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER)
    for r in data:
        ws.append(r)
    ws.append([None, None, None, None])  # an empty row at the end, as exports often have
    wb.save(path)
    return path


EVEN = {LAMP: 10, GARBAGE: 10, STALLS: 10, DANCE: 10}


def evaluate(path: Path, *extra: str) -> object:
    return runner.invoke(app, ["brain", "evaluate-classifier", str(path), "--text-col", "标题", "--text-col", "内容",
                               "--label-col", "分类", "--folds", "5", *extra])


@pytest.mark.parametrize("kind", ["csv", "gb18030.csv", "xlsx"])
def test_evaluate_prints_accuracy_macro_f1_and_a_table_per_class(tmp_path: Path, kind: str) -> None:
    data = rows(EVEN)
    if kind == "xlsx":
        path = write_xlsx(tmp_path / "export.xlsx", data)
    else:
        path = write_csv(tmp_path / "export.csv", data, "gb18030" if kind.startswith("gb") else "utf-8-sig")
    result = evaluate(path)
    assert result.exit_code == 0, result.output
    out = result.output.replace("\n", "")
    assert "40 行，4 个类别，5 折交叉验证" in out
    accuracy = float(re.findall(r"accuracy 准确率 ([\d.]+)", result.output)[0])
    macro = float(re.findall(r"macro-F1 宏平均 F1 ([\d.]+)", result.output)[0])
    assert accuracy > 0.9 and macro > 0.9
    for name in ("路灯", "暴露垃圾", "占道经营", "广场舞噪声"):
        assert name in out
    assert "precision" in out and "support" in out


def test_a_class_too_small_to_split_is_refused_or_dropped_on_request(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "small.csv", rows({**EVEN, DANCE: 3}))
    result = evaluate(path)
    assert result.exit_code == 2
    out = result.output.replace("\n", "")
    assert "广场舞噪声（3 行）" in out and "--drop-rare" in out
    result = evaluate(path, "--drop-rare")
    out = result.output.replace("\n", "")
    assert result.exit_code == 0 and "30 行，3 个类别" in out and "去掉行数不足的类别 1 个" in out


@pytest.mark.parametrize(("setup", "args", "message"), [
    ("none", [], "文件不存在"),
    ("csv", ["--label-col", "类别"], "找不到列：类别"),
    ("one", [], "至少需要 2 个类别"),
    ("txt", [], "不支持的文件类型 .txt"),
    ("empty", [], "文件是空的"),
    ("badxlsx", [], "无法读取 xlsx 文件"),
])
def test_bad_input_is_a_clear_message_and_a_failing_exit_code(tmp_path: Path, setup: str, args: list[str],
                                                              message: str) -> None:
    path = tmp_path / "in.csv"
    if setup == "csv":
        write_csv(path, rows(EVEN))
    elif setup == "one":
        write_csv(path, rows({LAMP: 12}))
    elif setup == "txt":
        path = tmp_path / "in.txt"
        path.write_text("x")
    elif setup == "empty":
        path.write_bytes(b"")
    elif setup == "badxlsx":
        path = tmp_path / "in.xlsx"
        path.write_bytes(b"PK not really a workbook")
    base = ["brain", "evaluate-classifier", str(path), "--text-col", "标题", "--label-col", "分类"]
    if args:
        base = base[:-2] + args
    result = runner.invoke(app, base)
    assert result.exit_code == 2, result.output
    assert message in result.output.replace("\n", "")


def test_train_classifier_prints_the_version_and_scores_and_activates_it(db, world, engine, tmp_path,
                                                                          monkeypatch) -> None:
    from tests.brain.helpers import add_history
    from tests.factories import TEST_KEY
    from zhili.brain import service
    from zhili.config import get_settings
    from zhili.db import transaction

    monkeypatch.setenv("ZHILI_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ZHILI_SECRET_KEY", TEST_KEY)
    monkeypatch.setenv("ZHILI_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("ZHILI_BRAIN_MIN_TRAINING_CASES", "30")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["brain", "train-classifier"])
        assert result.exit_code == 1 and "未训练" in result.output  # an empty history
        with transaction(db) as s:
            add_history(s, world, {**EVEN, DANCE: 2})
        result = runner.invoke(app, ["brain", "train-classifier"])
        out = result.output.replace("\n", "")
        assert result.exit_code == 0, result.output
        assert "模型 v1（char13-svm）：样本 30 件，3 个分类" in out and "已启用 v1" in out
        assert "交给关键词兜底的分类：ZL0504" in out and "准确率" in out
        service.forget()
        with transaction(db) as s:
            assert service.suggest_result(s, "路灯不亮", "").model_version == "v1"
        result = runner.invoke(app, ["brain", "train-classifier", "--method", "nope"])
        assert result.exit_code == 2 and "未知的方法" in result.output
    finally:
        get_settings.cache_clear()
        service.forget()
