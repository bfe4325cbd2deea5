"""The forecast on synthetic series with a known answer: a weekly pattern is learnt better than seasonal-naive
guesses it, its interval covers about the nominal share of unseen days, and a planted spike falls outside the
interval fitted without it."""

from __future__ import annotations

import numpy as np

from zhili.insight.forecast import errors, forecast_series, seasonal_naive

WEEK = np.array([30, 34, 32, 36, 33, 14, 11], dtype=float)


def weekly(days: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).poisson(np.tile(WEEK, days // 7 + 1)[:days]).astype(float)


def test_weekly_pattern_beats_seasonal_naive_in_the_backtest() -> None:
    r = forecast_series(weekly(364, 1), horizon=30)
    assert r.method == "holt-winters" and r.origins == 8
    assert r.model is not None and r.naive is not None
    assert r.model.mae < r.naive.mae * 0.85
    assert r.model.smape < r.naive.smape


def test_forecast_follows_the_week_and_its_interval_covers_unseen_days() -> None:
    inside = total = 0
    for seed in range(6):
        y = weekly(371, seed)
        r = forecast_series(y[:343], horizon=28)
        for actual, p in zip(y[343:], r.points):
            total += 1
            inside += p.lo <= actual <= p.hi
        weekend, weekday = r.points[0:7], [p.yhat for p in r.points[:7]]
        assert max(weekday) - min(weekday) > 15  # the weekly season is kept, not flattened
        assert all(p.lo <= p.yhat <= p.hi for p in weekend)
    assert 0.8 <= inside / total <= 1.0  # nominal 90 %


def test_a_spike_on_the_last_day_is_outside_the_check_interval() -> None:
    y = weekly(120, 3)
    y[-1] = 120
    r = forecast_series(y, horizon=7)
    assert r.check is not None and r.check.hi < 120
    inside = 0
    for seed in range(20):  # without a spike the last day is inside its interval about 90 % of the time
        calm = weekly(120, seed)
        check = forecast_series(calm, horizon=7).check
        assert check is not None
        inside += check.lo <= calm[-1] <= check.hi
    assert inside >= 16


def test_short_series_fall_back_and_empty_ones_are_zero() -> None:
    r = forecast_series([3, 4, 5, 3, 4, 1, 0, 3, 4, 5], horizon=7)
    assert r.method == "seasonal-naive" and len(r.points) == 7 and r.model is None
    z = forecast_series([0] * 60, horizon=7)
    assert all(p.yhat == 0 and p.hi == 0 for p in z.points)


def test_seasonal_naive_and_errors() -> None:
    assert seasonal_naive([1, 2, 3, 4, 5, 6, 7, 8, 9], 8) == [3, 4, 5, 6, 7, 8, 9, 3]
    e = errors([10, 0, 5], [8, 0, 10])
    assert round(e.mae, 3) == round(7 / 3, 3) and e.mape is not None and round(e.mape, 3) == 0.6
    assert round(e.smape, 3) == round((4 / 18 + 0 + 10 / 15) / 3, 3)
