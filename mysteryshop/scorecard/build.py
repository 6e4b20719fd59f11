"""The scorecard as data: one JSON-ready dict per run, from the store and the journeys."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mysteryshop.durations import format_duration
from mysteryshop.journey import Journey
from mysteryshop.scoring.expectations import PASSED, evaluate
from mysteryshop.scoring.metrics import aggregate, probe_metrics
from mysteryshop.scorecard.rebuild import load_probes
from mysteryshop.store import Store
from mysteryshop.target import Target

SCHEMA = "mysteryshop.scorecard/1"


def build_scorecard(store: Store, run_id: str, journeys: Mapping[str, Journey], targets: Mapping[str, Target]) -> dict[str, Any]:
    """Score every probe of `run_id` again from stored events and raw messages."""
    run = next((r for r in store.runs() if r["id"] == run_id), None)
    if run is None:
        raise KeyError(f"no run '{run_id}' in {store.path}")
    probes_out = []
    all_metrics = []
    for probe in load_probes(store, run_id):
        journey, target = journeys[probe.journey], targets[probe.target]
        speedup = target.spec.speedup
        end = probe.finished_ns or 0
        outcomes = evaluate(journey, probe.timeline, now_ns=end, speedup=speedup, finished=True)
        metrics = probe_metrics(journey, probe.timeline, outcomes, speedup=speedup)
        all_metrics.append(metrics)
        status = "error" if probe.error else ("passed" if all(o.status == PASSED for o in outcomes) else "failed")
        start = min((a.t_ns for a in probe.timeline.actions.values()), default=end)
        probes_out.append({
            "id": probe.probe_id,
            "journey": probe.journey,
            "target": probe.target,
            "persona": probe.persona,
            "status": status,
            "error": probe.error,
            "path": [v.step for v in probe.timeline.path],
            "outcomes": [o.as_dict() for o in outcomes],
            "metrics": metrics.as_dict(),
            "late_replies": probe.late_replies,
            "messages": [
                {
                    "ref": r.message_ref,
                    "utc": r.utc,
                    "after_ns": int((r.t_ns - start) * speedup),
                    "after": format_duration((r.t_ns - start) * speedup),
                    "kind": r.kind,
                    "stalling": r.stalling,
                    "subject": r.mail.subject,
                    "text": r.mail.text,
                    "malformed": r.mail.malformed,
                    "defects": r.mail.defects,
                }
                for r in sorted(probe.timeline.replies, key=lambda r: r.t_ns)
            ],
        })
    unmatched = [
        {"ref": m["id"], "utc": m["utc"], "from": m["mail_from"], "to": json.loads(m["rcpt_to"]), "subject": m["subject"],
         "malformed": bool(m["malformed"])}
        for m in store.messages(run_id, unmatched=True) if m["direction"] == "in"
    ]
    malformed = [
        {"ref": m["id"], "probe": m["probe_id"], "utc": m["utc"], "defects": json.loads(m["defects"])}
        for m in store.messages(run_id) if m["malformed"]
    ]
    counts = {s: sum(p["status"] == s for p in probes_out) for s in ("passed", "failed", "error")}
    return {
        "schema": SCHEMA,
        "run": {"id": run_id, "started_utc": run["started_utc"], "finished_utc": run["finished_utc"], "config": json.loads(run["config"])},
        "targets": {name: {"title": t.spec.title, "speedup": t.spec.speedup} for name, t in targets.items()},
        "journeys": {name: {"title": j.title, "path": str(j.path)} for name, j in journeys.items()},
        "summary": {"probes": len(probes_out), **counts, "metrics": aggregate(all_metrics)},
        "probes": probes_out,
        "unmatched_messages": unmatched,
        "malformed_messages": malformed,
    }
