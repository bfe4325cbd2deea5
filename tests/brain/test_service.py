"""Suggesting from the database: keywords with no model, a model trained on the registered cases, another
process's activation picked up without restart, the operator's choice logged at intake, the daily retrain."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from tests.brain.helpers import DANCE, GARBAGE, LAMP, STALLS, add_history
from tests.cases.helpers import ctx
from tests.factories import A_POINT
from zhili.brain import service
from zhili.brain.models import BrainModel, CategorySuggestionLog
from zhili.cases import service as case_service
from zhili.cases.models import CaseStatus
from zhili.cases.schemas import IntakeIn
from zhili.config import Settings
from zhili.db import transaction

HISTORY = {LAMP: 12, GARBAGE: 12, STALLS: 12, DANCE: 12}


@pytest.fixture(autouse=True)
def fresh_caches():  # type: ignore[no-untyped-def]
    service.forget()
    yield
    service.forget()


@pytest.fixture
def cfg(settings: Settings) -> Settings:
    return settings.model_copy(update={"brain_min_training_cases": 20})


def trained(db, world, cfg: Settings, history: dict[str, int] | None = None) -> BrainModel:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        add_history(s, world, history or HISTORY)
        out = service.train(s, cfg)
        assert out.model is not None and out.activated, out.reason
        return out.model


def test_without_a_model_the_category_names_and_keywords_suggest(db, world) -> None:
    with transaction(db) as s:
        result = service.suggest_result(s, "路灯不亮", "小区门口的路灯坏了好几天")
        assert result.model_version == "keywords"
        assert result.suggestions[0].category == LAMP and result.suggestions[0].name == "公用设施/路灯"
        assert 0 < result.suggestions[0].confidence <= 1
        assert service.suggest(s, "广场舞音响太吵", "")[0].category == DANCE
        assert service.suggest(s, "你好", "请回电") == []  # nothing matched: no suggestion rather than a guess


def test_a_model_trained_on_registered_cases_suggests_their_categories(db, world, cfg) -> None:
    with transaction(db) as s:
        add_history(s, world, {LAMP: 3}, prefix="R")  # too few: left to the keywords
        add_history(s, world, {STALLS: 30}, status=CaseStatus.received, prefix="U")  # not registered yet
        add_history(s, world, {STALLS: 30}, status=CaseStatus.rejected, prefix="X")
    model = trained(db, world, cfg, {GARBAGE: 12, STALLS: 6, DANCE: 12})
    assert model.version == 1 and model.active and model.method == "char13-svm"
    assert model.trained_on["samples"] == 30 and model.trained_on["classes"] == 3
    assert model.trained_on["dropped_classes"] == [LAMP]
    assert model.scores["accuracy"] > 0.8 and "macro_f1" in model.scores
    with transaction(db) as s:
        result = service.suggest_result(s, "菜场门口好多小贩摆摊", "占着人行道卖水果")
        assert (result.model_version, result.method) == ("v1", "char13-svm")
        assert result.suggestions[0].category == STALLS
        assert result.suggestions[0].name == "街面秩序/占道经营"
        assert result.suggestions[0].confidence > result.suggestions[1].confidence


def test_another_process_activating_a_version_is_served_here_without_restart(db, world, cfg, monkeypatch) -> None:
    trained(db, world, cfg, {GARBAGE: 12, DANCE: 12})
    with transaction(db) as s:
        add_history(s, world, {LAMP: 12, STALLS: 12}, prefix="N")
        v2 = service.train(s, cfg, activate=False).model
        assert v2 is not None and v2.version == 2 and not v2.active
    clock = [1000.0]
    monkeypatch.setattr(service.time, "monotonic", lambda: clock[0])
    with transaction(db) as s:
        assert service.suggest_result(s, "路灯不亮", "").model_version == "v1"
    # Another process activates v2 (a plain UPDATE: nothing in this process is told).
    with transaction(db) as s:
        s.execute(update(BrainModel).values(active=BrainModel.version == 2))
    with transaction(db) as s:
        clock[0] += service.REFRESH_SECONDS / 2  # within the refresh interval: the cached model still serves
        assert service.suggest_result(s, "路灯不亮", "").model_version == "v1"
        clock[0] += service.REFRESH_SECONDS
        result = service.suggest_result(s, "路灯不亮", "晚上一片漆黑")
        assert result.model_version == "v2" and result.suggestions[0].category == LAMP  # v1 never knew 路灯


def test_activating_through_the_service_is_seen_at_once_in_this_process(db, world, cfg, as_persona) -> None:
    trained(db, world, cfg)
    with transaction(db) as s:
        add_history(s, world, HISTORY, prefix="M", seed=2)
        assert service.train(s, cfg).model.version == 2  # type: ignore[union-attr]
    with transaction(db) as s:
        assert service.suggest_result(s, "路灯不亮", "").model_version == "v2"
    r = as_persona("admin").post("/api/brain/models/1/activate")
    assert r.status_code == 200 and r.json() == {"active_version": 1, "method": "char13-svm"}
    with transaction(db) as s:
        assert service.suggest_result(s, "路灯不亮", "").model_version == "v1"
        assert [m.version for m in s.scalars(select(BrainModel).where(BrainModel.active.is_(True)))] == [1]


def intake(db, world, category: str, title: str, description: str = "") -> int:  # type: ignore[no-untyped-def]
    with transaction(db) as s:
        data = IntakeIn(title=title, description=description, category=category, lon=A_POINT[0], lat=A_POINT[1],
                        address="测试路1号")
        case, _ = case_service.intake(ctx(s, world, "operator"), data)
        return case.id


def test_intake_logs_the_suggestions_against_the_category_chosen(db, world, cfg, as_persona) -> None:
    trained(db, world, cfg)
    kept = intake(db, world, LAMP, "学府路的路灯晚上不亮", "黑乎乎的行人看不清")
    changed = intake(db, world, GARBAGE, "跳广场舞的音响太响", "旁边还堆了点垃圾")
    with transaction(db) as s:
        logs = {r.case_id: r for r in s.scalars(select(CategorySuggestionLog))}
    assert logs[kept].model_version == "v1" and logs[kept].chosen == LAMP
    assert logs[kept].accepted and logs[kept].in_top3
    assert logs[kept].suggestions[0]["category"] == LAMP and len(logs[kept].suggestions) == 3
    assert logs[changed].suggestions[0]["category"] == DANCE
    assert not logs[changed].accepted and logs[changed].in_top3 and logs[changed].chosen == GARBAGE
    r = as_persona("admin").get("/api/brain/acceptance?days=30")
    assert r.status_code == 200
    assert r.json()["rows"] == [{"model_version": "v1", "total": 2, "accepted": 1, "changed": 1, "in_top3": 2,
                                 "accepted_rate": 0.5, "top3_rate": 1.0}]


def test_a_broken_model_never_blocks_intake(db, world, cfg) -> None:
    model = trained(db, world, cfg)
    with transaction(db) as s:
        s.execute(update(BrainModel).where(BrainModel.id == model.id).values(blob=b"not a model"))
    service.forget()
    case_id = intake(db, world, LAMP, "路灯不亮", "")
    with transaction(db) as s:
        row = s.scalar(select(CategorySuggestionLog).where(CategorySuggestionLog.case_id == case_id))
    assert row is not None and row.model_version == "keywords" and row.accepted


def test_a_failing_suggestion_is_logged_and_the_case_is_still_taken(db, world, monkeypatch, caplog) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("model exploded")

    monkeypatch.setattr(service, "suggest_result", broken)
    case_id = intake(db, world, LAMP, "路灯不亮", "")
    with transaction(db) as s:
        assert s.scalar(select(CategorySuggestionLog).where(CategorySuggestionLog.case_id == case_id)) is None
    assert case_id and "model exploded" in caplog.text


def test_the_daily_retrain_activates_only_with_enough_new_data(db, world, cfg) -> None:
    with transaction(db) as s:
        add_history(s, world, {LAMP: 6, GARBAGE: 6})
        assert service.retrain_job(s, cfg) == "only 12 cases"
        add_history(s, world, HISTORY, prefix="J")
        assert service.retrain_job(s, cfg).startswith("v1 active")
    with transaction(db) as s:
        assert service.retrain_job(s, cfg) == "no new cases"
        strict = cfg.model_copy(update={"brain_min_training_cases": 5000})
        add_history(s, world, {DANCE: 3}, prefix="K")
        assert service.retrain_job(s, strict) == "only 63 cases"
