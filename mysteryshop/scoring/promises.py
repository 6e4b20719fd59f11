"""Times an acknowledgement promises ("we reply within 24 hours", "innerhalb von 48 Stunden"); promise_check judges them.

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

if TYPE_CHECKING:
    from mysteryshop.scoring.kind_words import KindWords

HOUR_NS = 3600 * 10**9
DAY_NS = 24 * HOUR_NS


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
            return self.amount * HOUR_NS
        if self.unit == "weeks":
            return self.amount * 7 * DAY_NS
        if self.unit == "business_days":
            return (self.amount + 2 * ((self.amount + 4) // 5)) * DAY_NS
        return self.amount * DAY_NS


def find_promise(words: KindWords, folded: Sequence[str], sentences: Sequence[str]) -> Promise | None:
    """The first time promised in a sentence that defers an answer (`folded`: the sentences as `fold` gives them)."""
    promise_words = words.promise
    deferral, reply_promise = words["deferral"], words["reply_promise"]
    for index, sentence in enumerate(folded):
        match = promise_words.pattern.search(sentence)
        if match is None or (deferral.first(sentence) is None and reply_promise.first(sentence) is None
                             and not sentence.lstrip().startswith("allow")):
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
