"""A simulated desk's probe on the journey's own clock, with the harness's pace taken out.

Against the demo desk (a target whose clock runs faster: speedup > 1) every millisecond the harness spends between
deciding a step and doing the next one (a browser starting, a busy machine) is many company minutes. The desk times
its replies from the customer's actions, so those are not moved by it; but where the probe ENDS is: a follow-up
planned 30 company hours after the first email falls inside a probe whose chat took the harness 6 s to open, and
outside one that took 5 s. Here the harness's own time is taken out: each action of the journey counts as done the
moment it could have been (when the step before it was decided, on the journey's clock), and what the harness took
beyond that is lag that moves everything anchored on that action or later. Pure: a run's events in, times out.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mysteryshop.journey import Journey
from mysteryshop.scoring.outcome import Outcome
from mysteryshop.scoring.timeline import Reply, Timeline, stamp_anchor


@dataclass(frozen=True, slots=True)
class JourneyClock:
    """`end_ns`: when the journey ended on its own clock. `lag_from(t)`: the harness's lag accumulated by the journey
    action done at wall time t (or the last one before t), to subtract from anything anchored on it."""

    end_ns: int
    acted: tuple[int, ...]  # wall times of the journey's actions, in order
    lags: tuple[int, ...]  # the lag accumulated up to and including each

    def lag_from(self, wall_ns: int) -> int:
        return _lag_from(self.acted, self.lags, wall_ns)

    def reply_ns(self, reply: Reply, timeline: Timeline) -> int:
        """When a reply (already at its judged time) counts on the journey's clock: less the lag of the action it answers."""
        anchor = stamp_anchor(reply, timeline.action_log)
        return reply.t_ns - self.lag_from(anchor if anchor is not None else reply.t_ns)


def journey_clock(journey: Journey, timeline: Timeline, outcomes: Sequence[Outcome], wall_ns: Callable[[int], int]) -> JourneyClock:
    """Walk the probe's path in order: an action's lag is how long after the journey could have done it the harness did
    it; a decided step ends when its deciding reply counted or its deadline passed, on the journey's clock."""
    decided = {(o.step, o.visit): o for o in outcomes}
    replies = {r.message_ref: r for r in timeline.replies if r.message_ref is not None}
    actions = iter([a for a in timeline.action_log if a.step in journey.graph])
    lag = 0
    cursor: int | None = None  # the journey's clock: when its latest action or decision happened
    lag_of: dict[int, int] = {}
    acted: list[int] = []
    lags: list[int] = []
    for visit in timeline.path:
        step = journey.step(visit.step) if visit.step in journey.graph else None
        if step is None:
            continue
        if step.is_action:
            action = next(actions, None)
            if action is None:
                continue
            ready = cursor if cursor is not None else action.t_ns - lag
            lag += max(0, action.t_ns - lag - ready)
            lag_of[action.t_ns] = lag
            acted.append(action.t_ns)
            lags.append(lag)
            cursor = action.t_ns - lag
            continue
        outcome = decided.get((visit.step, visit.visit))
        anchor = visit.anchor_ns
        if outcome is None or anchor is None:
            continue
        at = _decided_at(outcome, anchor, lag_of.get(anchor, lag), replies, timeline, acted, lags, wall_ns)
        if at is not None:
            cursor = at if cursor is None else max(cursor, at)
    order = sorted(range(len(acted)), key=acted.__getitem__)
    return JourneyClock(cursor if cursor is not None else 0, tuple(acted[i] for i in order), tuple(lags[i] for i in order))


def _lag_from(acted: Sequence[int], lags: Sequence[int], wall_ns: int) -> int:
    i = bisect.bisect_right(acted, wall_ns) - 1
    return lags[i] if i >= 0 else 0


def _decided_at(outcome: Outcome, anchor: int, anchor_lag: int, replies: dict[int, Reply], timeline: Timeline,
                acted: Sequence[int], lags: Sequence[int], wall_ns: Callable[[int], int]) -> int | None:
    """When a step was decided on the journey's clock: its deciding email at the time it counts, less the lag of the
    action it answers; otherwise (a deadline that passed, the customer's waits included; a chat line) the wall time it
    was decided at less the lag of the step's anchor."""
    ref = outcome.evidence.message_ref if outcome.evidence is not None else None
    reply = replies.get(ref) if ref is not None else None
    if reply is not None:
        answered = stamp_anchor(reply, timeline.action_log)
        return reply.t_ns - _lag_from(acted, lags, answered if answered is not None else reply.t_ns)
    if outcome.decided_wall_ns is not None:
        return outcome.decided_wall_ns - anchor_lag
    company_ns = outcome.deadline_ns if outcome.timed_out else outcome.latency_ns
    return None if company_ns is None else anchor - anchor_lag + wall_ns(company_ns)
