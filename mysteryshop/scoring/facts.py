"""Did a reply state the facts a journey expects? Each fact lists the phrasings that count."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

_SPACE = re.compile(r"\s+")
_DASH = re.compile(r"[‐-―−]")


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Lower case, one kind of dash, single spaces (cached: the same replies and phrasings are looked at again and again)."""
    return _SPACE.sub(" ", _DASH.sub("-", text.lower())).strip()


def missing_facts(text: str, facts: Sequence[Sequence[str]]) -> list[str]:
    """The first phrasing of every fact not found in `text`."""
    haystack = normalize(text)
    return [fact[0] for fact in facts if fact and not any(normalize(p) in haystack for p in fact)]


def quote_around(text: str, phrases: Sequence[str], width: int = 160) -> str:
    """A short quote of `text` around the first phrase found, for evidence."""
    flat = _SPACE.sub(" ", text).strip()
    lowered = normalize(flat)
    for phrase in phrases:
        pos = lowered.find(normalize(phrase))
        if pos >= 0:
            start = max(0, pos - width // 3)
            snippet = flat[start : start + width]
            return ("…" if start else "") + snippet + ("…" if start + width < len(flat) else "")
    return flat[:width] + ("…" if len(flat) > width else "")
