"""The monitoring API over a scene with known figures: counters per jurisdiction, the heat layer, points, charts
and their CSV, alerts, and bad input."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World
from tests.matrix_common import C1, GRID_A, GRID_B, GRID_C, S1, S2
from tests.monitor.helpers import Scene, build_scene
from zhili.kit import clock


@pytest.fixture
def scene(db: sessionmaker[Session], world: World) -> Scene:
    return build_scene(db, world)


def get(as_persona: Any, persona: str, url: str, now: Any) -> Any:
    with clock.frozen(now):
        return as_persona(persona).get(url)


def counters(body: dict[str, Any]) -> tuple[int, ...]:
    return body["received_today"], body["open"], body["yellow"], body["red"], body["closed_today"]


def test_counters_follow_the_jurisdiction(as_persona: Any, scene: Scene) -> None:
    leader = get(as_persona, "leader", "/api/monitor/snapshot", scene.now).json()
    assert counters(leader) == (5, 4, 1, 1, 1)
    assert leader["day"] == "2026-11-17" and leader["scope"] == "鄞州区"
    assert counters(get(as_persona, "street", "/api/monitor/snapshot", scene.now).json()) == (4, 3, 1, 1, 1)
    assert counters(get(as_persona, "street2", "/api/monitor/snapshot", scene.now).json()) == (1, 1, 0, 0, 0)
    narrowed = get(as_persona, "leader", f"/api/monitor/snapshot?area={S2}", scene.now).json()
    assert counters(narrowed) == (1, 1, 0, 0, 0) and narrowed["scope"] == "下应街道"
    # The street official may narrow to a community of its own, never widen to another street.
    assert counters(get(as_persona, "street", f"/api/monitor/snapshot?area={C1}", scene.now).json()) == (4, 3, 1, 1, 1)
    assert get(as_persona, "street", f"/api/monitor/snapshot?area={S2}", scene.now).status_code == 404


def test_the_next_day_starts_from_zero(as_persona: Any, scene: Scene) -> None:
    from datetime import timedelta

    body = get(as_persona, "leader", "/api/monitor/snapshot", scene.now + timedelta(days=1)).json()
    assert body["received_today"] == 0 and body["closed_today"] == 0 and body["open"] == 4


def test_heat_layer_counts_open_cases_per_grid(as_persona: Any, scene: Scene) -> None:
    fc = get(as_persona, "leader", "/api/monitor/map/grids.geojson", scene.now).json()
    props = {f["properties"]["code"]: f["properties"] for f in fc["features"]}
    assert (props[GRID_A]["open"], props[GRID_A]["yellow"], props[GRID_A]["red"]) == (3, 1, 1)
    assert props[GRID_B]["open"] == 0 and props[GRID_C]["open"] == 1 and fc["max_open"] == 3
    assert all(f["geometry"]["type"] == "Polygon" for f in fc["features"])
    street = get(as_persona, "street", "/api/monitor/map/grids.geojson", scene.now).json()
    assert {f["properties"]["code"] for f in street["features"]} == {GRID_A, GRID_B}
    light = get(as_persona, "leader", "/api/monitor/map/grids.geojson?geometry=false", scene.now).json()
    assert {f["properties"]["code"]: f["properties"]["open"] for f in light["features"]} == {GRID_A: 3, GRID_C: 1}
    assert all(f["geometry"] is None for f in light["features"]) and light["max_open"] == 3


def test_points_are_capped_and_most_urgent_first(as_persona: Any, scene: Scene) -> None:
    box = "121.50,29.80,121.62,29.84"
    body = get(as_persona, "leader", f"/api/monitor/map/points?bbox={box}", scene.now).json()
    assert [p["warn_level"] for p in body["items"][:2]] == ["red", "yellow"]
    assert {p["number"] for p in body["items"]} == {scene.red, scene.yellow, scene.today[0], scene.today[1]}
    assert body["truncated"] is False
    capped = get(as_persona, "leader", f"/api/monitor/map/points?bbox={box}&limit=2", scene.now).json()
    assert [p["number"] for p in capped["items"]] == [scene.red, scene.yellow] and capped["truncated"] is True
    street2 = get(as_persona, "street2", f"/api/monitor/map/points?bbox={box}", scene.now).json()
    assert [p["number"] for p in street2["items"]] == [scene.today[1]]
    west = get(as_persona, "leader", "/api/monitor/map/points?bbox=121.50,29.80,121.55,29.84", scene.now).json()
    assert scene.today[1] not in {p["number"] for p in west["items"]}


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "121.6,29.8,121.5,29.84", "121,29,122,30", "200,29,201,29.1"])
def test_bad_boxes_are_refused_with_the_field(as_persona: Any, scene: Scene, bbox: str) -> None:
    r = get(as_persona, "leader", f"/api/monitor/map/points?bbox={bbox}", scene.now)
    assert r.status_code == 422 and r.json()["field"] == "bbox" and r.json()["message"]


def test_alerts_show_warnings_overdue_and_supervision(as_persona: Any, scene: Scene) -> None:
    items = get(as_persona, "leader", "/api/monitor/alerts", scene.now).json()["items"]
    kinds = {(a["kind"], a["level"]) for a in items}
    assert kinds >= {("warning", "yellow"), ("overdue", "red"), ("supervise", "red")}
    overdue = next(a for a in items if a["kind"] == "overdue")
    assert scene.red in overdue["body"] and overdue["href"] == f"/gov/cases/{scene.red}"
    # The automatic order of an overdue case is its red alert already: not listed twice.
    assert sum(1 for a in items if scene.red in a["body"]) == 1
    assert get(as_persona, "street2", "/api/monitor/alerts", scene.now).json()["items"] == []


def test_trend_chart_and_its_csv_agree(as_persona: Any, scene: Scene) -> None:
    chart = get(as_persona, "leader", "/api/monitor/charts/trend?days=14", scene.now).json()
    assert [c["label"] for c in chart["columns"]] == ["日期", "受理量", "结案量"]
    assert len(chart["rows"]) == 14 and chart["end"] == "2026-11-17" and chart["start"] == "2026-11-04"
    by_day = {r[0]: r[1:] for r in chart["rows"]}
    assert by_day["2026-11-17"] == [5, 1] and by_day["2026-11-16"] == [0, 0]
    assert sum(r[1] for r in chart["rows"]) == 5
    r = get(as_persona, "leader", "/api/monitor/charts/trend.csv?days=14", scene.now)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["日期", "受理量", "结案量"] and rows[-1] == ["2026-11-17", "5", "1"] and len(rows) == 15


def test_rankings_by_street_and_category(as_persona: Any, scene: Scene) -> None:
    streets = get(as_persona, "leader", "/api/monitor/charts/streets", scene.now).json()
    assert [(r[0], r[1]) for r in streets["rows"]] == [("首南街道", 4), ("下应街道", 1)]
    own = get(as_persona, "street", "/api/monitor/charts/streets", scene.now).json()  # a street ranks communities
    assert [(r[0], r[1]) for r in own["rows"]] == [("南裕社区", 4)] and own["columns"][0]["label"] == "社区"
    narrowed = get(as_persona, "leader", f"/api/monitor/charts/streets?area={S2}", scene.now).json()
    assert [(r[0], r[1]) for r in narrowed["rows"]] == [("东兴社区", 1)]
    cats = get(as_persona, "leader", "/api/monitor/charts/categories", scene.now).json()
    assert sum(r[1] for r in cats["rows"]) == 5 and "暴露垃圾" in cats["rows"][0][0]
    csv_text = get(as_persona, "leader", "/api/monitor/charts/streets.csv", scene.now).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "镇街,受理量,结案量,按期处置率(%)"


def test_grid_table_lists_the_busiest_grids(as_persona: Any, scene: Scene) -> None:
    grids = get(as_persona, "street", "/api/monitor/charts/grids", scene.now).json()
    assert grids["rows"] == [["南裕社区第1网格", GRID_A, 3, 1, 1]]


def test_charts_refuse_bad_input(as_persona: Any, scene: Scene) -> None:
    assert get(as_persona, "leader", "/api/monitor/charts/pie", scene.now).status_code == 404
    r = get(as_persona, "leader", "/api/monitor/charts/trend?days=9999", scene.now)
    assert r.status_code == 422 and r.json()["field"] == "days"
    assert get(as_persona, "leader", f"/api/monitor/charts/trend?area={S1}0", scene.now).status_code == 422
    assert get(as_persona, "leader", "/api/monitor/charts/trend?area=999999999999", scene.now).status_code == 404


def test_pages_render_the_counters_for_first_paint(as_persona: Any, scene: Scene) -> None:
    page = get(as_persona, "leader", "/gov/cockpit", scene.now)
    assert page.status_code == 200
    html = page.text
    assert 'data-counter="received_today">5<' in html and 'data-counter="red">1<' in html
    assert "/static/vendor/echarts/echarts.common.min.js" in html and "cdn" not in html.lower()
    monitor = get(as_persona, "street2", "/gov/monitor", scene.now).text
    assert 'data-counter="open">1<' in monitor and "全屏驾驶舱" in monitor
    assert "全屏驾驶舱" not in get(as_persona, "operator", "/gov/monitor", scene.now).text
    narrowed = get(as_persona, "street", f"/gov/cockpit?area={C1}", scene.now).text
    assert "南裕社区" in narrowed and f"/api/monitor/charts/trend.csv?days=30&amp;area={C1}" in narrowed
    assert f'data-area="{C1}"' in narrowed


def test_anomaly_alerts_of_the_analysis_join_the_list(as_persona: Any, db: sessionmaker[Session], world: World,
                                                      scene: Scene) -> None:
    from datetime import date

    from zhili.db import transaction
    from zhili.insight.models import InsightAlert

    with transaction(db) as s:
        s.add(InsightAlert(kind="volume", subject_key="street:330212001000", day=date(2026, 11, 17),
                           area_path=world.areas["s2"].path, level="critical", title="下应街道受理量异常偏高",
                           body="今日受理 40 件，预测区间 5–15 件", href="/gov/insight/alerts", observed=40,
                           projected=10.0, lo=5.0, hi=15.0, created_at=scene.now))
    leader = get(as_persona, "leader", "/api/monitor/alerts", scene.now).json()["items"]
    anomaly = next(a for a in leader if a["kind"] == "anomaly")
    assert anomaly["level"] == "red" and "受理量异常偏高" in anomaly["title"] and anomaly["id"].startswith("i")
    street = get(as_persona, "street", "/api/monitor/alerts", scene.now).json()["items"]
    assert not any(a["kind"] == "anomaly" for a in street)  # another street's anomaly
    narrowed = get(as_persona, "leader", f"/api/monitor/alerts?area={S2}", scene.now).json()["items"]
    assert not any(a["kind"] == "anomaly" for a in narrowed)  # kept per jurisdiction, not per area


def test_cached_rankings_stay_per_viewer_scope(db: sessionmaker[Session], world: World, scene: Scene) -> None:
    """With a refresh period (production: 60 s) a ranking is kept per viewer scope; a sibling street's official
    never gets the answer computed for another street, and the scope check still refuses what it must."""
    from zhili.auth.repository import build_actor
    from zhili.db import transaction
    from zhili.kit.errors import NotFound
    from zhili.monitor import charts

    def ranking(persona: str, area: str | None = None) -> list[tuple[Any, ...]]:
        with clock.frozen(scene.now), transaction(db) as s:
            actor = build_actor(s, world.users[persona])
            c = charts.chart(s, actor, "streets", area, 30, "Asia/Shanghai", ttl=60)
            return [(r[0], r[1]) for r in c.rows]

    charts._memo.clear()
    assert ranking("street") == [("南裕社区", 4)]
    assert ranking("street2") == [("东兴社区", 1)]
    assert ranking("leader") == [("首南街道", 4), ("下应街道", 1)]
    assert ranking("leader", S2) == [("东兴社区", 1)]
    assert ranking("street") == [("南裕社区", 4)]  # from the memo, still its own
    with pytest.raises(NotFound):
        ranking("street", S2)
