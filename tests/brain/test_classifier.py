"""The pure model: it learns categories from labelled texts, ranks unseen texts right with a usable confidence,
survives a round trip through bytes unchanged, stores no digits, and refuses what cannot be cross-validated."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.brain.helpers import DANCE, GARBAGE, LAMP, STALLS, texts_for
from zhili.brain import classifier
from zhili.brain.classifier import ClassifierError

CODES = [LAMP, GARBAGE, STALLS, DANCE]


def labelled(n: int = 12, seed: int = 1) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for code in CODES:
        for title, description in texts_for(code, n, seed):
            texts.append(classifier.case_text(title, description))
            labels.append(code)
    return texts, labels


UNSEEN = {LAMP: "学府路那边的灯晚上都不亮，黑乎乎的", GARBAGE: "楼道口堆了好多垃圾，一直没人来清理",
          STALLS: "几个卖菜的小贩把摊子摆在人行道上", DANCE: "楼下跳广场舞的音响太吵了，孩子没法睡觉"}


@pytest.mark.parametrize("method", ["char13-svm", "char13-logreg", "char13+word-svm"])
def test_a_trained_model_puts_the_right_category_first_for_texts_it_never_saw(method: str) -> None:
    texts, labels = labelled()
    model = classifier.fit(texts, labels, method)
    for code, text in UNSEEN.items():
        top = model.top(text, k=3)
        assert top[0][0] == code, (text, top)
        confidences = [p for _, p in top]
        assert confidences == sorted(confidences, reverse=True)
        assert all(0 <= p <= 1 for p in confidences) and sum(confidences) <= 1.0001
        assert len({c for c, _ in top}) == 3


def test_the_stored_bytes_give_the_same_answers_and_hold_no_digits_or_code() -> None:
    texts, labels = labelled()
    model, ev = classifier.train(texts, labels, folds=3)
    data = model.to_bytes()
    with np.load(io.BytesIO(data), allow_pickle=False) as z:  # plain arrays: loading cannot run code
        terms = [str(t) for t in z["terms0"]]
    assert not any(ch.isdigit() and ch != "0" for t in terms for ch in t)  # 13800138000 became zeros
    again = classifier.LinearTextModel.from_bytes(data)
    for text in UNSEEN.values():
        assert again.top(text) == model.top(text)
    assert again.temperature == pytest.approx(ev.temperature)
    assert model.info["scores"]["accuracy"] == ev.scores()["accuracy"]
    with pytest.raises(ClassifierError):
        classifier.LinearTextModel.from_bytes(_with_header('{"format": "other"}'))


def _with_header(header: str) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, header=np.array(header))
    return buf.getvalue()


def test_cross_validation_reports_accuracy_macro_f1_and_every_class() -> None:
    texts, labels = labelled()
    ev, oof = classifier.cross_validate(texts, labels, "char13-svm", folds=4)
    assert ev.accuracy > 0.9 and ev.macro_f1 > 0.9 and ev.top3 >= ev.accuracy
    assert [r["label"] for r in ev.per_class] == sorted(CODES)
    assert sum(r["support"] for r in ev.per_class) == len(texts) == ev.samples
    assert oof.shape == (len(texts), 4)


def test_two_classes_work_too() -> None:
    texts, labels = labelled()
    keep = [i for i, lab in enumerate(labels) if lab in (LAMP, DANCE)]
    model = classifier.fit([texts[i] for i in keep], [labels[i] for i in keep])
    assert model.top(UNSEEN[LAMP], k=3)[0][0] == LAMP and len(model.top(UNSEEN[LAMP], k=3)) == 2
    assert model.top(UNSEEN[DANCE])[0][0] == DANCE


@pytest.mark.parametrize(("labels", "folds", "message"), [
    (["a"] * 10, 5, "至少需要 2 个类别"),
    (["a"] * 10 + ["b"] * 3, 5, "b（3 行）"),
    (["a"] * 10 + ["b"] * 10, 1, "折数"),
])
def test_what_cannot_be_split_is_refused_in_words(labels: list[str], folds: int, message: str) -> None:
    with pytest.raises(ClassifierError, match=message):
        classifier.cross_validate(["路灯不亮"] * len(labels), labels, "char13-svm", folds)


def test_rare_classes_can_be_dropped() -> None:
    texts, labels, dropped = classifier.drop_rare(["x"] * 7, ["a"] * 5 + ["b"] * 2, 5)
    assert labels == ["a"] * 5 and dropped == ["b"] and len(texts) == 5


def test_jieba_builds_its_cache_in_the_configured_directory_not_the_shared_tmp(tmp_path: Path) -> None:
    code = ("import sys; from zhili.brain import segment; segment.configure(sys.argv[1]); "
            "print('|'.join(segment.words('小区门口的路灯不亮了')))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120,
                         check=True, env={"HOME": "/nonexistent", "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip().split("|")[:2] == ["小区", "门口"]
    assert (tmp_path / "cache" / "jieba" / "jieba.cache").is_file()
