"""Whether a reply conveys an expected fact: phrasing match, right numbers, no negation."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from mysteryshop.quality.text import STOPWORDS, clause_numbers, content_stems, fold, folded_tokens, numbers, stem, tokens

_SYNONYMS = [
    {"refund", "reimburse", "reimburs", "repay"},
    {"free", "complimentary", "complimentary"},
    {"cost", "charge", "fee", "price"},
    {"ship", "dispatch", "send", "sent", "post"},
    {"deliver", "arrive"},
    {"cancel", "terminate", "terminat"},
    {"purchase", "purchas", "buy", "bought"},
    {"business", "working"},
    {"email", "mail"},
    {"replace", "replac", "swap"},
    {"receipt", "invoice"},
    {"fix", "repair"},
    {"phone", "call", "ring"},
    {"log", "sign"},
    {"password", "passcode"},
]
_SYNONYM_OF: dict[str, frozenset[str]] = {}
for _group in _SYNONYMS:
    for _word in _group:
        _SYNONYM_OF[stem(_word)] = frozenset(stem(w) for w in _group)

_NEGATIONS = frozenset("not cannot can't won't don't doesn't didn't isn't aren't wasn't weren't couldn't shouldn't haven't hasn't unable never non nor neither ineligible".split())
_NEGATION_CUES = _NEGATIONS | {"no"}
"""Every word `_negated` can find ("not" is among the negations), besides the ones ending in "n't"."""
_NEGATION_WINDOW = 5
_NEGATION_AFTER = 2


@lru_cache(maxsize=65536)
def _close(a: str, b: str) -> bool:
    """A typo apart: one swapped pair of letters, or a close spelling, for words of five letters or more."""
    if len(a) < 5 or len(b) < 5 or a[0] != b[0] or abs(len(a) - len(b)) > 2:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
            return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.85


def _stem_matches(wanted: str, have: set[str], by_initial: dict[str, list[str]]) -> bool:
    if wanted in have:
        return True
    synonyms = _SYNONYM_OF.get(wanted)
    if synonyms and synonyms & have:
        return True
    return len(wanted) >= 5 and any(_close(wanted, h) for h in by_initial.get(wanted[0], ()))


@dataclass(frozen=True, slots=True)
class FactMatch:
    """How one fact fared: conveyed (with the sentence), contradicted, or missing."""

    fact: str
    status: str  # "conveyed", "wrong_number", "negated", "missing"
    sentence: str = ""


@dataclass(frozen=True, slots=True)
class _Phrasing:
    stems: tuple[str, ...]
    numbers: frozenset[str]
    negated: bool
    needed: int


@lru_cache(maxsize=4096)
def _phrasing(phrasing: str) -> _Phrasing:
    wanted = tuple(content_stems(phrasing))
    needed = len(wanted) if len(wanted) <= 2 else max(2, round(len(wanted) * 0.67))
    negated = any(t in _NEGATIONS or t.endswith("n't") for t in tokens(phrasing))
    return _Phrasing(wanted, frozenset(numbers(phrasing)), negated, needed)


class _Sentence:
    """A sentence's tokens, stems and numbers, worked out once per reply."""

    __slots__ = ("text", "tokens", "have", "_stems", "_by_initial", "_numbers", "_clauses", "_may_negate")

    def __init__(self, text: str, words: list[str] | None = None) -> None:
        self.text = text
        self.tokens = tokens(text) if words is None else words
        self.have = set(map(stem, set(self.tokens) - STOPWORDS))
        self._stems: list[str] | None = None
        self._by_initial: dict[str, list[str]] | None = None
        self._numbers: set[str] | None = None
        self._clauses: list[int] | None = None
        self._may_negate: bool | None = None

    @property
    def may_negate(self) -> bool:
        """Whether the sentence has any word `_negated` looks for: a negation, 'no', or a "-n't"."""
        if self._may_negate is None:
            # a token has no space: one ends in "n't" exactly when "n't " is in the tokens joined, with a space after each
            self._may_negate = not _NEGATION_CUES.isdisjoint(self.tokens) or "n't " in " ".join(self.tokens) + " "
        return self._may_negate

    @property
    def stems(self) -> list[str]:
        if self._stems is None:
            self._stems = [stem(t) for t in self.tokens]
        return self._stems

    @property
    def by_initial(self) -> dict[str, list[str]]:
        """Words of five letters or more by first letter, for typo matching (only needed when a wanted word is not there as is)."""
        if self._by_initial is None:
            self._by_initial = _by_initial(self.have)
        return self._by_initial

    @property
    def clauses(self) -> list[int]:
        if self._clauses is None:
            self._clauses = clause_numbers(self.text)
        return self._clauses

    @property
    def numbers(self) -> set[str]:
        if self._numbers is None:
            self._numbers = numbers(self.text)
        return self._numbers


def _by_initial(words: set[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for word in words:
        if len(word) >= 5:
            found.setdefault(word[0], []).append(word)
    return found


def match_phrasing(phrasing: str, sentence: str) -> str:
    """'conveyed', 'wrong_number', 'negated' or 'missing' for one phrasing in one sentence."""
    return _match(_phrasing(phrasing), _Sentence(sentence))


def _could_match(wanted: _Phrasing, have: set[str], by_initial: dict[str, list[str]]) -> bool:
    """False when even the whole reply lacks the words a phrasing needs, so no sentence can have them."""
    found = sum(1 for s in wanted.stems if _stem_matches(s, have, by_initial))
    return found >= wanted.needed and (bool(wanted.stems) or bool(wanted.numbers))


def _accepted(wanted: str, everywhere: set[str], by_initial: dict[str, list[str]]) -> frozenset[str]:
    """The words of a reply's sentences that count as `wanted`: itself, its synonyms, and the reply's
    words a typo apart from it. `_stem_matches(wanted, have, ...)` for a sentence of the reply is
    `not _accepted(...).isdisjoint(have)`, without trying the typo match again in every sentence."""
    close = {h for h in by_initial.get(wanted[0], ()) if _close(wanted, h)} if len(wanted) >= 5 else set()
    return frozenset({wanted} | _SYNONYM_OF.get(wanted, frozenset()) | close)


def _match(wanted: _Phrasing, sentence: _Sentence, accepted: dict[str, frozenset[str]] | None = None) -> str:
    if not wanted.stems and not wanted.numbers:
        return "missing"
    matched = []
    allowed_misses = len(wanted.stems) - wanted.needed
    have = sentence.have
    for stem_ in wanted.stems:
        if stem_ in have or (
            not accepted[stem_].isdisjoint(have) if accepted is not None else _stem_matches(stem_, have, sentence.by_initial)
        ):
            matched.append(stem_)
        else:
            allowed_misses -= 1
            if allowed_misses < 0:
                return "missing"
    if wanted.numbers:
        stated = sentence.numbers
        if not wanted.numbers <= stated:
            return "wrong_number" if stated and (wanted.stems or stated - wanted.numbers) else "missing"
    if not wanted.negated and _negated(sentence, set(matched) | wanted.numbers):
        return "negated"
    return "conveyed"


def _negated(sentence: _Sentence, matched: set[str]) -> bool:
    """A negation near the matched words and in the same clause: 'we cannot refund', 'X isn't available'."""
    if not sentence.may_negate:
        return False
    stems, words = sentence.stems, sentence.tokens
    positions = [i for i, s in enumerate(stems) if s in matched or _SYNONYM_OF.get(s, frozenset()) & matched]
    if not positions:
        return False
    clauses = {sentence.clauses[i] for i in positions}
    first, last = min(positions), max(positions)
    after = [w for i, w in enumerate(words[last + 1 : last + 2 + _NEGATION_AFTER], last + 1) if sentence.clauses[i] in clauses]
    if any(t.endswith("n't") for t in after[:_NEGATION_AFTER]) or any(
        a in {"is", "are", "was", "were"} and b == "not" for a, b in zip(after, after[1:])
    ):
        return True
    window = [w for i, w in enumerate(words[max(0, first - _NEGATION_WINDOW) : last + 1], max(0, first - _NEGATION_WINDOW)) if sentence.clauses[i] in clauses]
    for i, token in enumerate(window):
        if token in _NEGATIONS or token.endswith("n't"):
            return True
        if token == "no" and i + 1 < len(window) and window[i + 1] not in {"charge", "cost", "extra", "questions", "additional", "fee", "need", "problem"}:
            return True
    return False


def match_fact(phrasings: Sequence[str], sentences: Sequence[str]) -> FactMatch:
    """The best outcome for one fact over the reply's sentences (any phrasing conveys it)."""
    return match_facts([phrasings], sentences)[0]


def match_facts(facts: Sequence[Sequence[str]], sentences: Sequence[str], folded: Sequence[str] | None = None) -> list[FactMatch]:
    """`match_fact` for each fact, analysing each sentence once.

    `folded` is `sentences` already folded (`CleanReply.folded`), to save folding them again.
    """
    folded = folded if folded is not None else [fold(s) for s in sentences]
    views = [_Sentence(s, folded_tokens(f)) for s, f in zip(sentences, folded)]
    everywhere: set[str] = set().union(*(v.have for v in views))
    initials = _by_initial(everywhere)
    accepted: dict[str, frozenset[str]] = {}
    results = []
    for phrasings in facts:
        label = " / ".join(phrasings)
        wanted = []
        for phrasing in map(_phrasing, phrasings):
            for stem_ in phrasing.stems:
                if stem_ not in accepted:
                    accepted[stem_] = _accepted(stem_, everywhere, initials)
            # _could_match(phrasing, everywhere, initials), with the typo matches already worked out
            found_stems = sum(1 for s in phrasing.stems if not accepted[s].isdisjoint(everywhere))
            if found_stems >= phrasing.needed and (bool(phrasing.stems) or bool(phrasing.numbers)):
                # a sentence with none of the words any stem accepts misses them all: "missing"
                forms = frozenset().union(*(accepted[s] for s in phrasing.stems)) if phrasing.stems else None
                wanted.append((phrasing, forms))
        found: FactMatch | None = None
        worst: FactMatch | None = None
        for view in views if wanted else ():
            for phrasing, forms in wanted:
                if forms is not None and forms.isdisjoint(view.have):
                    continue
                status = _match(phrasing, view, accepted)
                if status == "conveyed":
                    found = FactMatch(label, "conveyed", view.text)
                    break
                if status != "missing" and worst is None:
                    worst = FactMatch(label, status, view.text)
            if found:
                break
        results.append(found or worst or FactMatch(label, "missing"))
    return results
