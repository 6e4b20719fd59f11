"""The xdist workers of one run (`pytest -n N`): which worker runs which probe, a stop passed on from the controller
to its workers, and the probes lost with a worker that died.

A stop (Ctrl-C, SIGTERM) reaches the controller, the workers, or both. Either way every worker stops the way a plain
pytest run does (its probes still waiting are cut short and recorded), then ends its session normally with the stop
as its `shouldstop`: xdist shuts the others down in order. (A worker that ended on a KeyboardInterrupt instead is taken
for a crashed one by xdist, which reports a test it was running as crashed and starts a replacement.)

A worker that dies (SIGKILL, out of memory) records nothing. The controller, told by xdist, records its probes still
running as cut short (`probe_interrupted`, problem 'interrupted', class WorkerLost), and a `worker_lost` event for
those it never started: the items waiting for them in other workers end at once instead of at a pytest timeout.
What the probes stored stays; a rerun with the same --run-id walks them on from where they stood.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mysteryshop.shards import Shard, slot_of

if TYPE_CHECKING:
    from mysteryshop.store import Store

#: the class of error a probe lost with its worker carries (the scorecard and the waiting items show it)
LOST_CLASS = "WorkerLost"


def worker_slot(workerinput: Mapping[str, Any]) -> tuple[str, int, int]:
    """An xdist worker's id ('gw1'), its index among the workers the run started with, and their count. A worker xdist
    started to replace a crashed one ('gw2' of 2) has no slot of its own: it runs no probe, its items read the store."""
    worker = str(workerinput["workerid"])
    return worker, int(worker.removeprefix("gw")), int(workerinput["workercount"])


def runs_probe(probe_id: str, index: int, count: int) -> bool:
    """Whether worker `index` of `count` runs the probe (keyed apart from --shard's slices: with --shard i/n -n N, the
    slice's probes still spread over all N workers)."""
    return slot_of(f"worker:{probe_id}", count) == index


def owner_of(probe_id: str, count: int) -> str:
    return f"gw{slot_of(f'worker:{probe_id}', count)}"


# -- the controller ---------------------------------------------------------------------------------------------------

def worker_pids(dsession: Any) -> list[int]:
    """The processes of the workers that are up (reported ready), for a stop passed on. Local workers only (popen)."""
    sched = getattr(dsession, "sched", None)
    pids = []
    for node in getattr(sched, "nodes", ()) if sched is not None else ():
        pid = getattr(getattr(getattr(node.gateway, "_io", None), "popen", None), "pid", None)  # execnet's popen gateway
        if isinstance(pid, int):
            pids.append(pid)
    return pids


def stop_workers(dsession: Any, name: str) -> list[int]:
    """The controller was asked to stop (`name`: SIGINT, SIGTERM): xdist shuts its workers down once they end, and each
    worker is told to stop now (one that got the signal itself stops once). The pids told."""
    from mysteryshop import interrupt

    if not getattr(dsession, "shouldstop", None):
        dsession.shouldstop = f"interrupted ({name})"
    return interrupt.forward(worker_pids(dsession), name)


@dataclass(frozen=True, slots=True)
class LostWorker:
    """A worker that died, and the probes of this run that were under way in it."""

    worker: str
    error: str
    probes: tuple[str, ...]

    def lines(self, run_id: str) -> list[str]:
        head = f"mysteryshop: xdist worker {self.worker} died ({self.error})"
        if not self.probes:
            return [f"{head}; it had no probe under way"]
        shown = ", ".join(self.probes[:10]) + (f" and {len(self.probes) - 10} more" if len(self.probes) > 10 else "")
        return [f"{head}: {len(self.probes)} probe(s) under way in it were cut short: {shown}",
                (f"mysteryshop: what they stored is kept; run the same command with --run-id {run_id} to walk them on "
                 "from where they stood (nothing is sent twice)")]


def record_lost(store: Store, run_id: str, *, worker: str, count: int, shard: Shard | None, error: str, session: str) -> LostWorker:
    """Record that `worker` (of `count`, in this controller's `session`) died: its probes still running are cut short."""
    reason = f"lost with xdist worker {worker}, which died ({error}) before the journey ended"
    open_ids = [pid for (pid,) in store.rows("SELECT id FROM probes WHERE run_id = ? AND status = 'running' ORDER BY id", (run_id,))
                if owner_of(pid, count) == worker and (shard is None or shard.owns(pid))]
    now = time.monotonic_ns()
    store.event(run_id, None, "worker_lost", now, worker=worker, session=session, error=error, shard=str(shard) if shard else None)
    outcome = json.dumps({"outcomes": [], "error": reason, "problem": "interrupted", "error_class": LOST_CLASS})
    for probe_id in open_ids:  # nothing else writes them: the worker that ran them is gone
        store.event(run_id, probe_id, "probe_interrupted", now, status="interrupted", error=reason, problem="interrupted",
                    error_class=LOST_CLASS)
    for probe_id in open_ids:  # committed after the events posted above: an item that sees the status finds them in
        store.write("UPDATE probes SET status = 'interrupted', outcome = ? WHERE run_id = ? AND id = ? AND status = 'running'",
                    (outcome, run_id, probe_id))
    if not open_ids:
        store.write("UPDATE runs SET status = status WHERE id = ?", (run_id,))  # the worker_lost event committed before we go on
    return LostWorker(worker, error, tuple(open_ids))


# -- an item waiting in another worker ---------------------------------------------------------------------------------

def lost_worker(store: Store, run_id: str, worker: str, session: str) -> str | None:
    """Why `worker` of this controller's `session` was recorded lost, or None while it is not."""
    for (data,) in store.rows("SELECT data FROM events WHERE run_id = ? AND probe_id IS NULL AND kind = 'worker_lost'", (run_id,)):
        fields = json.loads(data or "{}")
        if fields.get("worker") == worker and fields.get("session") == session:
            return str(fields.get("error") or "died")
    return None

