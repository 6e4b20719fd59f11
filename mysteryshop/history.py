"""Run history: every run stays in the store; a baseline is an accepted run, written to a file you commit.

The gate reads the baseline file (so CI needs no store from earlier jobs); the store also keeps
a log of which run was accepted when (`baselines` table).
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

from mysteryshop.errors import ConfigError
from mysteryshop.scorecard.build import headline_values
from mysteryshop.store import Store, mark_interrupted_now, utc_now

BASELINE_SCHEMA = "mysteryshop.baseline/1"
_BASELINES_TABLE = "CREATE TABLE IF NOT EXISTS baselines (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, accepted_utc TEXT NOT NULL, file TEXT)"


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
    pid, host = config.get("pid"), config.get("host")
    if not isinstance(pid, int):
        return None
    if host == socket.gethostname() and not _alive(pid):
        mark_interrupted_now(store.path, run_id, f"its process (pid {pid}) ended before finishing it")
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
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(baseline, indent=2) + "\n", encoding="utf-8")
    store.write(_BASELINES_TABLE)
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
    store.write(_BASELINES_TABLE)
    return [dict(r) for r in store.query("SELECT run_id, accepted_utc, file FROM baselines ORDER BY id")]
