"""Values carried between steps: captured from what the company sent, used by later steps; bad captures refused at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from mysteryshop.capture import Capture, agent_name, case_link, ticket_number
from mysteryshop.errors import JourneyError
from mysteryshop.persona import make_persona
from mysteryshop.plan import ProbeSpec
from mysteryshop.runner import EngineThread

from .conftest import PROBE_DOMAIN, profile, target_for, write_journey

CARRY = """\
title: Nudge about the ticket the company gave
steps:
  - id: ask
    do: send_email
    subject: "Where is order {persona.order_id}?"
    body: "Hello, where is my delivery? {persona.full_name}"
  - id: acknowledged
    expect: acknowledgement
    within: 12h
    capture: {ticket: ticket}
  - id: answered
    expect: answer
    within: 2d
    capture: {agent_name: agent_name}
  - id: thank
    do: send_email
    subject: "Re: [#{ticket}] delivery"
    body: "Thanks {agent_name}, as I wrote to you about ticket {ticket}: it came. {persona.full_name}"
"""


@pytest.mark.parametrize(("text", "value"), [
    ("Re: Where is it? [#NW-482913]", "NW-482913"),
    ("Ihre Vorgangsnummer: A-77120. Wir melden uns.", "A-77120"),
    ("We opened case number 48213 for you", "48213"),
    ("Su número de caso es #5521093", "5521093"),
    ("Nothing to see here, order ORD-1", None),
])
def test_the_ticket_extractor_reads_ticket_numbers_in_four_languages(text, value):
    assert ticket_number(text) == value


def test_case_links_and_agent_names():
    assert case_link("Unsubscribe: https://x.example/unsubscribe\nTrack it at https://help.example.com/hc/requests/4411.") == \
        "https://help.example.com/hc/requests/4411"
    assert case_link("Visit https://shop.example/sale now") is None
    assert agent_name("Hi, this is Marta from Northwind customer care.") == "Marta"
    assert agent_name("Yes.\n\nKind regards,\nSam\nNorthwind Outfitters Customer Care") == "Sam"
    assert agent_name("Ja.\n\nViele Grüße\nJonas Weber\nKundenservice") == "Jonas"
    assert agent_name("Thanks,\nThe Support Team") is None
    assert Capture("case", regex=r"case (?P<case>\d+)").find("your case 8812 is open") == "8812"


def test_a_captured_ticket_and_agent_name_go_into_later_steps(tmp_path: Path, engine: EngineThread, make_desk) -> None:
    # Given the demo desk acknowledging with a ticket number and answering signed by an agent
    speedup = 14400
    desk = make_desk(profile(acknowledgement={"probability": 1.0, "delay": ["1m", "1m"]},
                             answer={"probability": 1.0, "delay": ["30m", "30m"], "quality": {"good": 1.0}}), speedup=speedup)
    journey = write_journey(tmp_path, CARRY)
    persona = make_persona(4, 0, domain=PROBE_DOMAIN)

    # When the persona walks the journey over real SMTP
    result = engine.submit(ProbeSpec("p0", journey, target_for(desk.port, speedup=speedup), persona)).result(timeout=60)

    # Then the ticket the desk gave is in the follow-up's subject, and the agent's name in its body
    assert result.status == "passed", result.failure_lines()
    ticket = desk.truth.sent[0].ticket
    acknowledged = next(o for o in result.outcomes if o.step == "acknowledged")
    assert acknowledged.captured == {"ticket": ticket}
    subjects = [r["subject"] for r in desk.truth.received]
    assert subjects[-1] == f"Re: [#{ticket}] delivery", subjects
    assert result.timeline.actions["thank"].text.startswith(f"Thanks Sam, as I wrote to you about ticket {ticket}")


def test_a_capture_that_finds_nothing_fails_its_step_quoting_what_it_searched(tmp_path: Path, engine: EngineThread, make_desk) -> None:
    # Given a desk whose acknowledgement carries no case id of the shape the journey looks for
    desk = make_desk(profile(acknowledgement={"probability": 1.0, "delay": ["1m", "1m"]}), speedup=14400)
    journey = write_journey(tmp_path, CARRY.replace("capture: {ticket: ticket}", "capture: {ticket: {regex: 'Case ID: (?P<ticket>\\d+)'}}")
                            .replace("    within: 12h\n", "    within: 12h\n    on_fail: done\n    on_timeout: done\n", 1)
                            + "  - id: done\n    expect: no_marketing\n")
    persona = make_persona(4, 1, domain=PROBE_DOMAIN)

    result = engine.submit(ProbeSpec("p1", journey, target_for(desk.port, speedup=14400), persona)).result(timeout=60)

    # Then the step fails, saying which capture found nothing and quoting the acknowledgement it searched
    acknowledged = next(o for o in result.outcomes if o.step == "acknowledged")
    assert acknowledged.status == "failed"
    assert "capture 'ticket' (regex 'Case ID: (?P<ticket>\\\\d+)') found nothing in \"Re: Where is order" in acknowledged.reason, acknowledged.reason
    assert "We have received your message" in acknowledged.reason
    assert [v.step for v in result.timeline.path] == ["ask", "acknowledged", "done"]  # its on_fail was taken: nothing sent with a hole


@pytest.mark.parametrize(("capture", "message"), [
    ("{case: {regex: 'case (?P<case>\\d+'}}", r"j\.yaml:11:\d+: steps\[1\]\.capture\.case\.regex: does not compile: missing \), unterminated subpattern"),
    ("{case: {regex: 'case (\\d+)'}}", r"j\.yaml:11:\d+: steps\[1\]\.capture\.case\.regex: .* has no named group"),
    ("{case: tiket}", r"j\.yaml:11:\d+: steps\[1\]\.capture\.case: unknown extractor 'tiket'\. Did you mean 'ticket'\?"),
    ("{greeting: ticket}", r"j\.yaml:11:\d+: steps\[1\]\.capture\.greeting: 'greeting' is also a slot"),
])
def test_bad_captures_are_refused_with_file_line(tmp_path, capture, message):
    text = ("title: t\nsteps:\n  - id: ask\n    do: send_email\n    subject: Hi\n    body: Hello\n"
            "  - id: acknowledged\n    expect: acknowledgement\n    within: 1h\n    capture:\n      " + capture[1:-1] + "\n")
    with pytest.raises(JourneyError, match=message):
        write_journey(tmp_path, text)


def test_a_step_using_a_value_no_earlier_step_captures_is_refused(tmp_path):
    text = ("title: t\nsteps:\n  - id: ask\n    do: send_email\n    subject: \"About {ticket}\"\n    body: Hello\n"
            "  - id: acknowledged\n    expect: acknowledgement\n    within: 1h\n    capture: {ticket: ticket}\n")
    with pytest.raises(JourneyError, match=r"j\.yaml:5:\d+: steps\[0\]\.subject: uses \{ticket\}, but no step before 'ask' captures it"):
        write_journey(tmp_path, text)
    with pytest.raises(JourneyError, match=r"j\.yaml:5:\d+: steps\[0\]\.subject: unknown slot '\{tiket\}'\. Did you mean 'ticket'\?"):
        write_journey(tmp_path, text.replace("About {ticket}", "About {tiket}"))
    with pytest.raises(JourneyError, match=r"j\.yaml:\d+:\d+: .*capture: belongs on an expectation"):
        write_journey(tmp_path, "title: t\nsteps:\n  - id: ask\n    do: send_email\n    subject: Hi\n    body: Hello\n    capture: {t: ticket}\n")


def test_journeys_check_names_every_bad_capture_and_answers_setting_at_file_line(tmp_path, capsys):
    from mysteryshop.cli import main

    path = tmp_path / "bad.yaml"
    path.write_text("title: t\nanswers: {engine: gpt, delay: [3h, 10m]}\nsteps:\n  - id: ask\n    do: send_email\n    subject: \"About {ticket}\"\n"
                    "    body: Hello\n  - id: acknowledged\n    expect: acknowledgement\n    within: 1h\n"
                    "    capture:\n      ticket: ticket\n      case: {regex: 'case (?P<case>\\d+'}\n", encoding="utf-8")
    code = main(["journeys", "check", str(path)])
    out = capsys.readouterr().out
    assert code == 1
    assert f"{path}:2:" in out and "answers.engine" in out and "'rules', 'llm' or 'off'" in out, out
    assert "give the delay as [shortest, longest]" in out
    assert f"{path}:13:" in out and "does not compile" in out
