"""Hotspot and anomaly rules without a database."""

from __future__ import annotations

import random
from datetime import date

from zhili.insight import anomalies
from zhili.insight.hotspots import CasePoint, clusters, haversine_m, rank_grids


def test_a_planted_cluster_of_12_within_60_m_is_found_with_its_top_category() -> None:
    rng = random.Random(5)
    lon0, lat0 = 121.5080, 29.8150
    pts = []
    for i in range(12):  # within ~25 m of the centre: any two within 60 m
        cat = "广场舞噪声" if i < 8 else ("暴露垃圾" if i < 11 else "路灯")
        pts.append(CasePoint(i, f"N{i}", lon0 + rng.uniform(-0.00018, 0.00018),
                             lat0 + rng.uniform(-0.00015, 0.00015), cat))
    for i in range(40):  # scattered over ~6 x 4 km
        pts.append(CasePoint(100 + i, f"S{i}", rng.uniform(121.50, 121.56), rng.uniform(29.80, 29.84), "其他"))
    assert max(haversine_m(a.lon, a.lat, b.lon, b.lat) for a in pts[:12] for b in pts[:12]) < 60
    found = clusters(pts, eps_m=100, min_samples=5)
    assert len(found) == 1
    c = found[0]
    assert c.size == 12 and sorted(c.case_ids) == list(range(12))
    assert c.top_categories[0] == ("广场舞噪声", 8)
    assert haversine_m(c.lon, c.lat, lon0, lat0) < 30 and c.radius_m < 60
    assert clusters(pts, eps_m=100, min_samples=13) == []


def test_grids_are_ranked_against_their_own_baseline() -> None:
    recent = {1: ("甲网格", 40), 2: ("乙网格", 8), 3: ("丙网格", 30), 4: ("丁网格", 2)}
    baseline = {1: 8 * 35, 2: 8, 3: 8 * 10}  # per 8 weeks: 1 is as usual (35/week), 2 and 3 jumped
    ranked = rank_grids(recent, baseline, recent_days=7, baseline_days=56)
    assert [r.label for r in ranked] == ["丙网格", "乙网格"]  # 甲 is at its usual rate, 丁 below min_count
    assert ranked[0].recent == 30 and ranked[0].expected == 10.06 and ranked[0].ratio > 2.9
    assert ranked[0].score > ranked[1].score > 2


def test_anomaly_levels_and_message() -> None:
    day = date(2026, 11, 27)
    f = anomalies.finding("street", "3", "首南街道", day, 42, 12, 20)
    assert f is not None and f.level == "critical"
    title, body = anomalies.message(f)
    assert title == "首南街道 11月27日 受理42 件，预期 12-20 件" and "严重" in body
    assert anomalies.finding("street", "3", "首南街道", day, 22, 12, 20).level == "warning"  # type: ignore[union-attr]
    assert anomalies.finding("street", "3", "首南街道", day, 15, 12, 20) is None
    assert anomalies.finding("category", "2:7", "噪声", day, 3, 12, 20).level == "warning"  # type: ignore[union-attr]
    # today so far: scaled by the share of the day, judged from noon, a slow morning is not news
    assert anomalies.finding("street", "3", "首南街道", day, 15, 12, 20, day_share=0.4) is None
    hot = anomalies.finding("street", "3", "首南街道", day, 15, 12, 20, day_share=0.5)
    assert hot is not None and hot.projected == 30 and hot.partial and "截至目前" in anomalies.message(hot)[0]
    assert anomalies.finding("street", "3", "首南街道", day, 2, 12, 20, day_share=0.6) is None
