"""Journeys: what a customer does and what they expect, as a networkx graph.

A journey file lists steps. An action step (`do:`) makes the persona contact the company;
an expectation step (`expect:`) says what should come back and by when. Steps follow one
another unless a step names its `next`; the loaded journey is a `networkx.DiGraph` whose
nodes are step ids, so branching journeys fit the same model.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import networkx as nx
from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator, model_validator

from mysteryshop.durations import parse_duration
from mysteryshop.errors import JourneyError, suggest, unknown
from mysteryshop.persona import Persona
from mysteryshop.yamlsource import load_model, position

Duration = Annotated[int, BeforeValidator(parse_duration)]

ACTIONS = {"send_email": "email"}
EXPECTATIONS = ("acknowledgement", "answer", "satisfaction_followup", "no_marketing")
CHANNELS = ("email",)
PERSONA_FIELDS = ("first_name", "last_name", "full_name", "email", "phone", "order_id", "locale")


def _facts(value: Any) -> Any:
    if isinstance(value, list):
        return [[item] if isinstance(item, str) else item for item in value]
    return value


class Step(BaseModel):
    """One node of a journey: an action or an expectation."""

    model_config = ConfigDict(extra="forbid")

    id: str
    do: str | None = None
    channel: str = "email"
    subject: str | None = None
    body: str | None = None
    expect: str | None = None
    within: Duration | None = None
    after: str | None = None
    facts: Annotated[list[list[str]], BeforeValidator(_facts)] = []
    next: str | None = None

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

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, value: str) -> str:
        if value not in CHANNELS:
            raise ValueError(unknown("channel", value, CHANNELS))
        return value

    @model_validator(mode="after")
    def _shape(self) -> Step:
        if (self.do is None) == (self.expect is None):
            raise ValueError(f"step '{self.id}' must have exactly one of 'do:' (an action) or 'expect:' (an expectation)")
        if self.do == "send_email" and not (self.subject and self.body):
            raise ValueError(f"step '{self.id}': send_email needs both 'subject:' and 'body:'")
        if self.expect and self.expect != "no_marketing" and self.within is None:
            raise ValueError(f"step '{self.id}': expectation '{self.expect}' needs a deadline, e.g. 'within: 15m'")
        return self

    @property
    def is_action(self) -> bool:
        return self.do is not None


class JourneySpec(BaseModel):
    """The schema of a journeys/*.yaml file."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    description: str = ""
    owner: str | None = None
    tags: list[str] = []
    believed: dict[str, Duration] = {}
    steps: list[Step]

    @field_validator("steps")
    @classmethod
    def _not_empty(cls, value: list[Step]) -> list[Step]:
        if not value:
            raise ValueError("a journey needs at least one step")
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

    @property
    def steps(self) -> list[Step]:
        """Steps in the order a customer meets them (graph order from the start)."""
        return [self.graph.nodes[n]["step"] for n in nx.dfs_preorder_nodes(self.graph, self.start)]

    def step(self, step_id: str) -> Step:
        return self.graph.nodes[step_id]["step"]

    def anchor(self, step_id: str) -> str | None:
        """The action an expectation's deadline counts from: its `after`, else the latest action before it."""
        step = self.step(step_id)
        if step.after:
            return step.after
        anchor = None
        for candidate in self.steps:
            if candidate.id == step_id:
                return anchor
            if candidate.is_action:
                anchor = candidate.id
        return anchor


def render_text(template: str, persona: Persona) -> str:
    """Fill `{persona.first_name}` and friends."""
    return template.format_map({"persona": _PersonaView(persona)})


class _PersonaView:
    def __init__(self, persona: Persona) -> None:
        self._values = persona.as_dict()

    def __getattr__(self, name: str) -> str:
        return self._values[name]


def _template_problems(text: str) -> list[str]:
    problems = []
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f is not None]
    except ValueError as exc:
        return [f"text is not a valid template ({exc}); write a literal brace as '{{{{' or '}}}}'"]
    for name in fields:
        prefix, _, attr = name.partition(".")
        if prefix != "persona" or attr not in PERSONA_FIELDS:
            valid = ", ".join(f"{{persona.{f}}}" for f in PERSONA_FIELDS)
            hint = suggest(attr, PERSONA_FIELDS) if prefix == "persona" else ""
            problems.append(f"unknown variable '{{{name}}}'.{hint} Valid variables: {valid}")
    return problems


def load_journey(path: Path | str) -> Journey:
    """Load and validate one journey file; raises JourneyError listing every problem with file:line:col."""
    path = Path(path)
    spec, doc = load_model(path, JourneySpec, defaults={"id": path.stem})
    problems: list[str] = []

    def problem(loc: list[str | int], message: str) -> None:
        line, col = position(doc, loc)
        problems.append(f"{path}:{line}:{col}: {message}")

    ids = [s.id for s in spec.steps]
    graph = nx.DiGraph()
    for index, step in enumerate(spec.steps):
        if step.id in graph:
            problem(["steps", index, "id"], f"steps[{index}].id: duplicate step id '{step.id}'; step ids must be unique")
        graph.add_node(step.id, step=step)
        for fld in ("subject", "body"):
            text = getattr(step, fld)
            for message in _template_problems(text or ""):
                problem(["steps", index, fld], f"steps[{index}].{fld}: {message}")
    for index, step in enumerate(spec.steps):
        for fld in ("next", "after"):
            ref = getattr(step, fld)
            if ref is not None and ref not in graph:
                problem(
                    ["steps", index, fld],
                    f"steps[{index}].{fld}: no step '{ref}' in this journey.{suggest(ref, ids)} Known steps: {', '.join(ids)}",
                )
        target = step.next or (spec.steps[index + 1].id if index + 1 < len(spec.steps) else None)
        if target in graph:
            graph.add_edge(step.id, target)
    if not spec.steps[0].is_action:
        problem(["steps", 0], "steps[0]: a journey must start with an action ('do:'), so there is something to expect a reply to")
    if not problems:
        for cycle in nx.simple_cycles(graph):
            problem(["steps"], f"steps: the steps {' -> '.join([*cycle, cycle[0]])} form a loop; journeys must end")
            break
        unreachable = set(graph) - nx.descendants(graph, ids[0]) - {ids[0]}
        for index, step in enumerate(spec.steps):
            if step.id in unreachable:
                problem(["steps", index], f"steps[{index}]: step '{step.id}' can never be reached from '{ids[0]}'")
    if problems:
        raise JourneyError(problems)
    return Journey(name=spec.id, title=spec.title, path=path, spec=spec, graph=graph, start=ids[0], tags=spec.tags)


def find_journey(name: str, directory: Path) -> Journey:
    """The journey called `name` in `directory` (file stem or its `id`)."""
    candidate = directory / f"{name}.yaml"
    if candidate.exists():
        return load_journey(candidate)
    known = sorted(p.stem for p in directory.glob("*.yaml"))
    raise JourneyError([f"{directory}: no journey '{name}'.{suggest(name, known)} Known journeys: {', '.join(known) or '(none)'}"])
