"""Reading ease (Flesch) with a vowel-group syllable count: no dictionary, no download."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from mysteryshop.quality.text import fold

_WORD = re.compile(r"[a-z]+")
_VOWEL_GROUP = re.compile(r"[aeiouy]+")


@lru_cache(maxsize=65536)
def syllables(word: str) -> int:
    count = len(_VOWEL_GROUP.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1
    return max(1, count)


def reading_ease(sentences: Sequence[str], folded: Sequence[str] | None = None) -> tuple[float, float, str]:
    """(Flesch reading ease, words per sentence, the longest sentence).

    `folded` is `sentences` already folded (`CleanReply.folded`), to save folding them again.
    """
    word_count = syllable_count = 0
    longest, longest_len = "", -1
    for sentence, folded_sentence in zip(sentences, folded if folded is not None else map(fold, sentences)):
        words = _WORD.findall(folded_sentence)
        word_count += len(words)
        syllable_count += sum(map(syllables, words))
        if len(words) > longest_len:
            longest, longest_len = sentence, len(words)
    if not word_count:
        return 0.0, 0.0, longest
    per_sentence = word_count / len(sentences)
    ease = 206.835 - 1.015 * per_sentence - 84.6 * (syllable_count / word_count)
    return ease, per_sentence, longest
