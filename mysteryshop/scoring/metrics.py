"""The scorecard's numbers: per-probe facts and their aggregates. Pure functions."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from mysteryshop.journey import Journey
from mysteryshop.scoring.classify import (
    ACKNOWLEDGEMENT,
    ANSWER,
    BOUNCE,
    FOLLOWUP,
    MARKETING,
    OTHER,
    OUT_OF_OFFICE,
)
from mysteryshop.scoring.conversation import (
    customer_pauses,
    paused_before,
    questions_back,
)
from mysteryshop.scoring.expectations import FAILED, Outcome
from mysteryshop.scoring.facts import missing_facts
from mysteryshop.scoring.stalling import stalled
from mysteryshop.scoring.timeline import Timeline


@dataclass(frozen=True, slots=True)
class ProbeMetrics:
    """What happened to one probe, in company time (ns)."""

    acknowledged_ns: int | None
    answered_ns: int | None
    first_reply_answers: bool | None
    followed_up: bool
    marketing_while_open: bool
    stalling: bool
    replies: int
    steps_taken: int = 0
    channels_used: int = 0
    repeats: int = 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def effort(journey: Journey, timeline: Timeline, details: Sequence[str] = ()) -> tuple[int, int, int]:
    """(actions taken, channels used, times the customer repeated a detail they had already given)."""
    actions = timeline.action_log or list(timeline.actions.values())
    channels = {journey.step(a.step).channel for a in actions if a.step in journey.graph}
    said: set[str] = set()
    repeats = 0
    for action in actions:
        text = action.text.lower()
        present = {d for d in details if d and d.lower() in text}
        repeats += len(present & said)
        said |= present
    return len(actions), len(channels), repeats


def probe_metrics(
    journey: Journey, timeline: Timeline, outcomes: Sequence[Outcome], *, speedup: float = 1.0, details: Sequence[str] = (),
    finished: bool = True,
) -> ProbeMetrics:
    """`details`: what the persona might have to repeat (order id, email, phone). `finished`: the probe has ended
    (a deferral with no answer step counts as stalling only then: see scoring.stalling)."""
    start = min((a.t_ns for a in timeline.actions.values()), default=None)
    if start is None:
        return ProbeMetrics(None, None, None, False, False, False, 0)
    replies = timeline.after(start)

    def first(kinds: set[str]) -> int | None:
        reply = next((r for r in replies if r.kind in kinds), None)
        return None if reply is None else max(0, int((reply.t_ns - start) * speedup))

    facts = [fact for step in journey.steps if step.expect == "answer" for fact in step.facts]
    answers = [r for r in replies if r.kind == ANSWER]
    asked_back = questions_back(timeline)  # a question the persona answered is not the answer, unless nothing else came
    answers = [r for r in answers if r.t_ns not in asked_back] or answers
    first_answer = answers[0] if answers else None
    pauses = customer_pauses(timeline, start, max((r.t_ns for r in replies), default=start))  # its own answering time is not the company's
    first_reply_answers = None
    if any(step.expect == "answer" for step in journey.steps):
        first_reply_answers = first_answer is not None and not missing_facts(first_answer.mail.text, facts)
    return ProbeMetrics(
        acknowledged_ns=first({ACKNOWLEDGEMENT, ANSWER, FOLLOWUP}),
        answered_ns=None if first_answer is None else max(0, int((first_answer.t_ns - start - paused_before(pauses, first_answer.t_ns)) * speedup)),
        first_reply_answers=first_reply_answers,
        followed_up=any(r.kind == FOLLOWUP for r in replies),
        marketing_while_open=any(o.expect == "no_marketing" and o.status == FAILED for o in outcomes),
        stalling=stalled(timeline, outcomes, finished=finished) is not None,
        replies=len([r for r in replies if r.kind not in (MARKETING, BOUNCE, OUT_OF_OFFICE, OTHER)]),
        **dict(zip(("steps_taken", "channels_used", "repeats"), effort(journey, timeline, details), strict=True)),
    )


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def rate(flags: Sequence[bool]) -> float | None:
    return None if not flags else sum(flags) / len(flags)


def aggregate(metrics: Sequence[ProbeMetrics]) -> dict[str, dict[str, float | int | None]]:
    """Headline metrics over probes: rates, and median / p90 times (seconds, company time)."""
    ack = [m.acknowledged_ns / 1e9 for m in metrics if m.acknowledged_ns is not None]
    ans = [m.answered_ns / 1e9 for m in metrics if m.answered_ns is not None]
    first = [m.first_reply_answers for m in metrics if m.first_reply_answers is not None]
    return {
        "acknowledged": {"rate": rate([m.acknowledged_ns is not None for m in metrics]),
                         "median_s": statistics.median(ack) if ack else None, "p90_s": percentile(ack, 90)},
        "answered": {"rate": rate([m.answered_ns is not None for m in metrics]),
                     "median_s": statistics.median(ans) if ans else None, "p90_s": percentile(ans, 90)},
        "answered_in_first_reply": {"rate": rate(first)},
        "followed_up": {"rate": rate([m.followed_up for m in metrics])},
        "marketing_while_open": {"rate": rate([m.marketing_while_open for m in metrics])},
        "stalling_autoreply": {"rate": rate([m.stalling for m in metrics])},
        "probes": {"count": len(metrics)},
    }
