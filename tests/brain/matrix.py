"""Authorization cases for every brain route (merged into tests/test_authz_matrix.py).

Suggesting is for whoever files cases (staff intake and residents' reports): it reveals only category names.
The models and the acceptance figures are for holders of brain.manage (administrators). Version 0 means "switch
the models off" and exists in every world, so it stands for an allowed activation."""

from __future__ import annotations

from tests.matrix_common import DENY, MISSING, OK, Case

TEXT = {"title": "小区门口路灯不亮", "description": "晚上一片漆黑"}

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("POST", "/api/brain/suggest-category"): [
        Case("operator", "/api/brain/suggest-category", OK, json=TEXT, contains=["BJ0109", "公用设施/路灯"]),
        Case("grid_a", "/api/brain/suggest-category", OK, json=TEXT),
        Case("resident", "/api/brain/suggest-category", OK, json=TEXT),
        Case("ops", "/api/brain/suggest-category", DENY, json=TEXT),
        Case("dept", "/api/brain/suggest-category", DENY, json=TEXT)],
    ("GET", "/api/brain/models"): [Case("admin", "/api/brain/models", OK), Case("leader", "/api/brain/models", DENY),
                                   Case("operator", "/api/brain/models", DENY)],
    ("POST", "/api/brain/models/{version}/activate"): [
        Case("admin", "/api/brain/models/0/activate", OK, contains=["keywords"]),
        Case("admin", "/api/brain/models/7/activate", MISSING),
        Case("street", "/api/brain/models/0/activate", DENY)],
    ("GET", "/api/brain/acceptance"): [Case("admin", "/api/brain/acceptance", OK),
                                       Case("community", "/api/brain/acceptance", DENY)],
    ("GET", "/gov/brain"): [Case("admin", "/gov/brain", OK, contains=["智能分类", "尚无已启用的模型"]),
                            Case("operator", "/gov/brain", DENY)],
    ("POST", "/gov/brain/models/{version}/activate"): [
        Case("admin", "/gov/brain/models/0/activate", 303), Case("admin", "/gov/brain/models/3/activate", MISSING),
        Case("street", "/gov/brain/models/0/activate", DENY)],
}
