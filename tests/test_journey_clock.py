"""A simulated desk's probe on the journey's own clock: the harness's pace taken out (scoring/journey_clock.py).

The escalation journey's shape: an email, 2 company hours for an answer (0.5 s at 14,400x), then the chat. The harness
takes its grace and a browser start before it opens the chat: 6 s in one run, 5 s in the other. A follow-up the desk
planned 9.9 s (wall) after the email must fall outside the probe in both, and the journey must end at the same time on
its own clock.
"""

from __future__ import annotations

from pathlib import Path

from mysteryshop.collect.parse import PLANNED_HEADER, parse_mail
from mysteryshop.journey import load_journey
from mysteryshop.mail import compose
from mysteryshop.scoring.outcome import Outcome
from mysteryshop.scoring.timeline import Action, Reply, Timeline, Visit, judged_ns
from mysteryshop.scoring.journey_clock import journey_clock

SECOND = 1_000_000_000
MS = 1_000_000
SPEEDUP = 14_400.0
HOUR = 3600 * SECOND

JOURNEY = """\
id: escalate
title: Email, then the chat
steps:
  - id: ask
    do: send_email
    subject: Where is my order?
    body: Where is my order?
  - id: answered
    expect: answer
    within: 2h
    on_pass: done
    on_timeout: chat
  - id: chat
    do: open_chat
  - id: chat_answered
    expect: chat_response
    within: 1h
  - id: done
    expect: no_marketing
"""


def wall_ns(company_ns: int) -> int:
    return int(company_ns / SPEEDUP)


def followup(got_ns: int, planned_company_ns: int, arrived_ns: int) -> Reply:
    raw = compose(sender="help@northwind.test", to="jane@probe.test", subject="Re: Where is my order?", body="How did we do?",
                  domain="northwind.test", headers={PLANNED_HEADER: f"{got_ns} {planned_company_ns} <ask.1@probe.test>"}).as_bytes()
    return Reply.of(arrived_ns, "2026-12-05T10:00:00Z", parse_mail(raw))


def probe(chat_opened_after_s: float) -> tuple[Timeline, list[Outcome]]:
    """One probe: the email at 1 s, no answer within 2 h (timed out), the chat opened `chat_opened_after_s` later, a first
    chat response 2 company minutes after it."""
    ask = Action("ask", 1 * SECOND, "2026-12-05T10:00:00Z", "Where is my order?", began_ns=1 * SECOND - 5 * MS, ref="<ask.1@probe.test>")
    chat_t = int((1 + chat_opened_after_s) * SECOND)
    chat = Action("chat", chat_t, "2026-12-05T10:00:06Z")
    timeline = Timeline(action_log=[ask, chat], actions={"ask": ask, "chat": chat})
    timeline.path = [Visit("ask", 1, 1 * SECOND - 10 * MS), Visit("answered", 1, 1 * SECOND + MS, ask.t_ns),
                     Visit("chat", 1, int(1 * SECOND + 3.6 * SECOND)), Visit("chat_answered", 1, chat_t + MS, chat.t_ns),
                     Visit("done", 1, chat_t + 5 * MS, chat.t_ns)]
    outcomes = [Outcome("answered", "answer", "failed", "no answer", deadline_ns=2 * HOUR, timed_out=True,
                        decided_wall_ns=ask.t_ns + wall_ns(2 * HOUR)),
                Outcome("chat_answered", "chat_response", "passed", "answered", deadline_ns=HOUR, latency_ns=120 * SECOND,
                        decided_wall_ns=chat_t + wall_ns(120 * SECOND))]
    return timeline, outcomes


def test_the_journey_ends_at_the_same_time_on_its_clock_however_long_the_harness_took(tmp_path: Path) -> None:
    journey = load_journey(_write(tmp_path))
    slow, fast = probe(6.0), probe(5.0)
    end_slow = journey_clock(journey, slow[0], slow[1], wall_ns)
    end_fast = journey_clock(journey, fast[0], fast[1], wall_ns)
    # on its clock: the email at 1 s, the 2 h deadline 0.5 s later, the chat opened then, its response 2 min (8.3 ms) after
    expected = 1 * SECOND + wall_ns(2 * HOUR) + wall_ns(120 * SECOND)
    assert end_slow.end_ns == end_fast.end_ns == expected
    # what the harness took beyond the deadline is lag from the chat on, none before it
    assert end_slow.lag_from(1 * SECOND) == end_fast.lag_from(1 * SECOND) == 0
    assert end_slow.lag_from(7 * SECOND) == 6 * SECOND - wall_ns(2 * HOUR)
    assert end_fast.lag_from(6 * SECOND) == 5 * SECOND - wall_ns(2 * HOUR)


def test_a_follow_up_planned_after_the_end_is_outside_the_probe_in_every_run(tmp_path: Path) -> None:
    journey = load_journey(_write(tmp_path))
    for after_s in (6.0, 5.0, 10.5):
        timeline, outcomes = probe(after_s)
        clock = journey_clock(journey, timeline, outcomes, wall_ns)
        # planned 39.6 company hours (9.9 s) after the email, delivered at once: on the wall clock, inside a probe whose
        # chat took 10.5 s to open; on the journey's clock always after its end
        late = followup(1 * SECOND + 10 * MS, 99 * HOUR // 10 * 4, 11 * SECOND)
        counted = judged_ns(late, True, timeline.action_log, SPEEDUP)
        assert counted == 1 * SECOND + wall_ns(99 * HOUR // 10 * 4)
        assert clock.reply_ns(Reply(counted, late.utc, late.mail, None), timeline) > clock.end_ns
        # one planned 1 company hour after the email (0.25 s) is inside in every run
        early = followup(1 * SECOND + 10 * MS, HOUR, 2 * SECOND)
        counted = judged_ns(early, True, timeline.action_log, SPEEDUP)
        assert clock.reply_ns(Reply(counted, early.utc, early.mail, None), timeline) <= clock.end_ns


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "escalate.yaml"
    path.write_text(JOURNEY, encoding="utf-8")
    return path
