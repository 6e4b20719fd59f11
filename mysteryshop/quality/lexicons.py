"""Phrase patterns the rules engine looks for, per language, read from data files.

Each language's lexicon is a YAML file beside this module, `languages/<code>.yaml` (en, de, fr, es):
phrase patterns (regular expressions on folded text: lower case, no accents, straight quotes;
see `text.fold`), word lists (stop words, negations, number words, synonyms) and the constants of
its reading-ease formula. Nothing language-specific lives in code: adding a language is adding a
file. A criterion names the entries it needs; a language whose file lacks one of them is not
supported by that criterion, and a reply in it is "unscored (language xx)".

Patterns are compiled on first use, so a run that only meets English replies never compiles the
others. Each is MULTILINE so one search over a reply's sentences joined by newlines can rule it
out before any sentence is looked at one by one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from pathlib import Path
from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

from mysteryshop.quality.text import fold

LANGUAGE_DIR = Path(__file__).with_name("languages")


class LexiconError(ValueError):
    """A lexicon file that cannot be used, with the file and entry at fault."""


class Phrases:
    """A compiled pattern that is only tried where one of its possible first words appears.

    Python's `re` tries every alternative of a long alternation at every word start; finding the
    few places where a match could begin (with a small regex of literal prefixes, worked out from
    the pattern itself) and matching only there is several times faster, and gives the same
    matches: when the prefixes cannot be worked out, the plain search is used.
    """

    __slots__ = ("_after_non_word", "_alternatives", "_at", "_by_prefix", "_candidate", "_from", "_lengths", "_odd_start", "_subsets", "regex", "search")

    def __init__(self, regex: re.Pattern[str], alternatives: Sequence[str] = ()) -> None:
        self.regex = regex
        self.search: Callable[[str], re.Match[str] | None] = regex.search
        self._from: Callable[[str, int], re.Match[str] | None] = regex.search
        limit = _WORD_PREFIX
        prefixes = first_literals(regex.pattern, regex.flags, limit)
        if prefixes and len(prefixes) > _MAX_PREFIXES:
            limit = _SHORT_PREFIX
            prefixes = first_literals(regex.pattern, regex.flags, limit)
        if not prefixes or regex.pattern.startswith("^"):
            return  # no known first words, or anchored: as quick plainly
        lookahead = starts_with_one_of(prefixes)
        if not regex.pattern.startswith(r"\b"):
            self.search = self._from = re.compile(lookahead + "(?:" + regex.pattern + ")", regex.flags).search
            return
        self._at = re.compile(r"\b" + lookahead + "(?:" + regex.pattern + ")", regex.flags).match
        words = {w for w in prefixes if w[0].isalnum()}
        # starting with a consumed non-word character lets `re` skip from one non-word character
        # to the next in C, instead of trying a match at every position
        self._after_non_word = (
            re.compile(r"\W" + starts_with_one_of(words) + "(?:" + regex.pattern + ")", regex.flags).search if words else None
        )
        # a prefix that starts with punctuation or a symbol ("'ll ", "$", "["): only where one of those characters stands
        odd = sorted({w[0] for w in prefixes} - {w[0] for w in words})
        self._odd_start = re.compile("[" + "".join(map(re.escape, odd)) + "]").search if odd else None
        self.search = self._search_boundaries
        self._from = self._search_boundaries
        if alternatives and regex.pattern == r"\b(?:" + "|".join(alternatives) + ")":
            self._dispatch(alternatives, limit)

    def _dispatch(self, alternatives: Sequence[str], limit: int) -> None:
        """For a long alternation (`regex` is `\b(?:alt|alt|…)`): where a prefix stands, try only the alternatives that
        can start with what is there, in their order in the pattern, so the match is the one the whole alternation
        gives (its first alternative that matches there). `re` would try every alternative at each such place."""
        by_prefix: dict[str, list[int]] = {}
        for index, alternative in enumerate(alternatives):
            own = first_literals(r"\b(?:" + alternative + ")", self.regex.flags, limit)
            if not own:
                return
            for prefix in own:
                by_prefix.setdefault(prefix, []).append(index)
        words = {w for w in by_prefix if w[0].isalnum()}
        odd = sorted({w[0] for w in by_prefix} - {w[0] for w in words})
        where = [r"(?<=\W)" + starts_with_one_of(words)] if words else []
        if odd:
            where.append("(?=[" + "".join(map(re.escape, odd)) + "])")
        self._alternatives = tuple(alternatives)
        self._by_prefix = {prefix: tuple(indices) for prefix, indices in by_prefix.items()}
        self._lengths = tuple(sorted({len(prefix) for prefix in by_prefix}))
        self._candidate = re.compile("|".join(where), self.regex.flags).search
        self._subsets: dict[tuple[int, ...], Callable[[str, int], re.Match[str] | None]] = {}
        self.search = self._search_dispatched
        self._from = self._search_dispatched

    def _match_at(self, text: str, pos: int) -> re.Match[str] | None:
        found: set[int] = set()
        for length in self._lengths:
            indices = self._by_prefix.get(text[pos : pos + length])
            if indices is not None:
                found.update(indices)
        if not found:
            return None
        key = tuple(sorted(found))
        matcher = self._subsets.get(key)
        if matcher is None:
            body = "|".join(self._alternatives[i] for i in key)
            matcher = self._subsets[key] = re.compile(r"\b(?:" + body + ")", self.regex.flags).match
        return matcher(text, pos)

    def _search_dispatched(self, text: str, pos: int = 0) -> re.Match[str] | None:
        """`_search_boundaries` with each candidate place tried by `_match_at`: at `pos`, then at every later place
        where a word prefix follows a non-word character or an odd prefix's first character stands."""
        hit = self._match_at(text, pos)
        if hit is not None:
            return hit
        candidate = self._candidate(text, pos + 1)
        while candidate is not None:
            at = candidate.start()
            hit = self._match_at(text, at)
            if hit is not None:
                return hit
            candidate = self._candidate(text, at + 1)
        return None

    def _search_boundaries(self, text: str, pos: int = 0) -> re.Match[str] | None:
        """Every match starts at a word boundary (the pattern starts with \b) with one of the prefixes: at `pos` (the
        start of `text` by default), at a word start just after a non-word character, or where a prefix that starts
        with punctuation does, whichever comes first. The match is then taken again from where it starts, so it is
        the very match object a plain search returns (lookbehinds and \b see what is before)."""
        hit = self._at(text, pos)
        if hit is not None:
            return hit
        lead = None if self._after_non_word is None else self._after_non_word(text, pos)
        end = len(text) if lead is None else lead.start() + 1
        if self._odd_start is not None:
            odd = self._odd_start(text, pos + 1, end)
            while odd is not None:
                hit = self._at(text, odd.start())
                if hit is not None:
                    return hit
                odd = self._odd_start(text, odd.start() + 1, end)
        return None if lead is None else self._at(text, end)

    def match(self, text: str) -> re.Match[str] | None:
        return self.regex.match(text)

    def sub(self, replacement: str, text: str) -> str:
        """`regex.sub` with a literal `replacement` (" ", ""), each match found with the quick search from
        where the last one ended: `regex.sub` itself tries every position, which is slow."""
        hit = self.search(text)
        if hit is None:
            return text
        pieces, last = [], 0
        while hit is not None:
            if hit.end() == hit.start():
                return self.regex.sub(replacement, text)  # an empty match: leave its subtleties to `re`
            pieces.append(text[last : hit.start()])
            pieces.append(replacement)
            last = hit.end()
            hit = self._from(text, last)
        pieces.append(text[last:])
        return "".join(pieces)


def first_literals(pattern: str, flags: int = 0, limit: int = 4) -> set[str] | None:
    """Literal prefixes (up to `limit` characters) that every match of `pattern` starts with, or None when unknown."""
    parsed = _parser.parse(pattern, flags)
    if parsed.state.flags & re.IGNORECASE:
        return None
    prefixes = _first_literals(list(parsed.data), 0, limit)
    return prefixes if prefixes and all(prefixes) else None


def starts_with_one_of(prefixes: set[str]) -> str:
    """A lookahead that holds where one of `prefixes` starts; as a lookahead, candidates may overlap
    ("we confirm": both "we c" and "conf")."""
    return "(?=" + _trie(prefixes) + ")"


def _trie(words: set[str]) -> str:
    """An alternation of `words` as a regex that branches one character at a time: 'in a|in 3|inte' as
    'in(?:\\ (?:3|a)|te)'. Only ever used in a lookahead, so a word that another word extends ends the branch."""
    tree: dict[str, dict] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_regex(tree)


def _trie_regex(node: dict[str, dict]) -> str:
    if "" in node:
        return ""
    branches = [re.escape(char) + _trie_regex(child) for char, child in sorted(node.items())]
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


_DIGITS = frozenset("0123456789")
_WORD_PREFIX = 8
"""How long the literal prefixes `Phrases` looks for get: longer ones rule out more places ("how long" is not
"how do you"), at the cost of a bigger lookahead; up to `_MAX_PREFIXES` of them, else shorter ones."""
_SHORT_PREFIX = 4
_MAX_PREFIXES = 1500


def _first_literals(items: list, i: int, limit: int) -> set[str] | None:
    """Literal prefixes (up to `limit` characters) every match of `items[i:]` starts with, or None when that is not known."""
    run = ""
    while i < len(items):
        op, av = items[i]
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            i += 1
            continue
        if op is _c.LITERAL:
            run += chr(av)
            if len(run) >= limit:
                return {run}
            i += 1
            continue
        if run:
            longer = _first_literals(items, i, limit - len(run)) if op in (_c.SUBPATTERN, _c.BRANCH, _c.IN, _c.MAX_REPEAT, _c.MIN_REPEAT) else None
            return {run + tail for tail in longer} if longer else {run}
        rest = items[i + 1 :]
        if op is _c.SUBPATTERN:
            if av[1] & re.IGNORECASE:
                return None  # "(?i:…)": the prefixes would have to be in every case
            return _first_literals(list(av[3].data) + rest, 0, limit)
        if op is _c.BRANCH:
            found: set[str] = set()
            for branch in av[1]:
                got = _first_literals(list(branch.data) + rest, 0, limit)
                if got is None:
                    return None
                found |= got
            return found
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            low, high, sub = av
            if sub.getwidth()[0] == 0:
                return None  # a repeat that can match nothing could go on forever here
            # one repetition, then the repeat again (when it may go on) or what follows
            again = [(op, (max(low - 1, 0), high if high is _c.MAXREPEAT else high - 1, sub))] if high is _c.MAXREPEAT or high > 1 else []
            first = _first_literals(list(sub.data) + again + rest, 0, limit)
            if low >= 1 or first is None:
                return first
            skipped = _first_literals(items, i + 1, limit)
            return None if skipped is None else first | skipped
        if op is _c.IN:
            chars: set[str] = set()
            for kind, value in av:
                if kind is _c.LITERAL:
                    chars.add(chr(value))
                elif kind is _c.CATEGORY and value is _c.CATEGORY_DIGIT:
                    chars |= _DIGITS
                else:
                    return None
            return chars
        return None
    return {run} if run else None


def _rx(pattern: str, alternatives: Sequence[str] = ()) -> Phrases:
    """Compile for folded text: case-sensitive (the text is already lower case) and tried only at
    word starts; both make the long alternations about three times faster. `alternatives`: the parts
    `pattern` joins with "|", when it is one long alternation."""
    if not pattern.startswith("^"):
        pattern = rf"\b(?:{pattern})"
    return Phrases(re.compile(pattern, re.MULTILINE), alternatives)


_REFERENCE = re.compile(r"\{\{(\w+)\}\}")
_UPPER_ESCAPE = re.compile(r"\\[A-Z]")


def _fold_pattern(pattern: str, where: str) -> str:
    """Patterns are written as people write the language ("für Ihre Nachricht") and run on folded text."""
    if _UPPER_ESCAPE.search(pattern):
        raise LexiconError(f"{where}: {pattern!r} uses an upper-case escape (\\W, \\S, \\D…), which folding would change; write it another way")
    return fold(pattern)


class Lexicon:
    """One language's entries: `lexicon.acknowledges` is a `Phrases`, `lexicon.words("negations")` a frozenset.

    Pattern entries are lists of alternatives; entries named in `ANCHORED` match at the start of a
    sentence only. `{{name}}` in a pattern stands for the `define:` entry `name`.
    """

    ANCHORED = frozenset({"non_substance", "lead_in"})

    def __init__(self, code: str, data: Mapping[str, Any], source: str) -> None:
        self.code = code
        self.source = source
        self._defines = {k: _fold_pattern(str(v), f"{source}: define.{k}") for k, v in (data.get("define") or {}).items()}
        self._patterns: dict[str, list[str]] = {k: [str(p) for p in v] for k, v in (data.get("patterns") or {}).items()}
        self._words: dict[str, Any] = dict(data.get("words") or {})
        self.numbers: dict[str, int] = {fold(str(k)): int(v) for k, v in (data.get("numbers") or {}).items()}
        self.synonyms: tuple[frozenset[str], ...] = tuple(frozenset(fold(str(w)) for w in group) for group in data.get("synonyms") or ())
        self.readability: dict[str, float] = {k: float(v) for k, v in (data.get("readability") or {}).items()}
        self.stemmer: str = str(data.get("stemmer") or "")
        self._compiled: dict[str, Phrases] = {}
        self._word_sets: dict[str, frozenset[str]] = {}

    def has(self, name: str) -> bool:
        """Whether the file gives the entry `name`: a pattern, a word list, or `numbers`, `synonyms`, `readability`, `stemmer`."""
        if name in ("numbers", "synonyms", "readability", "stemmer"):
            return bool(getattr(self, name))
        return name in self._patterns or name in self._words

    def pattern(self, name: str) -> Phrases:
        found = self._compiled.get(name)
        if found is None:
            found = self._compiled[name] = self._compile(name)
        return found

    def __getattr__(self, name: str) -> Phrases:
        """`lexicon.acknowledges`: the pattern, compiled on first use and kept as an attribute (found directly from then on)."""
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            found = self.pattern(name)
        except LexiconError as exc:
            raise AttributeError(str(exc)) from exc
        setattr(self, name, found)
        return found

    def _compile(self, name: str) -> Phrases:
        if name not in self._patterns:
            raise LexiconError(f"{self.source}: no pattern entry {name!r}")
        where = f"{self.source}: patterns.{name}"
        alternatives = self._alternatives(name)
        if not alternatives:
            return _rx("(?!)")
        body = "|".join(alternatives) if len(alternatives) > 1 else alternatives[0]
        if name in self.ANCHORED:
            body = f"^(?:{body})"
        try:
            return _rx(body)
        except re.error as exc:
            raise LexiconError(f"{where}: not a valid pattern: {exc}") from exc

    def _alternatives(self, name: str) -> list[str]:
        """The entry's alternatives, folded, with their {{references}} filled in."""
        where = f"{self.source}: patterns.{name}"
        return [_REFERENCE.sub(lambda m: self._define(m.group(1), where), _fold_pattern(p, where)) for p in self._patterns[name]]

    def union(self, *names: str) -> Phrases:
        """One pattern for several entries ("deferral", "automated"): one search instead of one per entry.

        Where one of its prefixes stands, only the alternatives that can start there are tried (`Phrases._dispatch`):
        for a union of many entries that saves more than the Python work per place costs (for single entries,
        measured with cachegrind, it does not)."""
        key = "|".join(names)
        found = self._compiled.get(key)
        if found is None:
            parts = []
            for name in names:
                if name not in self._patterns:
                    raise LexiconError(f"{self.source}: no pattern entry {name!r}")
                if name in self.ANCHORED:
                    raise LexiconError(f"{self.source}: {name!r} is anchored and cannot be joined with other entries")
                parts += self._alternatives(name)
            found = self._compiled[key] = _rx("|".join(parts) or "(?!)", parts)
        return found

    def _define(self, name: str, where: str) -> str:
        if name not in self._defines:
            raise LexiconError(f"{where}: {{{{{name}}}}} is not defined under 'define:'")
        return self._defines[name]

    def words(self, name: str) -> frozenset[str]:
        """A word list, folded; an absent list is empty."""
        found = self._word_sets.get(name)
        if found is None:
            raw = self._words.get(name) or ()
            if isinstance(raw, str):
                raw = raw.split()
            found = self._word_sets[name] = frozenset(fold(str(w)) for w in raw)
        return found


@cache
def lexicon(code: str) -> Lexicon | None:
    """The lexicon of language `code` (ISO 639-1), or None when there is no file for it."""
    path = LANGUAGE_DIR / f"{code}.yaml"
    if not path.is_file():
        return None
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except yaml.YAMLError as exc:
        raise LexiconError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise LexiconError(f"{path}: expected a mapping with patterns:, words:…")
    return Lexicon(code, data, str(path))


@cache
def lexicon_languages() -> tuple[str, ...]:
    """The languages that have a lexicon file, English first."""
    codes = sorted(p.stem for p in LANGUAGE_DIR.glob("*.yaml"))
    return tuple(sorted(codes, key=lambda c: (c != "en", c)))


@cache
def supporting(entries: tuple[str, ...]) -> tuple[str, ...]:
    """The languages whose lexicon has every one of `entries`."""
    found = []
    for code in lexicon_languages():
        lex = lexicon(code)
        if lex is not None and all(lex.has(entry) for entry in entries):
            found.append(code)
    return tuple(found)


def english() -> Lexicon:
    found = lexicon("en")
    if found is None:
        raise LexiconError(f"{LANGUAGE_DIR / 'en.yaml'}: the English lexicon is missing from the installation")
    return found
