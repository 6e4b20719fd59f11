"""When a reply counts: at its arrival, or, from a simulated desk only, the planned time after the customer's action."""

from __future__ import annotations

from mysteryshop.channels.chat import counted_page_ms
from mysteryshop.collect.parse import PLANNED_HEADER, parse_mail
from mysteryshop.mail import compose
from mysteryshop.scoring.timeline import Action, Reply, judged_ns, judged_replies

SECOND = 1_000_000_000
SPEEDUP = 14_400.0
EMAIL = Action("ask", 50 * SECOND, "2026-12-04T10:00:00Z", "Where is my order?", began_ns=49_900_000_000, ref="<ask.1@probe.test>")
CHAT = Action("open", 95 * SECOND, "2026-12-04T10:00:45Z")  # the customer did something else after the desk got the email


def reply(arrived_ns: int, stamp: str | None) -> Reply:
    headers = {} if stamp is None else {PLANNED_HEADER: stamp}
    raw = compose(sender="help@northwind.test", to="jane@probe.test", subject="Re: where is my order", body="It ships today.",
                  domain="northwind.test", headers=headers).as_bytes()
    return Reply.of(arrived_ns, "2026-12-04T10:00:00Z", parse_mail(raw))


def test_a_simulated_desks_reply_counts_its_planned_delay_after_the_action_it_answers() -> None:
    # the desk got the email 30 ms after it went out, planned its answer 2 company hours (0.5 s) later; the machine
    # delivered it 48 s after that
    late = reply(99 * SECOND, f"{50_030_000_000} {2 * 3600 * SECOND}")
    assert late.mail.planned == (50_030_000_000, 2 * 3600 * SECOND)
    assert judged_ns(late, True, [EMAIL, CHAT], SPEEDUP) == 50 * SECOND + 500_000_000


def test_the_action_a_stamp_names_is_the_one_answered_however_soon_the_next_came() -> None:
    # the customer opened the chat 0.2 s after the desk got the email (a busy desk read it late): by time alone the chat
    # would be the action answered; the stamp names the email
    soon = Action("open", 50_230_000_000, "2026-12-04T10:00:00Z")
    named = reply(99 * SECOND, f"{50_030_000_000} {2 * 3600 * SECOND} <ask.1@probe.test>")
    assert named.mail.planned_ref == "<ask.1@probe.test>"
    assert judged_ns(named, True, [EMAIL, soon], SPEEDUP) == 50 * SECOND + 500_000_000
    form = Action("form", 70 * SECOND, "2026-12-04T10:00:20Z", ref="NW-123456")
    ticketed = reply(99 * SECOND, f"{69_000_000_000} {3600 * SECOND} NW-123456")
    assert judged_ns(ticketed, True, [EMAIL, form, soon], SPEEDUP) == 70 * SECOND + 250_000_000


def test_a_real_companys_reply_counts_when_it_arrived_whatever_it_says() -> None:
    stamped = reply(99 * SECOND, f"{50_030_000_000} {2 * 3600 * SECOND}")
    assert judged_ns(stamped, False, [EMAIL], SPEEDUP) == 99 * SECOND
    assert judged_ns(reply(99 * SECOND, None), True, [EMAIL], SPEEDUP) == 99 * SECOND


def test_a_stamp_that_cannot_be_this_machines_plan_is_not_believed() -> None:
    assert judged_ns(reply(99 * SECOND, f"{100 * SECOND} 0"), True, [EMAIL], SPEEDUP) == 99 * SECOND  # got after it arrived
    assert judged_ns(reply(99 * SECOND, f"{10 * SECOND} 0"), True, [EMAIL], SPEEDUP) == 99 * SECOND  # 89 s before: another clock
    assert judged_ns(reply(99 * SECOND, f"{48 * SECOND} 0"), True, [EMAIL], SPEEDUP) == 99 * SECOND  # before any action (and its slack)
    assert judged_ns(reply(99 * SECOND, "soon 0"), True, [EMAIL], SPEEDUP) == 99 * SECOND


def test_judged_replies_are_in_the_order_they_count() -> None:
    answer = reply(99 * SECOND, f"{50_030_000_000} {2 * 3600 * SECOND}")
    other = reply(60 * SECOND, None)
    assert [r.t_ns for r in judged_replies([other, answer], True, [EMAIL], SPEEDUP)] == [50_500_000_000, 60 * SECOND]
    assert [r.t_ns for r in judged_replies([answer, other], False, [EMAIL], SPEEDUP)] == [60 * SECOND, 99 * SECOND]


def test_a_chat_line_counts_at_its_stamp_on_a_simulated_desk_only() -> None:
    shown = 1_765_000_000_030.0  # page clock, epoch ms: the page showed the line 30 ms after the stamp
    stamp = shown - 30
    assert counted_page_ms(shown, stamp, SPEEDUP) == stamp
    # a real company (speedup 1) counts when its page showed the line, whatever the page says
    assert counted_page_ms(shown, stamp, 1.0) == shown
    assert counted_page_ms(shown, None, SPEEDUP) == shown
    assert counted_page_ms(shown, "soon", SPEEDUP) == shown
    assert counted_page_ms(shown, True, SPEEDUP) == shown
    assert counted_page_ms(shown, shown + 500, SPEEDUP) == shown  # planned after it was shown: not this page's plan
    assert counted_page_ms(shown, shown - 120_000, SPEEDUP) == shown  # two minutes before: another clock
