"""The two-pass median (median.py) equals the plain median on random durations, with ties, even and odd counts,
values on bucket edges and outside the scale."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from zhili.analysis import indicators as ind
from zhili.analysis import median as med


def two_pass(values: list[float]) -> float | None:
    steps = med.plan(med.histogram(values))
    wanted = {b for b, _r in steps}
    by_bucket: dict[int, list[float]] = defaultdict(list)
    for v in values:  # the second pass reads only the wanted buckets' values
        b = med.bucket_of(v)
        if b in wanted:
            by_bucket[b].append(v)
    return med.pick(steps, by_bucket)


@pytest.mark.parametrize("seed", range(40))
def test_two_pass_median_is_exact(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.choice([1, 2, 3, 4, 7, 10, 101, 1000, 1001])
    pool = [rng.choice([0.0, 30.0, 59.999, 60.0, *med.EDGES[:5], 3600.0, 7200.0, 9e6]) for _ in range(5)]
    values = [rng.choice(pool) if rng.random() < 0.3 else rng.lognormvariate(10, 2) for _ in range(n)]
    rng.shuffle(values)
    assert two_pass(values) == ind.median(sorted(values))


def test_even_count_takes_the_mean_of_two_values_in_different_buckets() -> None:
    values = [10.0, 100.0, 100_000.0, 1_000_000.0]
    steps = med.plan(med.histogram(values))
    assert steps[0][0] != steps[1][0]
    assert two_pass(values) == (100.0 + 100_000.0) / 2


def test_empty_and_bucket_edges() -> None:
    assert med.plan([0] * med.BUCKETS) == []
    assert med.pick([], {}) is None
    assert med.bucket_of(0.0) == 0 and med.bucket_of(med.HIGH * 10) == med.BUCKETS - 1
    for k, edge in enumerate(med.EDGES):
        assert med.bucket_of(edge) == k + 1  # an edge opens its bucket
        assert med.bucket_of(edge * (1 - 1e-12)) == k
