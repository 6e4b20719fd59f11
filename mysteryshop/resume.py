"""Going on with an interrupted run: where each probe's walk stood, rebuilt from its stored events.

A run stores every step it enters and decides (`step_entered`, `step_decided`, `step_exhausted`)
and every action it takes (`sent`, `acted`). Replaying those gives the walk's state exactly as the
engine left it, so a resumed probe neither repeats an email the company already has nor skips a
step. An action recorded after the last step event (the process died between sending and noting
the step) counts as taken: sending it again would email the company twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mysteryshop.journey import Journey
from mysteryshop.runner import WalkState
from mysteryshop.scoring.expectations import Evidence, Outcome
from mysteryshop.scoring.timeline import Timeline, Visit
from mysteryshop.store import Store

FINISHED = frozenset({"passed", "failed", "error", "blocked"})
WALK_EVENTS = ("step_entered", "step_decided", "step_exhausted")


def resolve_unfinished(store: Store, name: str) -> str:
    """The id of a run that did not finish (interrupted, killed): an id, a unique prefix of one, or 'latest'."""
    rows = store.query("SELECT id FROM runs WHERE status NOT IN ('passed', 'failed', 'collector') AND id NOT LIKE 'campaign-%' "
                       "ORDER BY started_utc")
    ids = [r["id"] for r in rows]
    if name == "latest" and ids:
        return ids[-1]
    if name in ids:
        return name
    matches = [i for i in ids if i.startswith(name)]
    if len(matches) == 1:
        return matches[0]
    from mysteryshop.errors import ConfigError

    raise ConfigError(f"no unfinished run '{name}' to resume in {store.path}. Unfinished runs: {', '.join(ids[-5:]) or '(none)'}; "
                      f"a finished run is scored with `mysteryshop report RUN`, not resumed")


def clock_base_ns() -> int:
    """Wall-clock minus monotonic time now: a run stores it, so a resumed run can put its events on the same clock."""
    return time.time_ns() - time.monotonic_ns()


def walk_state(journey: Journey, events: Iterable[Mapping[str, Any]], timeline: Timeline) -> WalkState:
    """The walk's state after `events` (the probe's walk events, in order), with `timeline` rebuilt from the store."""
    state = WalkState(journey.start)
    last_ns = 0
    for event in events:
        kind, step = event["kind"], event["step"]
        data = event["data"] if isinstance(event["data"], dict) else json.loads(event["data"] or "{}")
        last_ns = max(last_ns, int(event["t_ns"]))
        if kind == "step_entered":
            state.visits[step] = int(data.get("visit", 1))
            node = journey.step(step)
            if node.is_action:
                state.current, state.waiting = journey.follow(step, "next"), None
            elif node.expect == "no_marketing":
                state.current, state.waiting = journey.follow(step, "next"), None
            else:
                state.current = step
                state.waiting = Visit(step, int(data.get("visit", 1)), int(event["t_ns"]), data.get("anchor_ns"))
        elif kind == "step_decided":
            state.waiting = None
            state.current = journey.follow(step, data.get("when", "pass"))
        elif kind == "step_exhausted":
            state.current = journey.follow(step, "exhausted")
    # an action taken but not yet noted as entered: it happened, and must not happen again
    for _ in range(len(journey.steps)):
        current = state.current
        if current is None or state.waiting is not None or not journey.step(current).is_action:
            break
        done = [a for a in timeline.action_log if a.step == current and a.t_ns >= last_ns]
        if not done:
            break
        state.visits[current] = state.visits.get(current, 0) + 1
        timeline.path.append(Visit(current, state.visits[current], done[-1].t_ns, None))
        last_ns = done[-1].t_ns
        state.current = journey.follow(current, "next")
    actions = [a for a in timeline.action_log if a.step in journey.graph]  # not the persona's answers (~answerN): no deadline counts from them
    state.last_action_ns = actions[-1].t_ns if actions else None
    return state


def outcomes_of(stored: str | None) -> list[Outcome]:
    """A finished probe's outcomes, from the JSON its row keeps."""
    data = json.loads(stored or "{}")
    found = []
    for item in data.get("outcomes") or []:
        evidence = item.get("evidence")
        found.append(Outcome(
            step=item["step"], expect=item["expect"], status=item["status"], reason=item.get("reason", ""),
            deadline_ns=item.get("deadline_ns"), latency_ns=item.get("latency_ns"), timed_out=bool(item.get("timed_out")),
            visit=int(item.get("visit", 1)), criteria=tuple(item.get("criteria") or ()),
            within=item.get("within"), business_latency_ns=item.get("business_latency_ns"),
            evidence=Evidence(evidence["quote"], evidence["utc"], evidence.get("subject", ""), evidence.get("message_ref"))
            if evidence else None,
        ))
    return found


@dataclass(slots=True)
class StoredWalk:
    """How far one probe of an earlier run got."""

    status: str
    outcome: str | None
    timeline: Timeline | None = None
    state: WalkState | None = None


def stored_walks(store: Store, run_id: str, journeys: Mapping[str, Journey], *, only: Collection[str] | None = None) -> dict[str, StoredWalk]:
    """Every probe of `run_id` (or those of them in `only`): finished ones with their outcome, unfinished ones with their
    timeline and walk state."""
    from mysteryshop.scorecard.rebuild import load_probes

    rows = {r["id"]: r for r in store.probes(run_id) if only is None or r["id"] in only}
    walks = {pid: StoredWalk(row["status"], row["outcome"]) for pid, row in rows.items()}
    open_ids = {pid for pid, row in rows.items() if row["status"] not in FINISHED}
    if not open_ids:
        return walks
    events: dict[str, list[dict[str, Any]]] = {}
    for row in store.query_dicts(
        "SELECT probe_id, kind, step, t_ns, data FROM events WHERE run_id = ? AND kind IN (?, ?, ?) ORDER BY id", (run_id, *WALK_EVENTS),
    ):
        events.setdefault(row["probe_id"], []).append(row)
    for probe in load_probes(store, run_id):
        if probe.probe_id not in open_ids or probe.journey not in journeys:
            continue
        timeline = probe.timeline
        timeline.path.clear()  # the replay below walks it again, in order
        state = walk_state(journeys[probe.journey], events.get(probe.probe_id, []), timeline)
        for event in events.get(probe.probe_id, []):
            if event["kind"] == "step_entered":
                data = json.loads(event["data"] or "{}")
                timeline.path.append(Visit(event["step"], int(data.get("visit", 1)), int(event["t_ns"]), data.get("anchor_ns")))
        timeline.path.sort(key=lambda v: v.entered_ns)
        walks[probe.probe_id] = StoredWalk(probe.status, None, timeline, state)
    return walks
