"""Authorization table of the cases JSON API (merged into tests/test_authz_matrix.py).

Objects are made fresh per row: {case:SPEC}, {photo:SPEC}, {ext:SPEC}, {order:SPEC} (see tests/cases/helpers.py).
Places: a = grid A in street S1 (street, community, grid_a see it), c = grid C in street S2 (street2 sees it).
"""

from __future__ import annotations

from tests.cases.helpers import png_bytes
from tests.factories import A_POINT
from tests.matrix_common import DENY, MISSING, OK, Case

CREATED = 201
PNG = {"photo": ("现场.png", png_bytes(), "image/png")}
INTAKE = {"title": "垃圾堆放", "category": "{cat:暴露垃圾}", "lon": A_POINT[0], "lat": A_POINT[1],
          "caller_name": "王小明", "caller_phone": "13800138000"}
EXT = {"extra_value": 2, "extra_unit": "work_days", "reason": "需协调施工单位"}

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("POST", "/api/cases"): [
        Case("operator", "/api/cases", CREATED, json=INTAKE, contains=["南裕社区", "received"]),
        Case("grid_a", "/api/cases", CREATED, json={**INTAKE, "caller_name": None, "caller_phone": None}),
        Case("ops", "/api/cases", DENY, json=INTAKE), Case("dept", "/api/cases", DENY, json=INTAKE)],
    ("GET", "/api/cases"): [Case("street", "/api/cases", OK), Case("resident", "/api/cases?mine=true", OK),
                            Case("ops", "/api/cases", DENY)],
    ("GET", "/api/cases/stats"): [Case("street", "/api/cases/stats", OK), Case("ops", "/api/cases/stats", DENY)],
    ("GET", "/api/cases/map"): [Case("street", "/api/cases/map", OK), Case("resident", "/api/cases/map", DENY)],
    ("POST", "/api/cases/photos"): [Case("grid_a", "/api/cases/photos", CREATED, files=PNG),
                                    Case("ops", "/api/cases/photos", DENY, files=PNG)],
    ("GET", "/api/cases/{number}"): [
        Case("street", "/api/cases/{case:a_registered}", OK, contains=["138****8000"]),
        Case("grid_a", "/api/cases/{case:a_registered}", OK),
        Case("cg", "/api/cases/{case:a_dispatched_cg}", OK),
        Case("resident", "/api/cases/{case:a_resident}", OK),
        Case("street2", "/api/cases/{case:a_registered}", MISSING),
        Case("grid_b", "/api/cases/{case:a_registered}", MISSING),
        Case("zj", "/api/cases/{case:a_dispatched_cg}", MISSING),
        Case("resident", "/api/cases/{case:a_registered}", MISSING),
        Case("ops", "/api/cases/{case:a_registered}", MISSING)],
    ("POST", "/api/cases/{number}/actions/{action}"): [
        Case("operator", "/api/cases/{case:a_received}/actions/register", OK, json={}),
        Case("operator", "/api/cases/{case:a_registered}/actions/dispatch", OK, json={"department": "330212-CG"}),
        Case("cg", "/api/cases/{case:a_dispatched_cg}/actions/acknowledge", OK, json={}),
        Case("grid_a", "/api/cases/{case:a_received}/actions/register", DENY, json={}),
        Case("zj", "/api/cases/{case:a_dispatched_cg}/actions/acknowledge", MISSING, json={}),
        Case("street2", "/api/cases/{case:a_received}/actions/register", MISSING, json={}),
        Case("cg", "/api/cases/{case:a_received}/actions/register", MISSING, json={})],
    ("POST", "/api/cases/{number}/location"): [
        Case("operator", "/api/cases/{case:a_received}/location", OK, json={"lon": 121.52, "lat": 29.83}),
        Case("grid_a", "/api/cases/{case:a_received}/location", DENY, json={"lon": 121.52, "lat": 29.83}),
        Case("street2", "/api/cases/{case:a_received}/location", MISSING, json={"lon": 121.52, "lat": 29.83})],
    ("POST", "/api/cases/{number}/photos"): [
        Case("operator", "/api/cases/{case:a_registered}/photos", CREATED, files=PNG),
        Case("street2", "/api/cases/{case:a_registered}/photos", MISSING, files=PNG)],
    ("GET", "/api/cases/{number}/attachments/{attachment_id}"): [
        Case("street", "/api/cases/{photo:a_registered}", OK),
        Case("street2", "/api/cases/{photo:a_registered}", MISSING),
        Case("resident", "/api/cases/{photo:a_registered}", MISSING)],
    ("GET", "/api/cases/{number}/attachments/{attachment_id}/thumb"): [
        Case("grid_a", "/api/cases/{photo:a_registered}/thumb", OK),
        Case("grid_b", "/api/cases/{photo:a_registered}/thumb", MISSING)],
    ("POST", "/api/cases/{number}/extensions"): [
        Case("cg", "/api/cases/{case:a_in_progress_cg}/extensions", CREATED, json=EXT),
        Case("street", "/api/cases/{case:a_in_progress_cg}/extensions", DENY, json=EXT),
        Case("zj", "/api/cases/{case:a_in_progress_cg}/extensions", MISSING, json=EXT)],
    ("POST", "/api/cases/{number}/extensions/{request_id}/decision"): [
        Case("operator", "/api/cases/{ext:a_in_progress_cg}/decision", OK, json={"approve": True}),
        Case("cg", "/api/cases/{ext:a_in_progress_cg}/decision", DENY, json={"approve": True}),
        Case("street", "/api/cases/{ext:a_in_progress_cg}/decision", DENY, json={"approve": True}),
        Case("street2", "/api/cases/{ext:a_in_progress_cg}/decision", MISSING, json={"approve": True})],
    ("POST", "/api/cases/{number}/supervision"): [
        Case("operator", "/api/cases/{case:a_dispatched_cg}/supervision", CREATED, json={"reason": "请加快办理"}),
        Case("cg", "/api/cases/{case:a_dispatched_cg}/supervision", DENY, json={"reason": "请加快办理"}),
        Case("street2", "/api/cases/{case:a_dispatched_cg}/supervision", MISSING, json={"reason": "请加快办理"})],
    ("POST", "/api/cases/{number}/supervision/{order_id}/answer"): [
        Case("cg", "/api/cases/{order:a_in_progress_cg}/answer", OK, json={"answer": "已安排人员处理"}),
        Case("operator", "/api/cases/{order:a_in_progress_cg}/answer", DENY, json={"answer": "已安排人员处理"}),
        Case("zj", "/api/cases/{order:a_in_progress_cg}/answer", MISSING, json={"answer": "已安排人员处理"})],
    ("POST", "/api/cases/{number}/rating"): [
        Case("resident", "/api/cases/{case:a_resident_closed}/rating", OK, json={"satisfaction": "satisfied"}),
        Case("grid_a", "/api/cases/{case:a_resident_closed}/rating", DENY, json={"satisfaction": "satisfied"}),
        Case("street2", "/api/cases/{case:a_resident_closed}/rating", MISSING, json={"satisfaction": "satisfied"})],
    ("POST", "/api/cases/{number}/reveal"): [
        Case("admin", "/api/cases/{case:a_registered}/reveal", OK, json={"reason": "回访核实身份"},
             contains=["13800138000"]),
        Case("street", "/api/cases/{case:a_registered}/reveal", DENY, json={"reason": "回访核实身份"}),
        Case("street2", "/api/cases/{case:a_registered}/reveal", MISSING, json={"reason": "回访核实身份"})],
}

# Duplicate candidates (cases/dedup.py): staff who take reports; residents never (other people's cases).
DUPLICATES = {"title": "垃圾堆放", "category": "{cat:暴露垃圾}", "lon": A_POINT[0], "lat": A_POINT[1]}
MATRIX[("POST", "/api/cases/duplicates")] = [
    Case("operator", "/api/cases/duplicates", OK, json=DUPLICATES, contains=["candidates"]),
    Case("grid_a", "/api/cases/duplicates", OK, json=DUPLICATES),
    Case("resident", "/api/cases/duplicates", DENY, json=DUPLICATES),
    Case("cg", "/api/cases/duplicates", DENY, json=DUPLICATES),
    Case("ops", "/api/cases/duplicates", DENY, json=DUPLICATES)]
MATRIX[("GET", "/api/cases/{number}/duplicates")] = [
    Case("street", "/api/cases/{case:a_registered}/duplicates", OK, contains=["candidates"]),
    Case("grid_a", "/api/cases/{case:a_registered}/duplicates?radius_m=1000", OK),
    Case("street2", "/api/cases/{case:a_registered}/duplicates", MISSING),
    Case("grid_b", "/api/cases/{case:a_registered}/duplicates", MISSING),
    Case("resident", "/api/cases/{case:a_resident}/duplicates", DENY),
    Case("ops", "/api/cases/{case:a_registered}/duplicates", DENY)]
