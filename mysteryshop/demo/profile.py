"""Behaviour profiles of the demo desk (data in profiles.yaml) and what a profile does with one email."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator
from ruamel.yaml import YAML

from mysteryshop.durations import parse_duration
from mysteryshop.errors import ConfigError, unknown

Duration = Annotated[int, BeforeValidator(parse_duration), PlainSerializer(lambda ns: f"{ns}ns", return_type=str)]
QUALITIES = ("good", "wrong", "stalling")


class _Behaviour(BaseModel):
    model_config = ConfigDict(extra="forbid")

    probability: float = Field(ge=0, le=1)
    delay: tuple[Duration, Duration]

    @field_validator("delay")
    @classmethod
    def _ordered(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] > value[1]:
            raise ValueError("delay must be [shortest, longest]")
        return value


class Acknowledgement(_Behaviour):
    stalling: float = Field(default=0.0, ge=0, le=1)


class Answer(_Behaviour):
    quality: dict[str, float] = {"good": 1.0}

    @field_validator("quality")
    @classmethod
    def _known(cls, value: dict[str, float]) -> dict[str, float]:
        for name in value:
            if name not in QUALITIES:
                raise ValueError(unknown("answer quality", name, QUALITIES))
        if not value or sum(value.values()) <= 0:
            raise ValueError("answer quality needs at least one positive weight")
        return value


class ChatAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delay: tuple[Duration, Duration] = (60_000_000_000, 240_000_000_000)
    quality: dict[str, float] = {"good": 1.0}

    @field_validator("quality")
    @classmethod
    def _known(cls, value: dict[str, float]) -> dict[str, float]:
        return Answer._known(value)


class ChatBehaviour(BaseModel):
    """How the demo company's chat widget behaves. Delays are company time; probabilities per chat.

    The bot greets when the chat starts; after the customer's first message it shows the queue
    position and estimated wait (`wait_estimate`), a human agent joins after `handoff`, types for
    `typing`, and answers `answer.delay` later. While the customer waits, a status update comes
    every `status_every` (with probability `status_update`). An agent who `remembers` uses what
    the company already knows about the customer (name, order, earlier ticket); one who does not
    asks for it again. A satisfaction question (`survey`) ends the chat.
    """

    model_config = ConfigDict(extra="forbid")

    greeting: float = Field(default=1.0, ge=0, le=1)
    wait_estimate: float = Field(default=1.0, ge=0, le=1)
    handoff: tuple[Duration, Duration] = (60_000_000_000, 180_000_000_000)
    typing: Duration = 20_000_000_000
    answer: ChatAnswer = ChatAnswer()
    status_update: float = Field(default=1.0, ge=0, le=1)
    status_every: Duration = 8 * 60_000_000_000
    remembers: float = Field(default=1.0, ge=0, le=1)
    survey: float = Field(default=1.0, ge=0, le=1)
    survey_delay: Duration = 60_000_000_000


class AskBack(BaseModel):
    """A desk that asks back before it answers (profile `asks_back`): on a customer's first email it asks for the first
    detail of `ask` the email lacks (its order number; a photo of the item; a date of birth, which no persona has), after `delay`, and answers per the profile
    only once the customer's reply carries it. A reply without it is asked again `again` times, then answered anyway."""

    model_config = ConfigDict(extra="forbid")

    ask: list[Literal["order_id", "photo", "birth_date"]] = Field(default=["order_id", "photo"], min_length=1)
    delay: tuple[Duration, Duration] = (120_000_000_000, 600_000_000_000)
    again: int = Field(default=1, ge=0, le=5)


class Profile(BaseModel):
    """How the demo company treats one customer email (and, with `chat:`, one chat)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "custom"
    description: str = ""
    personalize: float = Field(default=0.5, ge=0, le=1)
    acknowledgement: Acknowledgement
    answer: Answer
    followup: _Behaviour
    marketing: _Behaviour
    chat: ChatBehaviour = ChatBehaviour()
    ask_back: AskBack | None = None
    accessible_form: bool = Field(default=True, description="false: the contact form has WCAG faults axe-core finds (an unlabelled input, low contrast)")


@cache
def builtin_profiles() -> dict[str, Profile]:
    text = resources.files("mysteryshop.demo").joinpath("profiles.yaml").read_text(encoding="utf-8")
    data = YAML(typ="safe").load(text)
    return {name: Profile.model_validate({"name": name, **body}) for name, body in data.items()}


def get_profile(name: str) -> Profile:
    profiles = builtin_profiles()
    if name not in profiles:
        raise ConfigError(unknown("demo desk profile", name, profiles))
    return profiles[name]


def load_profile_file(path: Path) -> Profile:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return Profile.model_validate({"name": path.stem, **data})


@dataclass(frozen=True, slots=True)
class PlannedReply:
    """One message the desk will send, `delay_ns` of company time after it received the email."""

    kind: str  # acknowledgement | answer | followup | marketing
    quality: str  # plain | stalling | good | wrong | -
    delay_ns: int
    personal: bool


def _outside(low: int, high: int, bands: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """[low, high] less every open band (a, b): the pieces left, in order."""
    pieces = [(low, high)]
    for a, b in sorted(bands):
        cut: list[tuple[int, int]] = []
        for lo, hi in pieces:
            if b <= lo or a >= hi:
                cut.append((lo, hi))
                continue
            if lo <= a:
                cut.append((lo, a))
            if b <= hi:
                cut.append((b, hi))
        pieces = cut
    return pieces


def draw_delay(
    rng: random.Random, low: int, high: int, *, offset: int = 0, deadlines: Sequence[int] = (), guards: Sequence[int] = (),
    late: float = 1.0,
) -> int:
    """A delay drawn uniformly from [low, high], kept away from `deadlines` (counted from `offset` earlier) where it can be.

    The first of `guards` (widest first) that leaves at least a quarter of the range is kept clear around every
    deadline: `guard` after it, and `late` times `guard` before it, since a busy machine delivers a reply late far more
    than it reads the customer's email late (which makes a reply look early); when none does, the whole range is used.
    Exactly one number is drawn from `rng` whatever happens, so the draws after this one are the same with or without
    deadlines.
    """
    if low == high:
        return low
    for guard in guards:
        pieces = _outside(low, high, [(d - offset - int(guard * late), d - offset + guard) for d in deadlines])
        room = sum(hi - lo for lo, hi in pieces)
        if pieces and room * 4 >= high - low:
            x = rng.randint(0, room)
            for lo, hi in pieces:
                if x <= hi - lo:
                    return lo + x
                x -= hi - lo
            return pieces[-1][1]
    return rng.randint(low, high)


def plan_replies(
    profile: Profile, rng: random.Random, *, min_gap_ns: int = 0, deadlines: Sequence[int] = (), guards: Sequence[int] = (),
    late: float = 1.0,
) -> list[PlannedReply]:
    """What the company does with one email: a pure function of the profile and the random stream.

    Two replies are planned at least `min_gap_ns` apart (a later one is moved later): each goes out on its own
    SMTP connection, so two sent closer than a busy machine's scheduling jitter could arrive in either order, and
    whether marketing came while the issue was open, or which reply came first, would change from run to run.
    Acknowledgements, answers and follow-ups keep clear of `deadlines` (company ns after the email) by the
    widest of `guards` the profile's range allows, `late` times that before a deadline (see `draw_delay`): a reply
    drawn a few seconds of company time from its deadline would be in time or late depending on how busy the machine is.
    """

    def delay(behaviour: _Behaviour, offset: int = 0, *, guarded: bool = True) -> int:
        low, high = behaviour.delay
        return draw_delay(rng, low, high, offset=offset, deadlines=deadlines if guarded else (), guards=guards, late=late)

    personal = rng.random() < profile.personalize
    plan: list[PlannedReply] = []
    ack = profile.acknowledgement
    if rng.random() < ack.probability:
        quality = "stalling" if rng.random() < ack.stalling else "plain"
        plan.append(PlannedReply("acknowledgement", quality, delay(ack), personal))
    answer = profile.answer
    if rng.random() < answer.probability:
        names, weights = zip(*answer.quality.items(), strict=True)
        answer_delay = delay(answer)
        plan.append(PlannedReply("answer", rng.choices(names, weights)[0], answer_delay, personal))
        if rng.random() < profile.followup.probability:
            plan.append(PlannedReply("followup", "-", answer_delay + delay(profile.followup, answer_delay), personal))
    if rng.random() < profile.marketing.probability:
        plan.append(PlannedReply("marketing", "-", delay(profile.marketing, guarded=False), False))
    return spaced(sorted(plan, key=lambda reply: reply.delay_ns), min_gap_ns)


def spaced(plan: list[PlannedReply], min_gap_ns: int) -> list[PlannedReply]:
    """`plan` (ordered by delay) with each reply at least `min_gap_ns` after the one before it."""
    out: list[PlannedReply] = []
    for reply in plan:
        if out and reply.delay_ns < out[-1].delay_ns + min_gap_ns:
            reply = replace(reply, delay_ns=out[-1].delay_ns + min_gap_ns)
        out.append(reply)
    return out
