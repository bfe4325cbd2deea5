"""Category suggestion: train from the deployment's own registered cases, activate a version, suggest the top 3
categories for a text, and log what the person registering the case finally chose. Never commits.

Every process keeps the active model in memory per database and checks the active version at most every
`REFRESH_SECONDS` (one indexed read), so a model trained or activated anywhere is served everywhere within seconds,
without a restart. With no model yet (a new deployment) the taxonomy's names and keywords suggest instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NamedTuple

from sqlalchemy import event
from sqlalchemy.orm import Session

from zhili.auth import audit
from zhili.auth.actor import Actor
from zhili.brain import classifier, repository
from zhili.brain.keywords import KeywordIndex
from zhili.brain.models import BrainModel, CategorySuggestionLog
from zhili.cases.models import Case
from zhili.config import Settings
from zhili.kit import clock
from zhili.kit.errors import NotFound, ValidationFailed
from zhili.taxonomy import routing

log = logging.getLogger("zhili.brain")
KIND = "category"
MANAGE = "brain.manage"
KEYWORDS = "keywords"
ACTIVATED = "brain_activated"  # session.info flag: this unit of work activated a model (drop caches on commit)
REFRESH_SECONDS = 5.0  # how stale another process's activation may be seen here
MIN_PER_CLASS = 5  # a leaf with fewer registered examples is left to the keyword fallback (not a model class)
TOP = 3


class Suggestion(NamedTuple):
    category: str  # code
    name: str  # "市容环境/暴露垃圾"
    confidence: float


@dataclass(frozen=True)
class SuggestResult:
    model_version: str  # "v3" or "keywords"
    method: str
    suggestions: list[Suggestion]


# ---- per-process caches ------------------------------------------------------------------------------------------

@dataclass
class _Leaves:
    """The categories a case may be filed under, as of one taxonomy version."""

    version: int
    names: dict[str, str]  # code -> "major/minor", active leaves only
    codes_by_id: dict[int, str]  # every category
    keywords: KeywordIndex


@dataclass
class _Held:
    version: int | None
    model: classifier.LinearTextModel | None
    checked_at: float


_models: dict[str, _Held] = {}
_leaves: dict[str, _Leaves] = {}
_lock = threading.Lock()


def _key(session: Session) -> str:
    return str(session.get_bind().engine.url)


def forget() -> None:
    """Drop every cached model and taxonomy view (tests; a process's own activation)."""
    with _lock:
        _models.clear()
        _leaves.clear()


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(ACTIVATED, False):
        forget()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(ACTIVATED, None)


def leaves(session: Session) -> _Leaves:
    """Active leaf categories and the keyword index, rebuilt when the taxonomy version moves (the routing
    table's version check, at most once a second)."""
    version = routing.routing_table(session).version
    held = _leaves.get(_key(session))
    if held is not None and held.version == version:
        return held
    rows = repository.category_rows(session)
    by_id = {r.id: r for r in rows}
    parents = {r.parent_id for r in rows if r.active and r.parent_id}
    names: dict[str, str] = {}
    specs: list[tuple[str, str, str]] = []
    for r in rows:
        if r.active and r.id not in parents:
            parent = by_id.get(r.parent_id) if r.parent_id else None
            names[r.code] = f"{parent.name}/{r.name}" if parent else r.name
            specs.append((r.code, r.name, r.keywords))
    fresh = _Leaves(version, names, {r.id: r.code for r in rows}, KeywordIndex.build(specs))
    with _lock:
        _leaves[_key(session)] = fresh
    return fresh


def active_model(session: Session) -> tuple[int, classifier.LinearTextModel] | None:
    """This process's copy of the active model for the session's database, or None (no model, or it cannot be
    loaded: then the keyword fallback serves and the error is logged once per version)."""
    key = _key(session)
    held = _models.get(key)
    now = time.monotonic()
    if held is None or now - held.checked_at >= REFRESH_SECONDS:
        with session.no_autoflush:
            current = repository.active_version(session, KIND)
        if held is not None and held.version == current:
            held.checked_at = now
        else:
            with _lock:
                held = _models.get(key)
                if held is None or held.version != current:
                    held = _Held(current, _load(session, current), now)
                    _models[key] = held
    if held.version is None or held.model is None:
        return None
    return held.version, held.model


def _load(session: Session, version: int | None) -> classifier.LinearTextModel | None:
    if version is None:
        return None
    try:
        with session.no_autoflush:
            found = repository.model_blob(session, KIND, version)
        return classifier.LinearTextModel.from_bytes(found[1]) if found else None
    except Exception:
        log.exception("category model v%s cannot be loaded; suggesting by keywords", version)
        return None


# ---- suggesting --------------------------------------------------------------------------------------------------

def suggest_result(session: Session, title: str, description: str | None) -> SuggestResult:
    """The top 3 active leaf categories for the text, by the active model, else by keywords."""
    text = classifier.case_text(title, description)
    tax = leaves(session)
    held = active_model(session)
    if held is not None and text.strip():
        version, model = held
        ranked = [(c, p) for c, p in model.top(text, k=TOP + 5) if c in tax.names][:TOP]
        return SuggestResult(f"v{version}", model.method.name,
                             [Suggestion(c, tax.names[c], round(p, 4)) for c, p in ranked])
    ranked = tax.keywords.top(text, k=TOP)
    return SuggestResult(KEYWORDS, KEYWORDS, [Suggestion(c, tax.names[c], p) for c, p in ranked if c in tax.names])


def suggest(session: Session, title: str, description: str | None) -> list[Suggestion]:
    return suggest_result(session, title, description).suggestions


def suggest_for(session: Session, actor: Actor, title: str, description: str | None) -> SuggestResult:
    """The API's use case: whoever may file a case (staff intake or a resident's report) may ask."""
    if not (actor.can("cases.intake") or actor.can("cases.report")):
        actor.require("cases.intake")
    if not (title or "").strip() and not (description or "").strip():
        raise ValidationFailed("请填写标题或描述", field="title")
    return suggest_result(session, title, description)


def record_choice(session: Session, case: Case) -> CategorySuggestionLog | None:
    """Log the suggestions for the case's final text against the category it was filed under. Never raises:
    a broken model must not block a case (the error is logged and the case goes on without a log row)."""
    try:
        result = suggest_result(session, case.title, case.description)
        chosen = leaves(session).codes_by_id.get(case.category_id, "")
        codes = [s.category for s in result.suggestions]
        row = CategorySuggestionLog(
            case_id=case.id, model_version=result.model_version, chosen=chosen,
            suggestions=[{"category": s.category, "confidence": float(s.confidence)} for s in result.suggestions],
            accepted=bool(codes) and codes[0] == chosen, in_top3=chosen in codes, created_at=clock.now())
        session.add(row)
        return row
    except Exception:
        log.exception("category suggestion for case %s failed; intake goes on", getattr(case, "id", None))
        return None


# ---- training ----------------------------------------------------------------------------------------------------

@dataclass
class TrainOutcome:
    model: BrainModel | None
    activated: bool
    reason: str  # why not trained / not activated, in Chinese
    evaluation: classifier.Evaluation | None = None
    trained_on: dict[str, Any] = field(default_factory=dict)


def training_set(session: Session, limit: int) -> tuple[list[str], list[str], dict[str, Any]]:
    """Texts and category codes of the most recent registered cases under active leaves; classes with fewer
    than MIN_PER_CLASS examples are dropped (the keyword fallback never needs examples)."""
    names = leaves(session).names
    texts: list[str] = []
    labels: list[str] = []
    first = last = None
    for title, description, code, registered_at in repository.training_rows(session, limit):
        if code not in names:
            continue  # deactivated or no longer a leaf
        texts.append(classifier.case_text(title, description))
        labels.append(code)
        last = last or registered_at
        first = registered_at
    texts, labels, dropped = classifier.drop_rare(texts, labels, MIN_PER_CLASS)
    info = {"samples": len(texts), "classes": len(set(labels)), "dropped_classes": dropped,
            "from": first.isoformat() if first else None, "to": last.isoformat() if last else None,
            "min_per_class": MIN_PER_CLASS}
    return texts, labels, info


def train(session: Session, settings: Settings, *, method: str = classifier.DEFAULT_METHOD,
          activate: bool = True, by: str = "system", min_samples: int | None = None) -> TrainOutcome:
    """Train a new version from the registered cases and store it. It becomes active when `activate` and it had
    at least `min_samples` examples (default: the setting) of at least 2 categories."""
    if method not in classifier.METHODS:
        raise ValidationFailed(f"未知的方法：{method}（可选：{'、'.join(classifier.METHODS)}）", field="method")
    count, latest = repository.training_fingerprint(session)
    texts, labels, info = training_set(session, settings.brain_max_training_cases)
    info["fingerprint"] = [count, latest.isoformat() if latest else None]
    if info["classes"] < 2:
        return TrainOutcome(None, False, f"可用于训练的已立案案件不足（{info['samples']} 件，{info['classes']} 个分类，"
                                         f"每类至少 {MIN_PER_CLASS} 件）", trained_on=info)
    started = time.perf_counter()
    model, ev = classifier.train(texts, labels, method, folds=min(5, MIN_PER_CLASS))
    info["train_seconds"] = round(time.perf_counter() - started, 1)
    counts = Counter(labels)
    info["per_class_min"] = min(counts.values())
    blob = model.to_bytes()
    row = BrainModel(kind=KIND, version=repository.next_version(session, KIND), created_at=clock.now(),
                     created_by=by, method=method, params=classifier.METHODS[method].__dict__, trained_on=info,
                     scores=ev.scores(), blob=blob, size=len(blob), active=False)
    session.add(row)
    session.flush()
    audit.record(session, "brain.train", entity_type="brain_models", entity_id=row.version,
                 detail={"kind": KIND, "method": method, "samples": info["samples"], "scores": row.scores})
    enough = min_samples if min_samples is not None else settings.brain_min_training_cases
    if not activate:
        return TrainOutcome(row, False, "未启用（按要求只训练）", ev, info)
    if info["samples"] < enough:
        row.note = f"样本 {info['samples']} 件，少于启用门槛 {enough} 件，未启用"
        return TrainOutcome(row, False, row.note, ev, info)
    _activate(session, row, by)
    return TrainOutcome(row, True, "", ev, info)


def _activate(session: Session, row: BrainModel, by: str) -> None:
    repository.deactivate_all(session, KIND)
    row.active = True
    row.activated_at = clock.now()
    session.flush()
    session.info[ACTIVATED] = True
    audit.record(session, "brain.activate", entity_type="brain_models", entity_id=row.version,
                 detail={"kind": KIND, "by": by})


def retrain_job(session: Session, settings: Settings) -> object:
    """Daily: retrain when cases were registered since the newest model, activate it when it had enough data
    and does not score clearly worse (5 points of accuracy) than the model it would replace."""
    count, latest = repository.training_fingerprint(session)
    models = repository.list_models(session, KIND)
    if models and models[0].trained_on.get("fingerprint") == [count, latest.isoformat() if latest else None]:
        return "no new cases"
    if count < settings.brain_min_training_cases:
        return f"only {count} cases"
    outcome = train(session, settings, activate=False, by="job")
    if outcome.model is None:
        return outcome.reason
    row = outcome.model
    current = next((m for m in models if m.active), None)
    old_acc = float(current.scores.get("accuracy", 0)) if current else 0.0
    new_acc = float(row.scores.get("accuracy", 0))
    if row.trained_on["samples"] < settings.brain_min_training_cases:
        row.note = f"样本不足 {settings.brain_min_training_cases} 件，未启用"
    elif current is not None and new_acc < old_acc - 0.05:
        row.note = f"交叉验证准确率 {new_acc:.3f} 低于当前 v{current.version} 的 {old_acc:.3f}，未启用"
    else:
        _activate(session, row, "job")
    return f"v{row.version} {'active' if row.active else 'kept inactive'}: {row.scores}"


# ---- administration ----------------------------------------------------------------------------------------------

def list_models(session: Session, actor: Actor) -> list[BrainModel]:
    actor.require(MANAGE)
    return repository.list_models(session, KIND)


def get_model(session: Session, actor: Actor, version: int) -> BrainModel:
    actor.require(MANAGE)
    row = repository.model_by_version(session, KIND, version)
    if row is None:
        raise NotFound("模型版本不存在", field="version")
    return row


def activate(session: Session, actor: Actor, version: int) -> BrainModel | None:
    """Make a stored version the active one (e.g. roll back to an earlier model). Version 0 switches every model
    off: the keyword fallback suggests until a model is activated again (for a model that misbehaves)."""
    if version == 0:
        actor.require(MANAGE)
        repository.deactivate_all(session, KIND)
        session.info[ACTIVATED] = True
        audit.record(session, "brain.deactivate", entity_type="brain_models", detail={"kind": KIND})
        return None
    row = get_model(session, actor, version)
    if not row.active:
        _activate(session, row, actor.username)
    return row


@dataclass(frozen=True)
class Acceptance:
    model_version: str
    total: int
    accepted: int
    changed: int
    in_top3: int

    @property
    def accepted_rate(self) -> float:
        return self.accepted / self.total if self.total else 0.0

    @property
    def top3_rate(self) -> float:
        return self.in_top3 / self.total if self.total else 0.0


def acceptance(session: Session, actor: Actor, days: int = 30) -> list[Acceptance]:
    """Production accuracy over the last `days`: per model version (and "keywords"), how often the first
    suggestion was kept, changed, or the choice was among the three."""
    actor.require(MANAGE)
    if not 1 <= days <= 3660:
        raise ValidationFailed("天数应在 1-3660 之间", field="days")
    since = clock.now() - timedelta(days=days)
    return [Acceptance(v, n, int(a or 0), n - int(a or 0), int(t or 0))
            for v, n, a, t in repository.acceptance(session, since)]
