"""The scorecard's numbers, channel by channel: per-probe facts and their aggregates. Pure functions.

A probe is counted on every channel the customer used to contact the company: an email sent,
a contact form submitted, a chat in which the customer said something. Each channel has its
own metrics (`METRICS`), each a rate over that channel's contacts ("12 of 15 emails"), some
with the times behind them (median with its interval, p90). A probe that never reached the
company on a channel (target down, a chat that never opened) is not counted there at all: what
was not measured is "not measured", never a zero.

Per probe only facts are kept (`ProbeMetrics`: when the first acknowledgement came, how long
the longest chat silence was); the thresholds that turn them into rates (an acknowledgement
deadline for a journey without one, the 20 minutes after which a waiting chat customer is owed a
status update, the fewest contacts worth judging) come from the rubric when probes are aggregated
(`MetricSettings`), so a programme's rubric changes them without scoring any probe again.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from mysteryshop.journey import Journey
from mysteryshop.scoring.classify import (
    ACKNOWLEDGEMENT,
    ANSWER,
    BOUNCE,
    FOLLOWUP,
    MARKETING,
    OTHER,
    OUT_OF_OFFICE,
)
from mysteryshop.scoring.conversation import (
    customer_pauses,
    paused_before,
    questions_back,
)
from mysteryshop.scoring.facts import missing_facts
from mysteryshop.scoring.intervals import median_interval, wilson
from mysteryshop.scoring.outcome import Outcome
from mysteryshop.scoring.stalling import stalled
from mysteryshop.scoring.timeline import Action, Reply, Timeline
from mysteryshop.scoring.web import silences

EMAIL, WEBFORM, CHAT = "email", "webform", "chat"
CHANNELS = (EMAIL, WEBFORM, CHAT)
CHANNEL_TITLES = {EMAIL: "Email", WEBFORM: "Web form", CHAT: "Chat"}
_SECOND = 1_000_000_000


@dataclass(frozen=True, slots=True)
class ProbeMetrics:
    """What happened to one probe on each channel it used, in company time (ns after that channel's first contact).

    Email (`email`: the customer sent an email; replies counted from the first one):
    `acknowledged_ns` the first message of kind acknowledgement, automatic or by a person (an answer is not an
    acknowledgement); `ack_deadline_ns` the journey's acknowledgement deadline on this channel, if it has one;
    `answered_ns` the first answer; `first_reply_answers` that first answer stated every fact the journey expects;
    `followed_up` a survey came; `marketing_while_open` marketing came before the first answer (or with no answer);
    `stalling` the company put the customer off (scoring.stalling).

    Web form (`webform`: the customer submitted a form): `form_confirmed` the page confirmed it, `form_ticket` with a
    ticket number; `form_acknowledged_ns`, `form_ack_deadline_ns`, `form_answered_ns` as for email, by mail after
    the form.

    Chat (`chat`: the customer said something; times from their first message): `chat_response_ns` any company
    message, `chat_person_ns` the first from a person (agent), `chat_answer_ns` a person's answer;
    `chat_longest_silence_ns` the longest stretch without a company message while the customer waited for that answer
    (until the chat ended without one); `chat_ended` the probe is over (so an unanswered chat was abandoned, not still
    waiting).
    """

    email: bool = False
    acknowledged_ns: int | None = None
    ack_deadline_ns: int | None = None
    answered_ns: int | None = None
    first_reply_answers: bool | None = None
    followed_up: bool = False
    marketing_while_open: bool = False
    stalling: bool = False
    replies: int = 0
    webform: bool = False
    form_confirmed: bool = False
    form_ticket: bool = False
    form_acknowledged_ns: int | None = None
    form_ack_deadline_ns: int | None = None
    form_answered_ns: int | None = None
    chat: bool = False
    chat_response_ns: int | None = None
    chat_person_ns: int | None = None
    chat_answer_ns: int | None = None
    chat_longest_silence_ns: int | None = None
    chat_ended: bool = False
    steps_taken: int = 0
    channels_used: int = 0
    repeats: int = 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def contacted(self, channel: str) -> bool:
        """Whether the customer reached the company on `channel` (the probe counts there)."""
        return bool(getattr(self, channel))


def effort(journey: Journey, timeline: Timeline, details: Sequence[str] = ()) -> tuple[int, int, int]:
    """(actions taken, channels used, times the customer repeated a detail they had already given)."""
    actions = timeline.action_log or list(timeline.actions.values())
    channels = {journey.step(a.step).channel for a in actions if a.step in journey.graph}
    said: set[str] = set()
    repeats = 0
    for action in actions:
        text = action.text.lower()
        present = {d for d in details if d and d.lower() in text}
        repeats += len(present & said)
        said |= present
    return len(actions), len(channels), repeats


def _first_action(journey: Journey, timeline: Timeline, channel: str, do: str | None = None) -> Action | None:
    actions = timeline.action_log or list(timeline.actions.values())
    found = [a for a in actions if a.step in journey.graph and journey.step(a.step).channel == channel
             and (do is None or journey.step(a.step).do == do)]
    return min(found, key=lambda a: a.t_ns, default=None)


def _deadline(journey: Journey, outcomes: Sequence[Outcome], channel: str, expect: str) -> int | None:
    """The deadline of the journey's first `expect` step that counts from an action on `channel` (company ns)."""
    for outcome in outcomes:
        anchor = journey.anchor(outcome.step) if outcome.step in journey.graph else None
        if outcome.expect == expect and anchor is not None and journey.step(anchor).channel == channel:
            return outcome.deadline_ns
    return None


@dataclass(frozen=True, slots=True)
class _MailFacts:
    acknowledged_ns: int | None
    deadline_ns: int | None
    answered_ns: int | None
    first_reply_answers: bool
    followed_up: bool
    marketing_while_open: bool
    replies: int


def _mail_facts(journey: Journey, timeline: Timeline, outcomes: Sequence[Outcome], channel: str, start: Action,
                speedup: float) -> _MailFacts:
    """What came back by mail after the customer's first contact on `channel` (an email, or a contact form)."""
    replies = timeline.after(start.t_ns)

    # the time the company waited for the customer's answer to its question is not the company's (scoring/conversation.py)
    pauses = customer_pauses(timeline, start.t_ns, max((r.t_ns for r in replies), default=start.t_ns))

    def latency(reply: Reply | None) -> int | None:
        return None if reply is None else max(0, int((reply.t_ns - start.t_ns - paused_before(pauses, reply.t_ns)) * speedup))

    ack = next((r for r in replies if r.kind == ACKNOWLEDGEMENT), None)
    answers = [r for r in replies if r.kind == ANSWER]
    asked_back = questions_back(timeline)  # a question the persona answered is not the answer, unless nothing else came
    answer = next(iter([r for r in answers if r.t_ns not in asked_back] or answers), None)
    facts = [fact for step in journey.steps if step.expect == "answer" for fact in step.facts]
    open_until = answer.t_ns if answer is not None else None
    return _MailFacts(
        acknowledged_ns=latency(ack),
        deadline_ns=_deadline(journey, outcomes, channel, "acknowledgement"),
        answered_ns=latency(answer),
        first_reply_answers=answer is not None and not missing_facts(answer.mail.text, facts),
        followed_up=any(r.kind == FOLLOWUP for r in replies),
        marketing_while_open=any(r.kind == MARKETING and (open_until is None or r.t_ns < open_until) for r in replies),
        replies=sum(1 for r in replies if r.kind not in (MARKETING, BOUNCE, OUT_OF_OFFICE, OTHER)),
    )


def _chat_facts(journey: Journey, timeline: Timeline, speedup: float, end_ns: int | None, finished: bool) -> dict[str, Any]:
    """The chat's facts (`chat_*` of ProbeMetrics); `chat` False when the customer never said anything in a chat."""
    log = timeline.web
    said = _first_action(journey, timeline, CHAT, "say")
    customer = [m for m in log.chat if m.author == "customer"]
    starts = [t for t in ((said.t_ns if said else None), (min(m.t_ns for m in customer) if customer else None)) if t is not None]
    if not starts:
        return {"chat": False}
    start = min(starts)
    shown = [m for m in log.company_messages(start) if m.kind != "typing"]
    person = next((m for m in shown if m.author == "agent"), None)
    answer = next((m for m in shown if m.author == "agent" and m.kind == "answer"), None)
    last_seen = max([start, *(m.t_ns for m in log.chat)])
    until = answer.t_ns if answer is not None else max(last_seen, end_ns if end_ns is not None else last_seen)

    def after(t_ns: int | None) -> int | None:
        return None if t_ns is None else max(0, int((t_ns - start) * speedup))

    gaps = silences(start, shown, until)
    return {
        "chat": True,
        "chat_response_ns": after(shown[0].t_ns) if shown else None,
        "chat_person_ns": after(person.t_ns) if person else None,
        "chat_answer_ns": after(answer.t_ns) if answer else None,
        "chat_longest_silence_ns": max((int((b - a) * speedup) for a, b in gaps), default=0),
        "chat_ended": finished,
    }


def probe_metrics(
    journey: Journey, timeline: Timeline, outcomes: Sequence[Outcome], *, speedup: float = 1.0, details: Sequence[str] = (),
    finished: bool = True, end_ns: int | None = None,
) -> ProbeMetrics:
    """The facts of one probe. `details`: what the persona might have to repeat (order id, email, phone). `finished`:
    the probe has ended (a deferral with no answer step counts as stalling only then: see scoring.stalling; an
    unanswered chat is abandoned only then). `end_ns`: when it ended, or now (the end of a chat's wait)."""
    values: dict[str, Any] = dict(zip(("steps_taken", "channels_used", "repeats"), effort(journey, timeline, details), strict=True))
    email = _first_action(journey, timeline, EMAIL)
    if email is not None:
        mail = _mail_facts(journey, timeline, outcomes, EMAIL, email, speedup)
        values.update(email=True, acknowledged_ns=mail.acknowledged_ns, ack_deadline_ns=mail.deadline_ns, answered_ns=mail.answered_ns,
                      first_reply_answers=mail.first_reply_answers, followed_up=mail.followed_up,
                      marketing_while_open=mail.marketing_while_open, replies=mail.replies,
                      stalling=stalled(timeline, outcomes, finished=finished) is not None)
    form = _first_action(journey, timeline, WEBFORM)
    if form is not None or timeline.web.forms:
        results = sorted(timeline.web.forms.values(), key=lambda f: f.t_ns)
        values.update(webform=True, form_confirmed=any(f.confirmation.strip() for f in results),
                      form_ticket=any(bool(f.ticket) for f in results))
        start = form or Action(results[0].step, results[0].t_ns, results[0].utc)
        mail = _mail_facts(journey, timeline, outcomes, WEBFORM, start, speedup)
        values.update(form_acknowledged_ns=mail.acknowledged_ns, form_ack_deadline_ns=mail.deadline_ns, form_answered_ns=mail.answered_ns)
    values.update(_chat_facts(journey, timeline, speedup, end_ns, finished))
    return ProbeMetrics(**values)


# -- the metrics of each channel ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetricSettings:
    """The thresholds applied when probes are aggregated (from the rubric: scorecard/rubric.yaml)."""

    min_sample: int = 5  #: fewer contacts (or times) than this: "too few to judge", left out of the grade
    acknowledgement_within_ns: int = 3600 * _SECOND  #: for a journey with no acknowledgement step of its own
    status_update_after_ns: int = 20 * 60 * _SECOND  #: a chat customer waiting this long is owed a word


@dataclass(frozen=True, slots=True)
class Metric:
    """One headline metric of a channel: a rate over the channel's contacts (or a part of them), maybe with times."""

    channel: str
    name: str
    label: str
    better: str  # "higher" or "lower"
    timed: bool  # has the times behind it (median, p90)
    unit: str  # what its denominator counts ("emails")
    counts: str  # what its numerator counts, in one sentence
    time_label: str = ""  # what its times measure ("Time to acknowledge"), for timed metrics

    @property
    def key(self) -> str:
        return f"{self.channel}.{self.name}"


METRICS: tuple[Metric, ...] = (
    Metric(EMAIL, "acknowledged", "Acknowledged within the deadline", "higher", True, "emails",
           "a message of kind acknowledgement (automatic or by a person) within the journey's acknowledgement deadline, else "
           "the rubric's; an answer is not an acknowledgement. Times: to the first acknowledgement, whenever it came", "Time to acknowledge"),
    Metric(EMAIL, "answered", "Answered at all", "higher", True, "emails", "an answer came. Times: to the first answer",
           "Time to the first answer"),
    Metric(EMAIL, "answered_in_first_reply", "Answered the question in the first reply", "higher", False, "emails",
           "the first answer stated every fact the journey expects"),
    Metric(EMAIL, "followed_up", "Asked whether the customer was satisfied", "higher", False, "emails", "a satisfaction survey came"),
    Metric(EMAIL, "marketing_while_open", "Sent marketing while the issue was open", "lower", False, "emails",
           "marketing came before the first answer (or with no answer at all)"),
    Metric(EMAIL, "stalling_autoreply", "Put the customer off (stalling)", "lower", False, "emails",
           "a person's reply that only defers, or a deferral that was all the customer got by the answer deadline"),
    Metric(WEBFORM, "confirmation_shown", "Confirmation shown on the page", "higher", False, "forms",
           "the page confirmed the form was received"),
    Metric(WEBFORM, "ticket_given", "Ticket number on the confirmation", "higher", False, "forms",
           "the confirmation page showed a ticket number"),
    Metric(WEBFORM, "confirmation_email", "Confirmation email within the deadline", "higher", True, "forms",
           "an acknowledgement by email within the journey's acknowledgement deadline, else the rubric's. Times: to the first one",
           "Time to the confirmation email"),
    Metric(WEBFORM, "answered", "Answered by email", "higher", True, "forms", "an answer came by email. Times: to the first answer",
           "Time to the first answer"),
    Metric(CHAT, "first_response", "Any response in the chat", "higher", True, "chats",
           "the company (a bot or a person) wrote after the customer. Times: to that first response", "Time to the first response"),
    Metric(CHAT, "reached_person", "Reached a person", "higher", True, "chats", "a person (agent) wrote. Times: to the first",
           "Time to reach a person"),
    Metric(CHAT, "status_update", "Kept informed while waiting", "higher", False, "chats",
           "never left without a word for longer than the rubric's status-update time (20m) before the answer, or the end: a "
           "chat answered sooner needed no update. Over every chat, so that the denominator does not move with timing"),
    Metric(CHAT, "abandoned", "Chat ended without an answer", "lower", False, "chats", "the chat ended with no answer from a person"),
)
METRIC_BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}
#: the fields of a metric's aggregate a rubric rule or the gate can name: rate, and for timed metrics the times
TIME_FIELDS = ("median_s", "p90_s")


def metric_fields(metric: Metric) -> tuple[str, ...]:
    return ("rate", *TIME_FIELDS) if metric.timed else ("rate",)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def rate_stats(count: int, of: int, settings: MetricSettings) -> dict[str, Any]:
    """A rate with its numerator, denominator, 95% Wilson interval and whether it rests on enough contacts."""
    interval = wilson(count, of)
    return {"count": count, "of": of, "rate": count / of if of else None, "rate_ci95": list(interval) if interval else None,
            "measured": of > 0, "too_few": of < settings.min_sample}


def time_stats(seconds: Sequence[float], settings: MetricSettings) -> dict[str, Any]:
    """Median (with its distribution-free 95% interval) and p90 of company seconds."""
    interval = median_interval(seconds)
    return {"times": len(seconds), "median_s": statistics.median(seconds) if seconds else None,
            "median_ci95_s": [interval[0], interval[1]] if interval else None, "p90_s": percentile(seconds, 90),
            "times_too_few": len(seconds) < settings.min_sample}


def _within(latency: int | None, deadline: int | None, default: int) -> bool:
    return latency is not None and latency <= (deadline if deadline is not None else default)


def _rules(settings: MetricSettings) -> dict[str, tuple[Callable[[ProbeMetrics], bool], Callable[[ProbeMetrics], int | None] | None]]:
    """Per metric key: (which of the channel's contacts count in its numerator, the time of each, if timed). Every
    rate is over all the channel's contacts: a denominator that moved with timing (chats still unanswered at 20
    minutes) would make two runs of one desk differ in what they count, not only in what they measured."""
    ack, update = settings.acknowledgement_within_ns, settings.status_update_after_ns
    return {
        "email.acknowledged": (lambda m: _within(m.acknowledged_ns, m.ack_deadline_ns, ack), lambda m: m.acknowledged_ns),
        "email.answered": (lambda m: m.answered_ns is not None, lambda m: m.answered_ns),
        "email.answered_in_first_reply": (lambda m: bool(m.first_reply_answers), None),
        "email.followed_up": (lambda m: m.followed_up, None),
        "email.marketing_while_open": (lambda m: m.marketing_while_open, None),
        "email.stalling_autoreply": (lambda m: m.stalling, None),
        "webform.confirmation_shown": (lambda m: m.form_confirmed, None),
        "webform.ticket_given": (lambda m: m.form_ticket, None),
        "webform.confirmation_email": (lambda m: _within(m.form_acknowledged_ns, m.form_ack_deadline_ns, ack), lambda m: m.form_acknowledged_ns),
        "webform.answered": (lambda m: m.form_answered_ns is not None, lambda m: m.form_answered_ns),
        "chat.first_response": (lambda m: m.chat_response_ns is not None, lambda m: m.chat_response_ns),
        "chat.reached_person": (lambda m: m.chat_person_ns is not None, lambda m: m.chat_person_ns),
        "chat.status_update": (lambda m: (m.chat_longest_silence_ns or 0) <= update, None),
        "chat.abandoned": (lambda m: m.chat_ended and m.chat_answer_ns is None, None),
    }


@dataclass(frozen=True, slots=True)
class Sample:
    """What one metric rests on: `count` of `of` contacts, and the times behind it (company seconds; timed metrics)."""

    count: int
    of: int
    times: tuple[float, ...] | None = None


def metric_samples(metrics: Sequence[ProbeMetrics], settings: MetricSettings = MetricSettings(),
                   channels: Iterable[str] = CHANNELS) -> dict[str, Sample]:
    """Per metric key (channel.metric), of the `channels` given: its count, denominator and times (what `aggregate`
    states, and what the regression gate tests two runs' difference on: scorecard/samples.py)."""
    rules = _rules(settings)
    out: dict[str, Sample] = {}
    for channel in channels:
        contacts = [m for m in metrics if m.contacted(channel)]
        for metric in METRICS:
            if metric.channel == channel:
                counts, time_of = rules[metric.key]
                times = None if time_of is None else tuple(t / _SECOND for t in map(time_of, contacts) if t is not None)
                out[metric.key] = Sample(sum(1 for m in contacts if counts(m)), len(contacts), times)
    return out


def aggregate(metrics: Sequence[ProbeMetrics], settings: MetricSettings = MetricSettings(),
              channels: Iterable[str] = CHANNELS) -> dict[str, dict[str, Any]]:
    """Per channel: how many probes contacted the company there (`contacts`) and each of its metrics
    (`rate_stats`, and `time_stats` for timed ones), over those probes."""
    names = list(channels)
    samples = metric_samples(metrics, settings, names)
    out: dict[str, dict[str, Any]] = {}
    for channel in names:
        figures: dict[str, Any] = {}
        for metric in METRICS:
            if metric.channel != channel:
                continue
            sample = samples[metric.key]
            figures[metric.name] = {"label": metric.label, "unit": metric.unit, **rate_stats(sample.count, sample.of, settings)}
            if sample.times is not None:
                figures[metric.name].update(time_stats(sample.times, settings))
        out[channel] = {"contacts": sum(1 for m in metrics if m.contacted(channel)), "metrics": figures}
    return out
