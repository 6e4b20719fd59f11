"""Captures judged with their expectation: what a step's `capture:` found in what the company sent, or why it failed. Pure.

A capture searches what its expectation saw, in order, from the action the deadline counts from until the
expectation was decided: the subject and text of each email reply (the reply that met it last), each message a
chat showed from the company, each contact form's confirmation page. The first value found wins. A capture that
finds nothing fails its step, quoting (truncated) the text it searched, whatever the expectation's own verdict was.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from mysteryshop.capture import capture_all, searched_quote
from mysteryshop.scoring.outcome import FAILED, PENDING, Outcome

if TYPE_CHECKING:
    from mysteryshop.journey import Step
    from mysteryshop.scoring.timeline import Timeline

_EMAIL = frozenset({"acknowledgement", "answer", "satisfaction_followup"})


def capture_texts(step: Step, anchor_ns: int, until_ns: int, timeline: Timeline) -> list[str]:
    """What a capture of `step` searches, oldest first: emails for email expectations, the confirmation page for
    form_confirmation, chat messages (and emails) for the other web expectations."""
    texts: list[str] = []
    if step.expect == "form_confirmation":
        for form in sorted(timeline.web.forms.values(), key=lambda f: f.t_ns):
            if anchor_ns <= form.t_ns <= until_ns:
                texts.append(form.confirmation + (f"\n{form.ticket}" if form.ticket and form.ticket not in form.confirmation else ""))
        return texts
    timed: list[tuple[int, str]] = []
    if step.expect not in _EMAIL:
        timed += [(m.t_ns, m.text) for m in timeline.web.company_messages(anchor_ns) if m.t_ns <= until_ns]
    timed += [(r.t_ns, f"{r.mail.subject}\n{r.mail.text or r.mail.full_text}") for r in timeline.after(anchor_ns) if r.t_ns <= until_ns]
    return [text for _, text in sorted(timed, key=lambda pair: pair[0])]


def with_captures(step: Step, outcome: Outcome, anchor_ns: int, timeline: Timeline, now_ns: int) -> Outcome:
    """`outcome` with the values `step` captured; failed, with the text searched, when a capture found nothing.
    Undecided outcomes are left as they are: nothing is captured before the expectation is decided."""
    if not step.captures or outcome.status == PENDING:
        return outcome
    until = outcome.decided_wall_ns if outcome.decided_wall_ns is not None else now_ns
    texts = capture_texts(step, anchor_ns, until, timeline)
    values, missing = capture_all(step.captures, texts)
    if not missing:
        return replace(outcome, captured=values)
    names = ", ".join(f"'{c.name}' ({c.how})" for c in missing)
    searched = searched_quote(texts)
    reason = f"capture {names} found nothing in {searched}" if searched else f"capture {names} found nothing: no reply, chat message or confirmation came to search by then"
    if outcome.status == FAILED:
        return replace(outcome, captured=values, reason=f"{outcome.reason}; and {reason}")
    return replace(outcome, status=FAILED, captured=values, reason=f"{outcome.reason}, but {reason}",
                   decided_wall_ns=outcome.decided_wall_ns if outcome.decided_wall_ns is not None else now_ns)
