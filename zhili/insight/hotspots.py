"""Hotspots (pure, no database): grids whose recent rate stands out against their own baseline, recurring point
clusters (DBSCAN over haversine distance), and the ranking rules behind both.

Grid score: under the grid's own baseline rate the recent count is Poisson with mean `expected`; the score is
-log10 P(X >= recent), so 2 means "one chance in a hundred", and it grows with both the excess and the volume
(a jump from 1 to 3 scores lower than one from 20 to 40). The baseline is smoothed by half a case so a grid with
an empty baseline is not infinitely surprising.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import poisson

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class GridRate:
    key: int | str | None
    label: str
    recent: int
    baseline: int
    expected: float  # the baseline rate over the recent window's length
    ratio: float  # recent / expected
    score: float  # -log10 of the Poisson upper tail


def grid_score(recent: int, expected: float) -> float:
    if recent <= 0 or expected <= 0:
        return 0.0
    tail = float(poisson.sf(recent - 1, expected))  # P(X >= recent)
    return round(min(99.0, -math.log10(tail)) if tail > 0 else 99.0, 2)


def rank_grids(recent: Mapping[int | str | None, tuple[str, int]], baseline: Mapping[int | str | None, int],
               recent_days: int, baseline_days: int, min_count: int = 3, min_score: float = 1.3,
               limit: int = 50) -> list[GridRate]:
    """Grids with at least `min_count` recent cases, significantly more than expected (score >= `min_score`, i.e.
    p <= 0.05 by default), most surprising first."""
    rows = []
    for key, (label, count) in recent.items():
        if count < min_count:
            continue
        base = int(baseline.get(key, 0))
        expected = (base + 0.5) / baseline_days * recent_days
        if count <= expected:
            continue
        score = grid_score(int(count), expected)
        if score < min_score:
            continue
        rows.append(GridRate(key=key, label=label, recent=int(count), baseline=base, expected=round(expected, 2),
                             ratio=round(count / expected, 2), score=score))
    rows.sort(key=lambda r: (-r.score, -r.recent, str(r.label)))
    return rows[:limit]


@dataclass(frozen=True)
class CasePoint:
    case_id: int
    number: str
    lon: float
    lat: float
    category: str  # the category's display name


@dataclass(frozen=True)
class Cluster:
    size: int
    lon: float
    lat: float
    radius_m: float  # farthest member from the centre
    top_categories: list[tuple[str, int]]
    case_ids: list[int]
    numbers: list[str]


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def clusters(points: Sequence[CasePoint], eps_m: float = 100.0, min_samples: int = 5,
             top: int = 3) -> list[Cluster]:
    """DBSCAN with the haversine metric (a ball tree): a cluster is a dense group of cases within `eps_m` of one
    another, at least `min_samples` around each core case. Largest first."""
    if len(points) < min_samples:
        return []
    from sklearn.cluster import DBSCAN

    coords = np.radians(np.array([[p.lat, p.lon] for p in points], dtype=float))
    labels = DBSCAN(eps=eps_m / EARTH_RADIUS_M, min_samples=min_samples, metric="haversine",
                    algorithm="ball_tree").fit_predict(coords)
    out = []
    for label in sorted(set(int(v) for v in labels) - {-1}):
        members = [points[int(i)] for i in np.flatnonzero(labels == label)]
        lon = float(np.mean([m.lon for m in members]))
        lat = float(np.mean([m.lat for m in members]))
        radius = max(haversine_m(lon, lat, m.lon, m.lat) for m in members)
        cats = Counter(m.category for m in members).most_common(top)
        out.append(Cluster(size=len(members), lon=round(lon, 6), lat=round(lat, 6), radius_m=round(radius, 1),
                           top_categories=cats, case_ids=[m.case_id for m in members],
                           numbers=[m.number for m in members]))
    out.sort(key=lambda c: (-c.size, c.lon, c.lat))
    return out
