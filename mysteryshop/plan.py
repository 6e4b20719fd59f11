"""Which persona walks which journey against which target: the probes of a run or campaign."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from mysteryshop.errors import JourneyError
from mysteryshop.journey import Journey
from mysteryshop.persona import Persona, make_persona
from mysteryshop.personas_file import PersonasFile, load_personas, persona_for
from mysteryshop.target import Target

if TYPE_CHECKING:
    from mysteryshop.scoring.timeline import Timeline


class PlanSettings(Protocol):
    """What planning reads of a run's settings (session.RunConfig has them)."""

    seed: int
    personas: int
    locales: list[str]
    run_id: str
    personas_file: str | None


@dataclass(frozen=True, slots=True)
class ProbeSpec:
    """One persona walking one journey against one target."""

    probe_id: str
    journey: Journey
    target: Target
    persona: Persona

    def record(self) -> dict[str, str]:
        """The persona as the probe's record keeps it: its details, the language it writes in and, when that is not its
        locale's, why (the journey lacks it). Never a credential."""
        data = self.persona.as_dict()
        language, fallback = self.journey.language_for(self.persona)
        data["language"] = language
        if fallback:
            data["language_fallback"] = fallback
        return data

    @property
    def label(self) -> str:
        return f"{self.journey.name}[{self.target.name}-{self.persona.key}]"

    def deferred(self, timeline: Timeline, now_ns: int) -> tuple[int, str] | None:
        """(timeline ns, the company's local time) the probe's first message waits for, when its target's send window
        puts it after `now_ns`; None when it may go now (no window, inside it, or something was sent already).

        The same in every process: read from the probe's start (`timeline.origin`) with jitter seeded by the probe.
        """
        if timeline.action_log or timeline.origin is None or self.target.spec.send_window is None:
            return None  # no start recorded (an older store): waiting from "now" would never come due, so it goes now
        planned = self.target.send_time(timeline.origin, f"{self.probe_id}:{self.persona.email}")
        return planned if planned is not None and planned[0] > now_ns else None


def _personas_file(path: str | None, domains: tuple[str, ...]) -> PersonasFile | None:
    """The personas file of a run, read once per process (its warnings printed once); None without one."""
    if not path:
        return None
    key = (str(Path(path).resolve()), domains)
    if key not in _LOADED:
        loaded = load_personas(path, probe_domains=domains)
        for warning in loaded.warnings:
            print(f"mysteryshop: warning: {warning}", file=sys.stderr, flush=True)
        _LOADED[key] = loaded
    return _LOADED[key]


_LOADED: dict[tuple[str, tuple[str, ...]], PersonasFile] = {}


def clock_problems(journey: Journey, target: Target) -> list[str]:
    """The journey's business deadlines that `target` cannot count (it has no `clock:`): a line each, at the journey's file:line."""
    if target.spec.clock is not None or not any(step.business for step in journey.steps):
        return []
    from mysteryshop.yamlsource import position, read_yaml

    doc = read_yaml(journey.path)
    problems = []
    for index, step in enumerate(journey.steps):
        if step.business:
            line, col = position(doc, ["steps", index, "within"])
            problems.append(
                f"{journey.path}:{line}:{col}: steps[{index}] ('{step.id}') is due within {step.deadline_text}, but target file "
                f"{target.path} has no 'clock:' to count business time on. Add one, e.g. clock: {{timezone: Europe/Berlin, "
                f"hours: \"Mon-Fri 09:00-17:00\", holidays: {{country: DE}}}}, or write the deadline as elapsed time (e.g. within: 8h)"
            )
    return problems


def plan_probes(config: PlanSettings, journey: Journey, targets: list[Target]) -> list[ProbeSpec]:
    """One probe per (target × persona) of a journey. Personas are seeded: the same config, the same people.

    Raises JourneyError when a target cannot run the journey's deadlines (business time without a clock).
    """
    problems = [line for target in targets for line in clock_problems(journey, target)]
    if problems:
        raise JourneyError(problems)
    specs = []
    loaded = _personas_file(getattr(config, "personas_file", None), tuple(t.spec.probe_domain for t in targets))
    if loaded is not None:
        count = min(config.personas, len(loaded.personas))
        return [ProbeSpec(f"{journey.name}-{target.name}-p{i}", journey, target, persona_for(loaded, i))
                for target in targets for i in range(count)]
    for target in targets:
        for index in range(config.personas):
            locale = config.locales[index % len(config.locales)]
            persona = make_persona(config.seed, index, locale=locale, domain=target.spec.probe_domain, mailbox=target.spec.probe_mailbox, run_tag=f"{journey.name}:{target.name}:{config.run_id}")
            specs.append(ProbeSpec(f"{journey.name}-{target.name}-{persona.key}", journey, target, persona))
    return specs
