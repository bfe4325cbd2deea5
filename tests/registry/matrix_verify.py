"""Authorization rows for the verification (核查) routes, merged into tests/test_authz_matrix.py.

`{registry:task_a}` is the open task of person 1 in grid A (tests/registry/matrix_fill.py). grid_a works on it;
grid_b (another grid) gets 404 exactly as if it did not exist; roles without registry.verify (street officials,
departments, residents) get 403; generating the tasks now needs registry.manage (center operator)."""

from __future__ import annotations

from tests.matrix_common import DENY, MISSING, OK, Case

TASK = "{registry:task_a}"
DONE = {"items": [{"field": "name", "action": "confirm"},
                  {"field": "work_place", "action": "correct", "value": "鄞州区某公司", "reason": "本人告知"}]}
FORM = {"action_name": "confirm", "action_work_place": "correct", "value_work_place": "鄞州区某公司",
        "reason_work_place": "本人告知"}

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("GET", "/api/registry/tasks"): [
        Case("grid_a", "/api/registry/tasks", OK), Case("street", "/api/registry/tasks", DENY),
        Case("ga", "/api/registry/tasks", DENY), Case("resident", "/api/registry/tasks", DENY)],
    ("POST", "/api/registry/tasks/generate"): [
        Case("grid_a", "/api/registry/tasks/generate", DENY), Case("ga", "/api/registry/tasks/generate", DENY),
        Case("operator", "/api/registry/tasks/generate", OK, contains=['"created"'])],
    ("GET", "/api/registry/tasks/{task_id}"): [
        Case("grid_b", f"/api/registry/tasks/{TASK}", MISSING), Case("street", f"/api/registry/tasks/{TASK}", DENY),
        Case("grid_a", "/api/registry/tasks/999999", MISSING),
        Case("grid_a", f"/api/registry/tasks/{TASK}", OK, contains=["张三丰", "138****2222"]),
        Case("community", f"/api/registry/tasks/{TASK}", OK)],
    ("POST", "/api/registry/tasks/{task_id}/complete"): [
        Case("grid_b", f"/api/registry/tasks/{TASK}/complete", MISSING, json=DONE),
        Case("ga", f"/api/registry/tasks/{TASK}/complete", DENY, json=DONE),
        Case("grid_a", f"/api/registry/tasks/{TASK}/complete", OK, json=DONE, contains=['"status":"done"'])],
    ("GET", "/gov/registry/tasks"): [
        Case("grid_a", "/gov/registry/tasks", OK, contains=["信息核查"]), Case("street2", "/gov/registry/tasks", DENY),
        Case("resident", "/gov/registry/tasks", DENY)],
    ("GET", "/gov/registry/tasks/{task_id}"): [
        Case("grid_b", f"/gov/registry/tasks/{TASK}", MISSING), Case("ga", f"/gov/registry/tasks/{TASK}", DENY),
        Case("grid_a", f"/gov/registry/tasks/{TASK}", OK, contains=["138****2222", "更正原因"])],
    ("POST", "/gov/registry/tasks/{task_id}"): [
        Case("grid_b", f"/gov/registry/tasks/{TASK}", MISSING, data=FORM),
        Case("street", f"/gov/registry/tasks/{TASK}", DENY, data=FORM),
        Case("grid_a", f"/gov/registry/tasks/{TASK}", 303, data=FORM)],
}
