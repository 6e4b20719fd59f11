"""Whether the times acknowledgements promised were kept: judged against the first answer after each promise. Pure.

See scoring.promises for how a promise is read and how business time is counted without a company clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mysteryshop.durations import format_duration
from mysteryshop.scoring.classify import ANSWER
from mysteryshop.scoring.deadline import company_time
from mysteryshop.scoring.promises import DAY_NS, HOUR_NS, Promise
from mysteryshop.scoring.timeline import Timeline

if TYPE_CHECKING:
    from mysteryshop.company_clock import CompanyClock

KEPT, BROKEN, OPEN = "kept", "broken", "open"


@dataclass(frozen=True, slots=True)
class PromiseVerdict:
    """A promise and how it was kept: `status` kept, broken or open (not yet due), with both quotes."""

    status: str
    promise: Promise
    promised_utc: str
    promised_ref: int | None
    due_ns: int  # company time after the promise
    answer_quote: str | None = None
    answer_utc: str | None = None
    answer_ref: int | None = None
    took_ns: int | None = None

    @property
    def reason(self) -> str:
        said = f'promised "{self.promise.said}"'
        if self.status == KEPT:
            return f"{said}: kept, answered after {format_duration(self.took_ns or 0)}"
        if self.status == BROKEN and self.took_ns is not None:
            return f"{said}: broken, answered only after {format_duration(self.took_ns)}"
        if self.status == BROKEN:
            return f"{said}: broken, no answer within {format_duration(self.due_ns)}"
        return f"{said}: not due yet (no answer so far)"

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status, "reason": self.reason, "promised": self.promise.said, "amount": self.promise.amount,
            "unit": self.promise.unit, "due_ns": self.due_ns,
            "promise_quote": self.promise.quote, "promise_utc": self.promised_utc, "promise_ref": self.promised_ref,
            "answer_quote": self.answer_quote, "answer_utc": self.answer_utc, "answer_ref": self.answer_ref, "took_ns": self.took_ns,
        }


def judge_promises(
    timeline: Timeline, *, now_ns: int, speedup: float = 1.0, clock: CompanyClock | None = None,
) -> list[PromiseVerdict]:
    """Each reply's promise judged against the first answer after it, as of `now_ns` (the probe's end). Pure."""
    replies = sorted(timeline.replies, key=lambda r: r.t_ns)
    on_clock = company_time(timeline, clock, speedup) if clock is not None else None
    verdicts = []
    for index, reply in enumerate(replies):
        promise = reply.promise
        if promise is None:
            continue
        if clock is not None and on_clock is not None and promise.business:
            start = on_clock.at(reply.t_ns)
            due = clock.deadline(start, promise.amount * (DAY_NS if promise.unit == "business_days" else HOUR_NS),
                                 "days" if promise.unit == "business_days" else "hours") - start
        else:
            due = promise.elapsed_ns()
        answer = next((r for r in replies[index + 1:] if r.kind == ANSWER), None)
        base: dict[str, Any] = {"promise": promise, "promised_utc": reply.utc, "promised_ref": reply.message_ref, "due_ns": due}
        if answer is not None:
            took = int((answer.t_ns - reply.t_ns) * speedup)
            quote = " ".join(answer.mail.text.split())[:300]
            verdicts.append(PromiseVerdict(KEPT if took <= due else BROKEN, answer_quote=quote, answer_utc=answer.utc,
                                           answer_ref=answer.message_ref, took_ns=took, **base))
        elif int((now_ns - reply.t_ns) * speedup) > due:  # a probe that ended before the promise was due leaves it open
            verdicts.append(PromiseVerdict(BROKEN, **base))
        else:
            verdicts.append(PromiseVerdict(OPEN, **base))
    return verdicts
