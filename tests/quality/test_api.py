"""The public API the journeys call: score_reply, CRITERIA, Exchange, CriterionResult."""

import pytest

from mysteryshop.persona import make_persona
from mysteryshop.quality import CRITERIA, UNDESIRABLE, CriterionResult, Exchange, score_reply


def test_scores_every_criterion_by_default_and_names_the_engine():
    results = score_reply(Exchange("Where is it?", "Thanks for your email. It ships tomorrow."))
    assert tuple(results) == CRITERIA
    assert all(isinstance(r, CriterionResult) and r.criterion == name and r.engine == "rules" for name, r in results.items())


def test_criteria_are_at_least_those_the_issue_names():
    assert set(CRITERIA) >= {"acknowledges", "answers_question", "personalized", "empathy", "sets_expectations", "asks_feedback",
                             "stalling_autoreply", "marketing", "asks_again", "readability"}
    assert UNDESIRABLE <= set(CRITERIA)


def test_a_subset_keeps_the_order_asked_for():
    results = score_reply(Exchange("q", "a"), ["marketing", "acknowledges"])
    assert list(results) == ["marketing", "acknowledges"]


@pytest.mark.parametrize(("kwargs", "wrong", "suggestion"), [({"criteria": ["answer_question"]}, "answer_question", "answers_question"), ({"engine": "rule"}, "rule", "rules")])
def test_unknown_names_list_valid_ones_and_suggest_the_closest(kwargs, wrong, suggestion):
    with pytest.raises(ValueError) as info:
        score_reply(Exchange("q", "a"), **kwargs)
    message = str(info.value)
    assert repr(wrong) in message and f"Did you mean {suggestion!r}" in message


def test_a_real_persona_dict_works():
    persona = make_persona(7, 0, locale="de_DE").as_dict()
    reply = f"Hallo {persona['first_name']}, order {persona['order_id']} ships tomorrow."
    result = score_reply(Exchange("Where is my order?", reply, persona=persona), ["personalized"])["personalized"]
    assert result.passed is True


def test_evidence_is_quoted_from_the_cleaned_reply():
    reply = "Hi Ann,\n\nThanks for your message! Shipping is free.\n\n> Is shipping free? Thanks for your message!"
    results = score_reply(Exchange("Is shipping free?", reply, persona={"first_name": "Ann"}, expected_facts=[["shipping is free"]]))
    for result in results.values():
        assert result.evidence == "" or result.evidence in reply
    assert results["answers_question"].evidence == "Thanks for your message! Shipping is free." or "Shipping is free." in results["answers_question"].evidence
