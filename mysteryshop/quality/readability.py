"""Reading ease (Flesch) with a vowel-group syllable count: no dictionary, no download."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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


#: Flesch's constants for English: base - per_sentence * words a sentence - per_syllable * syllables a word
ENGLISH = {"base": 206.835, "per_sentence": 1.015, "per_syllable": 84.6}


def reading_ease(
    sentences: Sequence[str], folded: Sequence[str] | None = None, formula: Mapping[str, float] | None = None
) -> tuple[float, float, str]:
    """(reading ease, words per sentence, the longest sentence).

    `folded` is `sentences` already folded (`CleanReply.folded`), to save folding them again;
    `formula` the language's constants (`ENGLISH` by default; a lexicon's `readability:`).
    """
    formula = formula or ENGLISH
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
    ease = formula["base"] - formula["per_sentence"] * per_sentence - formula["per_syllable"] * (syllable_count / word_count)
    return ease, per_sentence, longest
