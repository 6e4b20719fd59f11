"""The gate's two-sample tests against scipy (where installed) and against cases worked by hand."""

from __future__ import annotations

import math
import random

import pytest

from mysteryshop.scoring.significance import fisher_exact, mann_whitney, two_proportions

scipy_stats = pytest.importorskip("scipy.stats")


def test_fisher_matches_scipy_on_many_tables() -> None:
    rng = random.Random(5)
    for _ in range(300):
        n1, n2 = rng.randint(1, 30), rng.randint(1, 30)
        k1, k2 = rng.randint(0, n1), rng.randint(0, n2)
        expected = scipy_stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue
        assert fisher_exact(k1, n1, k2, n2) == pytest.approx(expected, rel=1e-9, abs=1e-12), (k1, n1, k2, n2)


def test_two_proportions_is_the_pooled_z_test_for_large_counts() -> None:
    result = two_proportions(40, 100, 60, 100)
    assert result.test == "two-proportion z"
    # by hand: pooled 0.5, se = sqrt(0.25 * 0.02) = 0.0707, z = 0.2 / 0.0707 = 2.828
    assert result.statistic == pytest.approx(2.8284, abs=1e-4)
    assert result.p_value == pytest.approx(2 * scipy_stats.norm.sf(2.8284271), rel=1e-6)
    assert two_proportions(3, 5, 1, 5).test == "fisher"  # expected counts below 5
    assert two_proportions(0, 0, 3, 5).p_value == 1.0  # nothing to compare


def test_mann_whitney_matches_scipy_exact_and_asymptotic() -> None:
    rng = random.Random(9)
    for _ in range(60):
        a = [rng.random() for _ in range(rng.randint(1, 12))]
        b = [rng.random() + rng.choice([0, 0.3]) for _ in range(rng.randint(1, 12))]
        ours = mann_whitney(a, b)
        theirs = scipy_stats.mannwhitneyu(b, a, alternative="two-sided", method="exact")
        assert ours.test == "mann-whitney exact"
        assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9)
        assert ours.statistic == pytest.approx(theirs.statistic)
    for _ in range(60):  # ties (rounded times) and larger samples: the normal approximation with tie and continuity corrections
        a = [round(rng.expovariate(1), 1) for _ in range(rng.randint(5, 60))]
        b = [round(rng.expovariate(0.8), 1) for _ in range(rng.randint(5, 60))]
        theirs = scipy_stats.mannwhitneyu(b, a, alternative="two-sided", method="asymptotic", use_continuity=True)
        assert mann_whitney(a, b).p_value == pytest.approx(theirs.pvalue, rel=1e-7)


def test_identical_samples_are_no_evidence_of_change() -> None:
    assert mann_whitney([5.0] * 8, [5.0] * 8).p_value == 1.0
    assert two_proportions(10, 20, 10, 20).p_value == pytest.approx(1.0)
    assert not math.isnan(mann_whitney([1.0], [2.0]).p_value)
    with pytest.raises(ValueError, match="0 <= k <= n"):
        two_proportions(6, 5, 1, 5)
