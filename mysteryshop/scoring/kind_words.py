"""The cues of mysteryshop/scoring/kinds.yaml, compiled once: one pattern per group of cues, all languages at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import ahocorasick
from ruamel.yaml import YAML

#: the groups of cues kinds.yaml must have (a missing one is a packaging error, said at load)
CUE_GROUPS = ("bounce_subject", "bounce_body", "delay", "absence_subject", "absence_body", "auto_subject", "automated",
              "received", "deferral", "boilerplate", "survey", "marketing", "person", "reply_marker", "aside", "notice_subject", "notice_body", "bulk_body", "closure")


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


@dataclass(frozen=True, slots=True)
class CuePart:
    """Some cues of a group in one alternation, tried only on text that holds one of the words they need.

    `needs`: literal words of which every match of every cue of the part holds one (a cheap search for them rules
    most sentences out before an alternation of fifty cues is tried at every word start); None: always tried (a cue
    of the part needs no fixed word at all)."""

    pattern: re.Pattern[str]
    needs: Any = None  # an ahocorasick.Automaton of the words, or None

    def finditer(self, folded: str) -> Iterator[re.Match[str]]:
        if self.needs is not None and next(self.needs.iter(folded), None) is None:
            return iter(())
        return self.pattern.finditer(folded)

    def search(self, folded: str) -> re.Match[str] | None:
        if self.needs is not None and next(self.needs.iter(folded), None) is None:
            return None
        return self.pattern.search(folded)


@dataclass(frozen=True, slots=True)
class CueGroup:
    """The cues of one group, every language in one alternation per part (`lastgroup` names the language that matched).

    Cues that can only start with a word character at a word boundary are put behind a `\\b`: the regular
    expression engine then tries the alternation only where a word starts, half the work or less. The few others
    (`-40 %`, `[#123]`) are in a part of their own. Cues that need a word of four letters or more
    ("melden", "quarantine") are parted from those that need only a short one or none (greetings, "i'm"), so that a
    sentence without any of those words costs one search of plain words (see CuePart)."""

    name: str
    parts: tuple[CuePart, ...]

    def first(self, folded: str) -> Cue | None:
        found = [m for m in (part.search(folded) for part in self.parts) if m is not None]
        if not found:
            return None
        match = min(found, key=lambda m: m.start())
        return Cue(self.name, match.group(), match.lastgroup or "", match.start(), match.end())

    def all(self, folded: str) -> Iterator[Cue]:
        matches = [m for part in self.parts for m in part.finditer(folded)]
        if len(self.parts) > 1:
            matches.sort(key=lambda m: m.start())
        for match in matches:
            if match.end() > match.start():
                yield Cue(self.name, match.group(), match.lastgroup or "", match.start(), match.end())


@dataclass(frozen=True, slots=True)
class PromiseWords:
    pattern: re.Pattern[str]
    numbers: dict[str, int]
    units: tuple[tuple[re.Pattern[str], str], ...]
    business: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class KindWords:
    groups: dict[str, CueGroup]
    stopwords: frozenset[str]
    promise: PromiseWords

    def __getitem__(self, name: str) -> CueGroup:
        return self.groups[name]


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
    def alternation(groups: list[tuple[str, list[str]]]) -> str:
        return "|".join(f"(?P<{lang}>" + "|".join(f"(?:{c})" for c in cues) + ")" for lang, cues in groups if cues)

    needed = {cue: _needed(cue, common) for _, cues in parts for cue in cues}
    built = []
    for selective in (True, False):
        for at_word in (True, False):
            chosen = [(lang, [c for c in cues if _starts_a_word(c) == at_word and _selective(needed[c], common) == selective])
                      for lang, cues in parts]
            if not any(cues for _, cues in chosen):
                continue
            pattern = re.compile((r"\b(?:" + alternation(chosen) + ")") if at_word else alternation(chosen), re.MULTILINE)
            needs = None
            if all(needed[c] is not None for _, cues in chosen for c in cues):
                needs = ahocorasick.Automaton()
                for word in {w for _, cues in chosen for c in cues for w in needed[c] or ()}:
                    needs.add_word(word, word)
                needs.make_automaton()
            built.append(CuePart(pattern, needs))
    return CueGroup(name, tuple(built))


#: a cue is worth a search for the words it needs when each of them has this many characters or more
_SELECTIVE = 4


def _selective(needed: frozenset[str] | None, common: frozenset[str] = frozenset()) -> bool:
    return needed is not None and min(_rarity(word, common) for word in needed) >= _SELECTIVE


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
    return KindWords({name: _group(name, data[name], stopwords) for name in CUE_GROUPS}, stopwords, _promise(data["promise"]))
