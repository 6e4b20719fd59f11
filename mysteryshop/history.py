"""Run history: every run stays in the store; a baseline is an accepted run, written to a file you commit.

The gate reads the baseline file (so CI needs no store from earlier jobs); the store also keeps
a log of which run was accepted when (`baselines` table).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mysteryshop.errors import ConfigError
from mysteryshop.scorecard.headline import headline_values
from mysteryshop.store import Store, mark_interrupted_now, utc_now

BASELINE_SCHEMA = "mysteryshop.baseline/1"


def resolve_run(store: Store, name: str, *, baseline_file: Path | None = None) -> str:
    """A run id from a name: an id (or its unique start), a campaign's name, 'latest', 'previous' (the last finished
    runs), or 'baseline' (the accepted one). Any stored run can be named: an interrupted one, a campaign, one running."""
    rows = store.runs()
    every = [r["id"] for r in rows]
    finished = [r["id"] for r in rows if r["summary"]]
    if name == "latest" and finished:
        return finished[-1]
    if name == "previous" and len(finished) > 1:
        return finished[-2]
    if name == "baseline" and baseline_file is not None:
        return load_baseline(baseline_file)["run_id"]
    for candidate in (name, f"campaign-{name}"):
        if candidate in every:
            return candidate
    matches = [r for r in every if r.startswith(name)]
    if len(matches) == 1:
        return matches[0]
    recent = ", ".join(every[-5:]) or "(none)"
    raise ConfigError(f"no run '{name}' in {store.path}. Latest runs: {recent}. Also accepted: latest, previous, baseline, a campaign's name")


def settle_abandoned(store: Store, run_id: str) -> str | None:
    """A run still marked running: if the process that ran it (on this machine) is gone (killed, or a pytest timeout
    that ended it at once), it is marked interrupted. A note for people, or None for a run that is not running.
    A campaign's run is running by design (its probes wait for days) and keeps no process: it is left alone."""
    rows = store.query("SELECT status, config FROM runs WHERE id = ?", (run_id,))
    if not rows or rows[0]["status"] != "running":
        return None
    config = json.loads(rows[0]["config"] or "{}")
    if config.get("joined"):  # written by shards or xdist workers: the process that created it may be gone while others go on
        parts = store.parts(run_id)
        of = f" of {config['shard'].partition('/')[2]}" if config.get("shard") else ""
        return f"run {run_id} is written by several processes and not finished: {len(parts)} shard(s){of} in; scored as it stands"
    pid, host = config.get("pid"), config.get("host")
    if not isinstance(pid, int):
        return None
    if host == socket.gethostname() and not _alive(pid):
        mark_interrupted_now(store.opened_with, run_id, f"its process (pid {pid}) ended before finishing it")
        return f"run {run_id} was left running by a process that is gone (pid {pid}); marked interrupted and scored as measured"
    return f"run {run_id} is still running (pid {pid} on {host}); scored as it stands"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_summary(store: Store, run_id: str) -> dict[str, Any]:
    """The stored summary of a finished run (what its scorecard said)."""
    rows = store.query("SELECT summary FROM runs WHERE id = ?", (run_id,))
    if not rows or not rows[0]["summary"]:
        raise ConfigError(f"run '{run_id}' has no scorecard summary in {store.path}; did it finish?")
    return json.loads(rows[0]["summary"])


def accept_baseline(
    store: Store, run_id: str, path: Path, *, samples: dict[str, Any] | None = None, speedups: list[float] | None = None,
    companies: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Make `run_id` the baseline: write `path` and log the acceptance in the store. An interrupted run cannot be one.

    `samples` (scorecard/samples.py: every rate's count of its total, every probe's times) let the gate tell a
    change from chance; a baseline without them is judged by tolerances alone."""
    summary = run_summary(store, run_id)
    row = store.query("SELECT started_utc, status FROM runs WHERE id = ?", (run_id,))[0]
    if row["status"] == "interrupted":
        raise ConfigError(f"run {run_id} was interrupted: a baseline is a run that ran to its end. Accept another run "
                          f"(mysteryshop baseline accept RUN_ID), or run again")
    started = row["started_utc"]
    baseline = {
        "schema": BASELINE_SCHEMA,
        "run_id": run_id,
        "started_utc": started,
        "accepted_utc": utc_now(),
        "grade": (summary.get("grade") or {}).get("grade"),
        "targets": summary.get("targets"),
        "journeys": summary.get("journeys"),
        "values": headline_values(summary),
        **({"samples": samples} if samples is not None else {}),
        **({"speedups": speedups} if speedups is not None else {}),  # how finely its times were measured (gate.time_floor_s)
        # each company's own values, samples and speed: the gate compares a company with the same company, not a blend
        **({"companies": companies} if companies else {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(baseline, indent=2) + "\n", encoding="utf-8")
    store.write("INSERT INTO baselines (run_id, accepted_utc, file) VALUES (?, ?, ?)", (run_id, baseline["accepted_utc"], str(path)))
    return baseline


def load_baseline(path: Path) -> dict[str, Any]:
    """The accepted baseline; ConfigError saying how to make one when there is none."""
    if not path.is_file():
        raise ConfigError(f"no baseline at {path}. Accept a run first: mysteryshop baseline accept RUN_ID (see `mysteryshop compare --help`)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigError(f"{path}: not a baseline file ({exc})") from None
    if data.get("schema") != BASELINE_SCHEMA:
        raise ConfigError(f"{path}: schema '{data.get('schema')}' is not '{BASELINE_SCHEMA}'; accept a run again to rewrite it")
    return data


def accepted(store: Store) -> list[dict[str, Any]]:
    """Every acceptance logged in the store, oldest first."""
    return [dict(r) for r in store.query("SELECT run_id, accepted_utc, file FROM baselines ORDER BY id")]


# -- trends: per run, per company, per company and journey ------------------------------------------------------

#: Points a trend shows: the earlier runs kept, and this one.
TREND_POINTS = 12


@dataclass(frozen=True, slots=True)
class Earlier:
    """An earlier finished run as its trend points need it: id, start, and the summary stored when it finished."""

    run_id: str
    started_utc: str
    summary: Mapping[str, Any]


def earlier_runs(store: Store, run_id: str) -> tuple[str | None, list[Earlier]]:
    """(`run_id`'s start, the finished runs that started before it, oldest first), read once for every trend of a card."""
    this_run = store.query("SELECT started_utc FROM runs WHERE id = ?", (run_id,))
    started = this_run[0]["started_utc"] if this_run else None
    rows = store.query(
        "SELECT id, started_utc, summary FROM runs WHERE id != ? AND summary IS NOT NULL AND started_utc <= ? ORDER BY started_utc",
        (run_id, started or "9999"),
    )
    found = []
    for row in rows:
        try:
            summary = json.loads(row["summary"])
        except ValueError:
            continue
        if isinstance(summary, dict):
            found.append(Earlier(row["id"], row["started_utc"], summary))
    return started, found


def stored_summary(card: Mapping[str, Any]) -> dict[str, Any]:
    """What a finished run keeps in the store (runs.summary): the card's summary and, per company and per company and
    journey, the grade and headline values its trends are drawn from (see `company_trend`)."""
    companies = {
        name: {"grade": company["summary"]["grade"]["grade"], "values": headline_values(company["summary"]),
               "journeys": {j: {"grade": part["grade"]["grade"], "values": part["values"]} for j, part in company["journeys"].items()}}
        for name, company in (card.get("companies") or {}).items()
    }
    return {**card["summary"], "companies": companies}


def _point(run_id: str, started_utc: str | None, grade: str | None, values: Mapping[str, float | None]) -> dict[str, Any]:
    return {"run_id": run_id, "started_utc": started_utc, "grade": grade, "values": dict(values)}


def _ending_with(points: list[dict[str, Any]], current: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    return [*points[-(limit - 1):], current] if limit > 1 else [current]


def run_trend(earlier: Sequence[Earlier], current: dict[str, Any], summary: Mapping[str, Any], limit: int = TREND_POINTS) -> list[dict[str, Any]]:
    """Headline numbers of earlier runs against the same targets and journeys, oldest first, ending with `current`
    (this run's point: see `point`)."""
    points = [
        _point(e.run_id, e.started_utc, (e.summary.get("grade") or {}).get("grade"), headline_values(e.summary))
        for e in earlier
        if "metrics" in e.summary and e.summary.get("targets") in (None, summary["targets"])
        and e.summary.get("journeys") in (None, summary["journeys"])
    ]
    return _ending_with(points, current, limit)


def company_trend(
    earlier: Sequence[Earlier], company: str, journeys: Iterable[str], current: dict[str, Any], *, journey: str | None = None,
    limit: int = TREND_POINTS,
) -> list[dict[str, Any]]:
    """One company's headline numbers in earlier runs, oldest first, ending with `current`: over the same journeys, or
    (`journey`) over that journey alone.

    Keyed by the company, not by the run's list of targets: a run that also probed other companies keeps its point
    (each company's figures are stored apart: `stored_summary`). A run stored before companies were (one summary for
    the whole run) counts when it probed this company alone.
    """
    wanted = sorted(journeys) if journey is None else [journey]
    points = []
    for e in earlier:
        found = _company_point(e, company, wanted, journey)
        if found is not None:
            points.append(found)
    return _ending_with(points, current, limit)


def _company_point(e: Earlier, company: str, wanted: list[str], journey: str | None) -> dict[str, Any] | None:
    companies = e.summary.get("companies")
    if isinstance(companies, dict):
        stored = companies.get(company)
        if not isinstance(stored, dict):
            return None
        parts = stored.get("journeys") or {}
        if journey is not None:
            part = parts.get(journey)
            return _point(e.run_id, e.started_utc, part.get("grade"), part.get("values") or {}) if isinstance(part, dict) else None
        if sorted(parts) != wanted:
            return None
        return _point(e.run_id, e.started_utc, stored.get("grade"), stored.get("values") or {})
    # stored before companies were: the whole run's summary is this company's when it probed no other
    if "metrics" not in e.summary or e.summary.get("targets") not in (None, [company]) or e.summary.get("journeys") not in (None, wanted):
        return None
    return _point(e.run_id, e.started_utc, (e.summary.get("grade") or {}).get("grade"), headline_values(e.summary))


def point(run_id: str, started_utc: str | None, summary: Mapping[str, Any]) -> dict[str, Any]:
    """This run's own point of a trend, from its summary (the whole run's, a company's, or a company's on one journey)."""
    return _point(run_id, started_utc, (summary.get("grade") or {}).get("grade"), headline_values(summary))
