"""Authorization cases for every analysis route (merged into tests/test_authz_matrix.py).

Indicators are for holders of analysis.view (leader, operator, street official, community worker, department
handler), each scoped to their jurisdiction; residents and grid workers are denied. Area ids of the test world are
fixed by creation order: 3 is street S1 (首南), 4 is street S2 (下应); a street official naming the other street's
area gets a 404."""

from __future__ import annotations

from tests.matrix_common import DENY, MISSING, OK, Case

NOV = "start=2026-11-01&end=2026-11-30"
API = "/api/analysis/indicators"

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("GET", API): [
        Case("operator", f"{API}?{NOV}&by=street", OK, contains=["register_rate", "\"by\":\"street\""]),
        Case("street", f"{API}?{NOV}&area_id=3", OK, contains=["ontime_rate"]),
        Case("cg", f"{API}?{NOV}&by=department", OK),
        Case("community", f"{API}?{NOV}&format=csv", OK, contains=["立案率"]),
        Case("street", f"{API}?{NOV}&area_id=4", MISSING),
        Case("operator", f"{API}?start=2026-11-30&end=2026-11-01", 422, contains=["end"]),
        Case("resident", f"{API}?{NOV}", DENY),
        Case("grid_a", f"{API}?{NOV}", DENY)],
    ("GET", "/api/analysis/definitions"): [
        Case("operator", "/api/analysis/definitions", OK, contains=["立案率", "按期处置率"]),
        Case("resident", "/api/analysis/definitions", DENY)],
    ("GET", "/gov/indicators"): [
        Case("street", "/gov/indicators?period=month&day=2026-11-10&by=community", OK,
             contains=["指标分析", "合计", "2026-11-01 至 2026-11-30"]),
        Case("operator", "/gov/indicators?period=custom&start=2026-11-30&end=2026-11-01", 422,
             contains=["结束日期不能早于开始日期"]),
        Case("resident", "/gov/indicators", DENY)],
    ("GET", "/gov/indicators/definitions"): [
        Case("community", "/gov/indicators/definitions", OK, contains=["指标口径", "小事不出网格率"]),
        Case("resident", "/gov/indicators/definitions", DENY)],
}
