"""Which persona walks which journey against which target: the probes of a run or campaign."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from mysteryshop.journey import Journey
from mysteryshop.persona import Persona, make_persona
from mysteryshop.target import Target


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


def plan_probes(config: PlanSettings, journey: Journey, targets: list[Target]) -> list[ProbeSpec]:
    """One probe per (target × persona) of a journey. Personas are seeded: the same config, the same people."""
    specs = []
    for target in targets:
        for index in range(config.personas):
            locale = config.locales[index % len(config.locales)]
            persona = make_persona(config.seed, index, locale=locale, domain=target.spec.probe_domain, mailbox=target.spec.probe_mailbox, run_tag=f"{journey.name}:{target.name}:{config.run_id}")
            specs.append(ProbeSpec(f"{journey.name}-{target.name}-{persona.key}", journey, target, persona))
    return specs
