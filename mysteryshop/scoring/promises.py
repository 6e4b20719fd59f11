"""Times an acknowledgement promises ("we reply within 24 hours", "innerhalb von 48 Stunden"), and whether they were kept.

A promise is found in a sentence of an acknowledgement that defers (kinds.yaml: `promise`, with the
`deferral` cues): a number or a range (the promise is its upper end: "24-48 hours" promises 48) and a
unit, in elapsed or business time. It is judged against the first answer that came after it: kept when
that answer came within the promised time, broken when it came later or not at all. Business time is
counted on the target's company clock when it has one; without one, a business day is a calendar day
and a weekend in between is allowed for (each 5 business days may take 7), business hours are elapsed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mysteryshop.durations import format_duration

if TYPE_CHECKING:
    from mysteryshop.company_clock import CompanyClock
    from mysteryshop.scoring.kind_words import KindWords
    from mysteryshop.scoring.timeline import Timeline

_HOUR = 3600 * 10**9
_DAY = 24 * _HOUR
KEPT, BROKEN, OPEN = "kept", "broken", "open"


@dataclass(frozen=True, slots=True)
class Promise:
    """`amount` of `unit` (hours, days, weeks, business_hours, business_days), as the message says it (`said`)."""

    quote: str
    said: str
    amount: int
    unit: str

    @property
    def business(self) -> bool:
        return self.unit.startswith("business_")

    def elapsed_ns(self) -> int:
        """The promise in elapsed time, for a company without a clock (business days allow for weekends)."""
        if self.unit in ("hours", "business_hours"):
            return self.amount * _HOUR
        if self.unit == "weeks":
            return self.amount * 7 * _DAY
        if self.unit == "business_days":
            return (self.amount + 2 * ((self.amount + 4) // 5)) * _DAY
        return self.amount * _DAY


def find_promise(words: KindWords, folded: Sequence[str], sentences: Sequence[str]) -> Promise | None:
    """The first time promised in a sentence that defers an answer (`folded`: the sentences as `fold` gives them)."""
    promise_words = words.promise
    deferral = words["deferral"]
    for index, sentence in enumerate(folded):
        match = promise_words.pattern.search(sentence)
        if match is None or (deferral.first(sentence) is None and not sentence.lstrip().startswith("allow")):
            continue
        high = match.group("high") or match.group("low")
        amount = int(high) if high.isdigit() else promise_words.numbers.get(high, 0)
        unit = _unit(promise_words, match.group("unit"))
        if amount <= 0 or unit is None:
            continue
        if match.group("business") and not unit.startswith("business_") and unit in ("hours", "days"):
            unit = f"business_{unit}"
        quote = " ".join(sentences[index].split())[:300] if index < len(sentences) else sentence
        return Promise(quote, " ".join(match.group().split()), amount, unit)
    return None


def _unit(promise_words: Any, word: str) -> str | None:
    for pattern, unit in promise_words.units:
        if pattern.match(word):
            return str(unit)
    return None


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
    from mysteryshop.scoring.classify import ANSWER
    from mysteryshop.scoring.deadline import company_time

    replies = sorted(timeline.replies, key=lambda r: r.t_ns)
    on_clock = company_time(timeline, clock, speedup) if clock is not None else None
    verdicts = []
    for index, reply in enumerate(replies):
        promise = reply.promise
        if promise is None:
            continue
        if clock is not None and on_clock is not None and promise.business:
            start = on_clock.at(reply.t_ns)
            due = clock.deadline(start, promise.amount * (_DAY if promise.unit == "business_days" else _HOUR),
                                 "days" if promise.unit == "business_days" else "hours") - start
        else:
            due = promise.elapsed_ns()
        answer = next((r for r in replies[index + 1:] if r.kind == ANSWER), None)
        base = dict(promise=promise, promised_utc=reply.utc, promised_ref=reply.message_ref, due_ns=due)
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
