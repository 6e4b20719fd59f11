"""Each channel's metrics from what a probe lived through (pure timelines, the shipped journeys)."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from mysteryshop.collect.parse import parse_mail
from mysteryshop.journey import load_journey
from mysteryshop.scoring.expectations import evaluate
from mysteryshop.scoring.metrics import (
    MetricSettings,
    ProbeMetrics,
    aggregate,
    probe_metrics,
)
from mysteryshop.scoring.timeline import Action, Reply, Timeline
from mysteryshop.scoring.weblog import ChatMessage, FormResult

ROOT = Path(__file__).resolve().parent.parent
S = 10**9
MINUTE, HOUR = 60 * S, 3600 * S
EMAIL = load_journey(ROOT / "journeys" / "email_question.yaml")
CHAT = load_journey(ROOT / "journeys" / "chat_delivery.yaml")
WEBFORM = load_journey(ROOT / "journeys" / "webform_refund.yaml")

AUTO_ACK = "Thank you for contacting us. We have received your request (ticket 4411) and will reply within 24 hours."
ANSWER = ("Hi Ann,\n\nyes: opened items can be returned within 30 days, and return shipping is free with the prepaid return label."
          "\n\nJoe")


def mail(body: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Support <support@shop.example>"
    message["To"] = "ann@probe.example"
    message["Subject"] = "Re: Returning an item"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def email_timeline(*replies: tuple[int, bytes], step: str = "ask") -> Timeline:
    timeline = Timeline(actions={step: Action(step, 0, "", "Can I return my jacket?")}, persona={"first_name": "Ann"})
    timeline.action_log.append(timeline.actions[step])
    for index, (at, raw) in enumerate(replies):
        timeline.replies.append(Reply.of(at, "2026-11-03T09:00:00.000Z", parse_mail(raw), index + 1))
    return timeline


def metrics_of(journey, timeline: Timeline, end: int = 4 * 24 * HOUR) -> ProbeMetrics:  # type: ignore[no-untyped-def]
    outcomes = evaluate(journey, timeline, now_ns=end, finished=True)
    return probe_metrics(journey, timeline, outcomes, finished=True, end_ns=end)


def test_an_email_acknowledged_then_answered_counts_on_email_only() -> None:
    m = metrics_of(EMAIL, email_timeline((2 * MINUTE, mail(AUTO_ACK, Auto_Submitted="auto-replied")), (3 * HOUR, mail(ANSWER))))
    assert (m.email, m.webform, m.chat) == (True, False, False)
    assert m.acknowledged_ns == 2 * MINUTE and m.ack_deadline_ns == 15 * MINUTE and m.answered_ns == 3 * HOUR
    assert m.first_reply_answers is True


def test_the_answer_is_not_an_acknowledgement() -> None:
    # Given an answer after five minutes and nothing else
    m = metrics_of(EMAIL, email_timeline((5 * MINUTE, mail(ANSWER))))
    figures = aggregate([m] * 5, MetricSettings(), ["email"])["email"]["metrics"]
    # Then it is answered, but not acknowledged: acknowledgement times are those of acknowledgements only
    assert m.acknowledged_ns is None and m.answered_ns == 5 * MINUTE
    assert (figures["acknowledged"]["count"], figures["acknowledged"]["times"]) == (0, 0)
    assert figures["answered"]["count"] == 5 and figures["answered"]["median_s"] == 300


def test_a_late_acknowledgement_has_a_time_but_misses_the_rate() -> None:
    late = metrics_of(EMAIL, email_timeline((40 * MINUTE, mail(AUTO_ACK, Auto_Submitted="auto-replied"))))
    on_time = metrics_of(EMAIL, email_timeline((1 * MINUTE, mail(AUTO_ACK, Auto_Submitted="auto-replied"))))
    figures = aggregate([late, on_time, on_time, on_time, on_time], MetricSettings(), ["email"])["email"]["metrics"]["acknowledged"]
    assert (figures["count"], figures["of"], figures["times"]) == (4, 5, 5)
    assert figures["rate"] == 0.8 and figures["rate_ci95"][0] < 0.8 < figures["rate_ci95"][1]
    # a journey without an acknowledgement step of its own: the rubric's deadline (1h by default) applies
    no_step = ProbeMetrics(email=True, acknowledged_ns=40 * MINUTE)
    assert aggregate([no_step] * 5, MetricSettings(), ["email"])["email"]["metrics"]["acknowledged"]["count"] == 5


def chat_timeline(*messages: tuple[int, str, str]) -> Timeline:
    timeline = Timeline(persona={"first_name": "Ann"})
    for step, t in (("open", 0), ("ask", 1 * S)):
        timeline.actions[step] = Action(step, t, "")
        timeline.action_log.append(timeline.actions[step])
    timeline.web.chat.append(ChatMessage("open", 1 * S, "", "customer", "Where is my parcel?"))
    for t, author, text in messages:
        timeline.web.chat.append(ChatMessage("open", 1 * S + t, "", author, text))
    return timeline


BOT_HELLO = (5 * S, "bot", "Hi! How can we help you today?")
AGENT_HELLO = (4 * MINUTE, "agent", "Hi Ann, this is Joe from Northwind, let me look at your order.")
AGENT_ANSWER = "Your parcel is with the courier and will arrive within 2 business days; the tracking link is in your email."


def test_a_chat_is_measured_on_chat_metrics_and_a_status_update_is_owed_after_20_minutes() -> None:
    kept = metrics_of(CHAT, chat_timeline(BOT_HELLO, AGENT_HELLO, (15 * MINUTE, "agent", "Thanks for your patience, still checking."),
                                          (30 * MINUTE, "agent", AGENT_ANSWER)), end=2 * HOUR)
    silent = metrics_of(CHAT, chat_timeline(BOT_HELLO, AGENT_HELLO, (40 * MINUTE, "agent", AGENT_ANSWER)), end=2 * HOUR)
    quick = metrics_of(CHAT, chat_timeline(BOT_HELLO, (3 * MINUTE, "agent", AGENT_ANSWER)), end=2 * HOUR)
    left = metrics_of(CHAT, chat_timeline(BOT_HELLO), end=2 * HOUR)
    assert (kept.chat, kept.email, kept.webform) == (True, False, False)
    assert kept.chat_response_ns == 5 * S and kept.chat_person_ns == 4 * MINUTE and kept.chat_answer_ns == 30 * MINUTE
    assert kept.chat_longest_silence_ns == 15 * MINUTE and silent.chat_longest_silence_ns == 36 * MINUTE  # 15m-30m; 4m-40m
    assert left.chat_longest_silence_ns == 2 * HOUR - 1 * S - 5 * S and left.chat_answer_ns is None  # greeting to the end
    figures = aggregate([kept, silent, quick, left], MetricSettings(min_sample=1), ["chat", "email"])
    assert figures["email"]["contacts"] == 0 and not figures["email"]["metrics"]["answered"]["measured"]
    chat = figures["chat"]["metrics"]
    # the quick answer (3 minutes) owed no status update: kept informed; the silent wait and the chat left alone were not
    assert (chat["status_update"]["count"], chat["status_update"]["of"]) == (2, 4)
    assert chat["status_update"]["unit"] == "chats"
    assert (chat["abandoned"]["count"], chat["abandoned"]["of"]) == (1, 4)
    assert (chat["reached_person"]["count"], chat["reached_person"]["times"]) == (3, 3)


def test_a_web_form_counts_its_confirmation_ticket_and_the_mail_that_follows() -> None:
    timeline = email_timeline((3 * MINUTE, mail(AUTO_ACK, Auto_Submitted="auto-replied")), (5 * HOUR, mail(ANSWER)), step="submit")
    timeline.web.forms["submit"] = FormResult("submit", 0, "", "https://shop.example/contact", "Thanks! Your ticket is NW-1.", "NW-1")
    m = metrics_of(WEBFORM, timeline)
    assert (m.webform, m.email, m.chat) == (True, False, False)
    assert m.form_confirmed and m.form_ticket and m.form_acknowledged_ns == 3 * MINUTE and m.form_answered_ns == 5 * HOUR
    assert m.form_ack_deadline_ns == 15 * MINUTE
    no_ticket = FormResult("submit", 0, "", "https://shop.example/contact", "Thanks, we got your message.", None)
    timeline.web.forms["submit"] = no_ticket
    assert metrics_of(WEBFORM, timeline).form_ticket is False


def test_a_probe_that_never_reached_the_company_counts_nowhere() -> None:
    m = metrics_of(EMAIL, Timeline())
    assert not any(m.contacted(c) for c in ("email", "webform", "chat"))
    figures = aggregate([m], MetricSettings())
    assert all(f["contacts"] == 0 for f in figures.values())
    assert all(not x["measured"] and x["rate"] is None for f in figures.values() for x in f["metrics"].values())
