"""Authorization cases for every insight route (merged into tests/test_authz_matrix.py).

analysis.view holders read, each inside their jurisdiction: a street official naming another street (area id 4
is 下应 in the test world) gets a 404; grid workers and residents hold no analysis.view (403). The matrix world
has no forecast run, so any series id is a 404 (scoped series are tested in tests/insight/test_service.py)."""

from __future__ import annotations

from tests.matrix_common import DENY, MISSING, OK, Case

S2_ID = 4

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("GET", "/api/insight/hotspots/grids"): [
        Case("leader", "/api/insight/hotspots/grids", OK), Case("street", "/api/insight/hotspots/grids", OK),
        Case("street", f"/api/insight/hotspots/grids?area_id={S2_ID}", MISSING),
        Case("resident", "/api/insight/hotspots/grids", DENY), Case("grid_a", "/api/insight/hotspots/grids", DENY)],
    ("GET", "/api/insight/hotspots/clusters"): [
        Case("operator", "/api/insight/hotspots/clusters", OK, contains=["clusters"]),
        Case("street", f"/api/insight/hotspots/clusters?area_id={S2_ID}", MISSING),
        Case("resident", "/api/insight/hotspots/clusters", DENY)],
    ("GET", "/api/insight/hotspots/addresses"): [
        Case("community", "/api/insight/hotspots/addresses", OK),
        Case("street2", "/api/insight/hotspots/addresses?area_id=3", MISSING),
        Case("ops", "/api/insight/hotspots/addresses", DENY)],
    ("GET", "/api/insight/trends"): [
        Case("street", "/api/insight/trends?days=28", OK, contains=["weekday_profile"]),
        Case("street", f"/api/insight/trends?area_id={S2_ID}", MISSING),
        Case("resident", "/api/insight/trends", DENY)],
    ("GET", "/api/insight/forecasts"): [
        Case("leader", "/api/insight/forecasts", OK, contains=["series"]),
        Case("leader", "/api/insight/forecasts?series=1", MISSING),
        Case("grid_a", "/api/insight/forecasts", DENY)],
    ("GET", "/api/insight/forecasts.csv"): [
        Case("leader", "/api/insight/forecasts.csv", OK, contains=["序列"]),
        Case("leader", "/api/insight/forecasts.csv?series=1", MISSING),
        Case("resident", "/api/insight/forecasts.csv", DENY)],
    ("GET", "/api/insight/alerts"): [
        Case("street", "/api/insight/alerts", OK), Case("dept", "/api/insight/alerts", OK),
        Case("resident", "/api/insight/alerts", DENY)],
    ("GET", "/gov/insight/hotspots"): [
        Case("street", "/gov/insight/hotspots", OK, contains=["热点分析", "首南街道"], absent=["下应街道"]),
        Case("street", f"/gov/insight/hotspots?area_id={S2_ID}", MISSING),
        Case("grid_a", "/gov/insight/hotspots", DENY)],
    ("GET", "/gov/insight/trends"): [
        Case("leader", "/gov/insight/trends?days=28", OK, contains=["趋势分析"]),
        Case("street", f"/gov/insight/trends?area_id={S2_ID}", MISSING),
        Case("resident", "/gov/insight/trends", DENY)],
    ("GET", "/gov/insight/forecasts"): [
        Case("leader", "/gov/insight/forecasts", OK, contains=["尚无预测结果"]),
        Case("leader", "/gov/insight/forecasts?series=1", MISSING),
        Case("ops", "/gov/insight/forecasts", DENY)],
    ("GET", "/gov/insight/alerts"): [
        Case("street", "/gov/insight/alerts", OK, contains=["异常预警"]),
        Case("resident", "/gov/insight/alerts", DENY)],
}
