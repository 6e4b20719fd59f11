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
              "received", "deferral", "boilerplate", "survey", "marketing", "person")


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
    """The cues of one group, every language in one alternation (`lastgroup` names the language that matched)."""

    name: str
    pattern: re.Pattern[str]

    def first(self, folded: str) -> Cue | None:
        match = self.pattern.search(folded)
        return None if match is None else Cue(self.name, match.group(), match.lastgroup or "", match.start(), match.end())

    def all(self, folded: str) -> Iterator[Cue]:
        for match in self.pattern.finditer(folded):
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
        parts.append(f"(?P<{language}>" + "|".join(f"(?:{cue})" for cue in cues) + ")")
    return CueGroup(name, re.compile("|".join(parts), re.MULTILINE))


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
