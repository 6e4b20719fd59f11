"""Is a difference between two runs more than chance? Two-sample tests, pure functions, stdlib only.

- A rate (k of n before, k of n after): the two-proportion z-test (pooled), or Fisher's exact test
  when an expected cell count of the 2×2 table is below 5 (Cochran's rule), where the normal
  approximation is poor. Fisher's two-sided p-value sums the probabilities of every table with
  the same margins that is at most as likely as the one observed (as R and scipy do).
- Times (every probe's time before, and after): the Mann-Whitney U test (Wilcoxon rank-sum). It
  asks whether one run's times tend to be larger than the other's, whatever their distribution
  (support response times are skewed and have outliers: no normal assumption). Exact when both
  samples are small (at most 20 values each) and there are no ties, else the normal
  approximation with the tie correction and a continuity correction.

All p-values are two-sided. scipy has all three; it is not a dependency of the package, and
tests/test_significance.py checks these against it where it is installed.

Example:
    >>> round(fisher_exact(1, 10, 9, 10), 4)
    0.0011
    >>> round(mann_whitney([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]).p_value, 4)
    0.0079
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

#: The significance level the gate uses unless told otherwise.
ALPHA = 0.05
#: Below this expected count in a cell of the 2×2 table, rates are compared with Fisher's exact test.
MIN_EXPECTED = 5.0
#: Largest sample (each side) whose Mann-Whitney p-value is computed exactly (without ties).
EXACT_MAX = 20

_NORMAL = NormalDist()


@dataclass(frozen=True, slots=True)
class TestResult:
    """The outcome of one two-sample test: its name, its two-sided p-value and its statistic (z or U)."""

    test: str
    p_value: float
    statistic: float | None = None


def _two_sided_normal(z: float) -> float:
    return min(1.0, 2 * (1 - _NORMAL.cdf(abs(z))))


def fisher_exact(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of Fisher's exact test for k1 of n1 against k2 of n2."""
    _check_counts(k1, n1, k2, n2)
    total, successes = n1 + n2, k1 + k2
    if total == 0:
        return 1.0
    low, high = max(0, n1 - (total - successes)), min(successes, n1)
    whole = math.comb(total, n1)
    # exact integers: the weights of every table with these margins, compared without rounding
    weights = {x: math.comb(successes, x) * math.comb(total - successes, n1 - x) for x in range(low, high + 1)}
    observed = weights[k1]
    # a relative tolerance, as scipy and R use, so tables as likely as the observed one count whatever the float noise
    return min(1.0, sum(w for w in weights.values() if w <= observed * (1 + 1e-7)) / whole)


def two_proportions(k1: int, n1: int, k2: int, n2: int) -> TestResult:
    """Two-sided test of k1/n1 against k2/n2: pooled z-test, or Fisher's exact test for small expected counts."""
    _check_counts(k1, n1, k2, n2)
    if n1 == 0 or n2 == 0:
        return TestResult("none", 1.0)
    total, successes = n1 + n2, k1 + k2
    expected = min(n * share for n in (n1, n2) for share in (successes / total, (total - successes) / total))
    if expected < MIN_EXPECTED:
        return TestResult("fisher", fisher_exact(k1, n1, k2, n2))
    pooled = successes / total
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (k2 / n2 - k1 / n1) / se  # se > 0: both shares are nonzero when every expected count is >= 5
    return TestResult("two-proportion z", _two_sided_normal(z), z)


def _check_counts(k1: int, n1: int, k2: int, n2: int) -> None:
    if not (0 <= k1 <= n1 and 0 <= k2 <= n2):
        raise ValueError(f"counts must be 0 <= k <= n, got {k1} of {n1} and {k2} of {n2}")


def _ranks(values: Sequence[float]) -> tuple[list[float], list[int]]:
    """Mid-ranks (1-based) of `values` in their order, and the sizes of the groups of ties."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    ties: list[int] = []
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        if j > i:
            ties.append(j - i + 1)
        i = j + 1
    return ranks, ties


def _u_distribution(n1: int, n2: int) -> list[int]:
    """How many of the C(n1+n2, n1) orderings of two samples without ties give U = 0, 1, ..., n1·n2.

    f(m, j, u), the orderings of m values of one sample and j of the other with U = u, follows from where the
    largest value comes from: f(m, j, u) = f(m-1, j, u-j) + f(m, j-1, u).
    """
    size = n1 * n2 + 1
    previous = [[1] + [0] * (size - 1) for _ in range(n1 + 1)]  # j = 0: U is 0
    for j in range(1, n2 + 1):
        current = [[1] + [0] * (size - 1)]  # m = 0: U is 0
        for m in range(1, n1 + 1):
            below, left = current[m - 1], previous[m]
            current.append([left[u] + (below[u - j] if u >= j else 0) for u in range(size)])
        previous = current
    return previous[n1]


def mann_whitney(before: Sequence[float], after: Sequence[float]) -> TestResult:
    """Two-sided Mann-Whitney U test of `before` against `after`; the statistic is U of `after`
    (above n1·n2/2: the after values tend to be larger)."""
    n1, n2 = len(before), len(after)
    if n1 == 0 or n2 == 0:
        return TestResult("none", 1.0)
    ranks, ties = _ranks([*before, *after])
    u_after = sum(ranks[n1:]) - n2 * (n2 + 1) / 2
    u_before = n1 * n2 - u_after
    if not ties and max(n1, n2) <= EXACT_MAX:
        dist = _u_distribution(n1, n2)
        whole = sum(dist)
        u = round(min(u_before, u_after))
        return TestResult("mann-whitney exact", min(1.0, 2 * sum(dist[: u + 1]) / whole), u_after)
    total = n1 + n2
    mean = n1 * n2 / 2
    variance = n1 * n2 / 12 * ((total + 1) - sum(t**3 - t for t in ties) / (total * (total - 1)))
    if variance <= 0:  # every value the same
        return TestResult("mann-whitney", 1.0, u_after)
    z = max(0.0, abs(u_after - mean) - 0.5) / math.sqrt(variance)
    return TestResult("mann-whitney", _two_sided_normal(z), u_after)
