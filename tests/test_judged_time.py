"""When a reply counts: at its arrival, or, from a simulated desk only, at the time the desk stamped it as planned."""

from __future__ import annotations

from mysteryshop.collect.parse import PLANNED_HEADER, parse_mail
from mysteryshop.mail import compose
from mysteryshop.scoring.timeline import Reply, judged_ns, judged_replies

SECOND = 1_000_000_000


def reply(arrived_ns: int, planned_ns: int | None) -> Reply:
    headers = {} if planned_ns is None else {PLANNED_HEADER: str(planned_ns)}
    raw = compose(sender="help@northwind.test", to="jane@probe.test", subject="Re: where is my order", body="It ships today.",
                  domain="northwind.test", headers=headers).as_bytes()
    return Reply.of(arrived_ns, "2026-12-04T10:00:00Z", parse_mail(raw))


def test_a_simulated_desks_reply_counts_when_it_was_planned() -> None:
    late = reply(100 * SECOND, 98 * SECOND)  # a busy machine delivered it two seconds after its planned time
    assert late.mail.planned_ns == 98 * SECOND
    assert judged_ns(late, simulated=True) == 98 * SECOND


def test_a_real_companys_reply_counts_when_it_arrived_whatever_it_says() -> None:
    assert judged_ns(reply(100 * SECOND, 98 * SECOND), simulated=False) == 100 * SECOND
    assert judged_ns(reply(100 * SECOND, None), simulated=True) == 100 * SECOND


def test_a_stamp_that_cannot_be_this_machines_plan_is_not_believed() -> None:
    assert judged_ns(reply(100 * SECOND, 101 * SECOND), simulated=True) == 100 * SECOND  # planned after it arrived
    assert judged_ns(reply(100 * SECOND, 10 * SECOND), simulated=True) == 100 * SECOND  # 90 s before: another clock


def test_judged_replies_are_in_the_order_they_count() -> None:
    first, second = reply(100 * SECOND, 99 * SECOND), reply(99_500_000_000, None)
    assert [r.t_ns for r in judged_replies([second, first], simulated=True)] == [99 * SECOND, 99_500_000_000]
    assert [r.t_ns for r in judged_replies([first, second], simulated=False)] == [99_500_000_000, 100 * SECOND]
