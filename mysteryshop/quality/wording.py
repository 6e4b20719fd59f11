"""Words of a text in its language: stems, content words, what is left once the usual phrases are taken out."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

from mysteryshop.quality.lexicons import Lexicon
from mysteryshop.quality.text import STOPWORDS, fold, stem

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def words_of(folded: str) -> list[str]:
    """Alphabetic words of folded text ("we'll" stays one word; numbers and codes are left out)."""
    return _WORD.findall(folded)


@cache
def _snowball(name: str) -> Any:
    import Stemmer  # PyStemmer: the Snowball stemmers, in C

    return Stemmer.Stemmer(name)


def stemmer_of(lex: Lexicon) -> Any:
    """A function from a folded word to its stem, in `lex`'s language."""
    if lex.stemmer in ("", "builtin"):
        return stem
    return _cached_snowball(lex.stemmer)


@cache
def _cached_snowball(name: str) -> Any:
    snowball = _snowball(name)
    return lru_cache(maxsize=16384)(snowball.stemWord)


def stopwords_of(lex: Lexicon) -> frozenset[str]:
    return lex.words("stopwords") or STOPWORDS


def content_stem_set(text: str, lex: Lexicon) -> set[str]:
    """Stems of the words of `text` that carry meaning (no stop words, no numbers), in `lex`'s language."""
    stop = stopwords_of(lex)
    to_stem = stemmer_of(lex)
    numbers = lex.numbers
    found = {to_stem(w) for w in set(words_of(fold(text))) - stop if w not in numbers}
    return found - stop


@lru_cache(maxsize=1024)
def customer_stem_set(customer_text: str, lex: Lexicon) -> frozenset[str]:
    """`content_stem_set` of the customer's message, worked out once: a probe's one message is compared with every
    company's reply, by several criteria."""
    return frozenset(content_stem_set(customer_text, lex))


def residual_words(folded: str, lex: Lexicon, own_names: frozenset[str]) -> list[str]:
    """The words of `folded` that are neither stop words, filler of a deferral, numbers nor the company's own names."""
    skip = not_residual(lex)
    return [w for w in words_of(folded) if w not in skip and w not in own_names and len(w) > 1]


@cache
def not_residual(lex: Lexicon) -> frozenset[str]:
    """The words `residual_words` leaves out whatever the sentence: stop words, deferral filler, number words."""
    return stopwords_of(lex) | lex.words("filler_words") | frozenset(lex.numbers)


def promo_words_in(folded: str, lex: Lexicon) -> set[str]:
    """The promotional words of `lex` in one line ("%" and "off" count as written)."""
    promo = lex.words("promo_words")
    found = {w for w in words_of(folded) if w in promo}
    if "%" in folded and "%" in promo:
        found.add("%")
    return found
