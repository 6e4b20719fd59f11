"""How sure a figure is: confidence intervals for rates and medians. Pure functions, no dependency.

- A rate (k of n) gets the Wilson score interval (Wilson 1927; recommended over the plain
  p ± z·√(p(1-p)/n) by Brown, Cai & DasGupta 2001, "Interval Estimation for a Binomial Proportion",
  because it stays inside 0..1 and keeps its coverage for small n and rates near 0% or 100%,
  which is where support metrics live).
- A median gets the distribution-free interval between two order statistics: for n sorted values
  the true median lies between the j-th smallest and the j-th largest with probability
  P(j ≤ B ≤ n − j), B ~ Binomial(n, ½), whatever the distribution of the times (response times are
  skewed; no normal approximation is assumed). The narrowest such interval is taken: the
  largest j whose coverage is still at least the level asked. Below 6 values no such interval
  reaches 95% (with 5 values, min..max covers 93.75%), so there is none.

Both are closed forms of a few lines; scipy (which has them) is not a dependency of the package,
and tests/test_scorecard_intervals.py checks these against scipy where it is installed.

Example:
    >>> low, high = wilson(12, 15)
    >>> round(low, 3), round(high, 3)
    (0.548, 0.93)
    >>> median_interval([5, 1, 4, 2, 3, 6, 7, 9, 8, 10])
    (2, 9, 0.978515625)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

#: The level of every interval the scorecard shows.
LEVEL = 0.95


def wilson(count: int, total: int, level: float = LEVEL) -> tuple[float, float] | None:
    """The Wilson score interval (low, high) of the rate `count`/`total` at `level`; None when `total` is 0."""
    if total <= 0:
        return None
    if not 0 <= count <= total:
        raise ValueError(f"a rate's count must be between 0 and its total, got {count} of {total}")
    z = NormalDist().inv_cdf(1 - (1 - level) / 2)
    p = count / total
    z2n = z * z / total
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(p * (1 - p) / total + z2n / (4 * total))
    # at 0 of n and n of n the bounds are exactly 0 and 1 (rounding would leave 1e-17 outside)
    low = 0.0 if count == 0 else max(0.0, centre - half)
    high = 1.0 if count == total else min(1.0, centre + half)
    return low, high


def order_statistic_ranks(n: int, level: float = LEVEL) -> tuple[int, float] | None:
    """(j, coverage): the interval from the j-th smallest to the j-th largest of `n` values covers the median with
    probability `coverage` ≥ `level`, and j is the largest such rank; None when no such interval exists (n < 6 at 95%)."""
    if n <= 0:
        return None
    alpha = 1 - level
    log_whole = n * math.log(2)
    log_n = math.lgamma(n + 1)
    below = 0.0  # P(B < j), B ~ Binomial(n, 1/2)
    best: tuple[int, float] | None = None
    for j in range(1, (n + 1) // 2 + 1):
        # C(n, j - 1) / 2**n in log space: exact integers would cost O(n^2) bit operations for 10,000 values
        below += math.exp(log_n - math.lgamma(j) - math.lgamma(n - j + 2) - log_whole)
        outside = 2 * below  # P(B < j) + P(B > n - j)
        if outside > alpha + 1e-12:
            break
        best = (j, 1 - outside)
    return best


def median_interval(values: Sequence[float], level: float = LEVEL) -> tuple[float, float, float] | None:
    """(low, high, coverage): a distribution-free interval for the median of `values`; None below 6 values (at 95%)."""
    ranks = order_statistic_ranks(len(values), level)
    if ranks is None:
        return None
    j, coverage = ranks
    ordered = sorted(values)
    return ordered[j - 1], ordered[len(ordered) - j], coverage
