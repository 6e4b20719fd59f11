"""A probe's history as scoring sees it: what the customer sent, what came back, when."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from mysteryshop.collect.parse import ParsedMail
from mysteryshop.scoring.classify import Reading, read_kind
from mysteryshop.scoring.promises import Promise
from mysteryshop.scoring.weblog import WebLog

#: How long after a deadline a simulated desk's stamped reply may still arrive and count at its stamp (wall seconds): the
#: harness judges such a target this much behind the clock. A loaded 2-core machine delivered the demo desk's emails up to
#: 1.8 s after their planned time (README "The same seed, the same scorecard").
SIMULATED_GRACE_WALL_S = 3.0
#: A stamp further before the arrival than this is not this machine's monotonic clock (a wall-clock run, a forged
#: header): the reply counts when it arrived.
_STAMP_LAG_LIMIT_NS = 60 * 1_000_000_000

#: How much later than the desk got a message its sender may have noted sending it (its clock is read after the last
#: write returns; a loaded machine can run the desk first): an action begun up to this after is still the one answered.
_SEND_SLACK_NS = 1_000_000_000

#: the action id of the persona's answers to a company that asked it for something: "~answer1", "~answer2"... (converse/)
ANSWER_STEP = "~answer"


@dataclass(frozen=True, slots=True)
class Action:
    step: str
    t_ns: int
    utc: str
    text: str = ""
    #: an email: when its last byte went out (t_ns is the company's 250). A desk that acknowledges while its server is
    #: still taking the message replies before the 250; such a reply counts, its latency 0
    began_ns: int | None = None
    #: what the company can name it by: an email's Message-ID, the ticket number a contact form's confirmation gave
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """One message the company sent to the persona, as received (monotonic ns at the end of SMTP DATA).

    `kind` and its evidence come from `reading` (scoring.classify); `stalling`: a person's reply that only defers."""

    t_ns: int
    utc: str
    mail: ParsedMail
    message_ref: int | None = None
    kind: str = ""
    stalling: bool = False
    reading: Reading | None = None

    @classmethod
    def of(cls, t_ns: int, utc: str, mail: ParsedMail, message_ref: int | None = None) -> Reply:
        return cls.read(t_ns, utc, mail, message_ref, read_kind(mail))

    @classmethod
    def read(cls, t_ns: int, utc: str, mail: ParsedMail, message_ref: int | None, reading: Reading) -> Reply:
        return cls(t_ns, utc, mail, message_ref, reading.kind, reading.stalling, reading)

    @property
    def deferral(self) -> str | None:
        """The sentence that puts the answer off, if the reply has one."""
        return None if self.reading is None else self.reading.deferral

    @property
    def automatic(self) -> bool:
        return self.reading is not None and self.reading.automatic

    @property
    def promise(self) -> Promise | None:
        return None if self.reading is None else self.reading.promise


@dataclass(frozen=True, slots=True)
class Visit:
    """One step of the path a probe took. `anchor_ns`: when the action its deadline counts from happened."""

    step: str
    visit: int
    entered_ns: int
    anchor_ns: int | None = None


@dataclass(slots=True)
class Timeline:
    """What happened to a probe. `actions` holds the latest run of each action step; `path` every step entered."""

    actions: dict[str, Action] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)
    path: list[Visit] = field(default_factory=list)
    action_log: list[Action] = field(default_factory=list)
    persona: dict[str, str] = field(default_factory=dict)
    web: WebLog = field(default_factory=WebLog)  # what the browser showed: chat transcripts, form confirmations
    origin: tuple[int, str] | None = None  # when the probe started (t_ns, UTC): where a company clock's time is read from
    captured: dict[str, str] = field(default_factory=dict)  # values steps captured so far (`capture:`), for later steps' texts
    #: every time the company asked the persona for something, and what the persona did (converse/answering.py: event agent_asked)
    asked: list[dict[str, Any]] = field(default_factory=list)

    def customer_text_before(self, t_ns: int) -> str:
        """What the customer had written before `t_ns` (all their messages, oldest first)."""
        return "\n\n".join(a.text for a in self.action_log if a.t_ns <= t_ns)

    def after(self, t_ns: int) -> list[Reply]:
        """Replies from `t_ns` on (an action's time: then from when its email went out, if a reply came before the 250)."""
        start = min((a.began_ns for a in self.action_log if a.t_ns == t_ns and a.began_ns is not None), default=t_ns)
        return [r for r in sorted(self.replies, key=lambda r: r.t_ns) if r.t_ns >= min(start, t_ns)]


def judged_ns(reply: Reply, simulated: bool, actions: Iterable[Action] = (), speedup: float = 1.0) -> int:
    """When a reply counts. A real company's reply counts when it arrived. A simulated desk (a target whose clock runs
    faster, speedup > 1: the demo) stamps each email with when it got the customer's message it answers, how long
    (company time) after that it planned it, and what it answers (the email's Message-ID, or the form's ticket:
    collect.parse.PLANNED_HEADER); its reply counts that long after the customer's action so named (without a name: the
    latest of `actions` begun by when the desk got it), so that neither how busy the machine was
    delivering it nor carrying the customer's message can move it across a deadline. A stamp after the arrival, far
    before it, or before every action is not believed."""
    anchor = stamp_anchor(reply, actions) if simulated else None
    return reply.t_ns if anchor is None or reply.mail.planned is None else anchor + int(reply.mail.planned[1] / speedup)


def stamp_anchor(reply: Reply, actions: Iterable[Action]) -> int | None:
    """The time of the customer's action a simulated desk's stamped reply answers (see `judged_ns`), or None when its
    stamp is missing or not believed."""
    stamp = reply.mail.planned
    if stamp is None:
        return None
    got_ns = stamp[0]
    if not 0 <= reply.t_ns - got_ns <= _STAMP_LAG_LIMIT_NS:
        return None
    acts = list(actions)
    ref = reply.mail.planned_ref
    named = [a.t_ns for a in acts if ref is not None and a.ref == ref]
    # the action the stamp names; a stamp that names none (an older desk) by time: the latest begun by when the desk got it
    return max(named, default=None) if named else max(
        (a.t_ns for a in acts if min(a.t_ns, a.began_ns or a.t_ns) <= got_ns + _SEND_SLACK_NS), default=None)


def judged_replies(replies: Iterable[Reply], simulated: bool, actions: Iterable[Action] = (), speedup: float = 1.0) -> list[Reply]:
    """`replies` at the times they count (`judged_ns`), in that order."""
    acts = list(actions)
    judged = [r if (t := judged_ns(r, simulated, acts, speedup)) == r.t_ns else replace(r, t_ns=t) for r in replies]
    return sorted(judged, key=lambda r: r.t_ns)
