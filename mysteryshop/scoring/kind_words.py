"""The cues of mysteryshop/scoring/kinds.yaml, compiled once: one pattern per group of cues, all languages at once."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import ahocorasick
from ruamel.yaml import YAML

#: the groups of cues kinds.yaml must have (a missing one is a packaging error, said at load)
CUE_GROUPS = ("bounce_subject", "bounce_body", "delay", "absence_subject", "absence_body", "auto_subject", "automated",
              "received", "deferral", "boilerplate", "survey", "marketing", "person", "reply_marker", "aside", "notice_subject", "notice_body", "bulk_body", "closure",
              "reply_promise", "feedback", "imprint", "wait", "challenge", "month", "transaction", "request_subject", "remedy", "survey_host",
              "rates_reply")


class KindWordsError(ValueError):
    """kinds.yaml is not what this module reads (a packaging or editing mistake)."""


@dataclass(frozen=True, slots=True)
class Cue:
    """A phrase found: what it says, where, and the language of the cue that found it."""

    group: str
    text: str
    language: str
    start: int
    end: int


#: how many alternations of some of its cues a part keeps compiled (a text holds the words of only a few cues)
_SUBSETS_MAX = 4096


@dataclass(slots=True, eq=False)
class CuePart:
    """Some cues of a group in one alternation (`lastgroup` names the language that matched).

    `needed`: per cue, literal words of which every match of the cue holds one (None: the cue needs no fixed word and
    is always tried). A text is first searched for all the needed words of every cue of every group at once (one
    Aho-Corasick pass, `KindWords.scan`); a part then tries only the alternation of its cues whose words are there,
    which finds what the whole alternation would have found, at a fraction of the cost (a sentence holds the words
    of a handful of cues out of hundreds)."""

    cues: tuple[tuple[str, str], ...]  # (language, cue) in the order of kinds.yaml
    at_word: bool
    needed: tuple[frozenset[str] | None, ...]
    slot: int = -1  # its place in the CueIndex's masks
    compiled: dict[int, re.Pattern[str]] = field(default_factory=dict)

    def pattern(self, chosen: int) -> re.Pattern[str]:
        """The alternation of the cues in the bit mask `chosen` (bit i: `cues[i]`), in their order."""
        found = self.compiled.get(chosen)
        if found is None:
            if len(self.compiled) >= _SUBSETS_MAX:
                self.compiled.clear()
            by_language: dict[str, list[str]] = {}
            for index, (language, cue) in enumerate(self.cues):
                if chosen >> index & 1:
                    by_language.setdefault(language, []).append(cue)
            alternation = "|".join(f"(?P<{lang}>" + "|".join(f"(?:{c})" for c in cues) + ")" for lang, cues in by_language.items())
            found = self.compiled[chosen] = re.compile(rf"\b(?:{alternation})" if self.at_word else alternation, re.MULTILINE)
        return found


class Hits:
    """Which cues of each part a text holds the needed words of (`KindWords.scan`): a bit mask per part."""

    __slots__ = ("masks",)

    def __init__(self, masks: list[int]) -> None:
        self.masks = masks

    def chosen(self, part: CuePart) -> int:
        return self.masks[part.slot]


@dataclass(frozen=True, slots=True)
class CueGroup:
    """The cues of one group, every language in one alternation per part (`lastgroup` names the language that matched).

    Cues that can only start with a word character at a word boundary are put behind a `\\b`: the regular
    expression engine then tries the alternation only where a word starts, half the work or less. The few others
    (`-40 %`, `[#123]`) are in a part of their own."""

    name: str
    parts: tuple[CuePart, ...]
    index: Any = None  # a scanner of this group's words only, for a caller that has no Hits of the text (set once all are built)

    def _matches(self, folded: str, hits: Hits | None, first: bool) -> list[re.Match[str]]:
        if hits is None:
            hits = self.index(folded)
        found = []
        for part in self.parts:
            chosen = hits.chosen(part)
            if not chosen:
                continue
            pattern = part.pattern(chosen)
            if first:
                match = pattern.search(folded)
                if match is not None:
                    found.append(match)
            else:
                found.extend(pattern.finditer(folded))
        return found

    def first(self, folded: str, hits: Hits | None = None) -> Cue | None:
        """The leftmost cue in `folded` (`hits`: what `KindWords.scan` found in this very text, when the caller has it)."""
        found = self._matches(folded, hits, True)
        if not found:
            return None
        match = min(found, key=lambda m: m.start())
        return Cue(self.name, match.group(), match.lastgroup or "", match.start(), match.end())

    def all(self, folded: str, hits: Hits | None = None) -> Iterator[Cue]:
        matches = self._matches(folded, hits, False)
        if len(self.parts) > 1:
            matches.sort(key=lambda m: m.start())
        for match in matches:
            if match.end() > match.start():
                yield Cue(self.name, match.group(), match.lastgroup or "", match.start(), match.end())


#: a needed word shorter than this is in nearly every text (and found at nearly every letter): its cue is always tried
_SCANNED_WORD = 2


class CueIndex:
    """The needed words of every cue of every group in one Aho-Corasick automaton: `scan(text)` says which cues may
    match `text` (those whose needed words it holds, and those that need none)."""

    def __init__(self, groups: list[CueGroup], slots: int | None = None) -> None:
        """`slots`: how many parts there are in all, when `groups` are some of them (their parts numbered already)."""
        self.automaton = ahocorasick.Automaton()
        keys: dict[str, dict[int, int]] = {}
        always: list[int] = [0] * (slots or 0)
        for group in groups:
            for part in group.parts:
                if slots is None:
                    part.slot = len(always)
                    always.append(0)
                for index, words in enumerate(part.needed):
                    if words is None or min(len(word.strip()) for word in words) < _SCANNED_WORD:
                        always[part.slot] |= 1 << index
                        continue
                    for word in words:
                        masks = keys.setdefault(word, {})
                        masks[part.slot] = masks.get(part.slot, 0) | 1 << index
        self.by_word: list[tuple[tuple[int, int], ...]] = []
        for word, masks in keys.items():
            self.automaton.add_word(word, len(self.by_word))
            self.by_word.append(tuple(masks.items()))
        self.automaton.make_automaton()
        self.always = always

    def __call__(self, folded: str) -> Hits:
        masks = self.always.copy()
        if folded:
            by_word = self.by_word
            for value in {value for _, value in self.automaton.iter(folded)}:
                for slot, mask in by_word[value]:
                    masks[slot] |= mask
        return Hits(masks)


@dataclass(frozen=True, slots=True)
class PromiseWords:
    pattern: re.Pattern[str]
    numbers: dict[str, int]
    units: tuple[tuple[re.Pattern[str], str], ...]
    business: re.Pattern[str]


def _start(match: re.Match[str]) -> int:
    return match.start()


@dataclass(frozen=True, slots=True)
class KindWords:
    groups: dict[str, CueGroup]
    stopwords: frozenset[str]
    promise: PromiseWords
    index: CueIndex  # the words of every group: one scan of a text serves every group read in it

    def __getitem__(self, name: str) -> CueGroup:
        return self.groups[name]

    def find(self, folded: str, hits: Hits, names: tuple[str, ...]) -> dict[str, list[Cue]]:
        """Every cue of the groups `names` in `folded` (as `CueGroup.all` finds them), by group; groups without any left out.
        `hits`: what `scan` found in this very text. One call for a sentence read for many groups."""
        masks = hits.masks
        found: dict[str, list[Cue]] = {}
        for name in names:
            parts = self.groups[name].parts
            matches: list[re.Match[str]] = []
            for part in parts:
                chosen = masks[part.slot]
                if chosen:
                    matches.extend(part.pattern(chosen).finditer(folded))
            if matches:
                if len(parts) > 1:
                    matches.sort(key=_start)
                cues = [Cue(name, m.group(), m.lastgroup or "", m.start(), m.end()) for m in matches if m.end() > m.start()]
                if cues:
                    found[name] = cues
        return found

    def scan(self, folded: str) -> Hits:
        """Which cues of every group may match `folded` (pass it to `CueGroup.first` / `all` on the same text)."""
        return self.index(folded)


def _group(name: str, by_language: Any, common: frozenset[str] = frozenset()) -> CueGroup:
    if not isinstance(by_language, dict) or not by_language:
        raise KindWordsError(f"kinds.yaml: '{name}' must map languages to lists of cues")
    parts = []
    for language, cues in by_language.items():
        if not isinstance(cues, list) or not all(isinstance(c, str) for c in cues):
            raise KindWordsError(f"kinds.yaml: '{name}.{language}' must be a list of strings (quote a cue that holds ': ')")
        for cue in cues:
            try:
                re.compile(cue)
            except re.error as exc:
                raise KindWordsError(f"kinds.yaml: '{name}.{language}': cue {cue!r} is not a regular expression: {exc}") from exc
        parts.append((language, cues))
    built = []
    for at_word in (True, False):
        chosen = [(lang, cue) for lang, cues in parts for cue in cues if _starts_a_word(cue) == at_word]
        if chosen:
            built.append(CuePart(tuple(chosen), at_word, tuple(_needed(cue, common) for _, cue in chosen)))
    return CueGroup(name, tuple(built))


def _rarity(word: str, common: frozenset[str]) -> int:
    """How well a needed word rules text out: its length, or 1 for a word found in most text ("your", "with")."""
    return 1 if word.strip() in common else len(word.strip())


def _needed(cue: str, common: frozenset[str] = frozenset()) -> frozenset[str] | None:
    """Literal strings of which every match of `cue` contains one (the rarest such choice: `common` words are not), or
    None if there is none."""
    from re import _parser  # type: ignore[attr-defined]

    try:
        return _needed_in(list(_parser.parse(cue)), common)
    except Exception:  # noqa: BLE001 - a form this reading does not know: no shortcut for this cue's group
        return None


def _needed_in(items: list[Any], common: frozenset[str]) -> frozenset[str] | None:
    from re import _constants as c  # type: ignore[attr-defined]

    best: tuple[float, frozenset[str]] | None = None
    run: list[str] = []

    def consider(found: frozenset[str] | None) -> None:
        nonlocal best
        if found:
            score = min(_rarity(word, common) for word in found) - 0.01 * len(found)
            if best is None or score > best[0]:
                best = (score, found)

    for op, av in items + [(None, None)]:
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        if run:
            consider(frozenset(["".join(run)]))
            run = []
        if op is c.SUBPATTERN:
            consider(_needed_in(list(av[3]), common))
        elif op is c.BRANCH:
            branches = [_needed_in(list(branch), common) for branch in av[1]]
            if all(branches):
                consider(frozenset().union(*branches))  # type: ignore[arg-type]
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
            consider(_needed_in(list(av[2]), common))
        # anything else (classes, anchors, optional parts, lookarounds) needs nothing fixed: skipped
    return best[1] if best else None


def _starts_a_word(cue: str) -> bool:
    """Whether every match of `cue` starts with a word character where a word starts (so a leading \\b changes nothing)."""
    from re import _parser  # type: ignore[attr-defined]  # the standard library's own parser of patterns

    try:
        return _first_is_word(list(_parser.parse(cue)))
    except Exception:  # noqa: BLE001 - a form this reading does not know: keep the cue as written
        return False


def _first_is_word(items: list[Any]) -> bool:
    from re import _constants as c  # type: ignore[attr-defined]

    for index, (op, av) in enumerate(items):
        if op is c.AT:
            if av in (c.AT_BOUNDARY, c.AT_BEGINNING, c.AT_BEGINNING_LINE, c.AT_BEGINNING_STRING):
                continue  # a word character after these is at a word start
            return False
        if op is c.LITERAL:
            return chr(av).isalnum() or chr(av) == "_"
        if op is c.IN:
            return all((o is c.LITERAL and (chr(a).isalnum() or chr(a) == "_"))
                       or (o is c.RANGE and all(chr(x).isalnum() for x in a))
                       or (o is c.CATEGORY and a in (c.CATEGORY_WORD, c.CATEGORY_DIGIT)) for o, a in av)
        if op is c.SUBPATTERN:
            return _first_is_word(list(av[3]))
        if op is c.BRANCH:
            return all(_first_is_word(list(branch)) for branch in av[1])
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):  # an optional part: what follows it may start the match too
            return _first_is_word(list(av[2])) and (av[0] >= 1 or _first_is_word(items[index + 1:]))
        return False
    return False


def _promise(data: Any) -> PromiseWords:
    numbers = {str(k): int(v) for k, v in data["numbers"].items()}
    units = tuple((re.compile(rf"(?:{unit})\Z"), str(kind)) for unit, kind in data["units"].items())
    unit_alternation = "|".join(f"(?:{unit})" for unit in sorted(data["units"], key=len, reverse=True))
    number = r"\d{1,3}|" + "|".join(sorted(numbers, key=len, reverse=True))
    business = "|".join(data["business"])
    pattern = re.compile(
        rf"\b(?:{'|'.join(data['lead'])})\s+(?:(?:the|a|an|der|den|die|les|las|los)\s+)?"
        rf"(?P<low>{number})(?:\s*(?:-|to|bis|a|o|or|ou|und)\s*(?P<high>{number}))?\s*"
        rf"(?P<business>(?:{business})\s*)?(?P<unit>{unit_alternation})(?![a-z])"
    )
    return PromiseWords(pattern, numbers, units, re.compile(business))


@cache
def kind_words() -> KindWords:
    """kinds.yaml, compiled (once per process)."""
    text = resources.files("mysteryshop.scoring").joinpath("kinds.yaml").read_text(encoding="utf-8")
    data = YAML(typ="safe").load(text)
    missing = [name for name in CUE_GROUPS if name not in data]
    if missing:
        raise KindWordsError(f"kinds.yaml: no {', '.join(missing)}")
    stopwords = frozenset(word for words in data["stopwords"].values() for word in str(words).split())
    groups = {name: _group(name, data[name], stopwords) for name in CUE_GROUPS}
    index = CueIndex(list(groups.values()))
    slots = len(index.always)
    own = {name: dataclasses.replace(group, index=CueIndex([group], slots)) for name, group in groups.items()}
    return KindWords(own, stopwords, _promise(data["promise"]), index)
