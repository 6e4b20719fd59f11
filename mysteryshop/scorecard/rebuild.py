"""Rebuild what each probe lived through from the store alone, so scoring can run again later."""

from __future__ import annotations

import json
from dataclasses import dataclass

from mysteryshop.mail import parse_mail
from mysteryshop.scoring.timeline import Action, Reply, Timeline, Visit
from mysteryshop.scoring.web import EVENT_KINDS as WEB_EVENT_KINDS, restore_event as restore_web_event
from mysteryshop.store import Store


@dataclass(slots=True)
class StoredProbe:
    probe_id: str
    journey: str
    target: str
    persona: dict[str, str]
    status: str
    error: str | None
    timeline: Timeline
    finished_ns: int | None
    late_replies: int


def load_probes(store: Store, run_id: str) -> list[StoredProbe]:
    """Every probe of a run with its timeline, parsed again from the raw stored messages."""
    events_by_probe: dict[str, list] = {}
    for event in store.events(run_id):
        events_by_probe.setdefault(event["probe_id"], []).append(event)
    messages_by_probe: dict[str, list] = {}
    for message in store.messages(run_id):
        messages_by_probe.setdefault(message["probe_id"], []).append(message)
    probes = []
    for row in store.probes(run_id):
        pid = row["id"]
        events = events_by_probe.get(pid, [])
        outgoing = [m for m in messages_by_probe.get(pid, []) if m["direction"] == "out"]
        customer_text = parse_mail(outgoing[0]["raw"]).full_text if outgoing else None
        timeline = Timeline(persona=json.loads(row["persona"]))
        finished_ns = None
        error = None
        texts = iter(parse_mail(m["raw"]).full_text for m in outgoing)
        for event in events:
            if event["kind"] == "sent":
                action = Action(event["step"], event["t_ns"], event["utc"], next(texts, customer_text or ""))
                timeline.actions[event["step"]] = action
                timeline.action_log.append(action)
            elif event["kind"] == "step_entered":
                data = json.loads(event["data"])
                timeline.path.append(Visit(event["step"], data.get("visit", 1), event["t_ns"], data.get("anchor_ns")))
            elif event["kind"] in WEB_EVENT_KINDS:  # browser steps: form confirmations, chat transcripts
                restore_web_event(timeline, event["kind"], event["step"], event["t_ns"], event["utc"], event["data"])
            elif event["kind"] == "probe_finished":
                finished_ns = event["t_ns"]
                error = json.loads(event["data"]).get("error")
        late = 0
        for message in messages_by_probe.get(pid, []):
            if message["direction"] != "in":
                continue
            if finished_ns is not None and message["t_ns"] > finished_ns:
                late += 1
                continue
            mail = parse_mail(message["raw"], customer_text=customer_text)
            timeline.replies.append(Reply.of(message["t_ns"], message["utc"], mail, message["id"]))
        probes.append(
            StoredProbe(pid, row["journey"], row["target"], json.loads(row["persona"]), row["status"], error, timeline, finished_ns, late)
        )
    return probes
