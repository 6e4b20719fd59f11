"""A probe's history as scoring sees it: what the customer sent, what came back, when."""

from __future__ import annotations

from dataclasses import dataclass, field

from mysteryshop.mail import ParsedMail
from mysteryshop.scoring.classify import classify, is_stalling


@dataclass(frozen=True, slots=True)
class Action:
    step: str
    t_ns: int
    utc: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class Reply:
    """One message the company sent to the persona, as received (monotonic ns at the end of SMTP DATA)."""

    t_ns: int
    utc: str
    mail: ParsedMail
    message_ref: int | None = None
    kind: str = ""
    stalling: bool = False

    @classmethod
    def of(cls, t_ns: int, utc: str, mail: ParsedMail, message_ref: int | None = None) -> Reply:
        return cls(t_ns, utc, mail, message_ref, classify(mail), is_stalling(mail))


@dataclass(slots=True)
class Timeline:
    actions: dict[str, Action] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)

    def after(self, t_ns: int) -> list[Reply]:
        return [r for r in sorted(self.replies, key=lambda r: r.t_ns) if r.t_ns >= t_ns]
