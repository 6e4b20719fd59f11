"""How alike the messages one company receives are: word-shingle Jaccard similarity over every pair. Pure.

A desk that sees twenty probes with the same text can spot and filter them. Two messages are compared as
the sets of their word 3-grams ("shingles", Broder 1997), after folding case and reading every number as
'#' (order ids and phones differ per persona, but a filter would look past them):
Jaccard = |shared shingles| / |all shingles of either|. 1.0 is the same text; two people writing on their own
about the same problem share almost none.

The verdict thresholds come from measuring real customers (bench/persona_similarity.py, README "Varied
phrasing"): 50 complaint narratives that consumers wrote about one product (credit and prepaid cards, CFPB
Consumer Complaint Database), cut to their first 60 words as long as our emails, have a mean pairwise
Jaccard of 0.002 and a most-alike pair of 0.041. Different people on the same subject do not average above
the most alike pair of them, so a campaign whose mean is at most DIFFERENT_MEAN (0.05, that pair rounded up)
reads as "different authors". A campaign whose most-alike pair is at NEAR_DUPLICATE (0.5) or more holds
near-duplicates whatever its mean: 0.5 is where near-duplicate detectors start (MinHash-LSH dedup runs
0.5-0.8 on shingles), and no pair of different real authors came within a tenth of it (the one real pair above
it, 0.92, is one consumer who filed the same story twice). Only messages of SHORT_WORDS words or more count
for near-duplicates: "Hi, any update?" is what many people type, and the real corpus says nothing about
messages that short.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

#: words per shingle
SHINGLE_WORDS = 3
#: a mean pairwise Jaccard at most this reads as different authors (the most alike real pair, 0.041, rounded up)
DIFFERENT_MEAN = 0.05
#: a pair this alike is a near-duplicate whatever the rest look like
NEAR_DUPLICATE = 0.5
#: messages shorter than this (in words) are not held to NEAR_DUPLICATE
SHORT_WORDS = 25
#: a mean at least this: one template with names filled in
ONE_TEMPLATE = 0.5
_WORD = re.compile(r"\w+")
_DIGITS = re.compile(r"\d+")


def words(text: str) -> list[str]:
    """The words of `text`, case-folded, each run of digits read as '#'."""
    return [_DIGITS.sub("#", word) for word in _WORD.findall(text.casefold())]


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[str]:
    """The set of `size`-word runs of `text` (a text shorter than `size` words is one shingle)."""
    found = words(text)
    if len(found) <= size:
        return frozenset({" ".join(found)}) if found else frozenset()
    return frozenset(" ".join(found[i:i + size]) for i in range(len(found) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a & b| / |a | b|; two empty sets are the same text (1.0)."""
    union = len(a | b)
    return len(a & b) / union if union else 1.0


@dataclass(frozen=True, slots=True)
class Alike:
    """How alike a set of messages is: pairwise Jaccard of their shingles."""

    messages: int
    pairs: int
    mean: float
    p95: float
    max: float
    most_alike: tuple[int, int] | None  #: indexes of the most alike pair
    max_long: float = 0.0  #: the most alike pair of messages of SHORT_WORDS words or more (what near-duplicates are judged on)

    @property
    def verdict(self) -> str:
        return verdict(self)

    def as_dict(self) -> dict[str, object]:
        return {"messages": self.messages, "pairs": self.pairs, "mean": round(self.mean, 4), "p95": round(self.p95, 4),
                "max": round(self.max, 4), "max_long": round(self.max_long, 4), "most_alike": list(self.most_alike) if self.most_alike else None, "verdict": self.verdict}


def alike(texts: Sequence[str], size: int = SHINGLE_WORDS) -> Alike:
    """Mean, 95th percentile and maximum Jaccard over every pair of `texts` (fewer than two: nothing to compare, 0)."""
    sets = [shingles(text, size) for text in texts]
    long = [len(words(text)) >= SHORT_WORDS for text in texts]
    values: list[tuple[float, tuple[int, int]]] = [
        (jaccard(sets[i], sets[j]), (i, j)) for i, j in itertools.combinations(range(len(sets)), 2)
    ]
    if not values:
        return Alike(len(texts), 0, 0.0, 0.0, 0.0, None)
    ordered = sorted(v for v, _ in values)
    top = max(values)
    max_long = max((v for v, (i, j) in values if long[i] and long[j]), default=0.0)
    return Alike(len(texts), len(values), sum(ordered) / len(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], top[0], top[1],
                 max_long)


def verdict(found: Alike) -> str:
    """'different authors', 'near-duplicates' (some pairs), 'alike' or 'one template' (see the module's thresholds)."""
    if found.pairs == 0:
        return "nothing to compare"
    if found.mean >= ONE_TEMPLATE:
        return "one template"
    if found.max_long >= NEAR_DUPLICATE:
        return "near-duplicates"
    if found.mean <= DIFFERENT_MEAN:
        return "different authors"
    return "alike"
