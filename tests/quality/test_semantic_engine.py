"""The semantic engine: only runs when the `semantic` extra (packaged MiniLM + torch) is installed."""

import pytest

from mysteryshop.quality import CRITERIA, Exchange, score_many, score_reply
from mysteryshop.quality.engines.semantic import INSTALL_HINT, semantic_available

pytestmark = pytest.mark.skipif(not semantic_available(), reason=f"semantic extra not installed: {INSTALL_HINT}")

FACTS = [["free return shipping"], ["30 days"]]


def answers(reply, facts=FACTS):
    return score_reply(Exchange("Can I return it, and who pays postage?", reply, expected_facts=facts), ["answers_question"], engine="semantic")["answers_question"]


def test_paraphrase_the_rules_miss_is_understood():
    exchange = Exchange("Will I lose my notes if I cancel?", "I've cancelled it. Your notes stay in your account.", expected_facts=[["keep your notes"]])
    assert score_reply(exchange, ["answers_question"])["answers_question"].passed is False
    result = score_reply(exchange, ["answers_question"], engine="semantic")["answers_question"]
    assert result.passed is True and result.engine == "semantic"
    assert result.evidence == "Your notes stay in your account."


def test_wrong_number_and_negation_still_fail():
    assert answers("Return shipping is free. You have 14 days to send it.").passed is False
    assert answers("We cannot offer free return shipping. You have 30 days.").passed is False


def test_unrelated_reply_fails():
    assert answers("Our stores open at 9am on weekdays.").passed is False


def test_other_criteria_fall_back_to_rules_and_say_so():
    results = score_reply(Exchange("q", "Thanks for your email. Return shipping is free within 30 days.", expected_facts=FACTS), engine="semantic")
    assert tuple(results) == CRITERIA
    assert results["answers_question"].engine == "semantic"
    assert {r.engine for n, r in results.items() if n != "answers_question"} == {"rules"}


def test_batch_scoring_matches_one_by_one():
    exchanges = [Exchange("q", r, expected_facts=FACTS) for r in ("Return postage is on us, and the window is 30 days.", "No.")]
    batch = [r["answers_question"].passed for r in score_many(exchanges, ["answers_question"], engine="semantic")]
    single = [score_reply(e, ["answers_question"], engine="semantic")["answers_question"].passed for e in exchanges]
    assert batch == single
