"""Journey expectations judged against a timeline: passed, failed or still pending, with evidence.

Deadlines in journeys are company time. A target whose clock runs faster (the demo desk) has
`speedup` > 1: wall-clock nanoseconds are multiplied by it before they are compared. A target
with a `clock:` (time zone, business hours, holidays) is passed in as `clock`: business
deadlines are resolved on it (scoring.deadline), and latencies are told in business time too.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from mysteryshop.durations import format_duration
from mysteryshop.journey import Journey, Step
from mysteryshop.scoring.captures import with_captures
from mysteryshop.scoring.classify import ACKNOWLEDGEMENT, ANSWER, FOLLOWUP, MARKETING
from mysteryshop.scoring.conversation import (
    customer_pauses,
    paused_before,
    questions_back,
)
from mysteryshop.scoring.deadline import Due, due
from mysteryshop.scoring.facts import missing_facts, quote_around
from mysteryshop.scoring.outcome import (  # noqa: F401 - part of this module's interface
    FAILED,
    NOT_DECIDED,
    PASSED,
    PENDING,
    Evidence,
    Outcome,
    cut_short,
)
from mysteryshop.scoring.timeline import Reply, Timeline, Visit

if TYPE_CHECKING:
    from mysteryshop.company_clock import CompanyClock

def _evidence(reply: Reply, phrases: list[str] | None = None) -> Evidence:
    return Evidence(quote_around(reply.mail.text, phrases or []), reply.utc, reply.mail.subject, reply.message_ref)


def _first(replies: list[Reply], kinds: set[str]) -> Reply | None:
    return next((r for r in replies if r.kind in kinds), None)


def linear_path(journey: Journey, timeline: Timeline) -> list[Visit]:
    """The path of a journey walked in file order, for timelines recorded without one."""
    path = []
    for step in journey.steps:
        anchor_id = journey.anchor(step.id) if not step.is_action else None
        anchor = timeline.actions.get(anchor_id) if anchor_id else None
        if step.is_action and step.id not in timeline.actions:
            break
        path.append(Visit(step.id, 1, anchor.t_ns if anchor else 0, anchor.t_ns if anchor else None))
    return path


def judge_visit(
    journey: Journey, visit: Visit, timeline: Timeline, *, now_ns: int, speedup: float = 1.0, finished: bool = False,
    clock: CompanyClock | None = None,
) -> Outcome | None:
    """The verdict on one visit of an expectation step (None for actions and no_marketing). `clock`: the target's."""
    step = journey.step(visit.step)
    if step.is_action or step.expect == "no_marketing" or visit.anchor_ns is None:
        return None
    from mysteryshop.scoring.web import (  # chat and web-form expectations
        WEB_EXPECTATIONS,
        judge_web,
    )

    deadline = due(step, visit.anchor_ns, timeline, clock, speedup)
    if step.expect in WEB_EXPECTATIONS:
        outcome = judge_web(step, visit.anchor_ns, timeline, now_ns, speedup, finished, deadline)
    else:
        outcome = _judge(step, visit.anchor_ns, timeline.after(visit.anchor_ns), now_ns, speedup, finished, timeline, deadline)
    if step.captures:
        outcome = with_captures(step, outcome, visit.anchor_ns, timeline, now_ns)
    if deadline.clock is not None:
        outcome = replace(outcome, within=deadline.text if step.business else None,
                          business_latency_ns=deadline.business_after(outcome.latency_ns))
    return outcome if outcome.visit == visit.visit else replace(outcome, visit=visit.visit)


def evaluate(
    journey: Journey, timeline: Timeline, *, now_ns: int, speedup: float = 1.0, finished: bool = False, clock: CompanyClock | None = None,
) -> list[Outcome]:
    """Judge every expectation on the path the probe took. Pure: same inputs, same verdicts."""
    path = timeline.path or linear_path(journey, timeline)
    outcomes: list[Outcome] = []
    watchers: list[Step] = []
    for visit in path:
        step = journey.step(visit.step)
        if step.expect == "no_marketing":
            watchers.append(step)
            continue
        outcome = judge_visit(journey, visit, timeline, now_ns=now_ns, speedup=speedup, finished=finished, clock=clock)
        if outcome is not None:
            outcomes.append(outcome)
    for step in watchers:
        outcomes.append(_no_marketing(step, timeline, outcomes, speedup, finished))
    return outcomes


def quality_check(step: Step, reply: Reply, timeline: Timeline) -> tuple[list[str], tuple[dict[str, object], ...]]:
    """Score `reply` on the step's must / must_not criteria: (what failed, every result as a record).

    An unscored criterion (the engine could not decide) counts as failed: never a silent pass.
    """
    if not (step.must or step.must_not):
        return [], ()
    from mysteryshop.quality import Exchange
    from mysteryshop.scoring.shared_scores import score_shared

    exchange = Exchange(
        customer_text=timeline.customer_text_before(reply.t_ns),
        reply_text=reply.mail.full_text,
        reply_html=reply.mail.html,
        persona=timeline.persona,
        expected_facts=step.facts,
        channel=step.channel or "email",
        facts_by_language=step.facts_by_language,
    )
    results = score_shared(exchange, [*step.must, *step.must_not], engine=step.engine)
    failures = []
    for name in step.must:
        result = results[name]
        if result.passed is None:
            failures.append(f"'{name}' could not be scored ({result.reason})")
        elif not result.passed:
            failures.append(f"not '{name}': {result.reason}")
    for name in step.must_not:
        result = results[name]
        if result.passed is None:
            failures.append(f"'{name}' could not be scored ({result.reason})")
        elif result.passed:
            failures.append(f"'{name}': {result.reason}" + (f' ("{result.evidence}")' if result.evidence else ""))
    records = tuple(
        {"criterion": r.criterion, "passed": r.passed, "required": "must" if r.criterion in step.must else "must_not",
         "score": r.score, "confidence": r.confidence, "evidence": r.evidence, "engine": r.engine, "reason": r.reason}
        for r in results.values()
    )
    return failures, records


def _judge(
    step: Step, start_ns: int, replies: list[Reply], now_ns: int, speedup: float, finished: bool, timeline: Timeline | None = None,
    due: Due | None = None,
) -> Outcome:
    due = due or Due(step.within or 0, format_duration(step.within or 0))
    deadline = due.ns
    wall_deadline = start_ns + int(deadline / speedup)
    # the clock stops while the company waits for the customer's answer to its question (scoring/conversation.py)
    pauses = customer_pauses(timeline, start_ns, now_ns) if timeline is not None else []
    for begin, end in pauses:
        if begin <= wall_deadline:
            wall_deadline += end - begin
    waited = max(0, int((wall_deadline - start_ns) * speedup) - deadline)
    deadline += waited
    expired = finished or now_ns > wall_deadline
    within = due.text

    def aside(reply: Reply | None) -> str:
        paused = int(paused_before(pauses, reply.t_ns if reply is not None else wall_deadline) * speedup)
        return f" (not counting {format_duration(paused)} waiting for the customer's answer)" if paused else ""

    def company(reply: Reply) -> int:
        return max(0, int((reply.t_ns - start_ns - paused_before(pauses, reply.t_ns)) * speedup))

    def took(reply: Reply) -> str:
        return due.took(company(reply))

    checked: dict[int, tuple[list[str], tuple[dict[str, object], ...]]] = {}

    def quality(reply: Reply) -> tuple[list[str], tuple[dict[str, object], ...]]:
        """Once per reply: the verdict is looked at again when the outcome is built."""
        if timeline is None:
            return [], ()
        if id(reply) not in checked:
            checked[id(reply)] = quality_check(step, reply, timeline)
        return checked[id(reply)]

    def outcome(status: str, reason: str, reply: Reply | None = None, phrases: list[str] | None = None) -> Outcome:
        decided = reply.t_ns if (reply is not None and status == PASSED) else (wall_deadline if status == FAILED else None)
        if reply is not None and status == PASSED:
            failures, records = quality(reply)
            if failures:
                status, decided = FAILED, reply.t_ns
                reason = f"{reason}, but the reply fails its quality criteria: " + "; ".join(failures)
        else:
            records = ()
        return Outcome(
            step.id, step.expect or "", status, reason + (aside(reply) if waited else ""), deadline, company(reply) if reply else None, decided,
            _evidence(reply, phrases) if reply else None,
            # no answer in time: nothing came, it came late, or what came only put the answer off
            timed_out=status == FAILED and (reply is None or reply.t_ns > wall_deadline or reply.stalling
                                            or (step.expect == "answer" and reply.kind != ANSWER)),
            criteria=records,
        )

    if step.expect == "acknowledgement":
        reply = _first(replies, {ACKNOWLEDGEMENT, ANSWER, FOLLOWUP})
        if reply is not None and reply.t_ns <= wall_deadline:
            note = " (a person's reply that only defers)" if reply.stalling else ""
            return outcome(PASSED, f"acknowledged after {took(reply)}{note}", reply)
        if reply is not None:
            return outcome(FAILED, f"acknowledged only after {took(reply)}, deadline {within}", reply)
        if expired:
            return outcome(FAILED, f"no acknowledgement within {within}")
        return outcome(PENDING, f"waiting for an acknowledgement (deadline {within})")

    if step.expect == "answer":
        answers = [r for r in replies if r.kind == ANSWER]
        asked_back = questions_back(timeline) if timeline is not None else set()
        if asked_back:  # a reply that asked the customer something it then answered is a question, not the answer...
            real = [r for r in answers if r.t_ns not in asked_back]
            answers = real if real or not expired else answers  # ...unless nothing else came by the deadline
        if step.first_reply:
            answers = answers[:1]
        on_time = [r for r in answers if r.t_ns <= wall_deadline]
        phrases = [p for fact in step.facts for p in fact]
        stated = [r for r in on_time if not missing_facts(r.mail.text, step.facts)]
        for reply in stated:
            if not quality(reply)[0]:
                return outcome(PASSED, f"answered after {took(reply)}", reply, phrases)
        if stated and (expired or step.first_reply):
            return outcome(PASSED, f"answered after {took(stated[0])}", stated[0], phrases)
        if not expired and not (step.first_reply and on_time):
            return outcome(PENDING, f"waiting for an answer (deadline {within})")
        if on_time:
            lacking = missing_facts(on_time[0].mail.text, step.facts)
            return outcome(
                FAILED,
                f"answered after {took(on_time[0])} but the {'first ' if step.first_reply else ''}answer does not state: "
                + ", ".join(f"'{f}'" for f in lacking),
                on_time[0],
            )
        if answers:
            return outcome(FAILED, f"answered only after {took(answers[0])}, deadline {within}", answers[0])
        deferral = next((r for r in replies if r.kind == ACKNOWLEDGEMENT and r.deferral and r.t_ns <= wall_deadline), None)
        if deferral is not None:  # all the customer got by the deadline was a promise to answer: stalling
            return outcome(FAILED, f"no answer within {within}, only a reply that puts it off", deferral, [deferral.deferral or ""])
        return outcome(FAILED, f"no answer within {within}")

    if step.expect == "satisfaction_followup":
        reply = _first(replies, {FOLLOWUP})
        if reply is not None and reply.t_ns <= wall_deadline:
            return outcome(PASSED, f"asked whether the customer was satisfied after {took(reply)}", reply)
        if reply is not None:
            return outcome(FAILED, f"followed up only after {took(reply)}, deadline {within}", reply)
        if expired:
            return outcome(FAILED, f"no satisfaction follow-up within {within}")
        return outcome(PENDING, f"waiting for a satisfaction follow-up (deadline {within})")

    raise ValueError(f"step '{step.id}': no judge for expectation '{step.expect}'")


def _no_marketing(step: Step, timeline: Timeline, others: list[Outcome], speedup: float, finished: bool) -> Outcome:
    """Marketing is judged over the time the issue is open: until every other expectation is decided."""
    start = min((a.t_ns for a in [*timeline.actions.values(), *timeline.action_log]), default=0)
    marketing = [r for r in timeline.after(start) if r.kind == MARKETING]
    open_until = max((o.decided_wall_ns or 0 for o in others), default=0)
    still_open = any(o.status == PENDING for o in others) and not finished
    during = [r for r in marketing if still_open or r.t_ns <= open_until or not others]
    if during:
        reply = during[0]
        latency = max(0, int((reply.t_ns - start) * speedup))
        return Outcome(
            step.id, "no_marketing", FAILED,
            f"sent marketing {format_duration(latency)} after the customer wrote, while the issue was open",
            None, latency, reply.t_ns, _evidence(reply, ["%", "sale", "newsletter"]),
        )
    if still_open:
        return Outcome(step.id, "no_marketing", PENDING, "no marketing so far; the issue is still open")
    return Outcome(step.id, "no_marketing", PASSED, "no marketing while the issue was open", decided_wall_ns=open_until)
