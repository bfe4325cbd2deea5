"""Authorization rows for the feedback (数据反哺) routes, merged into tests/test_authz_matrix.py.

`{registry:batch_ga}` is a batch for 公安 carrying grid_a's correction of person 1's phone, `batch_ga_ack` the
same acknowledged, `evidence` that correction (with a photo) (tests/registry/matrix_fill.py). The center operator
(registry.manage) sees every batch, masked; 公安's user ("ga") its own; 住建's user ("zj") gets 404 for 公安's
batch; roles without registry.manage or registry.feedback get 403. The rows download as the operator: 公安's own
files carry full values (tested in tests/registry/test_feedback.py)."""

from __future__ import annotations

from tests.matrix_common import DENY, MISSING, OK, Case

B, ACK = "{registry:batch_ga}", "{registry:batch_ga_ack}"
BATCHES = "/api/registry/feedback/batches"

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("GET", BATCHES): [
        Case("operator", BATCHES, OK, contains=['"pending"']), Case("ga", BATCHES, OK),
        Case("grid_a", BATCHES, DENY), Case("street", BATCHES, DENY)],
    ("POST", BATCHES): [
        Case("ga", BATCHES, DENY), Case("grid_a", BATCHES, DENY), Case("operator", BATCHES, 201)],
    ("GET", BATCHES + "/{batch_id}"): [
        Case("zj", f"{BATCHES}/{B}", MISSING), Case("grid_a", f"{BATCHES}/{B}", DENY),
        Case("ga", f"{BATCHES}/999999", MISSING),
        Case("ga", f"{BATCHES}/{B}", OK, contains=["FK-GA-", "138****2222"]),
        Case("operator", f"{BATCHES}/{B}", OK, contains=["139****5678"])],
    ("GET", BATCHES + "/{batch_id}.xlsx"): [
        Case("zj", f"{BATCHES}/{B}.xlsx", MISSING), Case("street", f"{BATCHES}/{B}.xlsx", DENY),
        Case("operator", f"{BATCHES}/{B}.xlsx", OK)],
    ("GET", BATCHES + "/{batch_id}.csv"): [
        Case("zj", f"{BATCHES}/{B}.csv", MISSING), Case("resident", f"{BATCHES}/{B}.csv", DENY),
        Case("operator", f"{BATCHES}/{B}.csv", OK, contains=["联系电话", "138****2222"])],
    ("POST", BATCHES + "/{batch_id}/acknowledge"): [
        Case("zj", f"{BATCHES}/{B}/acknowledge", MISSING), Case("operator", f"{BATCHES}/{B}/acknowledge", DENY),
        Case("ga", f"{BATCHES}/{B}/acknowledge", OK, contains=['"acknowledged"'])],
    ("POST", BATCHES + "/{batch_id}/apply"): [
        Case("zj", f"{BATCHES}/{ACK}/apply", MISSING), Case("grid_a", f"{BATCHES}/{ACK}/apply", DENY),
        Case("ga", f"{BATCHES}/{ACK}/apply", OK, json={}, contains=['"applied"'])],
    ("GET", "/api/registry/corrections/{correction_id}/evidence"): [
        Case("grid_b", "/api/registry/corrections/{registry:evidence}/evidence", MISSING),
        Case("zj", "/api/registry/corrections/{registry:evidence}/evidence", MISSING),
        Case("resident", "/api/registry/corrections/{registry:evidence}/evidence", MISSING),
        Case("ga", "/api/registry/corrections/{registry:evidence}/evidence", OK),
        Case("grid_a", "/api/registry/corrections/{registry:evidence}/evidence", OK)],
    ("GET", "/gov/registry/feedback"): [
        Case("operator", "/gov/registry/feedback", OK, contains=["数据反哺"]),
        Case("ga", "/gov/registry/feedback", OK), Case("grid_a", "/gov/registry/feedback", DENY)],
    ("POST", "/gov/registry/feedback"): [
        Case("ga", "/gov/registry/feedback", DENY), Case("operator", "/gov/registry/feedback", 303)],
    ("GET", "/gov/registry/feedback/{batch_id}"): [
        Case("zj", f"/gov/registry/feedback/{B}", MISSING), Case("community", f"/gov/registry/feedback/{B}", DENY),
        Case("ga", f"/gov/registry/feedback/{B}", OK, contains=["签收本批次"])],
    ("POST", "/gov/registry/feedback/{batch_id}/acknowledge"): [
        Case("zj", f"/gov/registry/feedback/{B}/acknowledge", MISSING),
        Case("operator", f"/gov/registry/feedback/{B}/acknowledge", DENY),
        Case("ga", f"/gov/registry/feedback/{B}/acknowledge", 303)],
    ("POST", "/gov/registry/feedback/{batch_id}/apply"): [
        Case("zj", f"/gov/registry/feedback/{ACK}/apply", MISSING),
        Case("grid_b", f"/gov/registry/feedback/{ACK}/apply", DENY),
        Case("ga", f"/gov/registry/feedback/{ACK}/apply", 303, data={"note": "已更新"})],
}
