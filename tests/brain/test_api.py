"""The brain over HTTP: suggestions as the intake form asks for them, bad input, the versions and the page."""

from __future__ import annotations

import pytest

from tests.brain.helpers import GARBAGE, LAMP, add_history
from zhili.brain import service
from zhili.db import transaction


@pytest.fixture(autouse=True)
def fresh_caches():  # type: ignore[no-untyped-def]
    service.forget()
    yield
    service.forget()


def test_suggestions_come_from_keywords_then_from_the_trained_model(db, world, settings, as_persona) -> None:
    operator = as_persona("operator")
    r = operator.post("/api/brain/suggest-category", json={"title": "路灯不亮", "description": "晚上很黑"})
    assert r.status_code == 200
    body = r.json()
    assert (body["model_version"], body["method"]) == ("keywords", "keywords")
    assert body["suggestions"][0] == {"category": LAMP, "name": "公用设施/路灯",
                                      "confidence": body["suggestions"][0]["confidence"]}
    with transaction(db) as s:
        add_history(s, world, {LAMP: 10, GARBAGE: 10})
        assert service.train(s, settings.model_copy(update={"brain_min_training_cases": 20})).activated
    r = as_persona("resident").post("/api/brain/suggest-category", json={"title": "楼下垃圾没人清理"})
    body = r.json()
    assert body["model_version"] == "v1" and body["method"] == "char13-svm"
    assert [s["category"] for s in body["suggestions"]] == [GARBAGE, LAMP]
    assert 0.5 < body["suggestions"][0]["confidence"] <= 1


@pytest.mark.parametrize(("body", "field"), [({"title": " ", "description": ""}, "title"),
                                             ({"title": "灯" * 101}, "title"),
                                             ({"title": 5}, "title"),
                                             ({"description": "x" * 5001}, "description")])
def test_bad_input_is_a_422_naming_the_field(as_persona, body, field) -> None:
    r = as_persona("operator").post("/api/brain/suggest-category", json=body)
    assert r.status_code == 422 and r.json()["field"] == field


def test_administrators_see_versions_scores_and_switch_models(db, world, settings, as_persona) -> None:
    cfg = settings.model_copy(update={"brain_min_training_cases": 20})
    with transaction(db) as s:
        add_history(s, world, {LAMP: 10, GARBAGE: 10})
        service.train(s, cfg)
        add_history(s, world, {LAMP: 10, GARBAGE: 10}, prefix="B", seed=2)
        service.train(s, cfg)
    admin = as_persona("admin")
    models = admin.get("/api/brain/models").json()
    assert [(m["version"], m["active"]) for m in models] == [(2, True), (1, False)]
    assert models[0]["trained_on"]["samples"] == 40 and "blob" not in models[0]
    assert set(models[0]["scores"]) >= {"accuracy", "macro_f1", "top3_accuracy", "folds"}
    page = admin.get("/gov/brain")
    assert page.status_code == 200 and "v2" in page.text and "启用中" in page.text
    assert admin.post("/api/brain/models/1/activate").json() == {"active_version": 1, "method": "char13-svm"}
    assert admin.post("/api/brain/models/0/activate").json() == {"active_version": None, "method": "keywords"}
    r = as_persona("operator").post("/api/brain/suggest-category", json={"title": "路灯不亮"})
    assert r.json()["model_version"] == "keywords"
    assert admin.get("/api/brain/acceptance?days=0").status_code == 422
