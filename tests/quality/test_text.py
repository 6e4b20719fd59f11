"""Text helpers rewritten for speed split and match exactly as their plain forms do."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mysteryshop.quality.clean import _WORD, _words
from mysteryshop.quality.text import _SENTENCE_END, split_sentences

PLAIN_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9À-ÖØ-Þ])|\n+")
CHARACTERS = ".!?\"')]([ \n\t\r\u00a0AaZ1ÉéxŁ-•*"


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=CHARACTERS, max_size=20))
def test_sentence_end_splits_like_the_plain_lookbehind_pattern(text):
    assert _SENTENCE_END.split(text) == PLAIN_SENTENCE_END.split(text)


def test_sentences_and_lines():
    text = 'Thanks! It ships today. "Really?" Yes.\n\n- Step 1\n- Step 2\nsee e.g. the FAQ. 30 days (free).'
    assert split_sentences(text) == ["Thanks!", "It ships today.", '"Really?', "Yes.", "Step 1", "Step 2", "see e.g. the FAQ.", "30 days (free)."]


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=30))
def test_ascii_words_are_the_unicode_words_on_ascii_text(text):
    assert _words(text) == _WORD.findall(text)


def test_a_day_of_the_month_with_a_period_does_not_end_a_sentence():
    assert split_sentences("Ihre Nachricht vom 4. März haben wir erhalten. Danke!") == ["Ihre Nachricht vom 4. März haben wir erhalten.", "Danke!"]
    assert split_sentences("Call 0800 123 456. We are open.") == ["Call 0800 123 456.", "We are open."]


def test_a_price_is_the_same_number_with_a_decimal_comma_or_point():
    from mysteryshop.quality.text import numbers

    assert numbers("9,90 €") == numbers("9.90 €") == {"9.9"}
    assert numbers("1.000 €") == numbers("1,000 €") == {"1000"}
    assert numbers("1.000,50 €") == numbers("1,000.50 €") == {"1000.5"}
    assert numbers("12,90 €") != numbers("9,90 €")


_WHITESPACE = [c for c in map(chr, range(0x3001)) if c.isspace()]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(["a", "b", "é", ".", " ", "\u200b"]), st.sampled_from(_WHITESPACE)), max_size=24), st.sampled_from([5, 240]))
def test_snippet_collapses_every_kind_of_whitespace_as_split_and_join_do(chars, limit):
    from mysteryshop.quality.text import snippet

    text = "".join(chars)
    plain = " ".join(text.split())
    expected = plain if len(plain) <= limit else plain[:limit].rsplit(" ", 1)[0] + "…"
    assert snippet(text, limit) == (expected if text else text)
