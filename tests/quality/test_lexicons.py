"""Phrases.search must find exactly what a plain regex search finds, only faster."""

import re
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mysteryshop.quality import lexicons as lex
from mysteryshop.quality.labelled import load_labelled
from mysteryshop.quality.scoring import clean
from mysteryshop.quality.text import fold
from tests.quality.test_criteria_wordings import CASES as WORDINGS
from tests.quality.test_criteria_wordings import FOURTH
from tests.quality.test_languages import CASES

PHRASES = {
    f"{code}.{name}": lex.lexicon(code).pattern(name) for code in lex.lexicon_languages() for name in lex.lexicon(code)._patterns
}
#: the unions the criteria search, which try at each place only the alternatives that can start there
UNIONS = (("deferral", "automated", "vague_step"), ("next_step", "company_step"))
PHRASES.update(
    {
        f"{code}.{'|'.join(names)}": lex.lexicon(code).union(*names)
        for code in lex.lexicon_languages()
        for names in UNIONS
        if all(lex.lexicon(code).has(n) for n in names)
    }
)
EN = lex.english()
HERE = Path(__file__).parent


@lru_cache(maxsize=1)
def corpus() -> tuple[str, ...]:
    texts = []
    for path in (HERE / "labelled.yaml", HERE / "heldout.yaml", *sorted(HERE.glob("exchanges_*.yaml"))):
        for item in load_labelled(path):
            reply = clean(item.exchange)
            texts.append(reply.folded_text)
            texts.extend(reply.folded)
    return tuple(texts)


@pytest.mark.parametrize("name", sorted(PHRASES))
def test_same_first_match_as_a_plain_search_on_the_labelled_replies(name):
    phrases = PHRASES[name]
    for text in corpus():
        fast, plain = phrases.search(text), phrases.regex.search(text)
        assert (fast and fast.span()) == (plain and plain.span()), (name, text)


def test_overlapping_candidates_are_all_tried():
    assert EN.acknowledges.search("we confirm receipt of your request.") is not None


@pytest.mark.parametrize("text", ["tomorrow", "by friday.", "\nby friday", "(tomorrow)", "_tomorrow", "xtomorrow", "2 to 3 days", "a2 to 3 days"])
def test_a_match_at_the_very_start_or_after_any_non_word_character_is_found(text):
    fast, plain = EN.when.search(text), EN.when.regex.search(text)
    assert (fast and fast.span()) == (plain and plain.span())


WORDS = sorted({w for p in PHRASES.values() for w in re.findall(r"[a-z']+", p.regex.pattern) if len(w) > 1} | {"the", "a", "i", "we", "you", "2", "30", ":", ","})


SEPARATORS = [" ", " ", " ", "\n", ", ", ". ", ": ", "-", "_", "'", "(", ""]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SEPARATORS), st.sampled_from(WORDS)), min_size=1, max_size=14))
def test_same_first_match_on_generated_word_salad(pieces):
    text = "".join(separator + word for separator, word in pieces)
    for name, phrases in PHRASES.items():
        fast, plain = phrases.search(text), phrases.regex.search(text)
        assert (fast and fast.span()) == (plain and plain.span()), (name, text)


SAMPLES = [
    "sorry for any inconvenience. thank you for your feedback!",
    *(fold(case[3]) for case in CASES), *(fold(case[2]) for case in CASES),
    "haben sie noch weitere fragen? danke fur ihr feedback.", "merci pour votre avis. avez-vous d'autres questions ?",
    "gracias por su opinion. ¿tiene alguna otra pregunta?",
    "sie mussten so lange warten.", "vous avez du attendre si longtemps.", "ha tenido que esperar tanto tiempo.",
    "los articulos pueden ser devueltos en 30 dias.", "we will contact you again if necessary.", "i have attached two photos of the vase.",
    "merci de nous indiquer votre adresse e-mail.", "mientras tanto, puede reiniciar el router.",
    "en attendant, vous pouvez redemarrer la box.",
    *(fold(case[3]) for case in WORDINGS),
    *(fold(case[3]) for case in FOURTH), *(fold(case[2]) for case in FOURTH),
]


@pytest.mark.parametrize("name", sorted(PHRASES))
def test_sub_is_the_plain_sub(name):
    phrases = PHRASES[name]
    texts = [*corpus(), *SAMPLES, ""]
    assert any(phrases.regex.search(text) for text in texts), f"{name} matches nothing: the test would not see a wrong sub"
    for text in texts:
        assert phrases.sub(" ", text) == phrases.regex.sub(" ", text), (name, text)


@pytest.mark.parametrize("name", sorted(PHRASES))
def test_an_anchored_alternative_does_not_come_first_unless_all_are(name):
    """A pattern list whose first alternative starts with '^' is compiled as anchored, and then searched plainly:
    the quick search by first words is lost for all of its alternatives (one such entry made acknowledges 15x slower)."""
    code, entry = name.split(".", 1)
    if "|" in entry:
        return  # a union, whose entries are checked one by one
    alternatives = lex.lexicon(code)._patterns[entry]
    if alternatives and alternatives[0].startswith("^"):
        assert all(a.startswith("^") for a in alternatives), f"{name}: put the '^' alternative after the others"


@pytest.mark.parametrize("code", lex.lexicon_languages())
def test_the_unions_try_only_the_alternatives_that_can_start_where_a_prefix_stands(code):
    """Otherwise `re` tries every alternative of the union at every such place (the first search stalling makes)."""
    lexicon = lex.lexicon(code)
    for names in UNIONS:
        if all(lexicon.has(n) for n in names):
            # (a union with an alternative of unknown first words is searched plainly)
            assert lexicon.union(*names).search.__name__ != "_search_boundaries", names
    assert lex.english().union(*UNIONS[0]).search.__name__ == "_search_dispatched"


def test_a_dispatched_union_gives_the_first_alternative_that_matches_where_two_start():
    union = lex._rx("we will (?:call)|we will call you", ["we will (?:call)", "we will call you"])
    assert union.search.__name__ == "_search_dispatched"
    assert union.search("so we will call you").span() == union.regex.search("so we will call you").span() == (3, 15)
    union = lex._rx("will call you|we will|we", ["will call you", "we will", "we"])
    assert [union.search(t).span() for t in ("we will call you", "x, we")] == [(0, 7), (3, 5)]


@pytest.mark.parametrize("code", lex.lexicon_languages())
def test_a_union_of_entries_finds_a_sentence_when_one_of_them_does(code):
    lexicon = lex.lexicon(code)
    union = lexicon.union("deferral", "automated", "vague_step")
    texts = [*corpus(), *SAMPLES]
    assert any(union.search(t) for t in texts)
    for text in texts:
        each = any(lexicon.pattern(n).regex.search(text) for n in ("deferral", "automated", "vague_step"))
        assert (union.search(text) is not None) == each, text


def test_an_anchored_entry_cannot_join_a_union():
    with pytest.raises(lex.LexiconError, match="anchored"):
        EN.union("deferral", "non_substance")


@pytest.mark.parametrize(
    "text",
    ["we'll reply tomorrow", "'ll reply", "it's a deal: only $5 today", "5$ off", "ab[ticket #1]", "[ticket #1] received",
     "costs £5 - save 20%", "x€5", "we're looking into it", "i'm going to check", "we[ref 1] will reply", "''ll"],
)
def test_a_match_that_starts_with_punctuation_is_found(text):
    """Prefixes such as "'ll ", "$" or "[" start at a word's end, not at a word start: they are looked for where that character stands."""
    for name, phrases in PHRASES.items():
        fast, plain = phrases.search(text), phrases.regex.search(text)
        assert (fast and fast.span()) == (plain and plain.span()), (name, text)


def test_the_prefixes_of_a_repeated_group_let_it_repeat():
    assert {"really s", "really v", "very rea", "very sor", "very ver"} <= lex.first_literals(r"(really |very )+sorry", limit=8)
    assert lex.first_literals(r"(ab){2,3}c", limit=8) == {"ababc", "abababc"}
    phrases = lex._rx(r"(really |very )+sorry")
    for text in ("we are really very sorry", "very very very sorry", "so sorry"):
        fast, plain = phrases.search(text), phrases.regex.search(text)
        assert (fast and fast.span()) == (plain and plain.span()), text


def test_no_prefixes_where_case_or_an_empty_repeat_would_make_them_wrong():
    assert lex.first_literals(r"(?i)sorry") is None
    assert lex.first_literals(r"(?i:sorry)") is None
    assert lex.first_literals(r"(a?)*b") is None
