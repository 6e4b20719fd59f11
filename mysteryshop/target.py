"""Targets: the company under test, one journeys/targets/*.yaml file each."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mysteryshop.errors import JourneyError, suggest
from mysteryshop.persona import DEFAULT_PROBE_DOMAIN
from mysteryshop.yamlsource import load_model


class EmailChannel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    support_address: str
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=0, le=65535)
    timeout: float = Field(default=10.0, gt=0)


class TargetSpec(BaseModel):
    """The schema of a journeys/targets/*.yaml file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    title: str = ""
    embedded: str | None = None
    profile: str = "typical"
    speedup: float = Field(default=1.0, gt=0)
    probe_domain: str = DEFAULT_PROBE_DOMAIN
    ticket_pattern: str | None = None
    email: EmailChannel | None = None

    @field_validator("embedded")
    @classmethod
    def _known_embedded(cls, value: str | None) -> str | None:
        if value not in (None, "demo"):
            raise ValueError(f"unknown embedded target '{value}'. The only embedded target is 'demo'.")
        return value

    @field_validator("ticket_pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"ticket_pattern is not a valid regular expression: {exc}") from None
        return value


@dataclass(slots=True)
class Target:
    """A loaded target. `speedup` > 1 means the company plays its clock faster (the demo desk)."""

    spec: TargetSpec
    path: Path

    @property
    def name(self) -> str:
        return self.spec.name

    def company_ns(self, wall_ns: int) -> int:
        """Wall-clock nanoseconds as company time."""
        return int(wall_ns * self.spec.speedup)

    def wall_ns(self, company_ns: int) -> int:
        """A company-time deadline as wall-clock nanoseconds."""
        return int(company_ns / self.spec.speedup)

    def ticket(self, text: str) -> str | None:
        if not self.spec.ticket_pattern:
            return None
        match = re.search(self.spec.ticket_pattern, text)
        return (match.group(1) if match.groups() else match.group(0)) if match else None


def load_target(path: Path | str) -> Target:
    path = Path(path)
    spec, _ = load_model(path, TargetSpec, defaults={"name": path.stem})
    return Target(spec=spec, path=path)


def find_target(name: str, directory: Path) -> Target:
    candidate = directory / f"{name}.yaml"
    if candidate.exists():
        return load_target(candidate)
    known = sorted(p.stem for p in directory.glob("*.yaml"))
    raise JourneyError([f"{directory}: no target '{name}'.{suggest(name, known)} Known targets: {', '.join(known) or '(none)'}"])
