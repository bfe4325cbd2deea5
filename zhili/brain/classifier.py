"""Category suggestion model: features, fit, top-k prediction and cross-validated evaluation. Pure (no database).

A model is a linear classifier over TF-IDF features of the case's text. Features come in blocks:
- "char": character 1-3 grams of each run of Chinese characters (no segmenter needed, robust to typos and to
  words the dictionary lacks), plus whole Latin words;
- "word": jieba words (see `segment.py`), tried in the benchmark.
Digits are folded to "0" before anything else, so phone numbers, ID numbers and house numbers never become
features (nor end up stored inside a model).

Training and prediction share one feature function (`LinearTextModel.features`): the evaluation command, the
benchmark and the live suggestion all call `fit` and `LinearTextModel.decision`, so what is measured is what runs.

A fitted model serialises to an `.npz` byte string of plain arrays (vocabulary, idf, weights, classes and a JSON
header), loaded with `allow_pickle=False`: a model read back from the database cannot execute code.
Confidence is a softmax of the decision scores with a temperature fitted on out-of-fold scores, so "0.8" means
roughly "right four times out of five" on the training history.
"""

from __future__ import annotations

import io
import json
import math
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import sparse

FORMAT = "zhili-linear-text/1"
_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[a-z]+|0+")


@dataclass(frozen=True)
class Method:
    """How a model is built: which feature blocks, which linear learner and its regularisation."""

    name: str
    blocks: tuple[str, ...]
    learner: str  # svm | logreg | sgd
    c: float = 1.0
    min_df: int = 2
    max_features: int = 60_000
    label: str = ""


METHODS: dict[str, Method] = {m.name: m for m in (
    Method("char13-svm", ("char",), "svm", 0.5, label="字 1-3 元 TF-IDF + LinearSVC"),
    Method("char13-logreg", ("char",), "logreg", 20.0, label="字 1-3 元 TF-IDF + LogisticRegression"),
    Method("char13-sgd", ("char",), "sgd", 1e-5, label="字 1-3 元 TF-IDF + SGD (modified huber)"),
    Method("word-svm", ("word",), "svm", 0.5, label="jieba 词 TF-IDF + LinearSVC"),
    Method("char13+word-svm", ("char", "word"), "svm", 0.5, label="字 1-3 元 + jieba 词 + LinearSVC"),
)}
DEFAULT_METHOD = "char13-svm"


class ClassifierError(ValueError):
    """Input a model cannot be trained or evaluated on (too few rows, one class, ...): a message for people."""


# ---- features ----------------------------------------------------------------------------------------------------

def normalize(text: str) -> list[str]:
    """The runs that carry meaning: Chinese characters, Latin words, digit runs folded to zeros."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    folded = re.sub(r"\d", "0", folded)
    return _RUN.findall(folded)


def char_tokens(text: str) -> list[str]:
    out: list[str] = []
    for run in normalize(text):
        if not ("\u3400" <= run[0] <= "\u9fff" or "\uf900" <= run[0] <= "\ufaff"):
            out.append(run[:4] if run[0] == "0" else run)  # a Latin word; any digit run is one token "0..."
            continue
        n = len(run)
        out.extend(run)
        out.extend(run[i:i + 2] for i in range(n - 1))
        out.extend(run[i:i + 3] for i in range(n - 2))
    return out


def word_tokens(text: str) -> list[str]:
    from zhili.brain import segment

    out: list[str] = []
    for run in normalize(text):
        if run[0] == "0" or run[0].isascii():
            out.append(run[:4] if run[0] == "0" else run)
        else:
            out.extend(segment.words(run))
    return out


ANALYZERS: dict[str, Callable[[str], list[str]]] = {"char": char_tokens, "word": word_tokens}


def case_text(title: str, description: str | None) -> str:
    """What the model reads for a case: the title, then the description."""
    return f"{(title or '').strip()}\n{(description or '').strip()}"


@dataclass
class Block:
    """One feature block: term -> column (offset included) and the term's idf."""

    kind: str
    terms: list[str]
    idf: np.ndarray
    offset: int
    index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.index:
            self.index = {t: self.offset + i for i, t in enumerate(self.terms)}


def fit_block(kind: str, docs: Sequence[Sequence[str]], min_df: int, max_features: int, offset: int) -> Block:
    """Vocabulary by document frequency (at least `min_df` documents, the `max_features` most frequent), smooth
    idf = ln((1 + n) / (1 + df)) + 1 as in scikit-learn."""
    df: Counter[str] = Counter()
    for tokens in docs:
        df.update(set(tokens))
    kept = [(t, c) for t, c in df.items() if c >= min_df]
    kept.sort(key=lambda tc: (-tc[1], tc[0]))
    kept = kept[:max_features]
    n = len(docs)
    idf = np.array([math.log((1 + n) / (1 + c)) + 1.0 for _, c in kept], dtype=np.float32)
    return Block(kind, [t for t, _ in kept], idf, offset)


def block_matrix(blocks: Sequence[Block], docs_by_kind: Mapping[str, Sequence[Sequence[str]]], n_docs: int,
                 n_features: int) -> sparse.csr_matrix:
    """Sublinear tf x idf, each block L2-normalised, blocks weighted equally (scaled by 1/sqrt(#blocks))."""
    indptr = [0]
    indices: list[int] = []
    values: list[float] = []
    scale = 1.0 / math.sqrt(len(blocks))
    for d in range(n_docs):
        for block in blocks:
            counts: Counter[int] = Counter()
            index = block.index
            for tok in docs_by_kind[block.kind][d]:
                col = index.get(tok)
                if col is not None:
                    counts[col] += 1
            if not counts:
                continue
            cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
            w = (1.0 + np.log(tf)) * block.idf[cols - block.offset]
            w *= scale / float(np.sqrt(np.dot(w, w)))
            indices.extend(cols.tolist())
            values.extend(w.tolist())
        indptr.append(len(indices))
    return sparse.csr_matrix((np.asarray(values, dtype=np.float32), np.asarray(indices, dtype=np.int64),
                              np.asarray(indptr, dtype=np.int64)), shape=(n_docs, n_features))


# ---- the model ---------------------------------------------------------------------------------------------------

@dataclass
class LinearTextModel:
    method: Method
    blocks: list[Block]
    classes: list[str]
    weights: np.ndarray[Any, Any]  # (n_features, n_classes), float32: a token's row is contiguous
    intercept: np.ndarray[Any, Any]  # (n_classes,)
    temperature: float = 1.0
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        return int(self.weights.shape[0])

    def features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        docs = {b.kind: [ANALYZERS[b.kind](t) for t in texts] for b in self.blocks}
        return block_matrix(self.blocks, docs, len(texts), self.n_features)

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        """Decision scores, one row per text, one column per class (in `classes` order)."""
        x = self.features(texts)
        return np.asarray(x @ self.weights, dtype=np.float32) + self.intercept

    def top(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The k most likely classes with their confidence (softmax of the tempered scores), best first."""
        scores = self.decision([text])[0]
        probs = softmax(scores * self.temperature)
        order = np.argsort(-probs)[:k]
        return [(self.classes[i], float(probs[i])) for i in order]

    # -- serialisation: plain arrays only --
    def to_bytes(self) -> bytes:
        header = {"format": FORMAT, "method": self.method.__dict__, "classes": self.classes,
                  "temperature": self.temperature, "blocks": [{"kind": b.kind, "offset": b.offset} for b in
                                                                 self.blocks], "info": self.info}
        arrays: dict[str, np.ndarray] = {"header": np.array(json.dumps(header, ensure_ascii=False)),
                                         "weights": self.weights.astype(np.float16),
                                         "intercept": self.intercept.astype(np.float32)}
        for i, b in enumerate(self.blocks):
            arrays[f"terms{i}"] = np.array(b.terms if b.terms else [""], dtype=np.str_)
            arrays[f"idf{i}"] = b.idf
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> LinearTextModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            header = json.loads(str(z["header"]))
            if header.get("format") != FORMAT:
                raise ClassifierError(f"无法识别的模型格式：{header.get('format')}")
            blocks = []
            for i, spec in enumerate(header["blocks"]):
                idf = z[f"idf{i}"].astype(np.float32)
                terms = [str(t) for t in z[f"terms{i}"]][:len(idf)]
                blocks.append(Block(spec["kind"], terms, idf, int(spec["offset"])))
            return cls(Method(**header["method"]), blocks, list(header["classes"]),
                       z["weights"].astype(np.float32), z["intercept"].astype(np.float32),
                       float(header["temperature"]), header.get("info", {}))


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - np.max(z, axis=-1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / np.sum(e, axis=-1, keepdims=True))


def _learner(method: Method, n_classes: int) -> Any:
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.svm import LinearSVC

    if method.learner == "svm":
        return LinearSVC(C=method.c, dual=True, max_iter=2000)
    if method.learner == "logreg":
        return LogisticRegression(C=method.c, max_iter=300)
    if method.learner == "sgd":
        return SGDClassifier(loss="modified_huber", alpha=method.c, max_iter=50, tol=1e-3, random_state=0)
    raise ClassifierError(f"未知的学习器：{method.learner}")


def fit(texts: Sequence[str], labels: Sequence[str], method: Method | str = DEFAULT_METHOD,
        temperature: float | None = None) -> LinearTextModel:
    """Train on (text, label) pairs. `temperature` defaults to one that suits the learner; `train` (below) fits
    it on out-of-fold scores instead."""
    m = METHODS[method] if isinstance(method, str) else method
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ClassifierError("至少需要 2 个类别才能训练")
    docs = {kind: [ANALYZERS[kind](t) for t in texts] for kind in m.blocks}
    blocks: list[Block] = []
    offset = 0
    for kind in m.blocks:
        b = fit_block(kind, docs[kind], m.min_df, m.max_features, offset)
        blocks.append(b)
        offset += len(b.terms)
    x = block_matrix(blocks, docs, len(texts), offset)
    y = np.searchsorted(np.array(classes), np.array(labels))
    learner = _learner(m, len(classes))
    learner.fit(x, y)
    coef: np.ndarray[Any, Any] = np.asarray(learner.coef_, dtype=np.float32)
    intercept: np.ndarray[Any, Any] = np.asarray(learner.intercept_, dtype=np.float32)
    if coef.shape[0] == 1:  # binary: scikit-learn keeps one row for the positive class
        coef = np.vstack([-coef, coef]) / 2
        intercept = np.array([-intercept[0], intercept[0]], dtype=np.float32) / 2
    default_t = 1.0 if m.learner == "logreg" else 10.0
    # float16 storage (to_bytes) is what production runs: round now so evaluation measures the same weights.
    weights = np.ascontiguousarray(coef.T).astype(np.float16).astype(np.float32)
    return LinearTextModel(m, blocks, classes, weights, intercept,
                           temperature if temperature is not None else default_t)


# ---- evaluation --------------------------------------------------------------------------------------------------

@dataclass
class Evaluation:
    method: str
    folds: int
    samples: int
    classes: list[str]
    accuracy: float
    macro_f1: float
    top3: float
    per_class: list[dict[str, Any]]  # label, precision, recall, f1, support
    temperature: float
    train_seconds: float  # mean per fold
    predict_ms: float  # mean per case, in batch

    def scores(self) -> dict[str, Any]:
        return {"accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4),
                "top3_accuracy": round(self.top3, 4), "folds": self.folds, "samples": self.samples,
                "temperature": round(self.temperature, 3), "train_seconds_per_fold": round(self.train_seconds, 2)}


def check_trainable(labels: Sequence[str], folds: int) -> None:
    """Refuse, in words a person can act on, what cross-validation cannot split."""
    if folds < 2:
        raise ClassifierError("折数 (--folds) 至少为 2")
    counts = Counter(labels)
    if len(counts) < 2:
        raise ClassifierError(f"至少需要 2 个类别，数据中只有 {len(counts)} 个")
    small = sorted((n, c) for c, n in counts.items() if n < folds)
    if small:
        listed = "、".join(f"{c}（{n} 行）" for n, c in small[:10])
        more = f" 等 {len(small)} 个类别" if len(small) > 10 else ""
        raise ClassifierError(f"以下类别的行数少于折数 {folds}，无法分折：{listed}{more}；"
                              f"请合并或去掉这些类别（或使用 --drop-rare）")


def cross_validate(texts: Sequence[str], labels: Sequence[str], method: Method | str = DEFAULT_METHOD,
                   folds: int = 5, seed: int = 0) -> tuple[Evaluation, np.ndarray]:
    """Stratified k-fold: each fold is trained by `fit` and scored by `decision`, exactly as in production.
    Returns the evaluation and the out-of-fold decision scores (rows = samples, columns = `classes`)."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
    from sklearn.model_selection import StratifiedKFold

    m = METHODS[method] if isinstance(method, str) else method
    check_trainable(labels, folds)
    classes = sorted(set(labels))
    y = np.searchsorted(np.array(classes), np.array(labels))
    oof = np.full((len(texts), len(classes)), -1e9, dtype=np.float32)
    train_s: list[float] = []
    predict_s = 0.0
    for train_idx, test_idx in StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y):
        t0 = time.perf_counter()
        model = fit([texts[i] for i in train_idx], [labels[i] for i in train_idx], m)
        train_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        scores = model.decision([texts[i] for i in test_idx])
        predict_s += time.perf_counter() - t0
        cols = np.searchsorted(np.array(classes), np.array(model.classes))
        oof[np.ix_(test_idx, cols)] = scores
    pred = oof.argmax(axis=1)
    top3 = np.argsort(-oof, axis=1)[:, :3]
    p, r, f, s = precision_recall_fscore_support(y, pred, labels=range(len(classes)), zero_division=0)
    per_class = [{"label": c, "precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                  "support": int(s[i])} for i, c in enumerate(classes)]
    ev = Evaluation(m.name, folds, len(texts), classes, float(accuracy_score(y, pred)),
                    float(f1_score(y, pred, average="macro", zero_division=0)),
                    float(np.mean([y[i] in top3[i] for i in range(len(y))])), per_class,
                    fit_temperature(oof, y), float(np.mean(train_s)), 1000 * predict_s / max(len(texts), 1))
    return ev, oof


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The softmax temperature minimising the negative log-likelihood of the true classes (grid search)."""
    best_t, best = 1.0, math.inf
    rows = np.arange(len(y))
    for t in np.logspace(-1, math.log10(30), 40):
        z = scores * t
        z = z - z.max(axis=1, keepdims=True)
        nll = float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[rows, y]))
        if nll < best:
            best_t, best = float(t), nll
    return best_t


def train(texts: Sequence[str], labels: Sequence[str], method: Method | str = DEFAULT_METHOD, folds: int = 5,
          cv_max: int = 30_000, seed: int = 0) -> tuple[LinearTextModel, Evaluation]:
    """Cross-validate (on at most `cv_max` samples, drawn at random, to bound the time), then fit on everything
    with the temperature the out-of-fold scores call for."""
    idx = np.arange(len(texts))
    if len(idx) > cv_max:
        idx = np.sort(np.random.default_rng(seed).choice(idx, cv_max, replace=False))
    picked = [int(i) for i in idx]
    ev, _ = cross_validate([texts[i] for i in picked], [labels[i] for i in picked], method, folds, seed)
    model = fit(texts, labels, method, temperature=ev.temperature)
    model.info = {"scores": ev.scores()}
    return model, ev


def drop_rare(texts: Sequence[str], labels: Sequence[str], minimum: int) -> tuple[list[str], list[str], list[str]]:
    """Keep the classes with at least `minimum` samples; returns texts, labels and the dropped classes."""
    counts = Counter(labels)
    keep = [i for i, lab in enumerate(labels) if counts[lab] >= minimum]
    dropped = sorted(c for c, n in counts.items() if n < minimum)
    return [texts[i] for i in keep], [labels[i] for i in keep], dropped
