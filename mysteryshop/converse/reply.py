"""The persona's answer to what a company asked: which details it gives, which it lacks, and its words for them.

Written by the voice writer (mysteryshop/voice/writer.py) like any step of the journey: variants drawn per
persona, its greeting and sign-off, its typing slips and mail client, in the language it writes the journey in.
The wordings are data (answers.yaml, en/de/fr/es); the details come from the persona and are never mistyped.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from mysteryshop.converse.asked import LABELS, Asked
from mysteryshop.converse.photo import damage_photo
from mysteryshop.scoring.timeline import ANSWER_STEP
from mysteryshop.voice.writer import Writer, identity

if TYPE_CHECKING:
    from mysteryshop.journey import Journey
    from mysteryshop.persona import Persona

_REPLY_PREFIXES = ("re:", "aw:", "sv:", "r:", "rv:", "ré:", "antw:", "wg:", "fw:", "fwd:")


@cache
def wordings() -> dict[str, dict[str, Any]]:
    import yaml

    text = resources.files("mysteryshop.converse").joinpath("answers.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@dataclass(frozen=True, slots=True)
class Plan:
    """What the persona does about one message: the details it gives (detail, value), the ones it lacks (labels)."""

    gives: tuple[tuple[str, str], ...]
    lacks: tuple[str, ...]

    @property
    def gave(self) -> list[str]:
        return [detail for detail, _ in self.gives]


@dataclass(frozen=True, slots=True)
class PersonaAnswer:
    """A message the persona sends back."""

    text: str
    language: str
    plan: Plan
    subject: str = ""
    html: str | None = None
    attachments: tuple[tuple[str, str, bytes], ...] = ()
    language_fallback: str | None = None


_FAKER_LOCK = threading.Lock()


@lru_cache(maxsize=4096)
def postal_address(persona: Persona) -> str:
    """The persona's postal address: invented by Faker in its locale, the same every time for the same persona.
    Thread-safe (the engine makes it off its loop: Faker loads a locale for a tenth of a second)."""
    with _FAKER_LOCK:
        try:
            fake = _faker(persona.locale)
        except AttributeError:
            fake = _faker("en_US")
        fake.seed_instance(f"address|{identity(persona)}")
        return " ".join(fake.address().replace("\n", ", ").split())


@cache
def _faker(locale: str) -> Any:
    from faker import Faker

    return Faker(locale)


def value_of(detail: str, persona: Persona, captured: Mapping[str, str]) -> str | None:
    """What the persona has for `detail` (None: it does not have it)."""
    if detail == "order_id":
        return persona.order_id
    if detail == "phone":
        return persona.phone
    if detail == "email":
        return persona.email
    if detail == "name":
        return persona.full_name
    if detail == "address":
        return postal_address(persona)
    if detail == "photo":
        return "damage.png"
    if detail == "ticket":
        return captured.get("ticket")
    return None


def plan_answer(asked: Asked, persona: Persona, captured: Mapping[str, str]) -> Plan:
    gives: list[tuple[str, str]] = []
    lacks: list[str] = []
    for ask in asked.asks:
        value = value_of(ask.detail, persona, captured)
        if value is None:
            lacks.append(ask.label if ask.detail == "other" else LABELS.get(ask.detail, ask.label))
        elif ask.detail not in [d for d, _ in gives]:
            gives.append((ask.detail, value))
    return Plan(tuple(gives), tuple(lacks))


def reply_subject(subject: str) -> str:
    """'Re: <their subject>', as a mail client answers (not 'Re: Re:')."""
    subject = " ".join(subject.split())
    return subject if subject.lower().startswith(_REPLY_PREFIXES) else f"Re: {subject}"


def answer_language(journey: Journey, persona: Persona) -> tuple[str, str | None]:
    """(the language the persona answers in: the one it writes the journey in, when answers.yaml has it; why not, or None)."""
    language, _ = journey.language_for(persona)
    if language in wordings():
        return language, None
    return "en", f"the persona writes journey '{journey.name}' in {language}; its answers to the company are written in English (no wordings in {language})"


def write_answer(
    journey: Journey, persona: Persona, asked: Asked, *, number: int, captured: Mapping[str, str], subject: str = "", chat: bool = False,
) -> PersonaAnswer:
    """The persona's `number`-th answer to a company message that asked `asked` (an email, or with `chat` a chat line)."""
    plan = plan_answer(asked, persona, captured)
    language, fallback = answer_language(journey, persona)
    words = wordings()[language]
    step = f"{ANSWER_STEP}{number}"
    slots: dict[str, Any] = {}
    values: dict[str, str] = {}
    names: list[str] = []
    for detail, value in plan.gives:
        slots[f"give_{detail}"] = {language: [w.replace("{value}", f"{{value_{detail}}}") for w in words["give"][detail]]}
        values[f"value_{detail}"] = value
        names.append(f"{{give_{detail}}}")
    for i, label in enumerate(plan.lacks):
        slots[f"lack_{i}"] = {language: [w.replace("{label}", f"{{label_{i}}}") for w in words["lack"]]}
        values[f"label_{i}"] = label
        names.append(f"{{lack_{i}}}")
    slots["lines"] = " ".join(names)
    frame = ["{lines}"] if chat else words["body"]
    writer = Writer(journey.name, language=language, step_slots={step: slots}, typos=journey.spec.voice.typos,
                    clients=journey.spec.voice.clients, texts={step: {"body": {language: frame}}})
    written = writer.write(step, "body", persona, values=values, email=not chat)
    attachments: tuple[tuple[str, str, bytes], ...] = ()
    if "photo" in plan.gave and not chat:
        attachments = (("damage.png", "image/png", damage_photo(f"{identity(persona)}|{number}")),)
    text = written.text.rstrip("\n") if chat else written.text
    return PersonaAnswer(text, language, plan, reply_subject(subject) if subject else "", written.html, attachments, fallback)


def answer_delay_ns(persona: Persona, journey: str, low_ns: int, high_ns: int, number: int) -> int:
    """How long (company ns) the persona takes to answer its `number`-th question: each persona has its own pace, drawn
    between `low_ns` and `high_ns`, and varies around it from one answer to the next (within the same bounds)."""
    person = identity(persona)
    pace = _rng("answer-pace", person, journey).uniform(low_ns, high_ns)
    this = pace * _rng("answer-delay", person, journey, str(number)).uniform(0.7, 1.3)
    return int(min(high_ns, max(low_ns, this)))


def _rng(*parts: str) -> random.Random:
    return random.Random(hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).digest())
