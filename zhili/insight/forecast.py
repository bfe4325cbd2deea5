"""Daily-volume forecasts (pure, no database): Holt-Winters with a weekly season, a rolling-origin backtest beside
the seasonal-naive baseline (same weekday last week), and prediction intervals from the backtest's errors.

Model: statsmodels ExponentialSmoothing, additive weekly season (period 7), no trend (a 30-day trend extrapolated
from a year of counts does more harm than good; the level adapts). Its smoothing parameters are estimated once per
series on the history without its last day; the backtest and the final forecast reuse them (optimized=False), which
keeps all categories well inside the 30 s budget. Short series (< 3 weeks) fall back to the seasonal-naive mean.

Intervals: the empirical quantiles of the backtest's errors (actual - forecast, horizons 1-7), widened by
sqrt(h / 7) beyond a week, and never narrower than the Poisson interval of the forecast itself (counts are at
least Poisson-noisy). `check` is the interval for the last observed day from a fit that did not see it: the
anomaly rule compares the day's count against it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import poisson

SEASON = 7
MIN_MODEL_DAYS = 21
BACKTEST_ORIGINS = 8
BACKTEST_HORIZON = 7


@dataclass(frozen=True)
class Interval:
    yhat: float
    lo: float
    hi: float


@dataclass(frozen=True)
class Errors:
    mae: float
    smape: float  # 0..2 (symmetric MAPE as a share; 0/0 counts as a perfect day)
    mape: float | None  # over days with a non-zero actual; None when every day was zero


@dataclass(frozen=True)
class SeriesForecast:
    method: str  # "holt-winters" or "seasonal-naive"
    points: list[Interval]  # horizon days after the last observed day
    check: Interval | None  # the last observed day, forecast without it
    model: Errors | None  # rolling-origin backtest of the model
    naive: Errors | None  # the same origins, seasonal-naive
    coverage: float | None  # share of backtest actuals inside the model's interval
    origins: int


def smape_day(actual: float, pred: float) -> float:
    den = abs(actual) + abs(pred)
    return 0.0 if den == 0 else 2 * abs(actual - pred) / den


def errors(actual: Sequence[float], pred: Sequence[float]) -> Errors:
    a, p = np.asarray(actual, dtype=float), np.asarray(pred, dtype=float)
    nz = a != 0
    mape = float(np.mean(np.abs(a[nz] - p[nz]) / a[nz])) if nz.any() else None
    return Errors(mae=float(np.mean(np.abs(a - p))), smape=float(np.mean([smape_day(x, y) for x, y in zip(a, p, strict=False)])),
                  mape=mape)


def seasonal_naive(history: Sequence[float] | np.ndarray, horizon: int) -> list[float]:
    """Same weekday in the last observed week (repeated for longer horizons)."""
    y = list(history)
    if len(y) < SEASON:
        mean = float(np.mean(y)) if y else 0.0
        return [mean] * horizon
    last = y[-SEASON:]
    return [float(last[h % SEASON]) for h in range(horizon)]


def _weekday_mean(history: Sequence[float] | np.ndarray, horizon: int) -> list[float]:
    """Mean of the same weekday over the last 4 weeks: the fallback for short series."""
    y = np.asarray(history, dtype=float)
    n = len(y)
    if n == 0:
        return [0.0] * horizon
    out = []
    for h in range(horizon):
        same = [y[i] for i in range(max(0, n - 4 * SEASON), n) if (n + h - i) % SEASON == 0]
        out.append(float(np.mean(same)) if same else float(np.mean(y)))
    return out


class _HoltWinters:
    """Additive weekly Holt-Winters: smoothing parameters and initial states estimated once by statsmodels, then
    one pass of the recursion over the whole series keeps the state after every day, so a forecast from any
    origin (the backtest's, the check's, the final one) costs nothing more."""

    def __init__(self, y: np.ndarray) -> None:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = ExponentialSmoothing(y, trend=None, seasonal="add", seasonal_periods=SEASON,
                                       initialization_method="heuristic" if len(y) >= 2 * SEASON + 10
                                       else "estimated").fit(optimized=True)
        p = fit.params
        self.alpha = float(p["smoothing_level"])
        self.gamma = float(p["smoothing_seasonal"])
        self.level0 = float(p["initial_level"])
        self.seasons0 = np.asarray(p["initial_seasons"], dtype=float)
        self.level = np.empty(0)
        self.season = np.empty(0)

    def run(self, y: np.ndarray) -> None:
        """States after each of the first t observations: level[t], and season[t .. t+6] for the next 7 days."""
        n, a, g = len(y), self.alpha, self.gamma
        level, season = np.empty(n + 1), np.empty(n + SEASON)
        level[0], season[:SEASON] = self.level0, self.seasons0
        for i in range(1, n + 1):
            level[i] = a * (y[i - 1] - season[i - 1]) + (1 - a) * level[i - 1]
            season[i + SEASON - 1] = g * (y[i - 1] - level[i - 1]) + (1 - g) * season[i - 1]
        self.level, self.season = level, season

    def predict(self, t: int, horizon: int) -> list[float]:
        """The forecast made after the first t observations (run() must have seen at least t)."""
        return [max(0.0, float(self.level[t] + self.season[t + k % SEASON])) for k in range(horizon)]


def _intervals(yhat: Sequence[float], horizons: Sequence[int], q_lo: float, q_hi: float,
               level: float) -> list[Interval]:
    """Forecasts with their interval: the backtest error quantiles (widened beyond a week), at least as wide as
    the Poisson interval of the forecast, never below zero."""
    y = np.asarray(yhat, dtype=float)
    widen = np.sqrt(np.maximum(1.0, np.asarray(horizons, dtype=float) / BACKTEST_HORIZON))
    tail = (1 - level) / 2
    mean = np.maximum(y, 1e-9)
    p_lo = np.where(y > 0, poisson.ppf(tail, mean), 0.0)
    p_hi = np.where(y > 0, poisson.ppf(1 - tail, mean), 0.0)
    lo = np.maximum(0.0, np.minimum(y + q_lo * widen, p_lo))
    hi = np.maximum(y + q_hi * widen, p_hi)
    return [Interval(yhat=round(float(a), 3), lo=round(float(b), 3), hi=round(float(c), 3))
            for a, b, c in zip(y, lo, hi, strict=True)]


def forecast_series(history: Sequence[float], horizon: int = 30, level: float = 0.9,
                    origins: int = BACKTEST_ORIGINS) -> SeriesForecast:
    """Forecast `horizon` days after `history` (consecutive daily counts, oldest first)."""
    y = np.asarray(history, dtype=float)
    train = y[:-1]  # the last day is kept out of every fit that judges it
    use_model = len(train) >= MIN_MODEL_DAYS and float(train.sum()) > 0
    hw = _HoltWinters(train) if use_model else None
    if hw is not None:
        hw.run(y)

    def predict(prefix: np.ndarray, h: int) -> list[float]:
        if hw is not None and len(prefix) >= 2 * SEASON:
            return hw.predict(len(prefix), h)
        return _weekday_mean(prefix, h)

    # Rolling origins: each predicts the next BACKTEST_HORIZON days of `train` from what came before.
    actual: list[float] = []
    pred: list[float] = []
    naive: list[float] = []
    used = 0
    for k in range(origins, 0, -1):
        end = len(train) - k * BACKTEST_HORIZON
        if end < 2 * SEASON:
            continue
        used += 1
        seen, truth = train[:end], train[end:end + BACKTEST_HORIZON]
        actual += list(truth)
        pred += predict(seen, len(truth))
        naive += seasonal_naive(seen, len(truth))
    model_err: Errors | None
    naive_err: Errors | None
    if actual:
        resid = np.asarray(actual) - np.asarray(pred)
        tail = (1 - level) / 2
        q_lo, q_hi = float(np.quantile(resid, tail)), float(np.quantile(resid, 1 - tail))
        model_err, naive_err = errors(actual, pred), errors(actual, naive)
        ivs = _intervals(pred, [1] * len(pred), q_lo, q_hi, level)
        coverage = float(np.mean([iv.lo <= a <= iv.hi for a, iv in zip(actual, ivs, strict=True)]))
    else:
        q_lo = q_hi = 0.0
        model_err = naive_err = None
        coverage = None
    check = _intervals(predict(train, 1), [1], q_lo, q_hi, level)[0] if len(train) else None
    points = _intervals(predict(y, horizon), list(range(1, horizon + 1)), q_lo, q_hi, level)
    return SeriesForecast(method="holt-winters" if hw is not None else "seasonal-naive", points=points, check=check,
                          model=model_err, naive=naive_err, coverage=coverage, origins=used)
