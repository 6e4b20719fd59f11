"""Expectations on what the browser showed (chat, contact form), and the web metrics. Pure functions.

Deadlines are company time, like every expectation: wall-clock nanoseconds are multiplied by
the target's `speedup` before they are compared.

- `form_confirmation`: the form was accepted with a confirmation showing a ticket number.
- `chat_response`: the company (bot or agent) wrote anything after the customer.
- `wait_estimate`: a queue position or estimated wait was shown before a human agent joined.
- `human_agent`: a human agent wrote.
- `status_update`: the customer was never left without a word for longer than `within`
  until the answer came (a status update breaks the silence).
- `chat_answer`: an agent answered, stating every fact in `facts:`.
- `chat_survey`: the chat asked whether the customer was satisfied.
- `knows_customer`: a reply used the customer's name, order id or earlier ticket, told in an
  earlier step, without being told again.
- `no_repeat_questions`: no reply asked again for what the customer had already given.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mysteryshop.durations import format_duration
from mysteryshop.scoring.outcome import FAILED, PASSED, PENDING, Evidence, Outcome
from mysteryshop.scoring.facts import missing_facts, quote_around
from mysteryshop.scoring import weblog
from mysteryshop.scoring.friction import read_form, read_way_in
from mysteryshop.scoring.weblog import ChatMessage, asks_for, has_wait_estimate

if TYPE_CHECKING:
    from mysteryshop.journey import Step
    from mysteryshop.scoring.deadline import Due
    from mysteryshop.scoring.timeline import Timeline

from mysteryshop.journey import WEB_EXPECTATIONS  # noqa: E402 - names and descriptions live with the schema

FACT_LABELS = {"name": "name", "order_id": "order number", "email": "email address", "ticket": "ticket number"}


def _quote(message: ChatMessage, phrases: Iterable[str] = ()) -> Evidence:
    return Evidence(quote_around(message.text, list(phrases)), message.utc, f"chat ({message.author})")


def judge_web(step: Step, start_ns: int, timeline: Timeline, now_ns: int, speedup: float, finished: bool, due: Due | None = None) -> Outcome:
    """The verdict on one web expectation whose deadline counts from `start_ns` (wall ns); `due`: that deadline resolved
    (a business deadline on the target's clock), else the step's `within`."""
    deadline = due.ns if due is not None else step.within or 0
    wall_deadline = start_ns + int(deadline / speedup)
    expired = finished or now_ns > wall_deadline
    within = due.text if due is not None else format_duration(deadline)
    log = timeline.web
    messages = log.company_messages(start_ns)

    def company(t_ns: int) -> int:
        return int((t_ns - start_ns) * speedup)

    def outcome(status: str, reason: str, message: ChatMessage | None = None, evidence: Evidence | None = None,
                deadline_ns: int | None = None, at: int | None = None) -> Outcome:
        at = at if at is not None else (message.t_ns if message is not None else None)
        decided = at if status == PASSED else (wall_deadline if status == FAILED and at is None else at)
        return Outcome(
            step.id, step.expect or "", status, reason, deadline if deadline_ns is None else deadline_ns,
            company(at) if at is not None else None, decided if status != PENDING else None,
            evidence or (_quote(message) if message is not None else None),
            timed_out=status == FAILED and (at is None or at > wall_deadline),
        )

    def first(match: Any, what: str, missing: str) -> Outcome:
        found = next((m for m in messages if match(m)), None)
        if found is not None and found.t_ns <= wall_deadline:
            return outcome(PASSED, f"{what} after {format_duration(company(found.t_ns))}", found)
        if found is not None:
            return outcome(FAILED, f"{what} only after {format_duration(company(found.t_ns))}, deadline {within}", found)
        if expired:
            return outcome(FAILED, f"{missing} within {within}")
        return outcome(PENDING, f"waiting: {missing.lower()} yet (deadline {within})")

    kind = step.expect
    if kind == "form_confirmation":
        forms = [f for f in log.forms.values() if f.t_ns >= start_ns - 1] or list(log.forms.values())
        form = forms[-1] if forms else None
        if form is None:
            return outcome(FAILED if expired else PENDING, "no contact form was accepted" if expired else "waiting for the form")
        evidence = Evidence(quote_around(form.confirmation, [form.ticket] if form.ticket else []), form.utc, "contact form confirmation")
        if form.ticket:
            return outcome(PASSED, f"confirmation page shows ticket {form.ticket}", evidence=evidence, at=form.t_ns)
        return outcome(FAILED, "the confirmation page shows no ticket number", evidence=evidence, at=form.t_ns)

    if kind == "chat_response":
        return first(lambda m: m.kind != "typing", "the company wrote", "No chat response")
    if kind == "human_agent":
        return first(lambda m: m.author == "agent", "a human agent wrote", "No human agent")
    if kind == "chat_survey":
        return first(lambda m: m.kind == "survey", "asked whether the customer was satisfied", "No satisfaction question")

    if kind == "wait_estimate":
        human = next((m for m in messages if m.author == "agent"), None)
        found = next((m for m in messages if m.kind != "typing" and has_wait_estimate(m.text) and (human is None or m.t_ns <= human.t_ns)), None)
        if found is not None and found.t_ns <= wall_deadline:
            return outcome(PASSED, f"showed a wait estimate after {format_duration(company(found.t_ns))}", found)
        if human is not None and human.t_ns <= wall_deadline:
            return outcome(PASSED, f"no wait to estimate: an agent joined after {format_duration(company(human.t_ns))}", human)
        if expired:
            return outcome(FAILED, f"no queue position or wait estimate within {within}")
        return outcome(PENDING, f"waiting for a wait estimate (deadline {within})")

    if kind == "chat_answer":
        answers = [m for m in messages if m.author == "agent" and m.kind == "answer"]
        on_time = [m for m in answers if m.t_ns <= wall_deadline]
        for message in on_time:
            if not missing_facts(message.text, step.facts):
                phrases = [p for fact in step.facts for p in fact]
                return outcome(PASSED, f"answered in the chat after {format_duration(company(message.t_ns))}", message, _quote(message, phrases))
        if not expired:
            return outcome(PENDING, f"waiting for an answer in the chat (deadline {within})")
        if on_time:
            lacking = missing_facts(on_time[0].text, step.facts)
            return outcome(FAILED, f"answered after {format_duration(company(on_time[0].t_ns))} but the answer does not state: "
                           + ", ".join(f"'{f}'" for f in lacking), on_time[0])
        if answers:
            return outcome(FAILED, f"answered only after {format_duration(company(answers[0].t_ns))}, deadline {within}", answers[0])
        return outcome(FAILED, f"no answer in the chat within {within}")

    if kind == "status_update":
        return _status_update(step, start_ns, messages, now_ns, speedup, finished, outcome)

    if kind in ("knows_customer", "no_repeat_questions"):
        return _knows(step, start_ns, timeline, wall_deadline, expired, within, company, outcome)

    raise ValueError(f"step '{step.id}': no judge for expectation '{kind}'")


def silences(start_ns: int, messages: list[ChatMessage], until_ns: int) -> list[tuple[int, int]]:
    """(from, to) wall ns of every stretch without a company message, from `start_ns` to `until_ns`."""
    gaps, last = [], start_ns
    for message in messages:
        if message.kind == "typing":
            continue
        if message.t_ns > until_ns:
            break
        gaps.append((last, message.t_ns))
        last = message.t_ns
    if last < until_ns:
        gaps.append((last, until_ns))
    return gaps


def _status_update(step: Step, start_ns: int, messages: list[ChatMessage], now_ns: int, speedup: float, finished: bool, outcome: Any) -> Outcome:
    limit = step.within or 0
    answer = next((m for m in messages if m.author == "agent" and m.kind == "answer"), None)
    until = answer.t_ns if answer is not None else now_ns
    gaps = silences(start_ns, messages, until)
    worst = max(gaps, key=lambda g: g[1] - g[0], default=None)
    span = lambda g: int((g[1] - g[0]) * speedup)  # noqa: E731
    since = lambda t: format_duration(int((t - start_ns) * speedup))  # noqa: E731
    if worst is not None and span(worst) > limit:
        return outcome(FAILED, f"left the customer without a word for {format_duration(span(worst))} (from {since(worst[0])} to "
                       f"{since(worst[1])}); a status update was due every {format_duration(limit)}", at=worst[0] + int(limit / speedup))
    if answer is not None:
        longest = format_duration(span(worst)) if worst else "0s"
        return outcome(PASSED, f"never silent for longer than {format_duration(limit)} until the answer (longest silence {longest})", answer)
    if finished:
        return outcome(PASSED, f"never silent for longer than {format_duration(limit)} while the chat was open")
    last = max((m.t_ns for m in messages if m.kind != "typing"), default=start_ns)
    due = int((last - start_ns) * speedup) + limit
    return outcome(PENDING, f"waiting for the answer; a status update is due within {format_duration(limit)} of the last message", deadline_ns=due)


def known_facts(timeline: Timeline, before_ns: int, refers_to: str | None = None) -> dict[str, str]:
    """What the customer had told the company by `before_ns` (in step `refers_to` only, if given): name, order id, email, ticket."""
    facts: dict[str, str] = {}
    for given in sorted(timeline.web.given, key=lambda g: g.t_ns):
        if given.t_ns <= before_ns and refers_to in (None, given.step):
            facts.update(given.facts)
    for form in timeline.web.forms.values():
        if form.t_ns <= before_ns and form.ticket and refers_to in (None, form.step):
            facts["ticket"] = form.ticket
    return facts


def _mentions(text: str, what: str, value: str) -> bool:
    lowered = text.lower()
    if what == "name":
        return value.split()[0].lower() in lowered.replace(",", " ").split()
    return value.lower() in lowered


def _knows(step: Step, start_ns: int, timeline: Timeline, wall_deadline: int, expired: bool, within: str, company: Any, outcome: Any) -> Outcome:
    known = known_facts(timeline, start_ns, step.refers_to)
    if not known:
        return outcome(FAILED if expired else PENDING, "the customer had told the company nothing earlier to remember")
    log = timeline.web
    # what the customer said again from the anchor on (chat messages, and actions' words)
    retold = [g for g in log.given if g.t_ns >= start_ns]
    customer = [m for m in log.chat if m.t_ns >= start_ns and m.author == "customer"]
    replies: list[tuple[int, str, Evidence]] = [
        (m.t_ns, m.text, _quote(m)) for m in log.company_messages(start_ns) if m.kind != "typing"
    ] + [
        (r.t_ns, r.mail.text, Evidence(quote_around(r.mail.text, []), r.utc, r.mail.subject, r.message_ref)) for r in timeline.after(start_ns)
    ]
    replies.sort(key=lambda item: item[0])

    # once an agent has answered, the conversation is past the point of asking or knowing: decide then
    answered = next((m.t_ns for m in log.company_messages(start_ns) if m.author == "agent" and m.kind == "answer" and m.t_ns <= wall_deadline), None)

    def told_again(what: str, value: str, before: int) -> bool:
        return any(g.t_ns <= before and what in g.facts for g in retold) or any(
            m.t_ns <= before and _mentions(m.text, what, value) for m in customer
        )

    if step.expect == "no_repeat_questions":
        for t_ns, text, evidence in replies:
            if t_ns > wall_deadline:
                break
            again = [w for w in asks_for(text) if w in known]
            if again:
                what = ", ".join(FACT_LABELS[w] for w in again)
                return outcome(FAILED, f"asked again for the {what} after {format_duration(company(t_ns))}, already given earlier",
                               evidence=evidence, at=t_ns)
        if answered is not None:
            return outcome(PASSED, f"asked for nothing already given before answering after {format_duration(company(answered))}", at=answered)
        if expired:
            return outcome(PASSED, f"asked for nothing already given (within {within})", at=wall_deadline)
        return outcome(PENDING, f"watching for repeated questions (until {within})")

    for t_ns, text, evidence in replies:
        if t_ns > wall_deadline:
            break
        used = [what for what, value in known.items() if what != "email" and _mentions(text, what, value) and not told_again(what, value, t_ns)]
        if used:
            items = ", ".join(f"{FACT_LABELS[w]} '{known[w].split()[0] if w == 'name' else known[w]}'" for w in used)
            return outcome(PASSED, f"used the customer's {items} without being told again, after {format_duration(company(t_ns))}",
                           evidence=Evidence(quote_around(text, [known[w].split()[0] if w == "name" else known[w] for w in used]), evidence.utc, evidence.subject, evidence.message_ref),
                           at=t_ns)
    if expired or answered is not None:
        asked = sorted({w for t_ns, text, _ in replies if t_ns <= wall_deadline for w in asks_for(text) if w in known})
        extra = f"; asked again for the {', '.join(FACT_LABELS[w] for w in asked)}" if asked else ""
        when = f"before the answer (after {format_duration(company(answered))})" if answered is not None and not expired else f"within {within}"
        return outcome(FAILED, f"no reply {when} used the name, order or earlier ticket the customer had given{extra}", at=answered)
    return outcome(PENDING, f"waiting for a reply that knows the customer (deadline {within})")


def web_metrics(timeline: Timeline, speedup: float = 1.0) -> dict[str, Any] | None:
    """Per-probe chat and form facts for the scorecard (company time, ns); None when the probe used no browser."""
    log = timeline.web
    if not log.chat and not log.forms and not log.friction and not log.way_in:
        return None
    data: dict[str, Any] = {"forms": [
        {"step": f.step, "url": f.url, "ticket": f.ticket, "confirmation": f.confirmation, "utc": f.utc} for f in log.forms.values()
    ]}
    if log.way_in:
        data["way_in"] = [read_way_in(w) for w in log.way_in.values()]
    if log.friction:
        data["friction"] = [read_form(f) for f in log.friction.values()]
    conversation = log.conversation()
    if conversation:
        customer = [m for m in conversation if m.author == "customer"]
        start = customer[0].t_ns if customer else conversation[0].t_ns
        company = log.company_messages(start)
        shown = [m for m in company if m.kind != "typing"]
        answer = next((m for m in shown if m.author == "agent" and m.kind == "answer"), None)
        agent = next((m for m in shown if m.author == "agent"), None)
        gaps = silences(start, shown, answer.t_ns if answer else (shown[-1].t_ns if shown else start))
        data.update({
            "first_response_ns": int((shown[0].t_ns - start) * speedup) if shown else None,
            "human_ns": int((agent.t_ns - start) * speedup) if agent else None,
            "answer_ns": int((answer.t_ns - start) * speedup) if answer else None,
            "longest_silence_ns": max((int((b - a) * speedup) for a, b in gaps), default=0),
            "wait_estimate_shown": any(has_wait_estimate(m.text) for m in shown),
            "typing_indicator": any(m.kind == "typing" for m in company),
            "asked_again": sorted({w for m in shown for w in asks_for(m.text) if w in known_facts(timeline, m.t_ns)}),
            "transcript": [
                {"author": m.author, "kind": m.kind, "text": m.text, "utc": m.utc, "after_ns": int((m.t_ns - conversation[0].t_ns) * speedup)}
                for m in conversation
            ],
        })
    return data


EVENT_KINDS = ("acted", *weblog.EVENT_KINDS)


def restore_event(timeline: Timeline, kind: str, step: str | None, t_ns: int, utc: str, data: str) -> None:
    """Rebuild from a stored web event ('acted', 'chat_message', ...) what the live probe recorded (scorecard/rebuild.py)."""
    from mysteryshop.scoring.timeline import Action

    if kind == "acted":
        fields = json.loads(data)
        action = Action(step or "", t_ns, utc, fields.get("text", ""), ref=fields.get("ref"))
        timeline.actions[step or ""] = action
        timeline.action_log.append(action)
        return
    weblog.restore_event(timeline.web, kind, step, t_ns, utc, data)
