"""Grades are pure functions of each channel's metrics under a rubric; the rubric is a file, checked line by line."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from mysteryshop.scorecard.grades import (
    BANDS,
    Rule,
    capped,
    grade_channel,
    grade_overall,
    grading_rules,
    letter,
    rule_points,
)
from mysteryshop.scorecard.rubric import RubricError, default_rubric, load_rubric
from mysteryshop.scoring.metrics import METRIC_BY_KEY, ProbeMetrics, aggregate

S = 10**9
SHIPPED = resources.files("mysteryshop.scorecard").joinpath("rubric.yaml").read_text(encoding="utf-8")

GOOD_EMAIL = ProbeMetrics(email=True, acknowledged_ns=60 * S, ack_deadline_ns=15 * 60 * S, answered_ns=2 * 3600 * S,
                          first_reply_answers=True, followed_up=True)
SILENT_EMAIL = ProbeMetrics(email=True, first_reply_answers=False, marketing_while_open=True, stalling=True)
GOOD_CHAT = ProbeMetrics(chat=True, chat_response_ns=5 * S, chat_person_ns=120 * S, chat_answer_ns=300 * S,
                         chat_longest_silence_ns=100 * S, chat_ended=True)


def figures(probes: list[ProbeMetrics], *channels: str) -> dict:
    return aggregate(probes, default_rubric().settings, channels or ("email", "webform", "chat"))


def test_the_shipped_rubric_adds_up_and_says_where_every_default_comes_from() -> None:
    rubric = default_rubric()
    assert sum(c.weight for c in rubric.channels) == 100
    for channel in rubric.channels:
        assert sum(r.weight for r in channel.rules) == pytest.approx(100), channel.channel
        assert channel.source and all(r.source for r in channel.rules)
    assert set(rubric.sources) == {"min_sample", "acknowledgement_within", "status_update_after"} and all(rubric.sources.values())
    assert all(c.source for c in rubric.critical)
    assert rubric.settings.min_sample == 5 and rubric.settings.status_update_after_ns == 20 * 60 * S
    stated = grading_rules(rubric)
    assert stated["channels"]["email"]["rules"][0]["text"] == "Acknowledged within the deadline: 15 points at ≥ 95%, none at ≤ 50%, linear between"
    assert stated["rules"][0]["text"].startswith("Email (weight 40): Acknowledged within the deadline 15 (95%→50%); Time to acknowledge (median) 10 (15m→4h);")
    assert [r["text"].split(" (")[0] for r in stated["rules"][:3]] == ["Email", "Web form", "Chat"]
    assert "A ≥ 90" in stated["text"] and [b["grade"] for b in stated["bands"]] == [g for _, g in BANDS]


def test_an_excellent_desk_gets_an_a_and_a_silent_one_an_f() -> None:
    rubric = default_rubric()
    good = grade_channel(figures([GOOD_EMAIL] * 6, "email")["email"], rubric, "email")
    assert (good.grade, good.score) == ("A", 100.0)
    silent = grade_channel(figures([SILENT_EMAIL] * 6, "email")["email"], rubric, "email")
    assert (silent.grade, silent.score) == ("F", 0.0)


def test_a_chat_is_graded_on_chat_metrics_only() -> None:
    # Given excellent chats and no email at all (the bug of issue 17: chat graded F on email metrics)
    channels = figures([GOOD_CHAT] * 6)
    assert channels["email"]["contacts"] == 0 and channels["chat"]["contacts"] == 6
    grades = {c: grade_channel(f, default_rubric(), c) for c, f in channels.items()}
    assert grades["chat"].grade == "A"
    assert {p.metric.split(".")[0] for p in grades["chat"].points} == {"chat"}
    assert grades["email"].grade == "—" and grades["email"].reason.startswith("not measured")
    overall = grade_overall(grades, default_rubric())
    assert overall.grade == "A" and [p.metric for p in overall.points] == ["chat"]


def test_points_are_linear_between_zero_and_full_in_either_direction() -> None:
    higher = Rule("x.rate", "x", 10, full=1.0, zero=0.5, unit="rate")
    lower = Rule("y.rate", "y", 10, full=0.0, zero=0.3, unit="rate")
    assert rule_points(higher, 0.75) == pytest.approx(5)
    assert rule_points(higher, 0.2) == 0 and rule_points(higher, 1.0) == 10
    assert rule_points(lower, 0.15) == pytest.approx(5)
    assert rule_points(lower, 0.9) == 0 and rule_points(lower, 0.0) == 10
    assert rule_points(higher, None) == 0


def test_a_time_of_nothing_scores_zero_and_too_few_is_left_out_of_the_grade() -> None:
    rubric = default_rubric()
    # Given six emails, none answered: the answer time exists for none of them and scores nothing
    unanswered = grade_channel(figures([GOOD_EMAIL.__class__(**{**GOOD_EMAIL.as_dict(), "answered_ns": None})] * 6, "email")["email"],
                               rubric, "email")
    time_points = next(p for p in unanswered.points if p.metric == "email.answered.median_s")
    assert time_points.points == 0 and time_points.max == 15
    # Given four emails (fewer than min_sample 5): every metric is too few to judge, there is no grade, and it says why
    few = grade_channel(figures([GOOD_EMAIL] * 4, "email")["email"], rubric, "email")
    assert few.grade == "—" and few.score is None and not few.points
    assert few.reason == "too few to judge (4 emails; at least 5 needed)"
    assert {x.metric for x in few.left_out} == {f"email.{r.metric}" for r in rubric.channel("email").rules}
    # Given five answered emails of which only four acknowledged: the acknowledgement times are too few, the rest graded
    acked = [GOOD_EMAIL] * 4 + [GOOD_EMAIL.__class__(**{**GOOD_EMAIL.as_dict(), "acknowledged_ns": None})]
    graded = grade_channel(figures(acked, "email")["email"], rubric, "email")
    assert [x.metric for x in graded.left_out] == ["email.acknowledged.median_s"]
    assert graded.score is not None and "email.acknowledged.rate" in {p.metric for p in graded.points}


def test_a_critical_failure_caps_the_channel_and_the_overall_grade() -> None:
    rubric = default_rubric()
    # Given emails acknowledged at once, followed up, no marketing, but only two in five answered
    half = [GOOD_EMAIL] * 2 + [GOOD_EMAIL.__class__(**{**GOOD_EMAIL.as_dict(), "answered_ns": None, "first_reply_answers": False})] * 3
    email = grade_channel(figures(half, "email")["email"], rubric, "email")
    assert email.score is not None and letter(email.score) in ("C", "D", "E", "F")
    assert [c.metric for c in email.capped_by] == ["email.answered.rate"] and email.grade == capped(letter(email.score), "E")
    chat = grade_channel(figures([GOOD_CHAT] * 6, "chat")["chat"], rubric, "chat")
    overall = grade_overall({"email": email, "chat": chat}, rubric)
    assert letter(overall.score) in ("A", "B", "C") and overall.grade == "E"  # the score alone would be better
    assert overall.score == round((40 * email.score + 30 * chat.score) / 70, 1)


@pytest.mark.parametrize(("score", "grade"), [(100, "A"), (90, "A"), (89.9, "B"), (80, "B"), (70, "C"), (60, "D"), (50, "E"), (49.9, "F"), (0, "F"), (None, "—")])
def test_bands(score: float | None, grade: str) -> None:
    assert letter(score) == grade


def test_nothing_measured_means_no_grade_and_says_why() -> None:
    grades = {c: grade_channel(f, default_rubric(), c) for c, f in figures([]).items()}
    overall = grade_overall(grades, default_rubric())
    assert overall.grade == "—" and overall.score is None and "not measured" in overall.reason


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rubric.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_an_unknown_metric_is_named_with_its_file_line_and_the_closest_valid_one(tmp_path: Path) -> None:
    text = SHIPPED.replace("      followed_up.rate:", "      folowed_up.rate:")
    path = _write(tmp_path, text)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    line = _line_of(text, "folowed_up.rate:")
    assert str(caught.value).startswith(f"{path}:{line}:7: unknown metric 'folowed_up' of email. Did you mean 'followed_up'?")


def test_weights_that_do_not_add_up_are_one_clear_error(tmp_path: Path) -> None:
    text = SHIPPED.replace("      answered.rate:\n        weight: 20\n", "      answered.rate:\n        weight: 25\n", 1)
    path = _write(tmp_path, text)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    message = str(caught.value)
    assert "\n" not in message
    line = _line_of(text, "    metrics:")  # email's metrics: the first channel
    assert message.startswith(f"{path}:{line}:") and "the weights of email's metrics add up to 105, not 100" in message


@pytest.mark.parametrize(("old", "new", "says"), [
    ("  chat:\n    weight: 30", "  chatt:\n    weight: 30", "unknown channel 'chatt'. Did you mean 'chat'?"),
    ("        full: 15m\n        zero: 4h\n        source: \"journeys/email_question.yaml",
     "        full: soon\n        zero: 4h\n        source: \"journeys/email_question.yaml", "'soon' is not a duration"),
    ("        full: 0.95\n        zero: 0.50\n        source: \"SuperOffice benchmark: 90%",
     "        full: 95\n        zero: 0.50\n        source: \"SuperOffice benchmark: 90%", "95.0 is not a rate"),
    ("  - metric: email.answered.rate\n    below: 0.50", "  - metric: email.answerd.rate\n    below: 0.50",
     "unknown metric 'email.answerd.rate'. Did you mean 'email.answered.rate'?"),
    ("      answered.median_s:\n        weight: 15", "      answered.mean_s:\n        weight: 15", "answered has no field 'mean_s'"),
    ("min_sample:\n  value: 5", "min_sample:\n  value: 0", "min_sample must be a whole number of contacts, 1 or more"),
    ("title: mysteryshop default rubric", "title: x\nweights: 3", "unknown field 'weights'"),
])
def test_each_bad_rubric_is_reported_at_its_line(tmp_path: Path, old: str, new: str, says: str) -> None:
    assert old in SHIPPED
    text = SHIPPED.replace(old, new, 1)
    path = _write(tmp_path, text)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    first = new.splitlines()[-1 if new.startswith("title") else 0].strip()
    line = _line_of(text, first)
    assert says in str(caught.value)
    assert any(p.startswith((f"{path}:{line}:", f"{path}:{line + 1}:")) for p in caught.value.problems), caught.value.problems


def test_a_programme_rubric_changes_weights_thresholds_and_settings(tmp_path: Path) -> None:
    text = (SHIPPED.replace("min_sample:\n  value: 5", "min_sample:\n  value: 3")
            .replace("  email:\n    weight: 40", "  email:\n    weight: 70").replace("  chat:\n    weight: 30", "  chat:\n    weight: 0.0001")
            .replace("  webform:\n    weight: 30", "  webform:\n    weight: 29.9999"))
    rubric = load_rubric(_write(tmp_path, text))
    assert rubric.settings.min_sample == 3 and rubric.channel("email").weight == 70
    few = grade_channel(aggregate([GOOD_EMAIL] * 4, rubric.settings, ["email"])["email"], rubric, "email")
    assert few.grade == "A"  # four emails are enough under this rubric
    assert grading_rules(rubric)["rubric"] == str(tmp_path / "rubric.yaml")


def test_every_metric_of_the_rubric_exists() -> None:
    for channel in default_rubric().channels:
        for rule in channel.rules:
            assert f"{channel.channel}.{rule.metric.split('.')[0]}" in METRIC_BY_KEY
