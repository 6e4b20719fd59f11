"""Journeys: what a customer does and what they expect, as a networkx graph.

A journey file lists steps. An action step (`do:`) makes the persona contact the company;
an expectation step (`expect:`) says what should come back and by when. Steps follow one
another in file order unless a step names where to go: `next:` for any step, and for an
expectation `on_pass:`, `on_fail:` and `on_timeout:` (nothing came back in time). A step that
can be visited more than once (a retry loop) says how often with `max_visits:`; when that is
used up the walk goes to its `on_exhausted:` or ends. Steps can reuse `templates:` with `use:`.

The loaded journey is a `networkx.DiGraph`: nodes are step ids (attribute `step`), edges carry
the condition that takes them (attribute `when`: next, pass, fail, timeout, exhausted).
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import networkx as nx
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from mysteryshop.capture import EXTRACTORS, Capture, parse_captures
from mysteryshop.durations import (
    exact_duration,
    format_business,
    format_duration,
    looks_like_business,
    parse_business,
    parse_duration,
)
from mysteryshop.errors import JourneyError, suggest, unknown
from mysteryshop.journeychecks import captures_used_too_early, sooner_deadlines, unbounded_loops
from mysteryshop.language import LANGUAGES
from mysteryshop.persona import Persona
from mysteryshop.personal_data import personal_data
from mysteryshop.voice.clients import CLIENTS
from mysteryshop.voice.texts import PERSONA_FIELDS, TEXT_SCHEMA, every_wording, fields_of, shape_problems
from mysteryshop.voice.writer import Writer, Written, builtin_slots
from mysteryshop.yamlsource import dotted, find_file, message_for, position, read_yaml

Duration = Annotated[int, BeforeValidator(parse_duration), PlainSerializer(exact_duration, return_type=str)]
#: a step's subject or body, or a slot: one wording, variants, or either per language (checked by the loader, voice/texts.py)
Text = Annotated[Any, WithJsonSchema(TEXT_SCHEMA)]

#: action -> the channel it uses
ACTIONS: dict[str, str] = {"send_email": "email", "submit_form": "webform", "open_chat": "chat", "say": "chat"}
#: expectation -> what it waits for
EXPECTATIONS: dict[str, str] = {
    "acknowledgement": "any reply that confirms the message arrived",
    "answer": "a real reply (not an acknowledgement, follow-up or marketing); with facts:, stating them all",
    "satisfaction_followup": "a message asking whether the customer is satisfied or the issue resolved",
    "no_marketing": "no marketing mail while the issue is open",
}
#: chat and web-form expectations (judged in scoring/web.py)
WEB_EXPECTATIONS: dict[str, str] = {
    "form_confirmation": "the contact form was accepted with a confirmation showing a ticket number",
    "chat_response": "any chat message from the company (bot or agent) after the customer's",
    "wait_estimate": "a queue position or estimated wait shown before a human agent joined",
    "human_agent": "a chat message from a human agent",
    "status_update": "no silence longer than `within` while the customer waits for the chat answer",
    "chat_answer": "a human agent's answer in the chat; with facts:, stating them all",
    "chat_survey": "the chat asks whether the customer was satisfied",
    "knows_customer": "a reply uses the customer's name, order id or earlier ticket (given earlier, or in `refers_to`) without being told again",
    "no_repeat_questions": "no reply asks again for information the customer already gave (earlier, or in `refers_to`)",
}
EXPECTATIONS.update(WEB_EXPECTATIONS)
CHANNELS: tuple[str, ...] = ("email", "webform", "chat")
EDGE_FIELDS = ("next", "on_pass", "on_fail", "on_timeout", "on_exhausted")
EDGE_WHEN = {"next": "next", "on_pass": "pass", "on_fail": "fail", "on_timeout": "timeout", "on_exhausted": "exhausted"}
CAPTURE_SCHEMA: dict[str, Any] = {
    "anyOf": [{"enum": list(EXTRACTORS)}, {"type": "object", "properties": {"regex": {"type": "string"}}, "required": ["regex"],
                                          "additionalProperties": False}],
}
#: problems listed per file; past that they are counted (a generated file can hold thousands)
MAX_PROBLEMS = 100


def _facts(value: Any) -> Any:
    if isinstance(value, list):
        return [[item] if isinstance(item, str) else item for item in value]
    return value


_FACT_LIST_SCHEMA: dict[str, Any] = {
    "type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
}
_FACTS_SCHEMA: dict[str, Any] = {
    "anyOf": [_FACT_LIST_SCHEMA, {"type": "object", "additionalProperties": _FACT_LIST_SCHEMA}],
    "title": "Facts",
}


def _facts_per_language(step_id: Any, given: dict[Any, Any]) -> tuple[list[list[str]], dict[str, Any]]:
    """`facts: {en: [...], de: [...]}`: the facts of every language merged fact by fact (what a text must state in
    any of them, for the expectation checks), and the facts of each language (for answers_question, which reads a
    reply in its own language). Every language lists the same facts in the same order."""
    from mysteryshop.language import LANGUAGES

    by_language: dict[str, Any] = {}
    for code, facts in given.items():
        if code not in LANGUAGES:
            raise ValueError(f"step '{step_id}': facts: {unknown('language', str(code), LANGUAGES)} Give each language by its ISO 639-1 code.")
        if not isinstance(facts, list):
            raise ValueError(f"step '{step_id}': facts in {code} must be a list of facts, each a list of phrasings that count")  # noqa: TRY004 - pydantic reports ValueError with the file position
        by_language[str(code)] = _facts(facts)
    counts = {code: len(facts) for code, facts in by_language.items()}
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{code} has {n}" for code, n in counts.items())
        raise ValueError(f"step '{step_id}': facts per language must list the same facts in the same order ({listed})")
    merged = [
        [phrase for facts in by_language.values() for phrase in (facts[i] if isinstance(facts[i], list) else [facts[i]])]
        for i in range(next(iter(counts.values()), 0))
    ]
    return merged, by_language


class Step(BaseModel):
    """One node of a journey: an action (`do:`) or an expectation (`expect:`)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="unique name of the step within the journey")
    use: str | None = Field(default=None, description="name of a template in `templates:` whose fields this step starts from")
    do: str | None = Field(default=None, description="action: " + ", ".join(ACTIONS))
    channel: str | None = Field(default=None, description="channel of the action (default: the action's own)")
    subject: Text | None = Field(default=None, description="email subject: a wording, a list of variants (one drawn per persona), or either "
                                                          "per language; may use {persona.*} variables and {slots}")
    body: Text | None = Field(default=None, description="message text: a wording, a list of variants, or either per language; may use "
                                                       "{persona.*} variables and {slots}")
    slots: dict[str, Text] = Field(default={}, description="this step's own slots: name -> wording, variants, or either per language; "
                                                          "used as {name} in its subject and body (they replace journey slots of the same name)")
    fields: dict[str, str | bool] = Field(default={}, description="submit_form: values for the target's webform.fields (override its values); may use {persona.*}")
    start: Literal["form", "chat", "home"] | None = Field(
        default=None, description="submit_form: start at the form's URL ('form'), open_chat: at the chat's URL ('chat'); or either at the "
                                  "home page ('home'), finding the way to the form or the chat as a customer would (default: the "
                                  "target's webform.start or chat.start_at)")
    refers_to: str | None = Field(default=None, description="an earlier step this one is about (e.g. the form a chat follows up); knows_customer counts what was given there")
    expect: str | None = Field(default=None, description="expectation: " + ", ".join(EXPECTATIONS))
    within: Duration | None = Field(
        default=None,
        description="deadline in company time, counted from `after` (default: the latest action on the path): elapsed (15m, 24h) "
                    "or business time of the target's clock (8 business hours, 1 business day; short 8bh, 1bd)",
    )
    business: Literal["hours", "days"] | None = Field(
        default=None, description="set by a `within:` in business time: it counts the target clock's business hours (or whole business days)"
    )
    after: str | None = Field(default=None, description="the action step the deadline counts from")
    facts: Annotated[list[list[str]], BeforeValidator(_facts), WithJsonSchema(_FACTS_SCHEMA)] = Field(
        default=[],
        description="facts an answer must state; each a list of phrasings that count. Per language: a mapping from the "
                    "language's code to its facts, the same facts in the same order ({en: [[30 days]], de: [[30 Tage]]}); "
                    "answers_question then reads a reply against the facts of the reply's own language",
    )
    facts_by_language: dict[str, list[list[str]]] = Field(
        default={}, description="set from `facts:` given per language (write them there); empty when facts count in any language"
    )
    must: list[str] = Field(default=[], description="reply-quality criteria the reply must pass (mysteryshop quality criteria)")
    must_not: list[str] = Field(default=[], description="criteria the reply must not show, e.g. marketing, stalling_autoreply")
    engine: str = Field(default="rules", description="quality engine for must/must_not: rules, semantic or llm")
    first_reply: bool = Field(default=False, description="answer: only the company's first real reply counts (80% of companies fail this)")
    next: str | None = Field(default=None, description="the step after this one (default: the next in the file)")
    on_pass: str | None = Field(default=None, description="where to go when the expectation is met")
    on_fail: str | None = Field(default=None, description="where to go when it is not met")
    on_timeout: str | None = Field(default=None, description="where to go when nothing came back by the deadline")
    max_visits: int | None = Field(default=None, ge=1, description="how often a walk may enter this step (required on every loop)")
    on_exhausted: str | None = Field(default=None, description="where to go when max_visits is used up (default: end)")
    end: bool = Field(default=False, description="the walk ends after this step, whatever follows in the file")
    capture: dict[str, Any] = Field(
        default={}, json_schema_extra={"additionalProperties": CAPTURE_SCHEMA},
        description="values this expectation takes from what the company sent (a reply, a chat message, a form's confirmation), "
                    "used by later steps as {name}: name -> a named extractor (" + ", ".join(EXTRACTORS) + ") or {regex: '...(?P<name>...)...'}. "
                    "Finding nothing fails the step, quoting the text searched",
    )
    _captures: tuple[Capture, ...] = PrivateAttr(default=())

    @model_validator(mode="before")
    @classmethod
    def _language_facts(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("facts"), dict):
            merged, by_language = _facts_per_language(data.get("id", "?"), data["facts"])
            return {**data, "facts": merged, "facts_by_language": by_language}
        return data

    @model_validator(mode="before")
    @classmethod
    def _business_within(cls, data: Any) -> Any:
        """'within: 8 business hours' is 8h counted in business time; a malformed one is left to the `within` check."""
        if isinstance(data, dict) and looks_like_business(data.get("within")):
            try:
                amount, unit = parse_business(data["within"])
            except ValueError:
                return data
            return {**data, "within": f"{amount}ns", "business": unit}
        return data

    @field_validator("within", mode="before")
    @classmethod
    def _within_text(cls, value: Any) -> Any:
        if looks_like_business(value):
            parse_business(value)  # says what is wrong with it
        return value

    @field_validator("do")
    @classmethod
    def _known_action(cls, value: str | None) -> str | None:
        if value is not None and value not in ACTIONS:
            raise ValueError(unknown("action", value, ACTIONS))
        return value

    @field_validator("expect")
    @classmethod
    def _known_expectation(cls, value: str | None) -> str | None:
        if value is not None and value not in EXPECTATIONS:
            raise ValueError(unknown("expectation", value, EXPECTATIONS))
        return value

    @field_validator("must", "must_not")
    @classmethod
    def _known_criteria(cls, value: list[str]) -> list[str]:
        from mysteryshop.quality import CRITERIA

        for name in value:
            if name not in CRITERIA:
                raise ValueError(unknown("quality criterion", name, CRITERIA))
        return value

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        from mysteryshop.quality import ENGINES

        if value not in ENGINES:
            raise ValueError(unknown("quality engine", value, ENGINES))
        return value

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, value: str | None) -> str | None:
        if value is not None and value not in CHANNELS:
            raise ValueError(unknown("channel", value, CHANNELS))
        return value

    @model_validator(mode="after")
    def _shape(self) -> Step:
        if (self.do is None) == (self.expect is None):
            raise ValueError(f"step '{self.id}' must have exactly one of 'do:' (an action) or 'expect:' (an expectation)")
        if self.do == "send_email" and not (self.subject and self.body):
            raise ValueError(f"step '{self.id}': send_email needs both 'subject:' and 'body:'")
        if self.do == "say" and not self.body:
            raise ValueError(f"step '{self.id}': say needs 'body:' (what the customer types in the chat)")
        if self.expect and self.expect != "no_marketing" and self.within is None:
            raise ValueError(f"step '{self.id}': expectation '{self.expect}' needs a deadline, e.g. 'within: 15m'")
        if self.business and self.within is None:
            raise ValueError(f"step '{self.id}': 'business: {self.business}' needs a deadline, e.g. 'within: 8 business hours'")
        if self.business and self.expect == "status_update":
            raise ValueError(
                f"step '{self.id}': status_update's 'within' is the longest silence allowed in an open chat; business time "
                f"does not apply to it. Write it as elapsed time, e.g. 'within: 2m'"
            )
        if self.do and (self.on_pass or self.on_fail or self.on_timeout):
            raise ValueError(f"step '{self.id}': on_pass/on_fail/on_timeout belong to expectations; an action goes on with 'next:'")
        if self.start is not None and self.do not in ("submit_form", "open_chat"):
            raise ValueError(f"step '{self.id}': start: is for submit_form and open_chat steps (where the customer starts looking for the "
                             f"contact form or the chat)")
        if self.start is not None and (self.do, self.start) in (("submit_form", "chat"), ("open_chat", "form")):
            raise ValueError(f"step '{self.id}': a {self.do} step starts at 'home' or at the {'form' if self.do == 'submit_form' else 'chat'}'s "
                             f"own URL ('{'form' if self.do == 'submit_form' else 'chat'}'), not '{self.start}'")
        if self.capture and (self.do or self.expect == "no_marketing"):
            raise ValueError(f"step '{self.id}': capture: belongs on an expectation that reads what the company sent (an acknowledgement, "
                             f"answer, form_confirmation, chat_response...), not on {'an action' if self.do else 'no_marketing'}")
        if self.channel is None and self.do:
            self.channel = ACTIONS[self.do]
        self._captures = tuple(parse_captures(self.capture)[0])
        return self

    @property
    def captures(self) -> tuple[Capture, ...]:
        """What this step captures (the valid entries of `capture:`; the loader reports the others)."""
        return self._captures

    @property
    def is_action(self) -> bool:
        return self.do is not None

    @property
    def deadline_text(self) -> str:
        """The deadline as the journey states it: '15m', '8 business hours'."""
        if self.within is None:
            return ""
        return format_business(self.within, self.business) if self.business else format_duration(self.within)


class Voice(BaseModel):
    """How the journey's personas write: typing slips and mail clients (each persona draws its own habits)."""

    model_config = ConfigDict(extra="forbid")

    typos: float = Field(default=0.0, ge=0, le=0.2, description="share of words (of 4 letters or more) a persona mistypes, on average: "
                                                                  "each persona slips from never to twice as often")
    clients: list[str] = Field(default=list(CLIENTS), min_length=1, description="mail clients the personas write with, one each: "
                                                                              + ", ".join(CLIENTS))

    @field_validator("clients")
    @classmethod
    def _known_clients(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in CLIENTS:
                raise ValueError(unknown("mail client", name, CLIENTS))
        return value


_MINUTE = 60 * 10**9


class Answers(BaseModel):
    """How the journey's personas answer a company that asks them for something (an order number, a photo...)."""

    model_config = ConfigDict(extra="forbid")

    engine: Literal["rules", "llm", "off"] = Field(
        default="rules", description="rules: wordings per language (mysteryshop/converse/answers.yaml), drawn per persona; llm: a language "
                                     "model behind the llm judge's endpoint writes them, within a budget per run, rules when it cannot; "
                                     "off: personas never answer")
    delay: tuple[Duration, Duration] = Field(
        default=(10 * _MINUTE, 180 * _MINUTE), description="how long (company time) a persona takes to answer an email: each persona has "
                                                             "its own pace in this range [shortest, longest]")
    chat_delay: tuple[Duration, Duration] = Field(
        default=(_MINUTE // 3, 2 * _MINUTE), description="how long (company time) a persona takes to answer in a chat")
    max: int = Field(default=3, ge=0, le=20, description="answers a persona sends in one probe at most")

    @field_validator("delay", "chat_delay")
    @classmethod
    def _ordered(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] > value[1]:
            raise ValueError("give the delay as [shortest, longest], e.g. [10m, 3h]")
        return value


class JourneySpec(BaseModel):
    """The schema of a journeys/*.yaml file."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="the journey's name (default: the file name)")
    title: str = Field(description="what the customer is trying to do, in a few words")
    description: str = ""
    owner: str | None = Field(default=None, description="who looks after this journey")
    tags: list[str] = Field(default=[], description="pytest markers for the journey's items (select with -m)")
    believed: dict[str, Duration] = Field(default={}, description="service levels the company believes it meets, per expectation (for the perception gap)")
    templates: dict[str, dict[str, Any]] = Field(default={}, description="reusable step fields, used by steps with `use:`")
    language: str = Field(default="en", description="the language of texts given without one, and the one personas fall back to "
                                                    "when the journey lacks theirs (ISO 639-1: en, de, fr, es...)")
    slots: dict[str, Text] = Field(default={}, description="named texts used as {name} in any step: a wording, variants (one drawn per "
                                                          "persona, kept in every step), or either per language. Built in: "
                                                          + ", ".join(f"{{{name}}}" for name in sorted(builtin_slots())))
    voice: Voice = Field(default_factory=Voice, description="typing slips and mail clients of the personas")
    answers: Answers = Field(default_factory=Answers, description="how personas answer when the company asks them for something "
                                                                 "(order number, phone, address, a photo): engine, delay, how often")
    steps: list[Step]

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(unknown("language", value, LANGUAGES) + " Give it by its ISO 639-1 code")
        return value


@dataclass(slots=True)
class Journey:
    """A loaded, validated journey."""

    name: str
    title: str
    path: Path
    spec: JourneySpec
    graph: nx.DiGraph
    start: str
    tags: list[str] = field(default_factory=list)
    writer: Writer = field(default_factory=lambda: Writer("journey"))
    #: step id -> the captured values its texts use ({ticket}), for the engine to check before it acts
    uses: dict[str, frozenset[str]] = field(default_factory=dict)
    _anchors: dict[str, str | None] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def steps(self) -> list[Step]:
        """Every step, in file order."""
        return list(self.spec.steps)

    def step(self, step_id: str) -> Step:
        return self.graph.nodes[step_id]["step"]

    def follow(self, step_id: str, when: str) -> str | None:
        """The step reached from `step_id` when `when` (pass, fail, timeout, exhausted) happens; None ends the walk."""
        step = self.step(step_id)
        if when == "exhausted":
            return step.on_exhausted
        specific = {"pass": step.on_pass, "fail": step.on_fail, "timeout": step.on_timeout or step.on_fail}.get(when)
        return specific or self.graph.nodes[step_id]["default_next"]

    def anchor(self, step_id: str) -> str | None:
        """The action an expectation counts from on the file-order path: its `after`, else the latest action before it."""
        if not self._anchors:
            latest = None
            for step in self.spec.steps:
                self._anchors[step.id] = step.after or latest
                if step.is_action:
                    latest = step.id
        return self._anchors[step_id]

    @property
    def channels(self) -> set[str]:
        return {s.channel for s in self.steps if s.is_action and s.channel}

    def write(self, step_id: str, what: str, persona: Persona, *, values: dict[str, str] | None = None, email: bool = False) -> Written:
        """Step `step_id`'s subject or body as `persona` writes it (see voice/writer.py): drawn among its variants, in
        the persona's language when the journey has it, with slips and mail-client habits."""
        return self.writer.write(step_id, what, persona, values=values, email=email)

    def language_for(self, persona: Persona) -> tuple[str, str | None]:
        """(the language `persona` writes this journey in, why that is not its locale's language, or None)."""
        return self.writer.language_for(persona)


def render_text(template: str, persona: Persona) -> str:
    """Fill `{persona.first_name}` and friends."""
    return template.format_map({"persona": _PersonaView(persona)})


class _PersonaView:
    """What `Persona.as_dict` holds, read from the persona itself (copying it for every template cost more than the rest)."""

    __slots__ = ("_persona",)

    def __init__(self, persona: Persona) -> None:
        self._persona = persona

    def __getattr__(self, name: str) -> str:
        if name != "full_name" and name not in Persona.__dataclass_fields__:
            raise KeyError(name)
        return getattr(self._persona, name)


def template_problems(text: str, slots: list[str] | None = None) -> list[str]:
    """What is wrong with the {persona.*} variables (and, given `slots`, the {slot} names) in `text`."""
    problems = []
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        return [f"text is not a valid template ({exc}); write a literal brace as '{{{{' or '}}}}'"]
    for name in fields:
        prefix, dot, attr = name.partition(".")
        if slots is not None and not dot and name in slots:
            continue
        if prefix != "persona" or attr not in PERSONA_FIELDS:
            valid = ", ".join(f"{{persona.{f}}}" for f in PERSONA_FIELDS)
            if slots is not None and not dot:
                problems.append(f"unknown slot '{{{name}}}'.{suggest(name, slots)} Define it under 'slots:' (of the journey or "
                                f"this step), or capture it in an earlier step (capture: {{{name}: ...}}). Known slots and captured values: {_listed(slots)}; persona variables: {valid}")
                continue
            hint = suggest(attr, PERSONA_FIELDS) if prefix == "persona" else ""
            problems.append(f"unknown variable '{{{name}}}'.{hint} Valid variables: {valid}")
    return problems


def _text_problems(problems: _Problems, loc: list[str | int], value: Any, slots: list[str], default: str) -> None:
    """Shape, languages, placeholders and personal data of one text (a subject, body or slot) at `loc`."""
    shape = shape_problems(value, LANGUAGES)
    for at, message in shape:
        problems.add([*loc, *at], f"{dotted([*loc, *at])}: {message}")
    if shape:
        return
    if isinstance(value, dict) and default not in value:
        given = ", ".join(str(code) for code in value)
        problems.add(loc, f"{dotted(loc)}: given in {given} but not in {default}, the journey's language (language: {default}); add "
                          f"'{default}:' (what personas of other languages fall back to), or set the journey's 'language:'")
    for at, wording in every_wording(value):
        for message in template_problems(wording, slots):
            problems.add([*loc, *at], f"{dotted([*loc, *at])}: {message}")
        for found in personal_data(wording):
            problems.add(
                [*loc, *at],
                f"{dotted([*loc, *at])}: looks like real personal data ({found}). Journeys must only use "
                f"invented details: use {{persona.*}} variables or an obviously fake value",
            )


def _slot_refs(value: Any) -> set[str]:
    names: set[str] = set()
    for _, wording in every_wording(value):
        try:
            names.update(n for n in fields_of(wording) if "." not in n)
        except ValueError:
            continue
    return names


def _captured_names(raw_steps: list[Any], templates: dict[str, Any]) -> set[str]:
    """Every name some step of the journey captures (`capture:` keys, a template's included)."""
    names: set[str] = set()
    for raw in raw_steps:
        if not isinstance(raw, dict):
            continue
        template = templates.get(raw.get("use")) if isinstance(raw.get("use"), str) else None
        for source in (template, raw):
            if isinstance(source, dict) and isinstance(source.get("capture"), dict):
                names.update(str(k) for k in source["capture"])
    return names


def _names_used(value: Any, slots: dict[str, Any]) -> set[str]:
    """The placeholders `value` uses, through the slots it uses too (each slot read once)."""
    found: set[str] = set()
    todo = [value]
    seen: set[str] = set()
    while todo:
        for name in _slot_refs(todo.pop()):
            found.add(name)
            if name in slots and name not in seen:
                seen.add(name)
                todo.append(slots[name])
    return found


def _slot_cycles(problems: _Problems, journey_slots: dict[str, Any], step_slots: dict[int, dict[str, Any]]) -> None:
    """Slots that refer to themselves, directly or through others: each reported once, where it is defined."""
    def check(scope: dict[str, Any], outer: dict[str, Any], loc_of: Callable[[str], list[str | int]]) -> None:
        for start in scope:
            stack = [(start, (start,))]
            while stack:
                name, path = stack.pop()
                value = scope.get(name, outer.get(name))
                for ref in sorted(_slot_refs(value)):
                    if ref == start:
                        problems.add(loc_of(start), f"{dotted(loc_of(start))}: slot '{start}' refers to itself "
                                                    f"({' -> '.join([*path, start])}); a slot may not use itself, even through others")
                        stack.clear()
                        break
                    if ref not in path and (ref in scope or ref in outer) and len(path) < 50:
                        stack.append((ref, (*path, ref)))

    check(journey_slots, {}, lambda name: ["slots", name])
    for index, slots in step_slots.items():
        check(slots, journey_slots, lambda name, index=index: ["steps", index, "slots", name])


class _Problems:
    """The problems of one file with their positions; past MAX_PROBLEMS only counted (a message may be a callable, then not built)."""

    def __init__(self, path: Path, doc: Any) -> None:
        self.path, self.doc, self.lines, self.count = path, doc, [], 0

    def add(self, loc: list[str | int], message: str | Callable[[], str]) -> None:
        self.count += 1
        if self.count <= MAX_PROBLEMS:
            line, col = position(self.doc, loc)
            self.lines.append(f"{self.path}:{line}:{col}: {message if isinstance(message, str) else message()}")

    def error(self) -> JourneyError:
        hidden = self.count - len(self.lines)
        more = [f"{self.path}: {hidden} more problem(s) not listed; fix the ones above and check again"] if hidden else []
        return JourneyError(self.lines + more, total=self.count)


def _merged_step(raw: Any, templates: dict[str, Any], problems: _Problems, index: int) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        problems.add(["steps", index], f"steps[{index}]: a step is a mapping of fields (id:, do: or expect:, ...)")
        return None
    data = dict(raw)
    name = data.pop("use", None)
    if name is None:
        return data
    if not isinstance(name, str) or name not in templates:
        problems.add(["steps", index, "use"], lambda: f"steps[{index}].use: no template '{name}'.{suggest(str(name), templates)} Known templates: {_listed(templates)}")
        return None
    if not isinstance(templates[name], dict):
        return None  # reported with the templates
    return {**templates[name], **data}


def _listed(names: Any) -> str:
    names = [str(n) for n in names]
    if len(names) > 30:
        return f"{', '.join(names[:30])} and {len(names) - 30} more"
    return ", ".join(names) or "(none)"


def load_journey(path: Path | str) -> Journey:
    """Load and validate one journey file; raises JourneyError listing every problem with file:line:col."""
    path = Path(path)
    doc = read_yaml(path)
    if doc is None:
        raise JourneyError([f"{path}:1:1: the file is empty; a journey needs 'title:' and 'steps:'"])
    if not isinstance(doc, dict):
        raise JourneyError([f"{path}:1:1: expected a mapping of fields at the top level (title:, steps:, ...)"])
    problems = _Problems(path, doc)
    raw_steps = doc.get("steps")
    templates = doc.get("templates") or {}
    header = {k: v for k, v in doc.items() if k != "steps"}
    head: JourneySpec | None = None
    try:
        head = JourneySpec.model_validate({"id": path.stem, **header, "steps": []})
    except ValidationError as exc:
        for error in exc.errors():
            problems.add(list(error["loc"]), message_for(error, JourneySpec))
    steps: list[Step] = []
    if not isinstance(raw_steps, list) or not raw_steps:
        problems.add(["steps"] if raw_steps is not None else [], "steps: a journey needs a list of at least one step")
        raw_steps = []
    default = header.get("language") if header.get("language") in LANGUAGES else "en"
    journey_slots = header.get("slots") if isinstance(header.get("slots"), dict) else {}
    builtin = list(builtin_slots())
    captured = _captured_names(raw_steps, templates if isinstance(templates, dict) else {})
    for name, value in journey_slots.items():
        _text_problems(problems, ["slots", name], value, sorted({*builtin, *journey_slots, *captured}), default)
    step_slots: dict[int, dict[str, Any]] = {}
    uses: dict[int, dict[str, set[str]]] = {}  # step index -> text field -> captured names it uses (directly or through slots)
    for index, raw in enumerate(raw_steps):
        data = _merged_step(raw, templates if isinstance(templates, dict) else {}, problems, index)
        if data is None:
            continue
        own = data.get("slots") if isinstance(data.get("slots"), dict) else {}
        step_slots[index] = own
        known = sorted({*builtin, *journey_slots, *own, *captured})
        for name, value in own.items():
            _text_problems(problems, ["steps", index, "slots", name], value, known, default)
        for fld in ("subject", "body"):
            if data.get(fld) is not None:
                _text_problems(problems, ["steps", index, fld], data[fld], known, default)
                used = _names_used(data[fld], {**journey_slots, **own}) & captured
                if used:
                    uses.setdefault(index, {})[fld] = used
        for at, message in parse_captures(data.get("capture"))[1]:
            problems.add(["steps", index, "capture", *at], f"steps[{index}].{message}")
        for name in data.get("capture") or {} if isinstance(data.get("capture"), dict) else ():
            if name in builtin or name in journey_slots or name in own:
                problems.add(["steps", index, "capture", name], f"steps[{index}].capture.{name}: '{name}' is also a slot; "
                                                                f"give the captured value a name of its own (e.g. '{name}_captured')")
        try:
            steps.append(Step.model_validate(data))
        except ValidationError as exc:
            for error in exc.errors():
                loc = ["steps", index, *error["loc"]]
                problems.add(loc, lambda: message_for({**error, "loc": tuple(loc)}, JourneySpec))
        for name, text in (data.get("fields") or {}).items() if isinstance(data.get("fields"), dict) else ():
            if isinstance(text, str):
                for message in template_problems(text):
                    problems.add(["steps", index, "fields", name], f"steps[{index}].fields.{name}: {message}")
    _slot_cycles(problems, journey_slots, step_slots)
    graph = _graph(steps, raw_steps, problems)
    if uses and not problems.count:
        ids = {index: raw["id"] for index, raw in enumerate(raw_steps) if isinstance(raw, dict) and isinstance(raw.get("id"), str)}
        for index, step_id, fld, name, capturers in captures_used_too_early(graph, {ids[i]: f for i, f in uses.items() if i in ids}, ids):
            problems.add(["steps", index, fld], f"steps[{index}].{fld}: uses {{{name}}}, but no step before '{step_id}' captures it "
                                                f"(only {', '.join(repr(c) for c in capturers)} capture{'s' if len(capturers) == 1 else ''} it, and no walk passes {'it' if len(capturers) == 1 else 'them'} first). Capture it "
                                                f"in an earlier expectation, or route this step after one that does")
    if problems.count:
        raise problems.error()
    assert head is not None  # else its problems were raised above
    spec = head.model_copy(update={"steps": steps})  # every step is validated already
    writer = Writer(
        spec.id, language=spec.language, slots=spec.slots, step_slots={s.id: s.slots for s in steps if s.slots},
        typos=spec.voice.typos, clients=spec.voice.clients,
        texts={s.id: {f: getattr(s, f) for f in ("subject", "body") if getattr(s, f) is not None} for s in steps if s.is_action},
    )
    _ = writer.languages  # worked out now: on the first message (tens of ms) it held the loop that times the replies
    used = {raw_steps[i]["id"]: frozenset().union(*fields.values()) for i, fields in uses.items()}
    return Journey(name=spec.id, title=spec.title, path=path, spec=spec, graph=graph, start=steps[0].id, tags=spec.tags, writer=writer,
                   uses=used)


def _graph(steps: list[Step], raw_steps: list[Any], problems: _Problems) -> nx.DiGraph:
    """Build the step graph and check its shape: references, reachability, loops, deadlines (each linear in the size)."""
    graph = nx.DiGraph()
    ids = [s.id for s in steps]
    index_of: dict[str, int] = {}
    for i, raw in enumerate(raw_steps):
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            index_of.setdefault(raw["id"], i)
    for step in steps:
        index = index_of.get(step.id, 0)
        if step.id in graph:
            problems.add(["steps", index, "id"], f"steps[{index}].id: duplicate step id '{step.id}'; step ids must be unique")
            continue
        graph.add_node(step.id, step=step)
    if not steps:
        return graph
    for position_, step in enumerate(steps):
        index = index_of.get(step.id, 0)
        for fld in (*EDGE_FIELDS, "after", "refers_to"):
            ref = getattr(step, fld)
            if ref is not None and ref not in graph:
                problems.add(["steps", index, fld], lambda: f"steps[{index}].{fld}: no step '{ref}' in this journey.{suggest(ref, ids)} Known steps: {_listed(ids)}")
        following = steps[position_ + 1].id if position_ + 1 < len(steps) and not step.end else None
        default_next = step.next or following
        graph.nodes[step.id]["default_next"] = default_next if default_next in graph else None
        edges: dict[str, list[str]] = {}
        nxt = graph.nodes[step.id]["default_next"]
        if step.is_action or step.expect == "no_marketing":
            routes = {"next": nxt}
        else:
            routes = {"pass": step.on_pass or nxt, "fail": step.on_fail or nxt, "timeout": step.on_timeout or step.on_fail or nxt}
        if step.on_exhausted:
            routes["exhausted"] = step.on_exhausted
        for when, target in routes.items():
            if target in graph:
                edges.setdefault(target, []).append(when)
        for target, whens in edges.items():
            label = "next" if set(whens) >= {"pass", "fail", "timeout"} or whens == ["next"] else "/".join(whens)
            graph.add_edge(step.id, target, when=label)
    if not steps[0].is_action:
        problems.add(["steps", 0], "steps[0]: a journey must start with an action ('do:'), so there is something to expect a reply to")
    start = steps[0].id
    unreachable = set(graph) - nx.descendants(graph, start) - {start}
    for step in steps:
        if step.id in unreachable:
            index = index_of.get(step.id, 0)
            problems.add(["steps", index], f"steps[{index}]: step '{step.id}' can never be reached from '{start}'. Point a 'next:' or 'on_*:' of an earlier step at it, or remove it")
    order = {step_id: i for i, step_id in reversed(list(enumerate(ids)))}
    for cycle in unbounded_loops(graph, order):
        index = index_of.get(cycle[0], 0)
        shown = cycle if len(cycle) <= 12 else [*cycle[:8], f"... ({len(cycle) - 10} more) ...", *cycle[-2:]]
        problems.add(
            ["steps", index],
            f"steps[{index}]: the steps {' -> '.join([*shown, cycle[0]])} form a loop with no bound. Add 'max_visits: N' to one of them",
        )
    if not unreachable and not problems.count:
        kinds = sorted({step.business or "" for step in steps if step.within is not None})
        for kind in kinds or [""]:  # business and elapsed deadlines do not compare: each kind on its own
            shown = (lambda ns, kind=kind: format_business(ns, kind)) if kind else format_duration
            for found in sooner_deadlines(graph, order, business=kind or None):
                index = index_of.get(found.step, 0)
                problems.add(
                    ["steps", index, "within"],
                    f"steps[{index}].within: {shown(found.within)} is sooner than '{found.earlier}' "
                    f"({shown(found.earlier_within)}) earlier on the same path from '{found.counted_from}'. "
                    f"Give it at least {shown(found.earlier_within)}, or count it from a later action with 'after:'",
                )
    return graph


def find_journey(name: str, directory: Path) -> Journey:
    """The journey called `name` in `directory` (file stem)."""
    return load_journey(find_file("journey", name, directory))


def json_schema() -> dict[str, Any]:
    """The JSON Schema of journey files, for editors (journeys/journey.schema.json)."""
    schema = JourneySpec.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "mysteryshop journey"
    return schema


__all__ = ["ACTIONS", "CHANNELS", "EXPECTATIONS", "Journey", "JourneySpec", "Step", "find_journey", "json_schema", "load_journey", "render_text"]
