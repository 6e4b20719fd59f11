"""Read-only questions the dashboard asks the run store, beside `Store`'s own methods.

Kept apart from store.py (the engine's writes and the scorecard's reads) so that the dashboard's queries are
in one small place, written in SQL both engines accept (`?` placeholders, as `Store.query` takes them).
Nothing here writes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from mysteryshop.store import Store, placeholders


@dataclass(frozen=True, slots=True)
class RunRow:
    """One stored run as the run list shows it."""

    id: str
    started_utc: str
    finished_utc: str | None
    status: str
    summary: dict[str, Any] | None
    targets: dict[str, int] = field(default_factory=dict)  # company → probes
    journeys: dict[str, int] = field(default_factory=dict)  # journey → probes

    @property
    def probes(self) -> int:
        return sum(self.targets.values())

    @property
    def grade(self) -> dict[str, Any]:
        return dict((self.summary or {}).get("grade") or {})


def _summary(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def run_rows(store: Store, run_ids: Collection[str] | None = None) -> list[RunRow]:
    """Every run (or those of `run_ids`), newest first, with its stored summary and its probes per company and journey."""
    sql = "SELECT id, started_utc, finished_utc, status, summary FROM runs"
    params: tuple[Any, ...] = ()
    if run_ids is not None:
        if not run_ids:
            return []
        sql += f" WHERE id IN ({placeholders(len(run_ids))})"
        params = tuple(run_ids)
    runs = store.query_dicts(sql + " ORDER BY started_utc DESC, id DESC", params)
    counts: dict[str, tuple[dict[str, int], dict[str, int]]] = {r["id"]: ({}, {}) for r in runs}
    count_sql = "SELECT run_id, target, journey, COUNT(*) FROM probes"
    if run_ids is not None:
        count_sql += f" WHERE run_id IN ({placeholders(len(run_ids))})"
    for run_id, target, journey, n in store.rows(count_sql + " GROUP BY run_id, target, journey", params):
        if run_id in counts:
            by_target, by_journey = counts[run_id]
            by_target[target] = by_target.get(target, 0) + n
            by_journey[journey] = by_journey.get(journey, 0) + n
    return [RunRow(r["id"], r["started_utc"], r["finished_utc"], r["status"], _summary(r["summary"]), *counts[r["id"]]) for r in runs]


def run_row(store: Store, run_id: str) -> RunRow | None:
    """One run, or None when the store has no run of that id."""
    found = run_rows(store, [run_id])
    return found[0] if found else None


def run_version(store: Store, run_id: str) -> tuple[Any, ...]:
    """What changes whenever anything the scorecard of `run_id` reads does: its status, finish, and the last event and
    message stored for it. Equal versions mean an equal scorecard (a run's rows only grow)."""
    head = store.rows("SELECT status, finished_utc FROM runs WHERE id = ?", (run_id,))
    if not head:
        return ()
    events = store.rows("SELECT MAX(id), COUNT(*) FROM events WHERE run_id = ?", (run_id,))[0]
    messages = store.rows("SELECT MAX(id), COUNT(*) FROM messages WHERE run_id = ?", (run_id,))[0]
    probes = store.rows("SELECT COUNT(*) FROM probes WHERE run_id = ? AND status != 'running'", (run_id,))[0]
    return (*head[0], *events, *messages, *probes)


def run_pairs(store: Store, run_id: str) -> list[tuple[str, str]]:
    """The (journey, target) pairs a run's probes walked."""
    return [(j, t) for j, t in store.rows("SELECT DISTINCT journey, target FROM probes WHERE run_id = ? ORDER BY journey, target", (run_id,))]


def companies(store: Store) -> dict[str, int]:
    """Every company (target) any run probed → in how many runs."""
    return {t: n for t, n in store.rows("SELECT target, COUNT(DISTINCT run_id) FROM probes GROUP BY target ORDER BY target")}


def company_runs(store: Store, company: str) -> list[RunRow]:
    """The runs that probed `company`, oldest first."""
    ids = [r for (r,) in store.rows("SELECT DISTINCT run_id FROM probes WHERE target = ?", (company,))]
    return sorted(run_rows(store, ids), key=lambda r: (r.started_utc, r.id))


def message_index(store: Store, run_id: str, probe_ids: Iterable[str]) -> list[tuple[int, str | None, str, str, str | None, str]]:
    """(id, probe id, direction, utc, subject, rcpt_to) of every message of `probe_ids` and every message that matched no
    probe, by id; the raw bytes left in the store (see `message_raw`)."""
    columns = "SELECT id, probe_id, direction, utc, subject, rcpt_to FROM messages WHERE run_id = ?"
    found = store.rows(columns + " AND probe_id IS NULL ORDER BY id", (run_id,))
    wanted = sorted(set(probe_ids))
    for start in range(0, len(wanted), 500):  # SQLite binds at most a few thousand parameters
        chunk = wanted[start:start + 500]
        found += store.rows(columns + f" AND probe_id IN ({placeholders(len(chunk))}) ORDER BY id", (run_id, *chunk))
    return sorted(found)


def message_raw(store: Store, run_id: str, ref: int) -> bytes | None:
    """The raw bytes of message `ref` of `run_id` as stored, or None when the run holds no such message."""
    found = store.rows("SELECT raw FROM messages WHERE run_id = ? AND id = ?", (run_id, ref))
    return bytes(found[0][0]) if found else None


def wave_runs(store: Store, wave: str) -> list[RunRow]:
    """The runs a scheduled wave started (campaign-<wave>-YYYYMMDD-HHMM: waves.DueWave.campaign), oldest first."""
    pattern = re.compile(rf"campaign-{re.escape(wave)}-\d{{8}}-\d{{4}}")
    ids = [r for (r,) in store.rows("SELECT id FROM runs") if pattern.fullmatch(r)]
    return sorted(run_rows(store, ids), key=lambda r: (r.started_utc, r.id))
