"""The regression gate: this run's headline metrics against an accepted baseline, with per-metric tolerances.

The gate decides exit codes 0 (pass: nothing regressed beyond its tolerance, or the gate is off) and
1 (regression: at least one headline metric got worse than its tolerance allows) of `mysteryshop run`
and `mysteryshop compare`; the others (usage, unreachable, misconfigured, interrupted) are in
mysteryshop/exitcodes.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from mysteryshop.config import parse_tolerance
from mysteryshop.durations import format_duration
from mysteryshop.exitcodes import EXIT_PASS, EXIT_REGRESSION, EXIT_UNREACHABLE, EXIT_USAGE  # noqa: F401 - gate.EXIT_* as before
from mysteryshop.scorecard.build import HEADLINE

#: A relative tolerance on a time never allows less than this (company seconds): short times jitter.
TIME_FLOOR_S = 600.0


@dataclass(frozen=True, slots=True)
class Change:
    """One headline metric, baseline against current."""

    key: str
    label: str
    better: str  # "higher" or "lower"
    baseline: float | None
    current: float | None
    tolerance: float | str
    regressed: bool
    improved: bool

    def _text(self, value: float | None) -> str:
        if value is None:
            return "—"
        if self.key.endswith(".rate"):
            return f"{value * 100:.0f}%"
        if self.key.endswith("_s"):
            return format_duration(value * 1e9)
        return f"{value:g}"

    @property
    def baseline_text(self) -> str:
        return self._text(self.baseline)

    @property
    def current_text(self) -> str:
        return self._text(self.current)

    @property
    def tolerance_text(self) -> str:
        kind, amount = parse_tolerance(self.tolerance)
        if kind == "rel":
            return f"{amount * 100:g}%"
        if self.key.endswith(".rate"):
            return f"{amount * 100:g} points"
        if self.key.endswith("_s"):
            return format_duration(amount * 1e9)
        return f"{amount:g}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "baseline_text": self.baseline_text, "current_text": self.current_text, "tolerance_text": self.tolerance_text}


def judge(key: str, baseline: float | None, current: float | None, tolerance: float | str) -> Change:
    """Did `key` get worse than `tolerance` allows? A time that vanished (nothing arrived any more) is worse."""
    label, better = HEADLINE[key]
    kind, amount = parse_tolerance(tolerance, f"tolerance of '{key}'")
    if baseline is None or current is None:
        vanished = baseline is not None and current is None and key.endswith("_s")
        return Change(key, label, better, baseline, current, tolerance, vanished, baseline is None and current is not None and key.endswith("_s"))
    allowed = amount * abs(baseline) if kind == "rel" else amount
    if kind == "rel" and key.endswith("_s"):
        allowed = max(allowed, TIME_FLOOR_S)
    delta = current - baseline if better == "higher" else baseline - current  # > 0: better
    return Change(key, label, better, baseline, current, tolerance, delta < -allowed - 1e-12, delta > allowed + 1e-12)


def gate(baseline: Mapping[str, float | None], current: Mapping[str, float | None], tolerance_of: Callable[[str], float | str]) -> list[Change]:
    """Every headline metric measured in either run judged (one neither measured, e.g. a channel neither used, is left
    out); see `verdict`."""
    return [judge(key, baseline.get(key), current.get(key), tolerance_of(key)) for key in HEADLINE
            if baseline.get(key) is not None or current.get(key) is not None]


def verdict(changes: list[Change]) -> str:
    return "regression" if any(c.regressed for c in changes) else "pass"


def report(changes: list[Change], *, baseline_run: str | None, current_run: str | None) -> dict[str, Any]:
    """The gate's result as data (for JSON, Markdown and the terminal)."""
    return {"verdict": verdict(changes), "baseline_run": baseline_run, "current_run": current_run, "changes": [c.as_dict() for c in changes]}


def table(changes: list[Change]) -> list[str]:
    """Plain-text lines: one per metric, flagged when it regressed or improved beyond its tolerance."""
    lines = [f"  {'metric':<30} {'baseline':>10} {'current':>10}  {'tolerance':<12} verdict"]
    for c in changes:
        mark = "REGRESSED" if c.regressed else ("improved" if c.improved else "ok")
        lines.append(f"  {c.label:<30} {c.baseline_text:>10} {c.current_text:>10}  {c.tolerance_text:<12} {mark}")
    return lines
