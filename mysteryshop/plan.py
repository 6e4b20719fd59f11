"""Which persona walks which journey against which target: the probes of a run or campaign."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from mysteryshop.errors import JourneyError
from mysteryshop.journey import Journey
from mysteryshop.persona import Persona, make_persona
from mysteryshop.target import Target

if TYPE_CHECKING:
    from mysteryshop.scoring.timeline import Timeline


class PlanSettings(Protocol):
    """What planning reads of a run's settings (session.RunConfig has them)."""

    seed: int
    personas: int
    locales: list[str]
    run_id: str


@dataclass(frozen=True, slots=True)
class ProbeSpec:
    """One persona walking one journey against one target."""

    probe_id: str
    journey: Journey
    target: Target
    persona: Persona

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


def plan_probes(config: PlanSettings, journey: Journey, targets: list[Target], personas: Mapping[str, int] | None = None) -> list[ProbeSpec]:
    """One probe per (target × persona) of a journey. Personas are seeded: the same config, the same people.
    `personas`: how many for a target (a benchmark study's sample), where not `config.personas`.

    Raises JourneyError when a target cannot run the journey's deadlines (business time without a clock).
    """
    problems = [line for target in targets for line in clock_problems(journey, target)]
    if problems:
        raise JourneyError(problems)
    specs = []
    for target in targets:
        for index in range((personas or {}).get(target.name, config.personas)):
            locale = config.locales[index % len(config.locales)]
            persona = make_persona(config.seed, index, locale=locale, domain=target.spec.probe_domain, mailbox=target.spec.probe_mailbox, run_tag=f"{journey.name}:{target.name}:{config.run_id}")
            specs.append(ProbeSpec(f"{journey.name}-{target.name}-{persona.key}", journey, target, persona))
    return specs
