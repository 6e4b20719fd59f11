"""Errors a user can act on: each says what was wrong, where, and how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import ClassVar

from mysteryshop.exitcodes import EXIT_INTERRUPTED, EXIT_MISCONFIGURED, EXIT_UNREACHABLE, EXIT_USAGE


class MysteryShopError(Exception):
    """Base of every error mysteryshop reports to a user.

    Each class says how a probe it stops is counted (`problem`, stored with the probe and counted
    in the scorecard's summary), the probe's `status`, and the `exit_code` it gives `mysteryshop
    run` / `demo` / `report` (see mysteryshop.exitcodes; None: it decides nothing, the scorecard does).
    """

    problem: ClassVar[str] = "error"
    status: ClassVar[str] = "error"
    exit_code: ClassVar[int | None] = EXIT_USAGE


class ConfigError(MysteryShopError):
    """A journey, target or option is invalid, or the machine lacks what a probe needs (Chromium)."""

    problem = "setup"


class JourneyError(ConfigError):
    """A journey or target file does not validate; carries every problem found in it."""

    def __init__(self, problems: list[str], *, total: int | None = None) -> None:
        self.problems = problems
        self.total = len(problems) if total is None else total  # more than listed when a file has very many
        super().__init__("\n".join(problems))


class CollectorError(ConfigError):
    """The run could not set up what receives the company's replies (a port in use, a mailbox it cannot read)."""


class TargetUnreachable(MysteryShopError):
    """The company under test could not be reached on a channel (refused, timed out, no route, no such host):
    the run says nothing about the company."""

    problem = "unreachable"
    exit_code = EXIT_UNREACHABLE

    def __init__(self, *, host: str, port: int | None, step: str, journey: str, reason: str, what: str = "the support server") -> None:
        self.host, self.port, self.step, self.journey = host, port, step, journey
        where = f"{host}:{port}" if port is not None else host
        super().__init__(
            f"target unreachable at {where} during step '{step}' of journey '{journey}': {reason}. "
            f"Check that {what} is running and that the target file names the right host and port."
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
    """The company's side answered, but refused what a probe did (a rejected form, an HTTP error, a refused
    recipient): a finding about the company, shown in the scorecard; it does not decide the exit code."""

    problem = "refused"
    exit_code = None


class TargetMisconfigured(ChannelError):
    """The target file or the journey does not fit the company's pages: a selector not on the page, a form field
    not found, a chat widget that does not open, a step on a channel the target has no section for. The company
    is not at fault; the message names the selector or setting, the target file and the step."""

    problem = "misconfigured"
    exit_code = EXIT_MISCONFIGURED


class SelectorMissing(TargetMisconfigured):
    """An element the target's selectors name is not on the page."""


class CaptureMissing(MysteryShopError):
    """A step uses a value an earlier step was to capture, and that capture found nothing: the step is not sent."""


class RunInterrupted(MysteryShopError):
    """The run was stopped (Ctrl-C, SIGTERM, a pytest timeout) while this probe was still at work: what it
    measured so far is scored, its open expectations are not decided."""

    problem = "interrupted"
    status = "interrupted"
    exit_code = EXIT_INTERRUPTED


def error_label(problem: str | None, error_class: str | None) -> str:
    """How a failing pytest item names the class of what stopped its probe: 'TargetUnreachable',
    'TargetMisconfigured (SelectorMissing)', 'RunInterrupted', ..."""
    base = PROBLEM_CLASSES.get(problem or "")
    if base is None or error_class in (None, base):
        return error_class or base or "error"
    return f"{base} ({error_class})"


def problem_of(exc: BaseException) -> tuple[str, str]:
    """(the probe's status, its problem) when `exc` stopped it."""
    if isinstance(exc, MysteryShopError):
        return exc.status, exc.problem
    return "error", "error"


#: the class that names each problem (its subclasses say more: SelectorMissing, FormRejected, BrowserNotFound, ...)
PROBLEM_CLASSES = {cls.problem: cls.__name__ for cls in (ConfigError, TargetUnreachable, ChannelError, TargetMisconfigured, RunInterrupted)}


class StoreUnavailable(ConfigError):
    """The run store could not be opened: a PostgreSQL URL that is wrong or unreachable, a store of a newer schema."""
