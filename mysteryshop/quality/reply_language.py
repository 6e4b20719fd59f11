"""The language of a reply's cleaned body: lingua (mysteryshop.language), skipped when the words leave no doubt.

Detection costs a few hundred microseconds, as much as judging a reply on every criterion. Most
replies a desk sends are plainly in one language: when a reply's function words of one language
with a lexicon (English: the, and, you…; German: der, und, wir…; function_words.yaml) are many and
outnumber every other language's tenfold, it is in that language without asking the detector.
Everything else (short or mixed replies, languages without a lexicon) is left to lingua.
tests/quality/test_languages.py checks that the short cut never disagrees with lingua.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache

from mysteryshop.language import detect

#: function words of one language a reply needs before the short cut is taken
MIN_WORDS = 3
#: how many times that language's words must outnumber those of any other language
MARGIN = 10
#: the languages the short cut may name: those with a lexicon (a reply in another is left to lingua)
SHORT_CUT_LANGUAGES = frozenset({"en", "de", "fr", "es"})
_WORD = re.compile(r"[a-z']+")


@cache
def _owners() -> dict[str, str]:
    """Each function word of one language only, with that language (a word of two lists belongs to none)."""
    owners: dict[str, str] = {}
    shared: set[str] = set()
    for code, words in _function_words().items():
        for word in words:
            if word in owners and owners[word] != code:
                shared.add(word)
            owners[word] = code
    return {word: code for word, code in owners.items() if word not in shared}


@cache
def _function_words() -> dict[str, frozenset[str]]:
    from pathlib import Path

    import yaml

    path = Path(__file__).with_name("function_words.yaml")
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return {code: frozenset(str(words).split()) for code, words in data.items()}


def plainly_in(folded: str) -> str | None:
    """The language of `SHORT_CUT_LANGUAGES` whose function words in `folded` (lower-case, accent-free text)
    leave no doubt, or None."""
    counts = Counter(map(_owners().get, _WORD.findall(folded)))  # counted in C; None for the words of no list
    counts.pop(None, None)
    if not counts:
        return None
    top = max(counts, key=counts.__getitem__)
    most = counts.pop(top)
    if top in SHORT_CUT_LANGUAGES and most >= MIN_WORDS and max(counts.values(), default=0) * MARGIN <= most:
        return top
    return None


def plainly_english(folded: str) -> bool:
    """True when the English function words of `folded` (lower-case, accent-free text) leave no doubt."""
    return plainly_in(folded) == "en"


def body_language(body: str, folded: str) -> str | None:
    """The ISO 639-1 code of `body`'s language (`folded` is it folded), or None when it cannot be told."""
    return plainly_in(folded) or detect(body)


def likely_language(text: str) -> str | None:
    """The language whose function words (function_words.yaml) `text` uses most, or None when it uses none: a quick
    guess without the detector, for a desk choosing which language to answer in (the demo desk)."""
    from mysteryshop.quality.text import fold

    owners = _owners()
    counts: dict[str, int] = {}
    for word in _WORD.findall(fold(text)):
        code = owners.get(word)
        if code is not None:
            counts[code] = counts.get(code, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None
