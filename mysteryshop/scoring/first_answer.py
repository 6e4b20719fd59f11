"""The scorecard's reply-quality look at a probe's first answer, beyond the journey's own criteria.

The run scores it as soon as the probe has finished (its verdicts are stored, see
`shared_scores`), and a report reads them back; both call this function, so both look at the
same exchange.
"""

from __future__ import annotations

from typing import Any

from mysteryshop.journey import Journey
from mysteryshop.scoring.classify import ANSWER
from mysteryshop.scoring.shared_scores import score_shared
from mysteryshop.scoring.timeline import Timeline

#: The criteria the scorecard shows for every first answer.
CRITERIA = ("personalized", "empathy", "sets_expectations", "readability")


def first_answer_quality(timeline: Timeline, journey: Journey) -> dict[str, Any] | None:
    """Reply-quality verdicts (mysteryshop.quality) on the probe's first answer; None without an answer
    (or without the optional quality module)."""
    answer = min((r for r in timeline.replies if r.kind == ANSWER), key=lambda r: r.t_ns, default=None)
    if answer is None:
        return None
    try:
        from mysteryshop.quality import Exchange
    except ImportError:  # the reply-quality module is optional
        return None
    customer = next(iter(timeline.actions.values())).text if timeline.actions else ""
    facts = [fact for step in journey.steps if step.expect == "answer" for fact in step.facts]
    try:
        results = score_shared(
            Exchange(customer, answer.mail.text, answer.mail.html, persona=timeline.persona, expected_facts=facts), CRITERIA
        )
    except Exception as exc:  # noqa: BLE001 - a scorer bug must not cost the whole scorecard; it is reported
        return {"error": f"reply-quality scoring failed: {exc}", "criteria": {}}
    return {
        "message_ref": answer.message_ref,
        "criteria": {name: {"passed": r.passed, "evidence": r.evidence, "reason": r.reason} for name, r in results.items()},
    }
