"""Stalling as a customer means it: being put off instead of answered. Pure.

A reply that defers ("we will get back to you within 24 hours") counts against the company only

- when it is all the customer got by the answer deadline (an answer expectation failed with nothing but
  deferrals in time), or, for a journey without an answer step, when no answer came at all; or
- when a person wrote it and it says nothing of substance (a case number is not substance): a person who
  writes back should answer (scoring.classify: `Reading.stalling`).

An automatic acknowledgement followed in time by a real answer is good practice, not stalling: the
industry figure the scorecard cites counts it as an acknowledgement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mysteryshop.scoring.classify import ACKNOWLEDGEMENT, ANSWER
from mysteryshop.scoring.outcome import FAILED, Outcome
from mysteryshop.scoring.timeline import Reply, Timeline


@dataclass(frozen=True, slots=True)
class Stalled:
    """Why a probe counts as stalled, and the reply that did it."""

    reason: str
    reply: Reply


def stalled(timeline: Timeline, outcomes: Sequence[Outcome], *, finished: bool) -> Stalled | None:
    """Whether the company stalled this probe (see the module's docstring), with the reply that shows it."""
    replies = sorted(timeline.replies, key=lambda r: r.t_ns)
    person = next((r for r in replies if r.stalling), None)
    if person is not None:
        return Stalled("a person's reply that only defers, without substance", person)
    deferrals = [r for r in replies if r.kind == ACKNOWLEDGEMENT and r.deferral]
    if not deferrals:
        return None
    answer_outcomes = [o for o in outcomes if o.expect == "answer"]
    if answer_outcomes:
        missed = [o for o in answer_outcomes if o.status == FAILED and o.timed_out]
        if missed:
            return Stalled(f"only a reply that puts the answer off by the deadline of '{missed[0].step}'", deferrals[0])
        return None
    if finished and not any(r.kind == ANSWER for r in replies):
        return Stalled("only a reply that puts the answer off, and no answer", deferrals[0])
    return None
