"""One run written by several processes: `pytest -n N` (xdist workers on one machine) and `pytest --shard i/n`
(one slice of the suite per CI runner), all into the same run in the same store, scored once.

Who runs which probe is decided by a stable hash of the probe's id (or, for a test that is not a probe, of its
node id): the same on every machine and in every Python process (unlike `hash()`, which is salted per process), so
n shards partition a suite exactly and a shard run again takes the same slice.

Every shard records a row in `run_parts` when it ends; the one that finds all n rows in scores the run (builds the
scorecard and finishes the run) — or `mysteryshop report RUN` does, at any time, with what is in.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mysteryshop.plan import ProbeSpec
    from mysteryshop.runner import ProbeResult
    from mysteryshop.store import Store

#: a probe's stored status once it has ended (resume.FINISHED, and interrupted)
ENDED = frozenset({"passed", "failed", "error", "blocked", "interrupted"})


@dataclass(frozen=True, slots=True)
class Shard:
    """Slice `index` (1-based) of `count`."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, key: str) -> bool:
        return slot_of(key, self.count) == self.index - 1


def parse_shard(text: str) -> Shard:
    """`--shard i/n` read; ValueError saying what is wrong and what to write instead."""
    left, slash, right = text.strip().partition("/")
    if not slash or not left.strip().isdigit() or not right.strip().isdigit():
        raise ValueError(f"--shard {text!r} is not i/n: give this machine's slice and the number of slices, e.g. --shard 2/4")
    index, count = int(left), int(right)
    if count < 1 or not 1 <= index <= count:
        raise ValueError(f"--shard {text}: there is no slice {index} of {count}; i runs from 1 to n, e.g. --shard 1/{max(count, 1)}")
    return Shard(index, count)


def slot_of(key: str, count: int) -> int:
    """Which of `count` slices (0-based) `key` falls in: a stable hash, the same in every process and on every machine."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % count


def me() -> tuple[str, int]:
    return socket.gethostname(), os.getpid()


# -- a probe run by another process --------------------------------------------------------------------------------

#: how often an item whose probe another worker runs looks in the store
POLL_S = 0.25
#: how often an item whose probe is not in the store yet looks whether the worker that owns it was lost
LOST_POLL_S = 1.0
#: how long a probe may stay absent from the store before its item gives up (its worker did not start it)
ABSENT_S = 120.0


def stored_result(store: Store, run_id: str, spec: ProbeSpec, lost: Callable[[], str | None] | None = None,
                  since_utc: str | None = None) -> ProbeResult:
    """The result of a probe another process (an xdist worker) runs, read from the store once it has ended there.

    Waits while it runs, and while it stands interrupted by an earlier session (before `since_utc`) of a run resumed now:
    its worker walks it on. Bounded when it never appears (the worker that owns it failed to start, or died before it
    started it: `lost` says why once that was recorded, see workers.py) and when the run is interrupted (its probes still
    running are reported so)."""
    from mysteryshop.resume import outcomes_of
    from mysteryshop.runner import ProbeResult

    started = next_look = time.monotonic()
    while True:
        rows = store.query("SELECT status, outcome FROM probes WHERE run_id = ? AND id = ?", (run_id, spec.probe_id))
        if rows and rows[0]["status"] in ENDED and not _to_resume(store, run_id, spec.probe_id, rows[0]["status"], since_utc):
            stored = json.loads(rows[0]["outcome"] or "{}")
            return ProbeResult(spec, rows[0]["status"], outcomes_of(rows[0]["outcome"]), stored.get("error"), None,
                               stored.get("problem"), stored.get("error_class"))
        run = store.query("SELECT status FROM runs WHERE id = ?", (run_id,))
        if run and run[0]["status"] == "interrupted" and (not rows or time.monotonic() - started > 5):
            return ProbeResult(spec, "interrupted", [], f"the run {run_id} was interrupted before this probe ended", None,
                               "interrupted", "RunInterrupted")
        if not rows and lost is not None and time.monotonic() >= next_look:
            next_look = time.monotonic() + LOST_POLL_S
            why = lost()
            if why is not None:
                return ProbeResult(spec, "interrupted", [], f"probe {spec.probe_id} was not started: {why}", None, "interrupted", "WorkerLost")
        if not rows and time.monotonic() - started > ABSENT_S:
            return ProbeResult(spec, "error", [], f"probe {spec.probe_id} was not started by the worker that owns it within "
                               f"{ABSENT_S:.0f} s (run {run_id} in {store.path}); see that worker's output for why", None, "error",
                               "WorkerMissing")
        time.sleep(POLL_S)


def _to_resume(store: Store, run_id: str, probe_id: str, status: str, since_utc: str | None) -> bool:
    """A probe cut short before this session began: the worker that owns it resumes it (its result is not that)."""
    if status != "interrupted" or since_utc is None:
        return False
    rows = store.rows("SELECT max(utc) FROM events WHERE run_id = ? AND probe_id = ? AND kind IN ('probe_interrupted', 'probe_finished')",
                      (run_id, probe_id))
    return bool(rows) and rows[0][0] is not None and rows[0][0] < since_utc


# -- ending a share, scoring the run once -------------------------------------------------------------------------

@dataclass(slots=True)
class PartEnd:
    """What ending one share of a run did: the scorecard when this process scored the run, else why not."""

    run_id: str
    part: str
    reported: int
    count: int
    card: dict[str, Any] | None = None
    paths: dict[str, Path] | None = None
    seconds: float = 0.0  # how long scoring the whole run took here (the merge cost)
    cut_short: int = 0  # this share's probes stopped before they ended (interrupted, lost with a worker): a rerun goes on with them
    ended: int = 0  # this share's probes that ended

    def lines(self) -> list[str]:
        return self._scored() + self._resume()

    def _resume(self) -> list[str]:
        if not self.cut_short:
            return []
        return [(f"mysteryshop: run {self.run_id} stopped with {self.ended} probe(s) ended and {self.cut_short} cut short, all "
                 f"stored; run the same command with --run-id {self.run_id} to go on: probes that ended keep their results, "
                 "those cut short walk on from where they stood, nothing is sent twice")]

    def _scored(self) -> list[str]:
        if self.card is not None and self.count == 1:
            return [f"mysteryshop: run {self.run_id} scored from what every worker stored, in {self.seconds:.2f} s"]
        if self.card is not None:
            return [f"mysteryshop: all {self.count} shards of run {self.run_id} are in; scored it in {self.seconds:.2f} s"]
        if self.reported >= self.count:
            return [(f"mysteryshop: shard {self.part} of run {self.run_id} is in; the run was scored already: "
                     f"`mysteryshop report {self.run_id}` scores it again")]
        return [(f"mysteryshop: shard {self.part} of run {self.run_id} is in ({self.reported} of {self.count}); the run is scored "
                 f"by the last shard to end, or now with `mysteryshop report {self.run_id}` (what is in so far)")]


def run_status(store: Store, run_id: str) -> str:
    """A whole run's status from its probes: passed when every probe passed; interrupted when any share was."""
    rows = store.query("SELECT status FROM runs WHERE id = ?", (run_id,))
    statuses = {status for (status,) in store.rows("SELECT DISTINCT status FROM probes WHERE run_id = ?", (run_id,))}
    if (rows and rows[0]["status"] == "interrupted") or "interrupted" in statuses or "running" in statuses:
        return "interrupted"
    return "passed" if statuses <= {"passed"} else "failed"


def end_part(store: Store, run_id: str, shard: Shard, journeys_dir: Path, run_dir: Path, rubric: Path | None) -> PartEnd:
    """Record that shard `shard` of the run ended; when it is the last one in, score the run and write its scorecard."""
    host, pid = me()
    part_status = "interrupted" if run_status(store, run_id) == "interrupted" else "ended"
    store.record_part(run_id, str(shard), part_status, host, pid)
    reported = len(store.parts(run_id))
    end = PartEnd(run_id, str(shard), reported, shard.count)
    for probe_id, status in store.rows("SELECT id, status FROM probes WHERE run_id = ?", (run_id,)):
        if shard.owns(probe_id):
            end.cut_short += status not in ENDED or status == "interrupted"
            end.ended += status in ENDED and status != "interrupted"
    if not store.claim_scoring(run_id, shard.count, host, pid):
        return end
    started = time.perf_counter()
    end.card, end.paths = score_run(store, run_id, journeys_dir, run_dir, rubric)
    end.seconds = time.perf_counter() - started
    return end


def score_run(store: Store, run_id: str, journeys_dir: Path, run_dir: Path, rubric: Path | None) -> tuple[dict[str, Any], dict[str, Path]]:
    """Score a run written by several processes from the store, finish it, and write its scorecard (as `mysteryshop report`)."""
    from mysteryshop.history import stored_summary
    from mysteryshop.journey import find_journey
    from mysteryshop.scorecard.build import build_scorecard
    from mysteryshop.scorecard.rubric import load_rubric
    from mysteryshop.scorecard.shares import available_cores
    from mysteryshop.scorecard.write import write_scorecard
    from mysteryshop.target import find_target

    pairs = store.rows("SELECT DISTINCT journey, target FROM probes WHERE run_id = ?", (run_id,))
    journeys = {name: find_journey(name, journeys_dir) for name in {j for j, _ in pairs}}
    targets = {name: find_target(name, journeys_dir / "targets") for name in {t for _, t in pairs}}
    card = build_scorecard(store, run_id, journeys, targets, keep=True, workers=available_cores(), rubric=load_rubric(rubric))
    status = run_status(store, run_id)
    store.finish_run(run_id, status, stored_summary(card))
    card["run"]["status"] = status
    card["run"]["finished_utc"] = next(r["finished_utc"] for r in store.runs() if r["id"] == run_id)
    paths = write_scorecard(card, run_dir, journeys=journeys, store=store)
    return card, paths


def join(store: Store, run_id: str, config: dict[str, Any], shard: str | None) -> str:
    """Create the run unless another shard or worker did; refuse a shard whose n is not the run's. The run's stored
    status and config (as stored: the first process's)."""
    from mysteryshop.errors import ConfigError

    store.join_run(run_id, config)
    row = store.query("SELECT status, config FROM runs WHERE id = ?", (run_id,))[0]
    stored, ours = stored_shard_count(row["config"]), parse_shard(shard).count if shard else None
    if stored != ours:
        said = f"{stored} shards" if stored else "one process (no --shard)"
        raise ConfigError(f"run '{run_id}' in {store.path} was started as {said}, and this process says "
                          f"{'--shard ' + shard if shard else 'no --shard'}: every shard of a run must give the same n "
                          f"(or give another --run-id)")
    return str(row["config"])


def stored_shard_count(config_json: str | None) -> int | None:
    """How many shards a stored run was started with (its config's `shard`), None for a run of one process."""
    shard = json.loads(config_json or "{}").get("shard")
    return parse_shard(shard).count if shard else None
