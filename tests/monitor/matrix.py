"""Authorization cases for every monitoring route (merged into tests/test_authz_matrix.py).

The figures are for holders of analysis.view (the center, streets, communities, departments) or cockpit.view
(leaders); a street official sees its own street only and asking for another street's area is a 404; residents
and community operators are refused."""

from __future__ import annotations

from tests.matrix_common import C1, DENY, GRID_A, GRID_C, MISSING, OK, S1, S2, Case

BOX = "121.50,29.80,121.62,29.84"

MATRIX: dict[tuple[str, str], list[Case]] = {
    ("GET", "/api/monitor/snapshot"): [
        Case("leader", "/api/monitor/snapshot", OK, contains=["鄞州区", "received_today"]),
        Case("street", "/api/monitor/snapshot", OK, contains=["首南街道"], absent=["下应街道"]),
        Case("street", f"/api/monitor/snapshot?area={C1}", OK, contains=["南裕社区"]),
        Case("street", f"/api/monitor/snapshot?area={S2}", MISSING),
        Case("street", "/api/monitor/snapshot?area=12", 422),
        Case("resident", "/api/monitor/snapshot", DENY), Case("ops", "/api/monitor/snapshot", DENY)],
    ("GET", "/api/monitor/map/grids.geojson"): [
        Case("leader", "/api/monitor/map/grids.geojson", OK, contains=[GRID_A, GRID_C, "max_open"]),
        Case("street", "/api/monitor/map/grids.geojson", OK, contains=[GRID_A], absent=[GRID_C]),
        Case("street2", "/api/monitor/map/grids.geojson?geometry=false", OK, absent=[GRID_A]),
        Case("street2", f"/api/monitor/map/grids.geojson?area={S1}", MISSING),
        Case("resident", "/api/monitor/map/grids.geojson", DENY)],
    ("GET", "/api/monitor/map/points"): [
        Case("leader", f"/api/monitor/map/points?bbox={BOX}", OK, contains=["truncated"]),
        Case("street", f"/api/monitor/map/points?bbox={BOX}&area={S2}", MISSING),
        Case("street", "/api/monitor/map/points?bbox=121,29,122,30", 422, contains=["bbox"]),
        Case("resident", f"/api/monitor/map/points?bbox={BOX}", DENY)],
    ("GET", "/api/monitor/alerts"): [
        Case("leader", "/api/monitor/alerts", OK, contains=["items"]),
        Case("community", "/api/monitor/alerts", OK),
        Case("street2", f"/api/monitor/alerts?area={C1}", MISSING),
        Case("ops", "/api/monitor/alerts", DENY)],
    ("GET", "/api/monitor/charts/{name}"): [
        Case("leader", "/api/monitor/charts/trend", OK, contains=["受理量", "结案量"]),
        Case("street", "/api/monitor/charts/streets", OK, contains=["首南街道"]),
        Case("street", "/api/monitor/charts/nope", MISSING),
        Case("street", f"/api/monitor/charts/trend?area={S2}", MISSING),
        Case("street", "/api/monitor/charts/trend?days=3", 422),
        Case("resident", "/api/monitor/charts/trend", DENY)],
    ("GET", "/api/monitor/charts/{name}.csv"): [
        Case("leader", "/api/monitor/charts/grids.csv", OK, contains=["网格编码"]),
        Case("street2", f"/api/monitor/charts/grids.csv?area={S1}", MISSING),
        Case("resident", "/api/monitor/charts/trend.csv", DENY)],
    ("GET", "/api/monitor/stream"): [
        Case("leader", "/api/monitor/stream?timeout=1", OK, contains=["retry: 3000", "event: snapshot"]),
        Case("street", f"/api/monitor/stream?timeout=1&area={S2}", MISSING),
        Case("resident", "/api/monitor/stream?timeout=1", DENY)],
    ("GET", "/gov/cockpit"): [
        Case("leader", "/gov/cockpit", OK, contains=["今日受理", "红色超期", "echarts"]),
        Case("street", "/gov/cockpit", OK, contains=["首南街道"]),
        Case("street", f"/gov/cockpit?area={S2}", MISSING),
        Case("operator", "/gov/cockpit", DENY), Case("resident", "/gov/cockpit", DENY)],
    ("GET", "/gov/monitor"): [
        Case("operator", "/gov/monitor", OK, contains=["运行监测", "黄色预警"]),
        Case("dept", "/gov/monitor", OK),
        Case("street2", f"/gov/monitor?area={S1}", MISSING),
        Case("resident", "/gov/monitor", DENY)],
}
