"""The verdict on one expectation: passed, failed or pending, with its evidence (what scorers return and the store keeps)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

PASSED, FAILED, PENDING = "passed", "failed", "pending"


@dataclass(frozen=True, slots=True)
class Evidence:
    quote: str
    utc: str
    subject: str = ""
    message_ref: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """The verdict on one expectation step. Times are company time in nanoseconds."""

    step: str
    expect: str
    status: str
    reason: str
    deadline_ns: int | None = None
    latency_ns: int | None = None
    decided_wall_ns: int | None = None
    evidence: Evidence | None = None
    timed_out: bool = False
    visit: int = 1
    criteria: tuple[dict[str, object], ...] = ()
    within: str | None = None  # a business deadline as the journey states it, and the local time it fell on
    business_latency_ns: int | None = None  # a target with a clock: business time from the anchor to the deciding reply
    captured: dict[str, str] = field(default_factory=dict)  # values the step's `capture:` found (scoring/captures.py)

    def as_dict(self) -> dict[str, object]:
        data = {k: getattr(self, k) for k in ("step", "visit", "expect", "status", "reason", "deadline_ns", "latency_ns", "timed_out")}
        for key in ("within", "business_latency_ns"):  # only for a target with a clock: the others' records stay as they were
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        data["criteria"] = list(self.criteria)
        if self.captured:  # only steps that capture: the others' records stay as they were
            data["captured"] = dict(self.captured)
        data["evidence"] = None if self.evidence is None else {
            "quote": self.evidence.quote, "utc": self.evidence.utc, "subject": self.evidence.subject,
            "message_ref": self.evidence.message_ref,
        }
        return data


#: The reason an expectation still open when its run was interrupted is given (it failed no one: it was not decided).
NOT_DECIDED = "not decided: interrupted"


def cut_short(outcomes: list[Outcome]) -> list[Outcome]:
    """The outcomes of a probe its run interrupted: what was still pending stays pending, marked not decided."""
    return [replace(o, reason=f"{NOT_DECIDED} ({o.reason})") if o.status == PENDING and not o.reason.startswith(NOT_DECIDED) else o
            for o in outcomes]
