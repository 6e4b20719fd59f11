"""Which deadlines the demo desk keeps its email replies clear of: those of the journeys a run walks against it."""

from __future__ import annotations

from collections.abc import Iterable

from mysteryshop.journey import Journey

#: Expectations an email from the desk decides (an acknowledgement, an answer, a satisfaction follow-up).
EMAIL_EXPECTS = frozenset({"acknowledgement", "answer", "satisfaction_followup"})


def email_deadlines(journeys: Iterable[Journey]) -> list[int]:
    """The elapsed deadlines (company ns) of every expectation an email reply decides, in the `journeys`.

    Each counts from the customer's contact the reply answers, as the desk sees it: a reply planned
    within a busy machine's jitter of one would pass or fail by chance (see demo/profile.draw_delay).
    Deadlines in business time move with the target's clock and are left out.
    """
    return sorted({step.within for journey in journeys for step in journey.steps
                   if step.expect in EMAIL_EXPECTS and step.within is not None and not step.business})
