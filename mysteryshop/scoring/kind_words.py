"""The cues of mysteryshop/scoring/kinds.yaml, compiled once: one pattern per group of cues, all languages at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

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
class CueGroup:
    """The cues of one group, every language in one alternation (`lastgroup` names the language that matched).

    Cues that can only start with a word character at a word boundary are in `pattern`, behind a `\\b`: the
    regular expression engine then tries the alternation only where a word starts, half the work or less. The
    few others (`-40 %`, `[#123]`) are in `rest`."""

    name: str
    pattern: re.Pattern[str]
    rest: re.Pattern[str] | None = None

    def first(self, folded: str) -> Cue | None:
        found = [m for m in (self.pattern.search(folded), self.rest.search(folded) if self.rest else None) if m is not None]
        if not found:
            return None
        match = min(found, key=lambda m: m.start())
        return Cue(self.name, match.group(), match.lastgroup or "", match.start(), match.end())

    def all(self, folded: str) -> Iterator[Cue]:
        matches = list(self.pattern.finditer(folded))
        if self.rest is not None:
            matches = sorted(matches + list(self.rest.finditer(folded)), key=lambda m: m.start())
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


def _group(name: str, by_language: Any) -> CueGroup:
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
    at_words = [(lang, [c for c in cues if _starts_a_word(c)]) for lang, cues in parts]
    others = [(lang, [c for c in cues if not _starts_a_word(c)]) for lang, cues in parts]

    def alternation(groups: list[tuple[str, list[str]]]) -> str:
        return "|".join(f"(?P<{lang}>" + "|".join(f"(?:{c})" for c in cues) + ")" for lang, cues in groups if cues)

    rest = alternation(others)
    return CueGroup(name, re.compile(r"\b(?:" + alternation(at_words) + ")", re.MULTILINE),
                    re.compile(rest, re.MULTILINE) if rest else None)


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
    return KindWords({name: _group(name, data[name]) for name in CUE_GROUPS}, stopwords, _promise(data["promise"]))
