"""The scorecard as data: one JSON-ready dict per run, from the store and the journeys.

Everything here is computed from stored events and raw messages: each probe's entry as the run
recorded it when the probe finished, while the rows it was computed from are unchanged (see
`entries`), else again from the rows. The schema of the result is
`mysteryshop/scorecard/schema.json` (documented in docs/scorecard-schema.md).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from mysteryshop.durations import format_duration
from mysteryshop.exitcodes import problem_counts
from mysteryshop.journey import Journey
from mysteryshop.history import Earlier, company_trend, earlier_runs, point, run_trend
from mysteryshop.scorecard.accessibility import company_accessibility, read_audits
from mysteryshop.scorecard.companies import by_company, by_journey, league_table, page_name
from mysteryshop.scorecard.grades import Grade, Rubric, grade_channel, grade_overall, grading_rules
from mysteryshop.scorecard.headline import HEADLINE, headline_values  # noqa: F401 - build.HEADLINE, build.headline_values as before
from mysteryshop.scorecard.entries import (
    entry_scorer, finished_probes, keep_entries, probe_channel, probe_entry, recorded_entries, row_marks,
)
from mysteryshop.scorecard.rebuild import StoredRun, read_run, rebuild_probes
from mysteryshop.scorecard.rubric import default_rubric
from mysteryshop.scorecard.shares import run_shares
from mysteryshop.scoring.expectations import FAILED, PASSED, PENDING
from mysteryshop.scoring.friction import summarize as form_friction
from mysteryshop.scoring.friction import summarize_chat_way_in
from mysteryshop.scoring.metrics import CHANNELS, ProbeMetrics, aggregate, percentile
from mysteryshop.scoring.shared_scores import reusing_verdicts, shared_scores
from mysteryshop.store import Store
from mysteryshop.target import Target

SCHEMA = "mysteryshop.scorecard/3"

#: How bad a missed expectation is, for choosing the worst moments (higher is worse).
_SEVERITY = {"answer": 60, "no_marketing": 50, "acknowledgement": 40, "satisfaction_followup": 20}
#: Fewest probes worth a process of their own (forking and sending the entries back cost ~0.1 s).
MIN_SHARE = 500
_METRIC_FIELDS = frozenset(ProbeMetrics.__dataclass_fields__)


def channel_grades(
    metrics: Sequence[ProbeMetrics], rubric: Rubric, expected: Sequence[str] = (),
) -> tuple[dict[str, dict[str, Any]], Grade]:
    """Per channel (those the probes contacted the company on, and those in `expected`, in CHANNELS order): contacts,
    metrics and grade; and the overall grade. What a run's scorecard shows, and a company's within it."""
    contacted = {c for c in CHANNELS if any(m.contacted(c) for m in metrics)}
    names = [c for c in CHANNELS if c in contacted or c in expected]
    figures = aggregate(metrics, rubric.settings, names)
    grades = {c: grade_channel(figures[c], rubric, c) for c in names}
    channels = {c: {"probes": figures[c]["contacts"], "contacts": figures[c]["contacts"], "metrics": figures[c]["metrics"],
                    "grade": grades[c].as_dict()} for c in names}
    return channels, grade_overall(grades, rubric)


def _no_grade_reason(overall: Grade, channels: Mapping[str, Any], problems: Mapping[str, int]) -> Grade:
    """The overall grade, its reason naming what stopped the probes when none reached the company."""
    if overall.score is not None or any(c["contacts"] for c in channels.values()):
        return overall
    stopped = ", ".join(f"{n} {problem}" for problem, n in sorted(problems.items()) if n)
    reason = "no probe reached the company" + (f" ({stopped})" if stopped else "")
    return Grade(overall.grade, None, (), reason=reason)


def build_scorecard(
    store: Store, run_id: str, journeys: Mapping[str, Journey], targets: Mapping[str, Target], *, quality: bool = True,
    reparse: bool = False, rescore: bool = False, entries: bool = True, keep: bool = False, workers: int = 1,
    rubric: Rubric | None = None,
) -> dict[str, Any]:
    """The scorecard of `run_id`, from stored events and messages.

    Each probe's entry is taken as the run recorded it when the probe finished, where it still
    holds (see `entries`; `entries=False` leaves them aside); the other probes are scored from
    their rows. Messages are read as parsed when they were received; `reparse` parses every raw
    message again (slower; for when the mail parser has improved since the run). Reply-quality
    verdicts the run stored are reused when this scorer made them (see `scoring.shared_scores`);
    `rescore` scores every probe and reply again. With `keep`, the entries of finished probes
    scored here are recorded in the store for the next report (not with `reparse`). With `workers` > 1 the
    probes are scored in that many processes (forked once the store is read; see `shares`);
    the card is the same. `rubric`: how channels and the whole are graded (default: the shipped rubric.yaml).
    """
    with gc_paused():  # the card is millions of live objects: a collection pass over them finds nothing (0.3 s each)
        return _build(store, run_id, journeys, targets, quality=quality, reparse=reparse, rescore=rescore,
                      entries=entries, keep=keep and not reparse, workers=workers, rubric=rubric or default_rubric())


def _build(
    store: Store, run_id: str, journeys: Mapping[str, Journey], targets: Mapping[str, Target], *, quality: bool, reparse: bool,
    rescore: bool, entries: bool, keep: bool, workers: int, rubric: Rubric,
) -> dict[str, Any]:
    run = next((r for r in store.runs() if r["id"] == run_id), None)
    if run is None:
        known = [r["id"] for r in store.runs()][-5:]
        raise KeyError(f"no run '{run_id}' in {store.path}; latest runs: {', '.join(known) or '(none)'}")
    screenshots = _screenshots(store, run_id)
    order = [row["id"] for row in store.probes(run_id)]
    scorers = {(j, t): entry_scorer(journey, target.spec.speedup, quality, target.clock)
               for j, journey in journeys.items() for t, target in targets.items()}
    take = entries and not (rescore or reparse)  # the entries recorded as the run's probes finished, where still good (see `entries`)
    # what the store holds read before the rows are: what is added meanwhile makes the entries kept below stale, not wrong
    marks = row_marks(store, run_id) if keep or take else {}
    finished = finished_probes(store, run_id) if keep else set()
    recorded = recorded_entries(store, run_id, scorers, marks) if take else {}
    with _quality_settings_fixed():
        only = {probe_id for probe_id in order if probe_id not in recorded} if recorded else None
        scored: dict[str, dict[str, Any]] = {}
        stored = read_run(store, run_id, reparse=reparse, rescore=rescore, rekind=rescore, only=only) if only is None or only else None
        if stored is not None and stored.probes:
            count = max(1, min(workers, len(stored.probes) // MIN_SHARE))
            for share in run_shares(functools.partial(_score_share, stored, journeys, targets, quality), count):
                scored.update((entry["id"], entry) for entry in share)
    if keep and scored:
        keep_entries(store, run_id, scored.values(), marks=marks, finished=finished, scorers=scorers, journeys=journeys)
    probes_out: list[dict[str, Any]] = []
    for probe_id in order:
        entry = recorded.get(probe_id) or scored[probe_id]
        entry["screenshots"] = screenshots.get(probe_id, [])
        probes_out.append(entry)
    summary, channels = summarize(probes_out, targets, journeys, rubric)
    unmatched = [
        {"ref": m["id"], "utc": m["utc"], "from": m["mail_from"], "to": json.loads(m["rcpt_to"]), "subject": m["subject"],
         "malformed": bool(m["malformed"])}
        for m in store.query("SELECT id, utc, mail_from, rcpt_to, subject, malformed FROM messages "
                             "WHERE run_id = ? AND probe_id IS NULL AND direction = 'in' ORDER BY t_ns", (run_id,))
    ]
    malformed = [
        {"ref": m["id"], "probe": m["probe_id"], "utc": m["utc"], "defects": json.loads(m["defects"])}
        for m in store.query("SELECT id, probe_id, utc, defects FROM messages WHERE run_id = ? AND malformed <> 0 ORDER BY t_ns", (run_id,))
    ]
    card = {
        "schema": SCHEMA,
        "run": {"id": run_id, "started_utc": run["started_utc"], "finished_utc": run["finished_utc"], "config": json.loads(run["config"]),
                "status": run["status"], "interrupted": _interruption(store, run_id) if run["status"] == "interrupted" else None},
        "targets": {name: {"title": t.spec.title, "speedup": t.spec.speedup, "profile": t.spec.profile, **_clock_of(t)}
                    for name, t in targets.items()},
        "journeys": {name: {"title": j.title, "path": str(j.path), "channel": probe_channel(j),
                            "steps": [{"id": s.id, "do": s.do, "expect": s.expect, "within_ns": s.within, "channel": s.channel,
                                       **({"business": s.business, "within": s.deadline_text} if s.business else {})}
                                      for s in j.steps]}
                     for name, j in journeys.items()},
        "grading": grading_rules(rubric, shown=channels),
        "summary": summary,
        "channels": channels,
        "perception_gap": perception_gap(journeys, probes_out),
        "step_stats": step_stats(journeys, probes_out),
        "worst_moments": worst_moments(probes_out),
        "promises": promise_list(probes_out),
        "trend": [],
        "probes": probes_out,
        "unmatched_messages": unmatched,
        "malformed_messages": malformed,
    }
    started, earlier = earlier_runs(store, run_id)
    card["companies"] = company_sections(probes_out, targets, journeys, summary, channels, card, earlier=earlier, run_id=run_id,
                                         started_utc=started, rubric=rubric)
    audits = read_audits(store, run_id)
    for name, section in card["companies"].items():
        section["accessibility"] = company_accessibility((p["id"] for p in probes_out if p["target"] == name), audits)
    card["league"] = league_table(card["companies"])
    for row in card["league"]:
        card["companies"][row["target"]]["rank"] = row["rank"]
    if len(card["companies"]) == 1:  # one company: its trend, which runs that also probed other companies do not break
        card["trend"] = next(iter(card["companies"].values()))["trend"]
    else:
        card["trend"] = run_trend(earlier, point(run_id, started, summary), summary)
    return card


def summarize(
    probes: Sequence[Mapping[str, Any]], targets: Iterable[str], journeys: Mapping[str, Journey], rubric: Rubric,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(summary, channels) of a set of probe entries: the whole run's, or one company's for the league (the same
    function, so a company graded beside others gets the grade a run of its own would give it). `targets` and
    `journeys` name what the summary lists when there are no probes; a journey's channels are graded (or said to be
    not measured) when its probes are among `probes`."""
    metrics_of = [ProbeMetrics(**{k: v for k, v in entry["metrics"].items() if k in _METRIC_FIELDS}) for entry in probes
                  if entry["status"] != "undeliverable"]  # a bounced probe measured nothing about the company: not graded
    expected = sorted({c for p in probes if p["journey"] in journeys for c in journeys[p["journey"]].channels})
    channels, overall = channel_grades(metrics_of, rubric, expected)
    statuses = Counter(p["status"] for p in probes)
    counts = {s: statuses[s] for s in ("passed", "failed", "error", "interrupted", "undeliverable")}
    problems = problem_counts(probes)
    overall = _no_grade_reason(overall, channels, problems)
    summary = {
        "probes": len(probes),
        **counts,
        "unreachable": problems.get("unreachable", 0),
        "misconfigured": problems.get("misconfigured", 0),
        "problems": problems,
        "promises": promise_counts(probes),
        "contacts": {c: ch["contacts"] for c, ch in channels.items()},
        "metrics": {c: ch["metrics"] for c, ch in channels.items()},
        "channels": {c: {"contacts": ch["contacts"], "grade": ch["grade"]["grade"], "score": ch["grade"]["score"]} for c, ch in channels.items()},
        "grade": overall.as_dict(),
        "targets": sorted({p["target"] for p in probes} or targets),
        "journeys": sorted({p["journey"] for p in probes} or journeys),
    }
    return summary, channels


def company_sections(
    probes: Sequence[Mapping[str, Any]], targets: Mapping[str, Target], journeys: Mapping[str, Journey], summary: dict[str, Any],
    channels: dict[str, Any], card: Mapping[str, Any], *, earlier: Sequence[Earlier], run_id: str, started_utc: str | None,
    rubric: Rubric,
) -> dict[str, dict[str, Any]]:
    """Per company (target): title, summary and channels (`summarize` of its probes alone), per journey its grade and
    headline values, the figures of its page (perception gap, journey map, worst moments), its trends, its page.

    A run of one company reuses the run's own figures (the same probes: the same numbers)."""
    groups = by_company(probes, targets)
    if probes:  # a target file loaded but not probed in this run (a campaign is scored with every target of the folder)
        groups = {name: own for name, own in groups.items() if own}
    sections: dict[str, dict[str, Any]] = {}
    for name, own in groups.items():
        alone = len(groups) == 1
        target = targets.get(name)
        c_summary, c_channels = (summary, channels) if alone else summarize(own, [name], journeys, rubric)
        per_journey = by_journey(own)
        parts = {}
        for journey_name, probes_of in per_journey.items():
            only = {journey_name: journeys[journey_name]} if journey_name in journeys else {}
            part = c_summary if len(per_journey) == 1 else summarize(probes_of, [name], only, rubric)[0]
            this = point(run_id, started_utc, part)
            parts[journey_name] = {"probes": part["probes"], "grade": part["grade"], "values": this["values"],
                                   "trend": company_trend(earlier, name, per_journey, this, journey=journey_name)}
        own_journeys = {j: journeys[j] for j in per_journey if j in journeys}
        sections[name] = {
            "title": (target.spec.title if target is not None else None) or name,
            "summary": c_summary,
            "channels": c_channels,
            "journeys": parts,
            "perception_gap": card["perception_gap"] if alone else perception_gap(own_journeys, own),
            "step_stats": card["step_stats"] if alone else step_stats(own_journeys, own),
            "worst_moments": card["worst_moments"] if alone else worst_moments(own),
            "trend": company_trend(earlier, name, per_journey, point(run_id, started_utc, c_summary)),
            "friction": form_friction(own),  # the way from the home page to the contact form, and what the form asked
            "chat_way_in": summarize_chat_way_in(own),  # the way from the home page to the chat
            "page": page_name(name),
        }
    return sections


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while probes are scored.

    Scoring ten thousand probes allocates millions of small objects that all stay alive until
    the card is written; the collector would walk them again and again for nothing (10-15% of
    the build). What is left alive is frozen when the block ends (gc.freeze): a reference cycle
    made inside the block is then never collected, a price worth a few hundred milliseconds for a
    scorecard, whose data is a tree.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # What the block made and kept is frozen first (moved out of the collector's generations; still
            # freed by reference counting): else the next young collection scans all of it at once (0.2-0.3 s)
            gc.freeze()
            gc.enable()


def _quality_settings_fixed() -> Any:
    """The quality engines' settings read once for the whole scorecard (when that optional module is there)."""
    try:
        from mysteryshop.quality.scoring import settings_fixed
    except ImportError:
        return contextlib.nullcontext()
    return settings_fixed()


def _interruption(store: Store, run_id: str) -> str | None:
    """Why the run was interrupted (the first `run_interrupted` event since it last started or resumed), or None."""
    rows = store.query("SELECT data FROM events WHERE run_id = ? AND probe_id IS NULL AND kind = 'run_interrupted' "
                       "AND id > coalesce((SELECT max(id) FROM events WHERE run_id = ? AND kind = 'probe_resumed'), 0) "
                       "ORDER BY id LIMIT 1", (run_id, run_id))
    return json.loads(rows[0]["data"]).get("reason", "interrupted") if rows else None


def _screenshots(store: Store, run_id: str) -> dict[str, list[dict[str, Any]]]:
    """Screenshots recorded by browser channels (events of kind 'screenshot'), per probe."""
    shots: dict[str, list[dict[str, Any]]] = {}
    for row in store.query("SELECT probe_id, step, utc, data FROM events WHERE run_id = ? AND kind = 'screenshot' ORDER BY t_ns", (run_id,)):
        data = json.loads(row["data"])
        shots.setdefault(row["probe_id"], []).append(
            {"step": row["step"], "utc": row["utc"], "path": data.get("path"), "png_base64": data.get("png_base64")}
        )
    return shots


def _clock_of(target: Target) -> dict[str, Any]:
    """A target's company clock and send window as the scorecard shows them (nothing for a target without one)."""
    spec = target.spec
    if spec.clock is None:
        return {}
    clock = spec.clock.model_dump(mode="json", exclude_none=True)
    return {"clock": clock, **({"send_window": spec.send_window.model_dump(mode="json")} if spec.send_window else {})}


def _score_share(
    stored: StoredRun, journeys: Mapping[str, Journey], targets: Mapping[str, Target], quality: bool, share: tuple[int, int]
) -> list[dict[str, Any]]:
    """The entries of one share of the probes: plain data, sent back from a child process as it is."""
    scored = []
    with reusing_verdicts(stored.verdicts):
        for probe in rebuild_probes(stored, share):
            with shared_scores():  # the journey's criteria and the scorecard's look at the same answer
                target = targets[probe.target]
                scored.append(probe_entry(probe, journeys[probe.journey], target.spec.speedup, quality=quality, clock=target.clock))
    if share[0] == 0:
        # Here (share 0 runs in this process: see run_shares) the rows of the other shares are let go while
        # their children encode what they send back (~0.2 s for 5,000 probes that would otherwise come after)
        stored.events_by_probe.clear()
        stored.messages_by_probe.clear()
    return scored


def perception_gap(journeys: Mapping[str, Journey], probes: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """What each journey says the company believes (`believed:`) against what the probes measured.

    For every believed level (e.g. acknowledgement within 5m): the share of probes that got it
    within that time (a probe that got nothing did not), and the measured median and p90.
    """
    rows = []
    for name, journey in journeys.items():
        for expect, believed_ns in journey.spec.believed.items():
            latencies: list[int | None] = []
            for probe in probes:
                if probe["journey"] != name or probe.get("status") == "undeliverable":
                    continue
                outcome = next((o for o in probe["outcomes"] if o["expect"] == expect), None)
                if outcome is not None:
                    latencies.append(outcome["latency_ns"])
            got = [lat for lat in latencies if lat is not None]
            met = sum(1 for lat in got if lat <= believed_ns)
            median = int(statistics.median(got)) if got else None
            p90 = percentile(got, 90)
            rows.append({
                "journey": name, "expect": expect, "believed_ns": believed_ns, "believed": format_duration(believed_ns),
                "probes": len(latencies), "met": met, "met_rate": met / len(latencies) if latencies else None,
                "never": len(latencies) - len(got),
                "median_ns": median, "median": format_duration(median) if median is not None else "never",
                "p90_ns": p90, "p90": format_duration(p90) if p90 is not None else "never",
            })
    return rows


def step_stats(journeys: Mapping[str, Journey], probes: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per journey, per step: passed / failed / pending counts, median latency, deadline (for the journey map)."""
    stats: dict[str, dict[str, dict[str, Any]]] = {}
    latencies: dict[tuple[str, str], list[int]] = {}
    for name, journey in journeys.items():
        stats[name] = {s.id: {"passed": 0, "failed": 0, "pending": 0, "median_latency_ns": None, "deadline_ns": s.within}
                       for s in journey.steps}
    for probe in probes:
        journey_stats = stats.get(probe["journey"])
        if journey_stats is None or probe.get("status") == "undeliverable":
            continue
        for event in probe["events"]:
            if event["kind"] == "sent" and event["step"] in journey_stats:
                journey_stats[event["step"]]["passed"] += 1
        if probe["error"]:
            first_action = next((p["step"] for p in probe["path"]), None)
            if first_action in journey_stats and not any(e["kind"] == "sent" for e in probe["events"]):
                journey_stats[first_action]["failed"] += 1
        for o in probe["outcomes"]:
            entry = journey_stats.get(o["step"])
            if entry is None:
                continue
            key = {PASSED: "passed", FAILED: "failed", PENDING: "pending"}.get(o["status"], "pending")
            entry[key] += 1
            if o["latency_ns"] is not None:
                latencies.setdefault((probe["journey"], o["step"]), []).append(o["latency_ns"])
    for (journey_name, step), values in latencies.items():
        stats[journey_name][step]["median_latency_ns"] = int(statistics.median(values))
    return stats


def promise_counts(probes: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many promised reply times were kept, broken, or not yet due (probes that were not graded left out)."""
    counts = {"kept": 0, "broken": 0, "open": 0}
    for probe in probes:
        if probe.get("status") != "undeliverable":
            for verdict in probe.get("promises") or ():
                counts[verdict["status"]] = counts.get(verdict["status"], 0) + 1
    return counts


def promise_list(probes: Sequence[Mapping[str, Any]], limit: int = 100) -> list[dict[str, Any]]:
    """The promises of every graded probe, broken ones first, each with its probe, both quotes and the verdict."""
    found = [{"probe": probe["id"], "journey": probe["journey"], "target": probe["target"], "persona": probe["persona"].get("full_name", ""),
              **verdict}
             for probe in probes if probe.get("status") != "undeliverable" for verdict in probe.get("promises") or ()]
    order = {"broken": 0, "kept": 1, "open": 2}
    return sorted(found, key=lambda v: order.get(v["status"], 3))[:limit]


def _severity(outcome: Mapping[str, Any]) -> float:
    base = _SEVERITY.get(outcome["expect"], 30)
    if outcome["evidence"] is None:
        return base + 30  # silence
    latency, deadline = outcome["latency_ns"], outcome["deadline_ns"]
    if latency is not None and deadline and latency > deadline:
        return base + min(25.0, 10 * latency / deadline)
    return base + 20  # it came, but wrong: missing facts, stalling, marketing


def worst_moments(probes: Sequence[Mapping[str, Any]], count: int = 3) -> list[dict[str, Any]]:
    """The `count` worst missed expectations, each with its quoted evidence and timestamp.

    Worst first; one per (journey, step) before any step is shown twice, so three probes that
    all went unanswered do not crowd out a marketing mail. Only the moments shown are written out.
    """
    failed = [(probe, o, round(_severity(o), 1)) for probe in probes for o in probe["outcomes"] if o["status"] == FAILED
              and probe.get("status") != "undeliverable"]
    order = sorted(range(len(failed)), key=lambda i: -failed[i][2])
    made: dict[int, dict[str, Any]] = {}

    def moment(i: int) -> dict[str, Any]:
        if i not in made:
            made[i] = _moment(*failed[i])
        return made[i]

    chosen, seen = [], set()
    for i in order:
        probe, outcome, _ = failed[i]
        key = (probe["journey"], outcome["step"])
        if key not in seen:
            chosen.append(moment(i))
            seen.add(key)
        if len(chosen) == count:
            return chosen
    for i in order:
        if len(chosen) == count:
            break
        candidate = moment(i)
        if candidate not in chosen:
            chosen.append(candidate)
    return chosen


def _moment(probe: Mapping[str, Any], o: Mapping[str, Any], severity: float) -> dict[str, Any]:
    evidence = o["evidence"]
    if evidence is not None:
        quote, utc, source = evidence["quote"], evidence["utc"], f"company: {evidence.get('subject') or 'reply'}"
    else:
        quote = o.get("anchor_text") or ""
        utc, source = o.get("anchor_utc"), "customer wrote; nothing came back"
    return {
        "severity": severity, "probe": probe["id"], "journey": probe["journey"], "target": probe["target"],
        "persona": probe["persona"].get("full_name", ""), "step": o["step"], "expect": o["expect"], "reason": o["reason"],
        "quote": " ".join(quote.split())[:300], "utc": utc, "source": source,
    }

