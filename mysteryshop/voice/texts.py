"""What a journey's text can be, and what it refers to: pure functions on the values as read from YAML.

A text (a step's `subject:` or `body:`, a slot) is one of

- a string: one wording, in the journey's `language:`;
- a list of strings: variants, one drawn per persona;
- a mapping from a language code to a string or a list: the wording in each language.

Inside a wording, `{persona.first_name}` and friends are the persona's details and `{name}` is a slot: a
named text of its own (greetings, the question in several wordings...), drawn in turn. `{{` and `}}` are
literal braces.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from mysteryshop.errors import unknown

PERSONA_FIELDS = ("first_name", "last_name", "full_name", "email", "phone", "order_id", "locale")

#: the JSON Schema of a text, for editors
TEXT_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string"},
        {"type": "array", "items": {"type": "string"}, "minItems": 1},
        {"type": "object", "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]}},
    ],
    "title": "Text",
    "description": "one wording; a list of variants (one drawn per persona); or a mapping from a language code (en, de, fr, es...) to either",
}


def fields_of(wording: str) -> list[str]:
    """The placeholders of `wording` in order ('persona.first_name', 'greeting'); raises ValueError on a malformed one."""
    return [name for _, name, _, _ in string.Formatter().parse(wording) if name is not None]


def segments(wording: str) -> Iterator[tuple[str, str | None]]:
    """(literal text, placeholder or None) pairs of `wording`; `{{`/`}}` come back as single braces."""
    for literal, name, _, _ in string.Formatter().parse(wording):
        yield literal, name


def is_neutral(wording: str) -> bool:
    """True when `wording` holds nothing but placeholders, spaces and punctuation: it is in no language of its own."""
    return not any(ch.isalpha() for literal, _ in segments(wording) for ch in literal)


def shape_problems(value: Any, languages: Iterable[str]) -> list[tuple[list[str | int], str]]:
    """What is wrong with the shape of a text, each as (location under the text, message)."""
    known = tuple(languages)
    if isinstance(value, str):
        return []
    if isinstance(value, list):
        return _variant_problems(value, [])
    if isinstance(value, Mapping):
        if not value:
            return [([], "an empty mapping of languages; give the text in at least the journey's language, e.g. en: \"...\"")]
        problems: list[tuple[list[str | int], str]] = []
        for code, wording in value.items():
            if code not in known:
                problems.append(([code], f"{unknown('language', str(code), known)} Give each language by its ISO 639-1 code"))
            elif isinstance(wording, list):
                problems += _variant_problems(wording, [code])
            elif not isinstance(wording, str):
                problems.append(([code], f"the {code} text must be a string or a list of variants, got {type(wording).__name__}"))
        return problems
    return [([], f"a text must be a string, a list of variants or a mapping of languages, got {type(value).__name__}")]


def _variant_problems(variants: list[Any], at: list[str | int]) -> list[tuple[list[str | int], str]]:
    if not variants:
        return [(at, "an empty list of variants; give at least one wording (\"\" for one that leaves this part out)")]
    return [([*at, i], f"variant {i + 1} must be a string, got {type(v).__name__}") for i, v in enumerate(variants) if not isinstance(v, str)]


def wordings(value: Any, language: str, default: str) -> list[str]:
    """The variants of a (well-shaped) text in `language`, else in the journey's `default` language."""
    if isinstance(value, Mapping):
        value = value.get(language, value.get(default, ""))
    return list(value) if isinstance(value, list) else [str(value)]


def every_wording(value: Any) -> Iterator[tuple[list[str | int], str]]:
    """Each wording of a (well-shaped) text with its location under the text."""
    if isinstance(value, str):
        yield [], value
    elif isinstance(value, list):
        yield from (([i], v) for i, v in enumerate(value) if isinstance(v, str))
    elif isinstance(value, Mapping):
        for code, inner in value.items():
            yield from (([code, *loc], v) for loc, v in every_wording(inner))


def own_languages(value: Any, default: str, every: frozenset[str]) -> frozenset[str]:
    """The languages a text is given in: its mapping's keys; a plain text is in `default`, unless it holds no words of its own."""
    if isinstance(value, Mapping):
        return frozenset(str(code) for code in value)
    if all(is_neutral(wording) for _, wording in every_wording(value)):
        return every
    return frozenset({default})
