"""Authorization cases for the bulk export routes (merged into tests/test_authz_matrix.py).

street (首南 S1, registry.export) asks; leader (district, registry.approve) decides; grid workers and residents hold
neither (403); street2 (下应 S2) cannot see S1's requests (404); only the requester downloads (an approver who can
read the request gets 403). The requests are made on demand through tests/registry/matrix_fill.py's `{registry:...}`
(vehicles: the file holds no phone or ID number for the matrix's leak check to trip on)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World
from tests.matrix_common import DENY, MISSING, OK, S2, Case
from tests.registry.helpers_verify import actor
from tests.registry.matrix_fill import MAKERS
from zhili.config import Settings
from zhili.db import transaction
from zhili.registry import exports
from zhili.registry.models import ExportRequest, ExportStatus
from zhili.registry.schemas_exports import ExportCreate

ASK = {"kind": "vehicle", "reason": "车辆信息核对，需要完整号牌与车主"}
def _pending(db: sessionmaker[Session], world: World, settings: Settings) -> int:
    """street's pending vehicle export (one per test: a second row asking for it gets the same one)."""
    who = actor(db, world, "street")
    with transaction(db, info={"actor": who}) as s:
        found = s.scalar(select(ExportRequest.id).where(ExportRequest.status == ExportStatus.pending)
                         .order_by(ExportRequest.id))
        if found is not None:
            return int(found)
        return exports.request_export(s, who, settings, ExportCreate(**ASK)).id  # type: ignore[arg-type]


def _approved(db: sessionmaker[Session], world: World, settings: Settings) -> int:
    with transaction(db) as s:
        found = s.scalar(select(ExportRequest.id).where(ExportRequest.status.in_(
            [ExportStatus.approved, ExportStatus.downloaded])).order_by(ExportRequest.id))
    if found is not None:
        return int(found)
    rid = _pending(db, world, settings)
    who = actor(db, world, "leader")
    with transaction(db, info={"actor": who}) as s:
        exports.approve(s, who, settings, rid, "同意")
    return rid


MAKERS.update({"export_pending": _pending, "export_approved": _approved})

P, A = "/api/registry/exports", "/gov/registry/exports"
MATRIX: dict[tuple[str, str], list[Case]] = {
    ("GET", P): [Case("street", P, OK, contains=["can_request"]), Case("leader", P, OK),
                 Case("grid_a", P, DENY), Case("resident", P, DENY)],
    ("POST", P): [Case("street", P, 201, json=ASK, contains=["pending"]),
                  Case("street", P, MISSING, json=ASK | {"area_code": S2}),
                  Case("grid_a", P, DENY, json=ASK), Case("leader", P, DENY, json=ASK)],
    ("POST", P + "/{request_id}/approve"): [
        Case("street", P + "/{registry:export_pending}/approve", DENY),
        Case("leader", P + "/99999/approve", MISSING),
        Case("leader", P + "/{registry:export_pending}/approve", OK, json={"note": "同意"}, contains=["approved"])],
    ("POST", P + "/{request_id}/reject"): [
        Case("street", P + "/{registry:export_pending}/reject", DENY, json={"note": "x"}),
        Case("leader", P + "/99999/reject", MISSING, json={"note": "x"}),
        Case("leader", P + "/{registry:export_pending}/reject", OK, json={"note": "理由不足"}, contains=["rejected"])],
    ("GET", P + "/{request_id}/download"): [
        Case("street2", P + "/{registry:export_approved}/download", MISSING),
        Case("leader", P + "/{registry:export_approved}/download", DENY),
        Case("street", P + "/{registry:export_approved}/download?format=csv", OK, contains=["号牌号码", "浙B12345"])],
    ("GET", A): [Case("street", A, OK, contains=["批量导出", "申请导出"]), Case("leader", A, OK),
                 Case("grid_a", A, DENY)],
    ("POST", A): [Case("street", A, 303, data=ASK), Case("grid_a", A, DENY, data=ASK),
                  Case("street", A, MISSING, data=ASK | {"area_code": S2})],
    ("POST", A + "/{request_id}/approve"): [
        Case("street", A + "/{registry:export_pending}/approve", DENY),
        Case("leader", A + "/99999/approve", MISSING),
        Case("leader", A + "/{registry:export_pending}/approve", 303, data={"note": "同意"})],
    ("POST", A + "/{request_id}/reject"): [
        Case("street", A + "/{registry:export_pending}/reject", DENY, data={"note": "x"}),
        Case("leader", A + "/99999/reject", MISSING, data={"note": "x"}),
        Case("leader", A + "/{registry:export_pending}/reject", 303, data={"note": "理由不足"})],
}
