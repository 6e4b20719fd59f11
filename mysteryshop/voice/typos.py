"""Typing slips as people make them: two letters swapped, one dropped, one doubled. Pure: the caller gives the rng."""

from __future__ import annotations

import random
import re

#: words shorter than this are left alone (slips in "the" or "und" read as a different word, not a typo)
MIN_LETTERS = 4
_WORD = re.compile(r"[^\W\d_]{%d,}" % MIN_LETTERS)


def slip(word: str, rng: random.Random) -> str:
    """`word` with one slip inside it (its first letter kept: people rarely mistype that one)."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def add_typos(text: str, rate: float, rng: random.Random) -> str:
    """`text` with each word of MIN_LETTERS letters or more mistyped with probability `rate`."""
    if rate <= 0:
        return text
    return _WORD.sub(lambda m: slip(m.group(), rng) if rng.random() < rate else m.group(), text)
