"""One probe's entry in the scorecard: computed from its stored rows, recorded as the probe finishes, read back by a report.

An entry (path, outcomes, metrics, timeline, messages, quality of the first answer) is a pure
function of the probe's stored events and messages, its journey, its target's speed-up and the
code of mysteryshop. So it is computed once the probe has finished, from the store, with the
same code a report runs (rebuild → `probe_entry`), and recorded beside the probe: by the engine
while nothing is being timed (runner.Engine), by a campaign's tick that finishes the probe, else
by the scorecard the run writes at its end and by `mysteryshop report` (`keep_entries`), which
score the probes left in parallel anyway. Each entry is recorded with:

- `scorer`: a digest of that code, the journey and the speed-up (`entry_scorer`);
- `seen`: the probe's rows as they were then: how many events and messages it had and their last ids.

A report takes a recorded entry only when both still match (`recorded_entries`): a reply that
came late, mail matched to the probe afterwards, an edited journey or another version of
mysteryshop each make it score that probe again from the rows, as DESIGN says ("scoring can be
run again later, on the same events, with a better scorer"). `mysteryshop report --rescore`
ignores recorded entries altogether.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import orjson

from mysteryshop.durations import format_duration
from mysteryshop.journey import Journey
from mysteryshop.scorecard.rebuild import StoredProbe, read_run, rebuild_probes
from mysteryshop.scoring.conversation import is_answer_step, question_event, questions
from mysteryshop.scoring.deadline import company_time
from mysteryshop.scoring.expectations import FAILED, PASSED, cut_short, evaluate
from mysteryshop.scoring.first_answer import first_answer_quality
from mysteryshop.scoring.classify import ACKNOWLEDGEMENT, ANSWER, BOUNCE, SURVEY
from mysteryshop.scoring.metrics import ProbeMetrics, probe_metrics
from mysteryshop.scoring.promise_check import judge_promises
from mysteryshop.scoring.stalling import stalled
from mysteryshop.scoring.shared_scores import files_digest, recording_verdicts, shared_scores
from mysteryshop.scoring.web import web_metrics
from mysteryshop.scoring.timeline import judged_replies
from mysteryshop.store import Store, placeholders

if TYPE_CHECKING:
    from mysteryshop.company_clock import CompanyClock

_METRIC_FIELDS = tuple(f.name for f in fields(ProbeMetrics))


def probe_channel(journey: Journey) -> str:
    """The channel a probe starts on: that of the journey's first action."""
    return next((step.channel for step in journey.steps if step.is_action), "email")


def probe_entry(probe: StoredProbe, journey: Journey, speedup: float, *, quality: bool, clock: CompanyClock | None = None) -> dict[str, Any]:
    """The probe's entry in the scorecard (`probes[]` of the schema), screenshots left out (the build adds them).

    `clock`: the target's company clock; then messages and timeline events also say how much business time had passed.
    """
    timeline = probe.timeline
    if speedup > 1:  # a simulated desk: its emails count when it planned them (scoring.timeline.judged_ns)
        timeline.replies = judged_replies(timeline.replies, True, timeline.action_log, speedup)
    finished = probe.finished_ns is not None
    interrupted = probe.interrupted_ns is not None and not finished
    # a probe still waiting (a campaign) is judged as of now, one its run cut short as of then: open deadlines stay pending
    if finished or interrupted:
        end = probe.finished_ns if finished else probe.interrupted_ns
    else:
        end = time.time_ns() if probe.wall_clock else time.monotonic_ns()
    assert end is not None
    outcomes = evaluate(journey, timeline, now_ns=end, speedup=speedup, finished=finished, clock=clock)
    if interrupted:
        outcomes = cut_short(outcomes)
    details = [probe.persona.get(k, "") for k in ("order_id", "email", "phone")]
    metrics = probe_metrics(journey, timeline, outcomes, speedup=speedup, details=details, finished=finished, end_ns=end)
    bounce = undeliverable(timeline)
    problem = probe.problem or ("undeliverable" if bounce is not None else None)
    if bounce is not None:
        status = "undeliverable"  # the company never got the message: nothing to grade it on (build leaves it out)
    elif interrupted:
        status = "interrupted"
    elif probe.error:
        status = "blocked" if probe.status == "blocked" else "error"
    else:
        status = "passed" if all(o.status == PASSED for o in outcomes) else "failed"
    if status != "undeliverable" and not finished and (status == "failed" or (status == "passed" and not outcomes)) and not any(
            o.status == FAILED for o in outcomes):
        status = "waiting"  # pending deadlines, or nothing sent yet (a probe deferred to its target's send window)
    start = min((a.t_ns for a in timeline.actions.values()), default=end)

    def after(t_ns: int) -> tuple[int, str]:
        company = int((t_ns - start) * speedup)
        return company, format_duration(company)

    on_clock = company_time(timeline, clock, speedup) if clock is not None else None

    def business(t_ns: int) -> dict[str, Any]:
        """Business time since the first action, for a target with a clock (nothing for the others: their entries stay as they were)."""
        if on_clock is None or clock is None:
            return {}
        spent = clock.calendar.between(on_clock.at(start), on_clock.at(t_ns))
        return {"business_ns": spent, "business": format_duration(spent), "local": clock.calendar.format(on_clock.at(t_ns))}

    replies = sorted(timeline.replies, key=lambda r: r.t_ns)
    messages = []
    for r in replies:
        after_ns, after_text = after(r.t_ns)
        messages.append({
            "ref": r.message_ref, "utc": r.utc, "after_ns": after_ns, "after": after_text, "kind": r.kind, "stalling": r.stalling,
            "evidence": list(r.reading.evidence) if r.reading else [], "automatic": r.automatic, "deferral": r.deferral,
            "subject": r.mail.subject, "text": r.mail.text, "html": r.mail.html, "malformed": bool(r.mail.defects), "defects": r.mail.defects,
            **business(r.t_ns),
        })
    events: list[dict[str, Any]] = []
    for action in sorted(timeline.actions.values(), key=lambda a: a.t_ns):
        after_ns, after_text = after(action.t_ns)
        said = "customer answered the company's question" if is_answer_step(action.step) else f"customer did '{action.step}'"
        events.append({"after_ns": after_ns, "after": after_text, "utc": action.utc, "kind": "sent", "step": action.step, "text": said})
    asked = questions(timeline, start, speedup)
    events += [question_event(q) for q in asked]
    for m, r in zip(messages, replies, strict=True):
        events.append({"after_ns": m["after_ns"], "after": m["after"], "utc": m["utc"], "kind": "received", "step": None,
                       "text": f"{m['kind'] or 'message'} received: {m['subject']}", **business(r.t_ns)})
    outcome_dicts = []
    for o in outcomes:
        data = o.as_dict()
        anchor_id = journey.anchor(o.step)
        anchor = timeline.actions.get(anchor_id) if anchor_id else None
        data["anchor_utc"] = anchor.utc if anchor else None
        data["anchor_text"] = (anchor.text if anchor else "")[:400]
        if o.deadline_ns is not None and anchor is not None:
            deadline_after = int((anchor.t_ns - start) * speedup) + o.deadline_ns
            events.append({"after_ns": deadline_after, "after": format_duration(deadline_after), "utc": None, "kind": "deadline",
                           "step": o.step, "text": f"deadline of '{o.step}' ({o.within or format_duration(o.deadline_ns)}): {o.status}"})
        outcome_dicts.append(data)
    events.sort(key=lambda e: (e["after_ns"], e["kind"] != "sent"))
    visits = [v.step for v in getattr(timeline, "path", [])]
    path = visits or [s.id for s in journey.steps if s.is_action and s.id in timeline.actions or not s.is_action]
    status_of = {o.step: o.status for o in outcomes}
    entry = {
        "id": probe.probe_id,
        "journey": probe.journey,
        "target": probe.target,
        "channel": probe_channel(journey),
        "persona": probe.persona,
        "status": status,
        "error": probe.error,
        "problem": problem,
        "unreachable": problem == "unreachable",
        "undeliverable": None if bounce is None else {
            "ref": bounce.message_ref, "utc": bounce.utc, "subject": bounce.mail.subject,
            "evidence": list(bounce.reading.evidence) if bounce.reading else [],
        },
        "stalling": _stalling(timeline, outcomes, finished),
        "promises": [v.as_dict() for v in judge_promises(timeline, now_ns=end, speedup=speedup, clock=clock)],
        "path": [{"step": s, "status": status_of.get(s, "done" if s in timeline.actions else "skipped")} for s in path],
        "outcomes": outcome_dicts,
        "metrics": {name: getattr(metrics, name) for name in _METRIC_FIELDS},  # = metrics.as_dict(): flat scalars
        "late_replies": probe.late_replies,
        "events": events,
        "messages": messages,
        "web": web_metrics(timeline, speedup),  # chat transcript and form confirmations (browser probes)
        "asked": asked,  # every time the company asked the persona for something, and what it did (scoring/conversation.py)
        "quality": first_answer_quality(timeline, journey) if quality else None,
    }
    return entry


def undeliverable(timeline: Any) -> Any:
    """The bounce that made a probe undeliverable: a mail server returned its message and the company never wrote
    back (an acknowledgement, answer or survey); None otherwise (a bounce beside real replies is just a message)."""
    bounce = next((r for r in sorted(timeline.replies, key=lambda r: r.t_ns) if r.kind == BOUNCE), None)
    if bounce is None or any(r.kind in (ACKNOWLEDGEMENT, ANSWER, SURVEY) for r in timeline.replies):
        return None
    return bounce


def _stalling(timeline: Any, outcomes: Any, finished: bool) -> dict[str, Any] | None:
    found = stalled(timeline, outcomes, finished=finished)
    if found is None:
        return None
    reply = found.reply
    return {"reason": found.reason, "quote": reply.deferral or " ".join(reply.mail.text.split())[:300], "utc": reply.utc,
            "ref": reply.message_ref, "automatic": reply.automatic}


@cache
def code_digest() -> str:
    """A digest of every file of the mysteryshop package: an entry is only as good as the code that made it."""
    return files_digest(resources.files("mysteryshop"))


def entry_scorer(journey: Journey, speedup: float, quality: bool, clock: CompanyClock | None = None) -> str:
    """What an entry was made with: this code, this journey (as loaded), this speed-up, quality scored or not, this company clock."""
    digest = hashlib.blake2b(digest_size=12)
    parts = [code_digest(), journey.name, journey.spec.model_dump_json(), repr(float(speedup)), str(bool(quality))]
    if clock is not None:  # without one, the digest is what it always was
        parts.append(clock.key)
    for part in parts:
        digest.update(part.encode() + b"\0")
    return f"card:{digest.hexdigest()}"


def row_marks(store: Store, run_id: str, probe_ids: Collection[str] | None = None) -> dict[str, str]:
    """Per probe, how many events and messages the store holds for it and their last ids ("e5.931/m4.412").

    Events and messages are only ever added (a message may be matched to a probe later, which
    adds it to that probe), so equal marks mean the rows an entry was computed from are all there are.
    """
    counts: dict[str, list[str]] = {}
    for table, letter in (("events", "e"), ("messages", "m")):
        sql = f"SELECT probe_id, COUNT(*), MAX(id) FROM {table} WHERE run_id = ? AND probe_id IS NOT NULL"
        params: tuple[Any, ...] = (run_id,)
        if probe_ids is not None:
            sql += f" AND probe_id IN ({placeholders(len(probe_ids))})"
            params += tuple(probe_ids)
        for probe_id, count, last in store.rows(sql + " GROUP BY probe_id", params):
            counts.setdefault(probe_id, ["e0.0", "m0.0"])[letter == "m"] = f"{letter}{count}.{last}"
    return {probe_id: "/".join(parts) for probe_id, parts in counts.items()}


def recordable(journey: Journey) -> bool:
    """Whether an entry of `journey` can be kept: every criterion it judges is judged by the rules engine, which reads
    nothing but the code and the texts. The others depend on what is outside (a language model's settings and answers,
    a judge that was down), so a report asks them again."""
    return all(step.engine == "rules" for step in journey.steps)


@dataclass(slots=True)
class FinishedProbe:
    """A probe the engine has finished, waiting for its entry to be recorded."""

    probe_id: str
    journey: Journey
    speedup: float
    verdicts: dict[Any, Any] | None = None  # the probe's shared_scores memo: its replies are not scored again
    clock: CompanyClock | None = None  # the target's company clock


def record_entries(store: Store, run_id: str, finished: Iterable[FinishedProbe], *, quality: bool = True) -> int:
    """Compute the entries of finished probes from their stored rows and post them to the store; how many were recorded.

    The rows' marks are read before the rows: anything added in between makes the recorded marks
    older than the rows, so a report scores that probe again rather than trust its entry.
    """
    wanted = {f.probe_id: f for f in finished if recordable(f.journey)}
    if not wanted:
        return 0
    marks = row_marks(store, run_id, list(wanted))
    scorers: dict[tuple[str, float, str], str] = {}
    recorded = 0
    for probe in rebuild_probes(read_run(store, run_id, only=set(wanted), rescore=True)):
        item = wanted[probe.probe_id]
        if probe.finished_ns is None:
            continue  # a probe still waiting is judged as of the report's now: nothing to keep
        with shared_scores(item.verdicts), recording_verdicts(store.verdict_recorder(run_id, probe.probe_id)):
            entry = probe_entry(probe, item.journey, item.speedup, quality=quality, clock=item.clock)
        key = (item.journey.name, item.speedup, item.clock.key if item.clock is not None else "")
        if key not in scorers:
            scorers[key] = entry_scorer(item.journey, item.speedup, quality, item.clock)
        _post(store, run_id, probe.probe_id, scorers[key], marks.get(probe.probe_id, ""), entry)
        recorded += 1
    return recorded


def keep_entries(
    store: Store, run_id: str, entries: Iterable[dict[str, Any]], *, marks: Mapping[str, str], finished: Collection[str],
    scorers: Mapping[tuple[str, str], str], journeys: Mapping[str, Journey],
) -> int:
    """Record entries a report has scored from the rows, so that the next report takes them: those of finished probes
    of journeys whose entries can be kept, with the row `marks` read before the rows were (see `record_entries`)."""
    kept = 0
    for entry in entries:
        probe_id, scorer, journey = entry["id"], scorers.get((entry["journey"], entry["target"])), journeys.get(entry["journey"])
        if scorer is None or journey is None or probe_id not in finished or not recordable(journey):
            continue
        _post(store, run_id, probe_id, scorer, marks.get(probe_id, ""), entry)
        kept += 1
    return kept


def finished_probes(store: Store, run_id: str) -> set[str]:
    return {probe_id for (probe_id,) in store.rows("SELECT probe_id FROM events WHERE run_id = ? AND kind = 'probe_finished'", (run_id,))}


def _post(store: Store, run_id: str, probe_id: str, scorer: str, seen: str, entry: Mapping[str, Any]) -> None:
    """An optional write: an entry lost costs a report the time to score that probe again, nothing else."""
    store.post("INSERT OR REPLACE INTO entries (run_id, probe_id, scorer, seen, entry) VALUES (?, ?, ?, ?, ?)",
               (run_id, probe_id, scorer, seen, orjson.dumps(entry)), optional=True)


def recorded_entries(
    store: Store, run_id: str, scorers: Mapping[tuple[str, str], str], marks: Mapping[str, str],
) -> dict[str, dict[str, Any]]:
    """The entries recorded for the run's probes that are still good: made by the scorer `scorers` expects for the
    probe's (journey, target), from the rows the store holds now (their `row_marks`)."""
    wanted = sorted(set(scorers.values()))
    if not wanted:
        return {}
    return {probe_id: orjson.loads(entry) for probe_id, scorer, seen, entry, journey, target in store.each_row(
                "SELECT e.probe_id, e.scorer, e.seen, e.entry, p.journey, p.target FROM entries e "
                "JOIN probes p ON p.run_id = e.run_id AND p.id = e.probe_id "
                f"WHERE e.run_id = ? AND e.scorer IN ({placeholders(len(wanted))})", (run_id, *wanted))  # stale ones not even read
            if scorer == scorers.get((journey, target)) and seen == marks.get(probe_id)}
