"""The one-search check for requested details never rules out a sentence that one of the ten patterns finds."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mysteryshop.quality.details import DETAILS, may_ask_for_details
from mysteryshop.quality.labelled import load_labelled
from mysteryshop.quality.scoring import clean

HERE = Path(__file__).parent


def asked(sentence):
    return [detail.name for detail in DETAILS if detail.asked.search(sentence)]


def agrees(sentence):
    """Never False where a pattern finds something; on ASCII text, True only where one does."""
    expected = bool(asked(sentence))
    return may_ask_for_details(sentence) == expected if sentence.isascii() else may_ask_for_details(sentence) >= expected


def test_agrees_with_the_ten_patterns_on_the_labelled_sentences():
    sentences = [s for path in ("labelled.yaml", "heldout.yaml") for item in load_labelled(HERE / path) for s in clean(item.exchange).sentences]
    assert any(asked(s) for s in sentences) and not all(asked(s) for s in sentences)
    for sentence in sentences:
        assert agrees(sentence), sentence


@pytest.mark.parametrize("sentence", [
    "Could you send your ORDER NUMBER?", "What is your Record Locator?", "Please attach a SCREENSHOT.", "Your E-mail Address please",
    "Please confirm the ſerial number", "Your full name, please", "The name of the product", "Sent the IMEI already.", "Thanks!",
])
def test_upper_case_and_non_ascii_sentences(sentence):
    assert agrees(sentence)


WORDS = ["order", "Order", "number", "No", "#", "ID", "booking", "PNR", "record", "locator", "e-mail", "Email", "address", "phone", "Mobile",
         "serial", "S/N", "imei", "photo", "Pictures", "screenshot", "delivery", "your", "Full", "name", "of", "the", "please", "send", "reference"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([" ", "", ", ", "-", "\n"]), st.sampled_from(WORDS)), min_size=1, max_size=8))
def test_agrees_with_the_ten_patterns_on_generated_sentences(pieces):
    sentence = "".join(separator + word for separator, word in pieces)
    assert agrees(sentence), sentence


@pytest.mark.parametrize("word, text", [
    ("anna", "anna, annabel and anna-lena met anna_b and 2anna; anna."),
    ("anna lee", "anna lee anna lee  anna leeway"),
    ("a a", "a a a a"),
    ("müller", "herr müller, müllerin, zmüller müller"),
    ("jo", "jo jo-jo jojo jo's (jo) ünjo jo"),
    ("sam", ""),
    ("x", "x"),
])
def test_whole_word_spans_find_what_the_lookaround_regex_finds(word: str, text: str) -> None:
    import re

    from mysteryshop.quality.details import whole_word_spans

    expected = [m.span() for m in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]
    assert list(whole_word_spans(word, text)) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab -_ü1.", min_size=1, max_size=4), st.text(alphabet="ab -_ü1.", max_size=40))
def test_whole_word_spans_agree_with_the_regex_on_any_text(word: str, text: str) -> None:
    import re

    from mysteryshop.quality.details import whole_word_spans

    expected = [m.span() for m in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]
    assert list(whole_word_spans(word, text)) == expected
