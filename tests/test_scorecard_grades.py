"""Grades are pure functions of the headline metrics; the rules are data printed on the page."""

from __future__ import annotations

import pytest

from mysteryshop.scorecard.grades import BANDS, RULES, Rule, grade_metrics, grading_rules, letter, rule_points

EXCELLENT = {
    "acknowledged": {"rate": 1.0, "median_s": 60.0}, "answered": {"rate": 1.0, "median_s": 2 * 3600.0},
    "answered_in_first_reply": {"rate": 1.0}, "followed_up": {"rate": 1.0},
    "marketing_while_open": {"rate": 0.0}, "stalling_autoreply": {"rate": 0.0},
}
SILENT = {
    "acknowledged": {"rate": 0.0, "median_s": None}, "answered": {"rate": 0.0, "median_s": None},
    "answered_in_first_reply": {"rate": 0.0}, "followed_up": {"rate": 0.0},
    "marketing_while_open": {"rate": 0.5}, "stalling_autoreply": {"rate": 0.5},
}


def test_an_excellent_desk_gets_an_a_and_a_silent_one_an_f() -> None:
    assert grade_metrics(EXCELLENT).grade == "A"
    assert grade_metrics(EXCELLENT).score == 100.0
    assert grade_metrics(SILENT).grade == "F"
    assert grade_metrics(SILENT).score == 0.0


def test_points_are_linear_between_zero_and_full_in_either_direction() -> None:
    higher = Rule("x.rate", "x", 10, full=1.0, zero=0.5, unit="rate")
    lower = Rule("y.rate", "y", 10, full=0.0, zero=0.3, unit="rate")
    assert rule_points(higher, 0.75) == pytest.approx(5)
    assert rule_points(higher, 0.2) == 0 and rule_points(higher, 1.0) == 10
    assert rule_points(lower, 0.15) == pytest.approx(5)
    assert rule_points(lower, 0.9) == 0 and rule_points(lower, 0.0) == 10
    assert rule_points(higher, None) == 0


def test_a_time_of_nothing_scores_zero_but_a_metric_that_does_not_apply_is_left_out() -> None:
    # Given no answer at all: the answer time exists for no probe and scores nothing
    silent_times = grade_metrics({**EXCELLENT, "answered": {"rate": 0.0, "median_s": None}})
    answered_time = next(p for p in silent_times.points if p.metric == "answered.median_s")
    assert answered_time.points == 0 and answered_time.max == 15
    # Given journeys without an answer step: first-reply and answer metrics are absent, weights rescale
    partial = {k: v for k, v in EXCELLENT.items() if k in ("acknowledged", "followed_up")}
    graded = grade_metrics(partial)
    assert {p.metric for p in graded.points} == {"acknowledged.rate", "acknowledged.median_s", "followed_up.rate"}
    assert graded.score == 100.0


@pytest.mark.parametrize(("score", "grade"), [(100, "A"), (90, "A"), (89.9, "B"), (80, "B"), (70, "C"), (60, "D"), (50, "E"), (49.9, "F"), (0, "F"), (None, "—")])
def test_bands(score: float | None, grade: str) -> None:
    assert letter(score) == grade


def test_the_rules_are_stated_as_sentences_and_weights_add_to_100() -> None:
    assert sum(r.weight for r in RULES) == 100
    stated = grading_rules()
    assert len(stated["rules"]) == len(RULES)
    assert stated["rules"][0]["text"].startswith("Acknowledged: 15 points at ≥ 95%, none at ≤ 50%")
    assert "A ≥ 90" in stated["text"] and [b["grade"] for b in stated["bands"]] == [g for _, g in BANDS]
