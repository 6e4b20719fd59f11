"""`--dry-run`: what a run or campaign would send, printed; nothing is sent and nothing is stored."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mysteryshop.journey import Journey
from mysteryshop.plan import ProbeSpec
from mysteryshop.similarity import DIFFERENT_MEAN, NEAR_DUPLICATE, SHORT_WORDS, Alike, alike


def first_actions(journey: Journey) -> list[str]:
    """The action steps a walk takes before its first expectation."""
    steps, current = [], journey.start
    while current is not None and journey.step(current).is_action:
        steps.append(current)
        current = journey.follow(current, "next")
    return steps


def received_texts(specs: Iterable[ProbeSpec]) -> dict[tuple[str, str, str], list[str]]:
    """What each target would receive from each action step of each journey, one text per probe (subject and body)."""
    texts: dict[tuple[str, str, str], list[str]] = {}
    for spec in specs:
        for step in spec.journey.steps:
            if not step.is_action or step.body is None:
                continue
            body = spec.journey.write(step.id, "body", spec.persona, email=step.do == "send_email").text
            subject = spec.journey.write(step.id, "subject", spec.persona).text if step.subject is not None else ""
            texts.setdefault((spec.target.name, spec.journey.name, step.id), []).append(f"{subject}\n{body}".strip())
    return texts


def describe_similarity(specs: Iterable[ProbeSpec], out: Callable[[str], None] = print) -> dict[tuple[str, str, str], Alike]:
    """Print how alike the messages each target would receive are, step by step (mysteryshop/similarity.py)."""
    found = {key: alike(texts) for key, texts in received_texts(specs).items() if len(texts) > 1}
    if not found:
        return found
    out(f"--- how alike the messages each company would receive are (word 3-shingle Jaccard over every pair; "
        f"'different authors': mean <= {DIFFERENT_MEAN}, no pair of {SHORT_WORDS}+ words >= {NEAR_DUPLICATE})")
    for (target, journey, step), result in sorted(found.items()):
        out(f"{target} <- {journey}/{step}: {result.messages} messages, mean {result.mean:.3f}, p95 {result.p95:.3f}, "
            f"max {result.max:.3f}: {result.verdict}")
    return found


def describe_sends(specs: Iterable[ProbeSpec], out: Callable[[str], None] = print) -> int:
    """Print every message the probes' first steps would send (email, web form, chat), then how alike they are; returns how many."""
    specs = list(specs)
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
                if written.html:
                    out(f"(also as HTML: the persona's mail client, {written.client}, writes both)")
            elif step.do == "submit_form":
                form = target.webform
                start = f", found from the home page {form.home_url} (at most {form.max_clicks} clicks)" if form and (step.start or form.start) == "home" else ""
                out(f"--- would submit the form at {form.url if form else '?'}{start} ({spec.probe_id}, step '{step.id}') "
                    f"as {spec.persona.full_name} <{spec.persona.email}>")
                out(body)
            else:
                chat = target.chat
                where = chat.url if chat else "?"
                if chat and step.do == "open_chat" and (step.start or chat.start_at) == "home":
                    where += f", found from the home page {chat.home_url} (at most {chat.max_clicks} clicks)"
                out(f"--- would {'open the chat' if step.do == 'open_chat' else 'say in the chat'} at {where} ({spec.probe_id}, step '{step.id}')")
                if body:
                    out(body)
        language, fallback = spec.journey.language_for(spec.persona)
        if fallback:
            out(f"(language: {fallback})")
    describe_similarity(specs, out)
    out(f"--- dry run: {count} message(s) would be sent by the first steps (follow-ups and fallbacks later, when due); "
        "nothing was sent or stored")
    return count
