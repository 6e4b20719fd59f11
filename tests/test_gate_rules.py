"""The gate's decisions as pure functions: chance against change, and requirements as written."""

from __future__ import annotations

import random

import pytest

from mysteryshop import gate
from mysteryshop.errors import ConfigError
from mysteryshop.scorecard.build import HEADLINE
from mysteryshop.thresholds import check, parse_requirement


def tolerance(key: str) -> float | str:
    return {"score": 5.0}.get(key, "25%" if key.endswith("_s") else 0.10)


def rate(k: int, n: int) -> dict[str, int]:
    return {"k": k, "n": n}


def test_a_real_drop_over_many_probes_is_a_regression() -> None:
    change = gate.judge("email.answered.rate", 0.9, 0.6, 0.10, before=rate(90, 100), after=rate(60, 100), tested=True)
    assert change.regressed and change.verdict == "regressed" and change.p_value < 0.001 and change.test == "two-proportion z"
    assert (change.n_before, change.n_after) == (100, 100) and change.difference == pytest.approx(-0.3)


def test_the_same_drop_over_five_probes_is_chance() -> None:
    # 4 of 5 then 2 of 5: forty points worse, but five probes cannot tell that from luck (Fisher p = 0.52)
    change = gate.judge("email.answered.rate", 0.8, 0.4, 0.10, before=rate(4, 5), after=rate(2, 5), tested=True)
    assert not change.regressed and change.verdict == "chance" and change.test == "fisher" and change.p_value > 0.5
    # without samples (a baseline written before they were kept) the tolerance alone decides, as it used to
    assert gate.judge("email.answered.rate", 0.8, 0.4, 0.10).regressed


def test_noise_between_runs_of_one_desk_is_not_flagged() -> None:
    # 200 pairs of small runs of the same desk (answers 40%, times from one distribution): the gate at 0.05 flags few
    rng = random.Random(1)
    flagged = untested = 0
    for _ in range(200):
        before = {"email.answered.rate": rate(sum(rng.random() < 0.4 for _ in range(8)), 8),
                  "email.answered.median_s": {"values": [rng.expovariate(1 / 36000) for _ in range(6)]}}
        after = {"email.answered.rate": rate(sum(rng.random() < 0.4 for _ in range(8)), 8),
                 "email.answered.median_s": {"values": [rng.expovariate(1 / 36000) for _ in range(6)]}}
        values = lambda s: {"email.answered.rate": s["email.answered.rate"]["k"] / 8,  # noqa: E731
                            "email.answered.median_s": sorted(s["email.answered.median_s"]["values"])[3]}
        flagged += gate.verdict(gate.gate(values(before), values(after), tolerance, before=before, after=after)) == "regression"
        untested += gate.verdict(gate.gate(values(before), values(after), tolerance)) == "regression"
    assert flagged <= 200 * 0.05  # at most the level
    assert untested > 200 * 0.3  # by tolerance alone, a third or more of the reruns of one desk "regressed"


def test_times_are_compared_over_every_probe() -> None:
    hour = 3600.0
    slow = {"values": [h * hour for h in (20, 22, 25, 26, 28, 30, 31, 33, 35, 40)]}
    fast = {"values": [h * hour for h in (2, 3, 4, 5, 6, 7, 8, 9, 10, 11)]}
    worse = gate.judge("email.answered.median_s", 5 * hour, 29 * hour, "25%", before=fast, after=slow, tested=True)
    assert worse.regressed and worse.test == "mann-whitney exact" and worse.p_value < 0.001
    better = gate.judge("email.answered.median_s", 29 * hour, 5 * hour, "25%", before=slow, after=fast, tested=True)
    assert better.improved and not better.regressed


def test_the_score_regresses_only_with_a_part_that_did() -> None:
    values_before = {"score": 80.0, "email.answered.rate": 0.8}
    values_after = {"score": 60.0, "email.answered.rate": 0.4}
    few = gate.gate(values_before, values_after, tolerance, before={"email.answered.rate": rate(4, 5)}, after={"email.answered.rate": rate(2, 5)})
    assert few[0].key == "score" and few[0].verdict == "chance" and gate.verdict(few) == "pass"
    many = gate.gate(values_before, values_after, tolerance, before={"email.answered.rate": rate(80, 100)}, after={"email.answered.rate": rate(40, 100)})
    assert many[0].regressed and gate.verdict(many) == "regression"
    lines = gate.table(many)
    assert "p-value" in lines[0] and any("REGRESSED" in line and "−40 pts" in line and "<0.001" in line for line in lines)


@pytest.mark.parametrize(("rule", "values", "grade", "met"), [
    ("grade>=C", {}, "B", True),
    ("grade>=C", {}, "C", True),
    ("grade>=C", {}, "D", False),
    ("grade>=C", {}, "—", False),  # nothing measured: no grade meets anything
    ("grade<B", {}, "C", True),
    ("email.acknowledged.rate>=0.8", {"email.acknowledged.rate": 0.8}, "A", True),
    ("email.acknowledged.rate>=80%", {"email.acknowledged.rate": 0.79}, "A", False),
    ("email.answered.p90<8bh", {"email.answered.p90_s": 7 * 3600.0}, "A", True),
    ("email.answered.p90<8bh", {"email.answered.p90_s": 8 * 3600.0}, "A", False),
    ("email.answered.p90_s<8h", {"email.answered.p90_s": None}, "A", False),  # nothing answered: no p90 meets a bound
    ("email.answered.median <= 4h", {"email.answered.median_s": 4 * 3600.0}, "A", True),
    ("score>=70", {"score": 69.9}, "D", False),
])
def test_requirements_pass_and_fail_as_written(rule: str, values: dict[str, float | None], grade: str, met: bool) -> None:
    result = check(parse_requirement(rule, HEADLINE), values, grade)
    assert result.met is met, result.reason


def test_business_hours_need_a_clock_open_around_the_clock() -> None:
    rule = parse_requirement("email.answered.p90<8bh", HEADLINE)
    result = check(rule, {"email.answered.p90_s": 3600.0}, "A", business_clock=True)
    assert not result.met and "write the requirement in elapsed time" in result.reason


@pytest.mark.parametrize(("rule", "says"), [
    ("grade>=G", "a grade is one letter A-F"),
    ("answerd.rate>=0.8", "unknown metric 'answerd.rate'. Did you mean 'email.answered.rate'?"),
    ("email.acknowledged.rate>=1.5", "outside 0..1"),
    ("email.acknowledged.rate>=lots", "'lots' is not a rate"),
    ("email.answered.p90<8 fortnights", "is not a duration"),
    ("email.answered.p90 8h", "not a requirement; write METRIC OPERATOR VALUE"),
])
def test_a_bad_requirement_says_what_and_how(rule: str, says: str) -> None:
    with pytest.raises(ConfigError, match="--require") as error:
        parse_requirement(rule, HEADLINE)
    assert says in str(error.value)


def test_a_time_moves_by_more_than_the_runs_can_resolve_before_it_regresses() -> None:
    # every acknowledgement 33 minutes later: a real company (speedup 1) got slower; at the demo desk's 14,400x it
    # is 0.14 s of wall time, what a busy machine's start of a run costs, and no regression
    before = {"values": [60.0 * m for m in (1, 2, 2, 3, 3, 4, 5, 5, 6, 7, 8, 9)]}
    after = {"values": [60.0 * (m + 33) for m in (1, 2, 2, 3, 3, 4, 5, 5, 6, 7, 8, 9)]}
    args = ("email.acknowledged.median_s", 270.0, 2250.0, "25%")
    assert gate.judge(*args, before=before, after=after, tested=True, time_floor=gate.time_floor_s([1.0])).regressed
    demo = gate.judge(*args, before=before, after=after, tested=True, time_floor=gate.time_floor_s([14400.0]))
    assert not demo.regressed and demo.verdict == "ok" and demo.p_value < 0.001
    assert gate.time_floor_s([]) == gate.TIME_FLOOR_S and gate.time_floor_s([14400.0]) == 7200.0
