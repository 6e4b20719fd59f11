"""When an expectation is due: its `within:` resolved for one visit, in elapsed or in business time. Pure.

An elapsed deadline ("within: 15m") is the same for every visit. A business deadline ("within: 8
business hours") depends on when the action it counts from happened on the company's clock:
8 business hours from Friday 16:00 fall on Monday 15:00, 71 hours later. That clock is the
target's (time zone, hours, holidays), read at the probe's start (`Timeline.origin`) and running
`speedup` times faster than the timeline, as every company time does (the demo desk's 14,400x).
Either way the result is company nanoseconds after the anchor, which the engine and scoring
already divide by `speedup`.
"""

from __future__ import annotations

from dataclasses import dataclass

from mysteryshop.company_clock import CompanyClock, CompanyTime
from mysteryshop.durations import format_duration
from mysteryshop.errors import ConfigError
from mysteryshop.journey import Step
from mysteryshop.scoring.timeline import Timeline


@dataclass(frozen=True, slots=True)
class Due:
    """An expectation's deadline for one visit: `ns` company time after the anchor, `text` as the journey says it
    (with the company's local time it falls on, for a business deadline). With a company clock, `start` is the
    anchor on that clock, so that business time between the anchor and a reply can be told (`business_after`)."""

    ns: int
    text: str
    clock: CompanyClock | None = None
    start: int = 0

    def business_after(self, after_ns: int | None) -> int | None:
        """Business time in the first `after_ns` company ns after the anchor (None without a clock)."""
        if self.clock is None or after_ns is None:
            return None
        return self.clock.calendar.between(self.start, self.start + after_ns)

    def took(self, after_ns: int) -> str:
        """'2d 18h', or with a clock '2d 18h (6h business)'."""
        business = self.business_after(after_ns)
        return format_duration(after_ns) + ("" if business is None else f" ({format_duration(business)} business)")


def company_time(timeline: Timeline, clock: CompanyClock, speedup: float) -> CompanyTime | None:
    """The company's clock for this probe: read at its start, or (a timeline stored without one) at its first action."""
    origin = timeline.origin
    if origin is None:
        first = min([*timeline.action_log, *timeline.actions.values()], key=lambda a: a.t_ns, default=None)
        if first is None:
            return None
        origin = (first.t_ns, first.utc)
    return clock.company_time(origin[0], origin[1], speedup)


def due(step: Step, anchor_ns: int, timeline: Timeline, clock: CompanyClock | None, speedup: float) -> Due:
    """The deadline of `step` counted from `anchor_ns` (timeline time)."""
    within = step.within or 0
    if clock is None:
        if step.business:
            raise ConfigError(
                f"step '{step.id}' has a business deadline ({step.deadline_text}) but its target has no 'clock:'; "
                f"add one to the target file (timezone, hours, holidays) or write the deadline as elapsed time"
            )
        return Due(within, format_duration(within))
    company = company_time(timeline, clock, speedup)
    if company is None:  # nothing has happened yet to read the company's clock at (and so no anchor either)
        return Due(within, step.deadline_text)
    start = company.at(anchor_ns)
    if not step.business:
        return Due(within, format_duration(within), clock, start)
    end = clock.deadline(start, within, step.business)
    return Due(end - start, f"{step.deadline_text} (by {clock.calendar.format(end)})", clock, start)
