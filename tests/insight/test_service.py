"""Insight over the database and HTTP: a planted cluster is found with its top category and only inside the
scope; a planted spike raises one alert per subject, a second run none; forecasts are stored with their backtest
and shown only in the viewer's jurisdiction."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests.cases.helpers import actor_of
from tests.insight.helpers import GARBAGE, LAMP, NOISE, plant
from zhili.db import transaction
from zhili.insight import repository, runs, service
from zhili.insight.models import ForecastSeries, InsightAlert
from zhili.kit import clock
from zhili.notify.models import Notification

NOW = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai: yesterday is 11-27
S2_AREA_ID = 4  # build_world: city 1, district 2, 首南 3, 下应 4


def noon(days_ago: int) -> datetime:
    return NOW - timedelta(days=days_ago) - timedelta(hours=2)  # 12:00 local that day


def test_a_planted_cluster_is_found_with_its_top_category_only_in_scope(db, world, as_persona) -> None:
    rng = random.Random(7)
    with clock.frozen(NOW), transaction(db) as s:
        for i in range(12):  # within ~25 m of (121.5080, 29.8150), grid A of 首南
            code = NOISE if i < 7 else (GARBAGE if i < 11 else LAMP)
            plant(s, world, code=code, at=noon(1 + i % 20), lon=121.5080 + rng.uniform(-0.00018, 0.00018),
                  lat=29.8150 + rng.uniform(-0.00015, 0.00015), address="南裕小区3幢")
        for i in range(30):  # scattered over 首南 and 下应
            grid = "a" if i % 2 else "c"
            lon = rng.uniform(121.50, 121.515) if grid == "a" else rng.uniform(121.56, 121.59)
            plant(s, world, code=GARBAGE, at=noon(1 + i % 25), lon=lon, lat=rng.uniform(29.80, 29.84), grid=grid)
        plant(s, world, code=NOISE, at=noon(40), lon=121.5080, lat=29.8150)  # too old for a 30-day window
    with clock.frozen(NOW):
        body = as_persona("operator").get("/api/insight/hotspots/clusters?min_samples=5").json()
        assert body["cases"] == 42 and len(body["clusters"]) == 1
        c = body["clusters"][0]
        assert c["size"] == 12 and c["top_categories"][0] == ["广场舞噪声", 7] and c["radius_m"] < 60
        assert len(c["case_numbers"]) == 12
        street = as_persona("street").get("/api/insight/hotspots/clusters").json()
        assert street["cases"] == 27 and street["clusters"][0]["size"] == 12
        other = as_persona("street2").get("/api/insight/hotspots/clusters").json()
        assert other["cases"] == 15 and other["clusters"] == []  # 下应 cannot see 首南's cluster
        assert as_persona("street").get(f"/api/insight/hotspots/clusters?area_id={S2_AREA_ID}").status_code == 404
        assert as_persona("resident").get("/api/insight/hotspots/clusters").status_code == 403
        addresses = as_persona("street").get("/api/insight/hotspots/addresses?min_cases=5").json()["rows"]
        assert [(a["address"], a["cases"], a["categories"]) for a in addresses] == [("南裕小区3幢", 12, 3)]
        assert as_persona("street2").get("/api/insight/hotspots/addresses?min_cases=5").json()["rows"] == []
        page = as_persona("street").get("/gov/insight/hotspots")
        assert page.status_code == 200 and "南裕小区3幢" in page.text and "广场舞噪声（7）" in page.text


def _history(s, world, spike: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    for day in range(1, 64):
        n_a = spike if day == 1 else 3
        for _ in range(n_a):
            plant(s, world, code=NOISE, at=noon(day), lon=rng.uniform(121.50, 121.515), lat=rng.uniform(29.80, 29.84))
        for _ in range(2):
            plant(s, world, code=GARBAGE, at=noon(day), lon=rng.uniform(121.56, 121.59),
                  lat=rng.uniform(29.80, 29.84), grid="c")


def test_a_planted_spike_raises_one_alert_per_subject_and_a_second_run_none(db, world, as_persona) -> None:
    with clock.frozen(NOW):
        with transaction(db) as s:
            _history(s, world, spike=30)
        with transaction(db) as s:
            run = runs.run_forecasts(s, history_days=63)
            assert run.as_of.isoformat() == "2026-11-27" and run.series_count >= 4
            raised = runs.detect_anomalies(s)
        with transaction(db) as s:
            alerts = list(s.scalars(select(InsightAlert).order_by(InsightAlert.id)))
            assert raised == len(alerts) >= 3
            assert len({(a.kind, a.subject_key, a.day) for a in alerts}) == len(alerts)
            by_kind = {a.kind: a for a in alerts}
            street = by_kind["street"]
            assert street.title.startswith("首南街道 11月27日 受理30 件，预期 ") and street.level == "critical"
            assert any(a.kind == "category" and "广场舞噪声 11月27日 30 件" in a.title for a in alerts)
            assert by_kind["grid"].title.startswith("南裕社区第1网格 11月27日")
            assert not any("下应" in a.title for a in alerts)
            assert all(a.notified >= 2 for a in alerts)  # the center: leader, operator (and admin)
            leader_notes = s.scalar(select(func.count()).select_from(Notification).where(
                Notification.user_id == world.users["leader"].id, Notification.kind == "insight_alert"))
            assert leader_notes == len(alerts)
        with transaction(db) as s:  # the job again (or a second worker): nothing new
            assert runs.detect_anomalies(s) == 0
            assert repository.insert_alert(s, {"kind": "street", "subject_key": street.subject_key,
                                               "day": street.day, "area_path": "/", "level": "warning",
                                               "title": "x", "body": "", "href": "/", "observed": 1,
                                               "projected": 1.0, "lo": 0, "hi": 0, "created_at": NOW}) is None
        with transaction(db) as s:
            assert s.scalar(select(func.count()).select_from(InsightAlert)) == len(alerts)
        seen = as_persona("street").get("/api/insight/alerts").json()
        assert {a["kind"] for a in seen} == {"street", "grid"}  # category alerts are district-wide
        assert as_persona("street2").get("/api/insight/alerts").json() == []
        with transaction(db) as s:  # what the cockpit shows
            latest = service.latest_alerts(s, actor_of(s, world, "street"), 5)
            assert {a.kind for a in latest} == {"street", "grid"} and all(a.href.startswith("/gov/") for a in latest)
            assert latest[0].at == NOW and latest[0].level in ("warning", "critical") and latest[0].title
            assert service.latest_alerts(s, actor_of(s, world, "street2"), 5) == []
            assert service.latest_alerts(s, actor_of(s, world, "resident"), 5) == []
        leader = as_persona("leader").get("/api/insight/alerts?limit=50").json()
        assert len(leader) == len(alerts) and {a["level"] for a in leader} <= {"warning", "critical"}
        page = as_persona("leader").get("/gov/insight/alerts")
        assert page.status_code == 200 and "首南街道 11月27日" in page.text


def test_no_spike_no_alert(db, world) -> None:
    with clock.frozen(NOW):
        with transaction(db) as s:
            _history(s, world, spike=3)
        with transaction(db) as s:
            runs.run_forecasts(s, history_days=63)
            assert runs.detect_anomalies(s) == 0
        with transaction(db) as s:  # by 14:00 today 首南 already has 20 (about 34 for the whole day; expected ~3)
            for i in range(20):
                plant(s, world, code=NOISE, at=NOW - timedelta(hours=1, minutes=i), lon=121.505, lat=29.81 + i / 1e4)
        with transaction(db) as s:
            assert runs.detect_anomalies(s) >= 1
            today = list(s.scalars(select(InsightAlert).where(InsightAlert.kind == "street")))
            assert len(today) == 1 and today[0].partial and today[0].day.isoformat() == "2026-11-28"
            assert today[0].title.startswith("首南街道 11月28日 截至目前 受理20 件（全天折算约 34 件）")
            assert runs.detect_anomalies(s) == 0


def test_forecasts_are_stored_with_backtest_and_shown_in_scope(db, world, as_persona) -> None:
    with clock.frozen(NOW):
        with transaction(db) as s:
            _history(s, world, spike=3)
        with transaction(db) as s:
            runs.run_forecasts(s, history_days=63, horizon=30)
        with transaction(db) as s:
            series = list(s.scalars(select(ForecastSeries)))
            labels = {x.label for x in series}
            assert {"首南街道", "下应街道", "鄞州区 全部事项", "鄞州区 广场舞噪声", "鄞州区 暴露垃圾"} <= labels
        leader = as_persona("leader").get("/api/insight/forecasts").json()
        assert leader["run"]["as_of"] == "2026-11-27" and leader["run"]["horizon"] == 30
        s1 = next(x for x in leader["series"] if x["label"] == "首南街道")
        assert s1["model"]["method"] == "model" and s1["naive"]["method"] == "seasonal_naive"
        assert s1["model"]["origins"] >= 4 and 15 <= s1["next7"] <= 27  # about 3 a day
        street = as_persona("street").get("/api/insight/forecasts").json()
        assert [x["label"] for x in street["series"]] == ["首南街道"]
        assert as_persona("street").get(f"/api/insight/forecasts?series={s1['id']}").status_code == 200
        s2 = next(x for x in leader["series"] if x["label"] == "下应街道")
        assert as_persona("street").get(f"/api/insight/forecasts?series={s2['id']}").status_code == 404
        assert as_persona("street").get(f"/api/insight/forecasts.csv?series={s2['id']}").status_code == 404
        detail = as_persona("leader").get(f"/api/insight/forecasts?series={s1['id']}").json()["detail"]
        assert len(detail["points"]) == 30 and detail["points"][0]["day"] == "2026-11-28"
        assert all(p["lo"] <= p["yhat"] <= p["hi"] for p in detail["points"])
        assert detail["history"][-1] == ["2026-11-27", 3]
        csv = as_persona("leader").get(f"/api/insight/forecasts.csv?series={s1['id']}")
        assert csv.status_code == 200 and csv.text.startswith("\ufeff序列,日期") and "2026-12-27" in csv.text
        every = as_persona("street").get("/api/insight/forecasts.csv").text
        assert "首南街道,街道,2026-11-28" in every and "下应" not in every
        page = as_persona("street").get("/gov/insight/forecasts")
        assert page.status_code == 200 and "首南街道" in page.text and "下应街道" not in page.text
        assert "MAE 朴素" in page.text and "<svg" in page.text
        assert as_persona("resident").get("/api/insight/forecasts").status_code == 403


def test_trends_and_grid_hotspots(db, world, as_persona) -> None:
    with clock.frozen(NOW):
        with transaction(db) as s:
            _history(s, world, spike=3)
            rng = random.Random(9)
            for day in range(1, 8):  # grid B: nothing for weeks, then 4 a day this week
                for _ in range(4):
                    plant(s, world, code=LAMP, at=noon(day), lon=rng.uniform(121.516, 121.529),
                          lat=rng.uniform(29.80, 29.84), grid="b")
        t = as_persona("street").get("/api/insight/trends?days=63").json()
        assert t["total"] == 3 * 63 + 28 and len(t["days"]) == 63 and len(t["weekday_profile"]) == 7
        assert t["days"][-1]["trend"] is not None and t["month_profile"] is None
        assert as_persona("street").get("/api/insight/trends?days=5").status_code == 422
        assert as_persona("street").get(f"/api/insight/trends?area_id={S2_AREA_ID}").status_code == 404
        grids = as_persona("street").get("/api/insight/hotspots/grids").json()["rows"]
        assert [g["name"] for g in grids] == ["南裕社区第2网格"] and grids[0]["recent"] == 28
        assert as_persona("street2").get("/api/insight/hotspots/grids").json()["rows"] == []
        page = as_persona("street").get("/gov/insight/trends?days=63")
        assert page.status_code == 200 and "周内规律" in page.text
