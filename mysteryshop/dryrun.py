"""`--dry-run`: what a run or campaign would send, printed; nothing is sent and nothing is stored."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mysteryshop.journey import Journey
from mysteryshop.plan import ProbeSpec


def first_actions(journey: Journey) -> list[str]:
    """The action steps a walk takes before its first expectation."""
    steps, current = [], journey.start
    while current is not None and journey.step(current).is_action:
        steps.append(current)
        current = journey.follow(current, "next")
    return steps


def describe_sends(specs: Iterable[ProbeSpec], out: Callable[[str], None] = print) -> int:
    """Print every message the probes' first steps would send (email, web form, chat); returns how many."""
    count = 0
    for spec in specs:
        target = spec.target.spec
        for step_id in first_actions(spec.journey):
            step = spec.journey.step(step_id)
            count += 1
            written = spec.journey.write(step.id, "body", spec.persona, email=step.do == "send_email")
            body = written.text.rstrip()
            if step.do == "send_email":
                channel = target.email
                out(f"--- would send ({spec.probe_id}, step '{step.id}') via "
                    + (f"{channel.smtp_host}:{channel.smtp_port}" if channel else "? (the target has no email: section)"))
                out(f"From: {spec.persona.full_name} <{spec.persona.email}>")
                out(f"To: {channel.support_address if channel else '?'}")
                out(f"Subject: {spec.journey.write(step.id, 'subject', spec.persona).text}")
                out("")
                out(body)
            elif step.do == "submit_form":
                out(f"--- would submit the form at {target.webform.url if target.webform else '?'} ({spec.probe_id}, step '{step.id}') "
                    f"as {spec.persona.full_name} <{spec.persona.email}>")
                out(body)
            else:
                where = target.chat.url if target.chat else "?"
                out(f"--- would {'open the chat' if step.do == 'open_chat' else 'say in the chat'} at {where} ({spec.probe_id}, step '{step.id}')")
                if body:
                    out(body)
    out(f"--- dry run: {count} message(s) would be sent by the first steps (follow-ups and fallbacks later, when due); "
        "nothing was sent or stored")
    return count
