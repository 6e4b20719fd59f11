"""Errors a user can act on: each says what was wrong, where, and how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class MysteryShopError(Exception):
    """Base of every error mysteryshop reports to a user."""


class ConfigError(MysteryShopError):
    """A journey, target or option is invalid."""


class JourneyError(ConfigError):
    """A journey or target file does not validate; carries every problem found in it."""

    def __init__(self, problems: list[str], *, total: int | None = None) -> None:
        self.problems = problems
        self.total = len(problems) if total is None else total  # more than listed when a file has very many
        super().__init__("\n".join(problems))


class CollectorError(ConfigError):
    """The run could not set up what receives the company's replies (a port in use, a mailbox it cannot read)."""


class TargetUnreachable(MysteryShopError):
    """The company under test could not be reached on a channel."""

    def __init__(self, *, host: str, port: int, step: str, journey: str, reason: str) -> None:
        self.host, self.port, self.step, self.journey = host, port, step, journey
        super().__init__(
            f"target unreachable at {host}:{port} during step '{step}' of journey '{journey}': {reason}. "
            f"Check that the support server is running and that the target file names the right host and port."
        )


def suggest(value: str, choices: Iterable[str]) -> str:
    """' Did you mean 'x'?' for the closest choice, or ''. None among more than 2,000 choices (difflib would take seconds)."""
    choices = list(choices)
    if len(choices) > 2000:
        return ""
    match = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    return f" Did you mean '{match[0]}'?" if match else ""


def unknown(kind: str, value: str, choices: Iterable[str]) -> str:
    """"unknown channel 'emial'. Did you mean 'email'? Valid values: chat, email."""
    ordered = sorted(choices)
    return f"unknown {kind} '{value}'.{suggest(value, ordered)} Valid values: {', '.join(ordered)}."


class ChannelError(MysteryShopError):
    """The company's side answered, but refused what a probe did."""
