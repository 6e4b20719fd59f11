"""Intervals: Wilson for rates, order statistics for medians; checked against scipy, exact sums and a seeded simulation."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mysteryshop.scoring.intervals import median_interval, order_statistic_ranks, wilson


def test_wilson_matches_published_values_and_stays_inside_0_and_1() -> None:
    low, high = wilson(12, 15)
    assert (round(low, 4), round(high, 4)) == (0.5481, 0.9295)
    assert wilson(0, 5)[0] == 0.0 and round(wilson(0, 5)[1], 4) == 0.4345
    assert wilson(5, 5)[1] == 1.0
    assert wilson(0, 0) is None
    with pytest.raises(ValueError, match="between 0 and its total"):
        wilson(6, 5)


def test_wilson_agrees_with_scipy() -> None:
    scipy_stats = pytest.importorskip("scipy.stats")
    for n in (1, 2, 5, 7, 15, 40, 333):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            if 0 <= k <= n:
                ci = scipy_stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
                assert wilson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-9), (k, n)


@given(st.integers(min_value=1, max_value=5000).flatmap(lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))))
def test_wilson_holds_the_rate(case: tuple[int, int]) -> None:
    k, n = case
    low, high = wilson(k, n)
    assert 0 <= low <= k / n <= high <= 1


def _exact_coverage(n: int, j: int) -> float:
    """P(j <= B <= n - j), B ~ Binomial(n, 1/2), by exact integer sums."""
    return sum(math.comb(n, i) for i in range(j, n - j + 1)) / 2**n


def test_the_median_interval_takes_the_narrowest_ranks_that_reach_95_percent() -> None:
    assert order_statistic_ranks(5) is None  # min..max of 5 covers 93.75%: no 95% interval exists
    for n in range(6, 80):
        j, coverage = order_statistic_ranks(n)
        assert coverage == pytest.approx(_exact_coverage(n, j), abs=1e-9)
        assert coverage >= 0.95 > _exact_coverage(n, j + 1), n


def test_the_median_interval_covers_the_median_of_a_skewed_distribution_95_percent_of_the_time() -> None:
    # Given response times drawn from an exponential distribution (median ln 2), 20 at a time, 4000 times (seeded)
    rng = random.Random(17)
    true_median = math.log(2)
    covered = 0
    for _ in range(4000):
        low, high, _coverage = median_interval([rng.expovariate(1.0) for _ in range(20)])
        covered += low <= true_median <= high
    # Then the interval holds the true median as often as it says (95.86% for n = 20; 4000 draws: ±0.6% at 2 s.e.)
    assert covered / 4000 >= 0.95


@given(st.lists(st.floats(min_value=0, max_value=1e7, allow_nan=False), min_size=6, max_size=300))
def test_the_median_lies_inside_its_interval(values: list[float]) -> None:
    low, high, coverage = median_interval(values)
    assert low <= statistics.median(values) <= high and low in values and high in values and 0.95 <= coverage < 1
