"""Which language a reply is written in: lingua's detector, restricted to the languages a support desk is likely to use.

Detection costs a few hundred microseconds, so callers detect once per reply, on its cleaned
text, and only when a decision depends on it. Short or mixed texts give None ("unknown"), never
a guess: a criterion that cannot tell says "unscored (language unknown)".
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

#: ISO 639-1 codes detected; the first four have lexicons for every reply-quality criterion
LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")
#: below this share of confidence the language is unknown
MIN_CONFIDENCE = 0.5
#: texts shorter than this (in letters) are too short to tell
MIN_LETTERS = 12


@cache
def _detector() -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()  # models load on first need (all seven: ~250 MB)


@lru_cache(maxsize=4096)
def detect(text: str) -> str | None:
    """The ISO 639-1 code of `text`'s language, or None when it is too short or not clear enough."""
    sample = text[:2000]
    if sum(ch.isalpha() for ch in sample) < MIN_LETTERS:
        return None
    values = _detector().compute_language_confidence_values(sample)
    if not values or values[0].value < MIN_CONFIDENCE:
        return None
    return str(values[0].language.iso_code_639_1.name).lower()
