"""Writing a step's text as one persona would: its wording drawn among the variants, slots filled, in its language,
with its typing slips and its mail client's habits. Deterministic: the same persona always writes the same text.

What is drawn from what:

- the persona's habits (mail client, how careful a typist, a signature block) and its pick of every journey-wide or
  built-in slot (greeting, sign-off...) from the persona alone: a person keeps them in every journey;
- a step's own wording and its step-level slots from the persona, the journey and the step.

A persona is the same person in every run with the same seed (name, order id, locale): its address carries a
per-run tag and is left out.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from mysteryshop.voice.clients import CLIENTS, Dressed, dress
from mysteryshop.voice.texts import PERSONA_FIELDS, every_wording, fields_of, own_languages, segments, wordings
from mysteryshop.voice.typos import add_typos

#: how deep slots may refer to slots (cycles are refused when the journey is loaded)
MAX_DEPTH = 12
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_SPACES = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")


@cache
def habits_data() -> dict[str, Any]:
    import yaml

    text = resources.files("mysteryshop.voice").joinpath("habits.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def builtin_slots() -> dict[str, dict[str, list[str]]]:
    """Slot name -> language -> variants, for the slots every journey has ({greeting}, {thanks}, {signoff})."""
    slots: dict[str, dict[str, list[str]]] = {}
    for code, data in habits_data().items():
        for name, variants in data["slots"].items():
            slots.setdefault(name, {})[code] = list(variants)
    return slots


def client_footer(client: str, language: str) -> str:
    data = habits_data()
    return str((data.get(language) or data["en"])["clients"].get(client, ""))


def identity(persona: Any) -> str:
    """Who the persona is, without its per-run address tag: what its habits are drawn from."""
    return f"{persona.first_name}|{persona.last_name}|{persona.order_id}|{persona.locale}"


def _rng(*parts: str) -> random.Random:
    return random.Random(hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).digest())


def language_of_locale(locale: str) -> str:
    """'de_DE' -> 'de'."""
    return locale.replace("-", "_").split("_")[0].lower()


@dataclass(frozen=True, slots=True)
class Habits:
    """How one persona writes email."""

    client: str
    care: float  #: its typo rate is the journey's rate times this (0: never slips, 2: twice as often)
    signature: bool  #: a desktop client's "-- " block with its name and phone


def habits(persona: Any, clients: Sequence[str] = CLIENTS) -> Habits:
    rng = _rng("habits", identity(persona))
    return Habits(client=rng.choice(list(clients)), care=rng.uniform(0.0, 2.0), signature=rng.random() < 0.35)


@dataclass(frozen=True, slots=True)
class Written:
    """A text as the persona sends it."""

    text: str
    html: str | None = None
    language: str = "en"
    client: str | None = None


@dataclass(slots=True)
class Writer:
    """The texts of one journey: its language, slots and voice settings, and each step's texts and slots."""

    journey: str
    language: str = "en"
    slots: Mapping[str, Any] = field(default_factory=dict)
    step_slots: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    typos: float = 0.0
    clients: Sequence[str] = CLIENTS
    #: the steps' texts: step id -> field -> text
    texts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    _languages: frozenset[str] | None = None

    # -- what a slot name means where -------------------------------------------------------------------
    def slot(self, name: str, step: str | None) -> tuple[Any, tuple[str, ...]] | None:
        """(text, what its pick is drawn from) of slot `name` as seen from `step`; None when there is no such slot."""
        if step is not None and name in self.step_slots.get(step, {}):
            return self.step_slots[step][name], (self.journey, step, name)
        if name in self.slots:
            return self.slots[name], ("slot", name)
        builtin = builtin_slots().get(name)
        if builtin is not None:
            return builtin, ("slot", name)
        return None

    def known_slots(self, step: str | None) -> list[str]:
        return sorted({*builtin_slots(), *self.slots, *(self.step_slots.get(step, {}) if step else {})})

    # -- languages ----------------------------------------------------------------------------------------
    def text_languages(self, value: Any, step: str | None, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        """The languages `value` can be written in: those it is given in (a plain text: the journey's, or any when it is
        only placeholders) whose wordings use only slots that have that language too."""
        if isinstance(value, Mapping):
            return frozenset(code for code, inner in value.items() if code in self._slot_languages(inner, step, seen))
        return own_languages(value, self.language, _every(self.language)) & self._slot_languages(value, step, seen)

    def _slot_languages(self, value: Any, step: str | None, seen: frozenset[str]) -> frozenset[str]:
        found = _every(self.language)
        for _, wording in every_wording(value):
            try:
                names = fields_of(wording)
            except ValueError:
                continue
            for name in names:
                if name.startswith("persona.") or name in seen:
                    continue
                slot = self.slot(name, step)
                if slot is not None:
                    found &= self.text_languages(slot[0], step, seen | {name})
        return found

    @property
    def languages(self) -> frozenset[str]:
        """The languages every text of the journey is given in: a persona writing in one of these writes in it."""
        if self._languages is None:
            found = _every(self.language)
            for step, texts in self.texts.items():
                for value in texts.values():
                    found &= self.text_languages(value, step)
            self._languages = found
        return self._languages

    def language_for(self, persona: Any) -> tuple[str, str | None]:
        """(the language `persona` writes this journey in, why it is not its own language, or None when it is)."""
        own = language_of_locale(persona.locale)
        if own in self.languages:
            return own, None
        return self.language, (f"persona locale {persona.locale} writes in {self.language}, the journey's language: journey "
                               f"'{self.journey}' gives its texts in {', '.join(sorted(self.languages)) or 'no one language'}, not {own}")

    # -- writing ------------------------------------------------------------------------------------------
    def write(
        self,
        step: str,
        what: str,
        persona: Any,
        *,
        values: Mapping[str, str] | None = None,
        email: bool = False,
    ) -> Written:
        """Step `step`'s `what` ('subject' or 'body') as `persona` writes it.

        `values`: more named values a wording may use besides slots and {persona.*} (e.g. what an earlier step
        captured). `email`: the text is an email body, sent by the persona's mail client.
        """
        value = self.texts.get(step, {}).get(what)
        language, _ = self.language_for(persona)
        if value is None:
            return Written("", language=language)
        person = identity(persona)
        wording = self._pick(value, language, (person, self.journey, step, what))
        parts = self._expand(wording, language, step, person, values or {}, 0)
        habit = habits(persona, self.clients)
        if what != "subject" and self.typos > 0:
            rng = _rng("typos", person, self.journey, step, what)
            rate = self.typos * habit.care
            parts = [(add_typos(literal, rate, rng), name) for literal, name in parts]
        text = "".join(literal + (_value(name, persona, values or {}) if name else "") for literal, name in parts)
        if what == "subject":
            return Written(" ".join(text.split()), language=language)
        text = _SPACES.sub(" ", _BLANK_LINES.sub("\n\n", text)).strip("\n") + "\n"
        if not email:
            return Written(text, language=language)
        signature = f"{persona.full_name}\n{persona.phone}" if habit.signature else None
        dressed: Dressed = dress(text, habit.client, footer=client_footer(habit.client, language), signature=signature)
        return Written(dressed.text, dressed.html, language, habit.client)

    def _pick(self, value: Any, language: str, drawn_from: tuple[str, ...]) -> str:
        options = wordings(value, language, self.language)
        return options[0] if len(options) == 1 else _rng(*drawn_from).choice(options)

    def _expand(self, wording: str, language: str, step: str, person: str, values: Mapping[str, str], depth: int) -> list[tuple[str, str | None]]:
        """`wording` as (literal, placeholder) pairs with every slot replaced by its pick; placeholders left are values."""
        out: list[tuple[str, str | None]] = []
        for literal, name in segments(wording):
            if name is None:
                out.append((literal, None))
                continue
            slot = None if name.startswith("persona.") or name in values or depth >= MAX_DEPTH else self.slot(name, step)
            if slot is None:
                out.append((literal, name))
                continue
            text, drawn_from = slot
            out.append((literal, None))
            out += self._expand(self._pick(text, language, (person, *drawn_from)), language, step, person, values, depth + 1)
        return out


def _every(default: str) -> frozenset[str]:
    from mysteryshop.language import LANGUAGES

    return frozenset(LANGUAGES) | {default}


def _value(name: str, persona: Any, values: Mapping[str, str]) -> str:
    if name in values:
        return str(values[name])
    prefix, _, attr = name.partition(".")
    if prefix == "persona" and attr in PERSONA_FIELDS:
        return str(getattr(persona, attr))
    return "{" + name + "}"
