"""Whether a reply conveys an expected fact: phrasing match, right numbers, no negation."""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from mysteryshop.quality.lexicons import Lexicon, english
from mysteryshop.quality.text import clause_numbers, fold, folded_tokens, numbers
from mysteryshop.quality.wording import stemmer_of, stopwords_of

_NEGATION_WINDOW = 5
_NEGATION_AFTER = 2
_SPLIT_APOSTROPHE = re.compile(r"[a-z0-9]+")
_CLAUSE_MARKS = (",", ";", ":", "(", ")", " - ")


@dataclass(frozen=True, eq=False)
class _Language:
    """What reading facts needs of one language, from its lexicon: stems, stop words, negations, number words, synonyms."""

    code: str
    stem: Callable[[str], str]
    stopwords: frozenset[str]
    negations: frozenset[str]
    negation_no: str
    no_exceptions: frozenset[str]
    number_words: Mapping[str, int]
    synonym_of: Mapping[str, frozenset[str]]

    @property
    def cues(self) -> frozenset[str]:
        """Every word `_negated` can find, besides the English ones ending in "n't"."""
        return self.negations | ({self.negation_no} if self.negation_no else frozenset())

    def tokens(self, folded: str) -> list[str]:
        """Word tokens of folded text: "we'll" stays one in English; "l'article" is two in French."""
        return folded_tokens(folded) if self.code == "en" else _SPLIT_APOSTROPHE.findall(folded)

    def numbers(self, text: str, tokens: list[str] | None = None) -> set[str]:
        """Numbers a text states, in digits or in words of this language (`tokens`: its `tokens(fold(text))`, when known)."""
        if self.code == "en":
            return numbers(text, tokens)
        folded = fold(text)
        found = numbers(re.sub(r"[a-z]+", " ", folded))
        found |= {str(self.number_words[w]) for w in self.tokens(folded) if w in self.number_words}
        return found

    def clauses(self, text: str) -> list[int]:
        """For each of `tokens(fold(text))`, the number of its clause (see text.clause_numbers)."""
        if self.code == "en":
            return clause_numbers(text)
        folded = fold(text)
        found: list[int] = []
        clause, end = 0, 0
        for match in _SPLIT_APOSTROPHE.finditer(folded):
            gap = folded[end : match.start()]
            if end and any(mark in gap for mark in _CLAUSE_MARKS):
                clause += 1
            found.append(clause)
            end = match.end()
        return found

    def content_stems(self, text: str) -> list[str]:
        stems = []
        for token in self.tokens(fold(text)):
            if token in self.stopwords or token.isdigit() or token in self.number_words:
                continue
            stemmed = self.stem(token)
            if stemmed not in self.stopwords:
                stems.append(stemmed)
        return stems


@lru_cache(maxsize=16)
def _language(lex: Lexicon) -> _Language:
    to_stem = stemmer_of(lex)
    synonym_of: dict[str, frozenset[str]] = {}
    for group in lex.synonyms:
        stems = frozenset(to_stem(w) for w in group)
        for word in group:
            synonym_of[to_stem(word)] = synonym_of.get(to_stem(word), frozenset()) | stems
    no_word = next(iter(lex.words("negation_no")), "")
    return _Language(lex.code, to_stem, stopwords_of(lex), lex.words("negations"), no_word, lex.words("no_exceptions"), lex.numbers, synonym_of)


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


def _typo(a: str, b: str, lang: _Language) -> bool:
    """`_close`, except that outside English a stem that begins another is a different word, not a typo:
    Snowball stems are short ("correg" of "corregida", "corre" of "correo")."""
    if lang.code != "en" and (a.startswith(b) or b.startswith(a)):
        return False
    return _close(a, b)


def _stem_matches(wanted: str, have: set[str], by_initial: dict[str, list[str]], lang: _Language) -> bool:
    if wanted in have:
        return True
    synonyms = lang.synonym_of.get(wanted)
    if synonyms and synonyms & have:
        return True
    return len(wanted) >= 5 and any(_typo(wanted, h, lang) for h in by_initial.get(wanted[0], ()))


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
def _phrasing(phrasing: str, lang: _Language) -> _Phrasing:
    wanted = tuple(lang.content_stems(phrasing))
    needed = len(wanted) if len(wanted) <= 2 else max(2, round(len(wanted) * 0.67))
    negated = any(t in lang.negations or t.endswith("n't") for t in lang.tokens(fold(phrasing)))
    return _Phrasing(wanted, frozenset(lang.numbers(phrasing)), negated, needed)


class _Sentence:
    """A sentence's tokens, stems and numbers, worked out once per reply."""

    __slots__ = ("_by_initial", "_clauses", "_may_negate", "_numbers", "_stems", "have", "lang", "text", "tokens")

    def __init__(self, text: str, lang: _Language, words: list[str] | None = None, stem_of: Mapping[str, str] | None = None) -> None:
        """`stem_of`: the stems of the reply's words, worked out once for all its sentences (by default, stemmed here)."""
        self.text = text
        self.lang = lang
        self.tokens = lang.tokens(fold(text)) if words is None else words
        self.have = set(map(lang.stem if stem_of is None else stem_of.__getitem__, set(self.tokens) - lang.stopwords))
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
            self._may_negate = not self.lang.cues.isdisjoint(self.tokens) or "n't " in " ".join(self.tokens) + " "
        return self._may_negate

    @property
    def stems(self) -> list[str]:
        if self._stems is None:
            self._stems = [self.lang.stem(t) for t in self.tokens]
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
            self._clauses = self.lang.clauses(self.text)
        return self._clauses

    @property
    def numbers(self) -> set[str]:
        if self._numbers is None:
            self._numbers = self.lang.numbers(self.text, self.tokens)
        return self._numbers


def _by_initial(words: set[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for word in words:
        if len(word) >= 5:
            found.setdefault(word[0], []).append(word)
    return found


def match_phrasing(phrasing: str, sentence: str, lex: Lexicon | None = None) -> str:
    """'conveyed', 'wrong_number', 'negated' or 'missing' for one phrasing in one sentence (in `lex`'s language; English by default)."""
    lang = _language(lex or english())
    return _match(_phrasing(phrasing, lang), _Sentence(sentence, lang))


def _accepted(wanted: str, everywhere: set[str], by_initial: dict[str, list[str]], lang: _Language) -> frozenset[str]:
    """The words of a reply's sentences that count as `wanted`: itself, its synonyms, and the reply's
    words a typo apart from it. `_stem_matches(wanted, have, ...)` for a sentence of the reply is
    `not _accepted(...).isdisjoint(have)`, without trying the typo match again in every sentence."""
    close = {h for h in by_initial.get(wanted[0], ()) if _typo(wanted, h, lang)} if len(wanted) >= 5 else set()
    return frozenset({wanted} | lang.synonym_of.get(wanted, frozenset()) | close)


def _match(wanted: _Phrasing, sentence: _Sentence, accepted: dict[str, frozenset[str]] | None = None) -> str:
    if not wanted.stems and not wanted.numbers:
        return "missing"
    matched = []
    allowed_misses = len(wanted.stems) - wanted.needed
    have = sentence.have
    for stem_ in wanted.stems:
        if stem_ in have or (
            not accepted[stem_].isdisjoint(have) if accepted is not None else _stem_matches(stem_, have, sentence.by_initial, sentence.lang)
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
    lang = sentence.lang
    stems, words = sentence.stems, sentence.tokens
    positions = [i for i, s in enumerate(stems) if s in matched or lang.synonym_of.get(s, frozenset()) & matched]
    if not positions:
        return False
    clauses = {sentence.clauses[i] for i in positions}
    first, last = min(positions), max(positions)
    after = [w for i, w in enumerate(words[last + 1 : last + 2 + _NEGATION_AFTER], last + 1) if sentence.clauses[i] in clauses]
    if lang.code == "en":
        if any(t.endswith("n't") for t in after[:_NEGATION_AFTER]) or any(
            a in {"is", "are", "was", "were"} and b == "not" for a, b in itertools.pairwise(after)
        ):
            return True
    elif any(t in lang.negations for i, t in enumerate(words) if sentence.clauses[i] in clauses):
        return True  # the negation may stand anywhere in the clause: "Eine Rückerstattung ist leider nicht möglich"
    window = [w for i, w in enumerate(words[max(0, first - _NEGATION_WINDOW) : last + 1], max(0, first - _NEGATION_WINDOW)) if sentence.clauses[i] in clauses]
    for i, token in enumerate(window):
        if token in lang.negations or token.endswith("n't"):
            return True
        if token == lang.negation_no and i + 1 < len(window) and window[i + 1] not in lang.no_exceptions:
            return True
    return False


def match_fact(phrasings: Sequence[str], sentences: Sequence[str], lex: Lexicon | None = None) -> FactMatch:
    """The best outcome for one fact over the reply's sentences (any phrasing conveys it)."""
    return match_facts([phrasings], sentences, lex=lex)[0]


class _Views:
    """A reply's sentences as `_Sentence`s, each made when a fact first reaches it: the search for a fact stops
    at the sentence that conveys it, and a fact whose words are nowhere in the reply looks at none."""

    __slots__ = ("_lang", "_made", "_sentences", "_stem_of", "_words")

    def __init__(self, sentences: Sequence[str], words: list[list[str]], lang: _Language, stem_of: Mapping[str, str]) -> None:
        self._sentences, self._words, self._lang, self._stem_of = sentences, words, lang, stem_of
        self._made: list[_Sentence] = []

    def each(self) -> Iterator[_Sentence]:
        made = self._made
        for index in range(min(len(self._sentences), len(self._words))):
            if index == len(made):
                made.append(_Sentence(self._sentences[index], self._lang, self._words[index], self._stem_of))
            yield made[index]


def match_facts(
    facts: Sequence[Sequence[str]], sentences: Sequence[str], folded: Sequence[str] | None = None, lex: Lexicon | None = None
) -> list[FactMatch]:
    """`match_fact` for each fact, analysing each sentence once, in `lex`'s language (English by default).

    `folded` is `sentences` already folded (`CleanReply.folded`), to save folding them again.
    """
    lang = _language(lex or english())
    folded = folded if folded is not None else [fold(s) for s in sentences]
    words = [lang.tokens(f) for f in folded]
    # each distinct word of the reply stemmed once, not once in every sentence it is in
    distinct = set().union(*words) - lang.stopwords
    stem_of = dict(zip(distinct, map(lang.stem, distinct)))
    views = _Views(sentences, words, lang, stem_of)
    everywhere = set(stem_of.values())
    initials = _by_initial(everywhere)
    accepted: dict[str, frozenset[str]] = {}
    results = []
    for phrasings in facts:
        label = " / ".join(phrasings)
        wanted = []
        for phrasing in (_phrasing(p, lang) for p in phrasings):
            for stem_ in phrasing.stems:
                if stem_ not in accepted:
                    accepted[stem_] = _accepted(stem_, everywhere, initials, lang)
            # _could_match(phrasing, everywhere, initials), with the typo matches already worked out
            found_stems = sum(1 for s in phrasing.stems if not accepted[s].isdisjoint(everywhere))
            if found_stems >= phrasing.needed and (bool(phrasing.stems) or bool(phrasing.numbers)):
                # a sentence with none of the words any stem accepts misses them all: "missing"
                forms = frozenset().union(*(accepted[s] for s in phrasing.stems)) if phrasing.stems else None
                wanted.append((phrasing, forms))
        found: FactMatch | None = None
        worst: FactMatch | None = None
        for view in views.each() if wanted else ():
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
