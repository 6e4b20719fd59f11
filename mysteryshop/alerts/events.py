"""What deserves an alert in a scorecard: pure functions from the card (and the gate's result) to events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

GRADE_ORDER = "ABCDEF"


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One thing to tell people. `key` names it for good: the same event found again (a report written twice, a
    campaign scored every hour) has the same key, and the ledger sends it once."""

    key: str
    kind: str
    title: str
    lines: tuple[str, ...]
    run_id: str
    link: str
    worst: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)


def grade_fall(before: str | None, now: str | None) -> int:
    """How many letters a grade fell (0 when it rose, stayed, or either is not a letter grade)."""
    if not before or not now or before not in GRADE_ORDER or now not in GRADE_ORDER:
        return 0
    return max(0, GRADE_ORDER.index(now) - GRADE_ORDER.index(before))


def run_link(template: str | None, run_id: str, default: str) -> str:
    return template.replace("{run_id}", run_id) if template else default


def alert_events(card: Mapping[str, Any], gate: Mapping[str, Any] | None, *, kinds: Sequence[str], grade_drop: int,
                 link: str) -> list[AlertEvent]:
    """The events of `card` of the kinds asked for: the gate failed, a company's grade fell by `grade_drop` letters or
    more since its previous run (its trend), a probe was undeliverable (a bounce: the company never got it)."""
    run_id = card["run"]["id"]
    worst = tuple(card.get("worst_moments") or ())[:3]
    events = []
    if "gate_failed" in kinds and gate is not None and gate.get("verdict") not in (None, "pass"):
        lines = tuple(str(line).strip() for line in gate.get("_lines") or () if str(line).strip())[:8]
        events.append(AlertEvent(f"gate_failed:{run_id}", "gate_failed", f"mysteryshop: the gate failed for run {run_id}",
                                 lines or (f"verdict: {gate.get('verdict')}",), run_id, link, worst))
    if "grade_drop" in kinds:
        for name, company in (card.get("companies") or {}).items():
            trend = company.get("trend") or []
            if len(trend) < 2:
                continue
            before, now = trend[-2].get("grade"), trend[-1].get("grade")
            fall = grade_fall(before, now)
            if fall >= grade_drop:
                title = f"mysteryshop: {company.get('title') or name} fell from {before} to {now}"
                line = f"{name}: grade {before} in run {trend[-2].get('run_id')}, {now} in run {run_id}"
                own = tuple(m for m in worst if m.get("target") == name) or tuple(company.get("worst_moments") or ())[:3]
                events.append(AlertEvent(f"grade_drop:{run_id}:{name}", "grade_drop", title, (line,), run_id, link, own))
    if "undeliverable" in kinds:
        for probe in card.get("probes") or ():
            if probe.get("status") == "undeliverable":
                bounce = probe.get("undeliverable") or {}
                said = "; ".join(bounce.get("evidence") or ()) or probe.get("error") or "a mail server returned the message"
                reason = "undeliverable: " + " ".join(str(said).split())[:300]
                events.append(AlertEvent(f"undeliverable:{run_id}:{probe['id']}", "undeliverable",
                                         f"mysteryshop: probe {probe['id']} could not be delivered to {probe.get('target')}",
                                         (reason,), run_id, link))
    return events
