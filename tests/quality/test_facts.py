"""The shortcuts in fact matching and text helpers give what the plain definitions give."""

from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mysteryshop.quality.facts import FactMatch, match_facts, match_phrasing
from mysteryshop.quality.labelled import load_labelled
from mysteryshop.quality.scoring import clean
from mysteryshop.quality.text import content_stem_set, content_stems, fold

HERE = Path(__file__).parent


def plain_match_facts(facts, sentences):
    """Every phrasing of every fact tried in every sentence, in order: the first conveyed wins, else the first contradiction."""
    results = []
    for phrasings in facts:
        label = " / ".join(phrasings)
        found = worst = None
        for sentence in sentences:
            for phrasing in phrasings:
                status = match_phrasing(phrasing, sentence)
                if status == "conveyed":
                    found = FactMatch(label, status, sentence)
                    break
                if status != "missing" and worst is None:
                    worst = FactMatch(label, status, sentence)
            if found:
                break
        results.append(found or worst or FactMatch(label, "missing"))
    return results


@lru_cache(maxsize=1)
def labelled_cases():
    cases = []
    for path in (HERE / "labelled.yaml", HERE / "heldout.yaml"):
        for item in load_labelled(path):
            if item.exchange.expected_facts:
                cases.append((item.exchange.expected_facts, clean(item.exchange)))
    return cases


def test_match_facts_agrees_with_trying_every_phrasing_in_every_sentence_on_the_labelled_replies():
    assert labelled_cases()
    for facts, reply in labelled_cases():
        expected = plain_match_facts(facts, reply.sentences)
        assert match_facts(facts, reply.sentences) == expected
        assert match_facts(facts, reply.sentences, reply.folded) == expected


SENTENCES = [
    "We cannot refund the shipping.", "Returns are free within 30 days.", "You have thirty days to return it.",
    "Return shipping isn't free, sorry.", "Your refund was processed, it takes 5-7 days.", "Refunds take 10 days.",
    "We'll send a prepaid label.", "Retrun shipping is complimentary.", "No charge for returns.", "Thanks for writing!",
]
FACTS = [["30 days", "thirty days"], ["free return shipping", "return shipping is free"], ["refund", "reimburse"],
         ["5-7 business days"], ["prepaid label"], ["no charge"], ["45"]]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(SENTENCES), max_size=6), st.lists(st.sampled_from(FACTS), min_size=1, max_size=3))
def test_match_facts_agrees_with_trying_every_phrasing_on_generated_replies(sentences, facts):
    expected = plain_match_facts(facts, sentences)
    assert match_facts(facts, sentences) == expected
    assert match_facts(facts, sentences, [fold(s) for s in sentences]) == expected


@pytest.mark.parametrize("text", ["", "We refunded 2 refunds, twenty-one days ago: the refund's there.", "I'd like the thirty boots & 30 the"])
def test_content_stem_set_is_the_set_of_content_stems(text):
    assert content_stem_set(text) == set(content_stems(text))


def test_content_stem_set_on_the_labelled_customers():
    for facts, reply in labelled_cases():
        for sentence in reply.sentences:
            assert content_stem_set(sentence) == set(content_stems(sentence))
