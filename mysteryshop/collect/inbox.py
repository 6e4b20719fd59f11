"""The store's shared inbox: replies a `mysteryshop listen` stored, waiting to be claimed by a run or campaign.

A listener stores every message under the run `_inbox`. A run, a pytest session or a campaign's
tick reads what arrived after its cursor, matches each message to one of its own probes
(mysteryshop.collect.correlate, the same way in every mode) and claims it: the message moves to
its run in one transaction, together with its `received` event when the caller gives one. A
message that matches no probe stays in the inbox for the others, and is never dropped.

Listeners also leave a heartbeat here, so a run can tell whether one is running.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

from mysteryshop.store import Store, utc_now

INBOX_RUN = "_inbox"
#: a listener writes its heartbeat this often...
HEARTBEAT_S = 20.0
#: ...and counts as running while its last one is younger than this
HEARTBEAT_FRESH_S = 90.0


def ensure_inbox_run(store: Store) -> None:
    if not store.query("SELECT 1 FROM runs WHERE id = ?", (INBOX_RUN,)):
        store.write("INSERT OR IGNORE INTO runs (id, started_utc, status, config) VALUES (?, ?, 'collector', '{}')", (INBOX_RUN, utc_now()))


@dataclass(frozen=True, slots=True)
class StoredReply:
    """A message in the shared inbox: `t_ns` is the listener's wall-clock stamp (end of DATA, or the Received header)."""

    rowid: int
    t_ns: int
    utc: str
    raw: bytes
    rcpt_tos: tuple[str, ...]


def inbox_after(store: Store, after_id: int, limit: int = 500) -> list[StoredReply]:
    """Messages still unclaimed in the shared inbox with a row id above `after_id`, oldest first."""
    rows = store.rows(
        "SELECT id, t_ns, utc, raw, rcpt_to FROM messages WHERE run_id = ? AND probe_id IS NULL AND id > ? ORDER BY id LIMIT ?",
        (INBOX_RUN, after_id, limit),
    )
    found = []
    for rowid, t_ns, utc, raw, rcpt_to in rows:
        try:
            recipients = tuple(json.loads(rcpt_to or "[]"))
        except ValueError:
            recipients = ()
        found.append(StoredReply(rowid, t_ns, utc, bytes(raw), recipients))
    return found


def claim(
    store: Store, reply: StoredReply, *, run_id: str, probe_id: str, matched_by: str, t_ns: int | None = None,
    event: dict[str, Any] | None = None,
) -> bool:
    """Move `reply` from the shared inbox to `run_id`'s probe, unless someone else claimed it first.

    `t_ns`: its time in the run's clock (default: as stored). `event`: also write its `received`
    event (with this data) in the same transaction. True when this caller got it.
    """
    when = reply.t_ns if t_ns is None else t_ns
    move = (
        "UPDATE messages SET run_id = ?, probe_id = ?, matched_by = ?, t_ns = ? WHERE id = ? AND run_id = ? AND probe_id IS NULL",
        (run_id, probe_id, matched_by, when, reply.rowid, INBOX_RUN),
    )
    if event is None:
        return store.changes(*move) == 1
    # the event is written only if the move took effect: both in one transaction
    record = (
        "INSERT INTO events (run_id, probe_id, kind, step, t_ns, utc, data) VALUES (?, ?, 'received', NULL, ?, ?, ?)",
        (run_id, probe_id, when, reply.utc, json.dumps(event)),
    )
    moved, _ = store.together([move, record], only_if_first=True)
    return moved == 1


def read_cursor(store: Store, consumer: str) -> int:
    """The highest inbox row id `consumer` (a campaign) has looked at."""
    rows = store.query("SELECT value FROM meta WHERE key = ?", (f"cursor:{consumer}",))
    return int(rows[0]["value"]) if rows else 0


def save_cursor(store: Store, consumer: str, last_id: int) -> None:
    """Move `consumer`'s cursor to `last_id` (never back: two ticks at once may finish in any order)."""
    store.write(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
        "CASE WHEN CAST(excluded.value AS BIGINT) > CAST(meta.value AS BIGINT) THEN excluded.value ELSE meta.value END",
        (f"cursor:{consumer}", str(last_id)),
    )


def unclaimed_count(store: Store) -> int:
    """Messages in the shared inbox that no run or campaign has claimed."""
    return int(store.query("SELECT count(*) AS n FROM messages WHERE run_id = ? AND probe_id IS NULL", (INBOX_RUN,))[0]["n"])


def write_heartbeat(store: Store, info: dict[str, Any]) -> str:
    """Record that this listener is alive and what it collects; returns its key."""
    key = f"listener:{socket.gethostname()}:{os.getpid()}"
    store.write("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps({**info, "seen": time.time(), "utc": utc_now()})))
    return key


def remove_heartbeat(store: Store, key: str) -> None:
    store.write("DELETE FROM meta WHERE key = ?", (key,))


def live_listeners(store: Store, *, fresh_s: float = HEARTBEAT_FRESH_S) -> list[dict[str, Any]]:
    """The listeners whose heartbeat is recent: what each collects (smtp address, domains, imap)."""
    now = time.time()
    found = []
    for row in store.query("SELECT key, value FROM meta WHERE key LIKE 'listener:%'"):
        try:
            info = json.loads(row["value"])
        except ValueError:
            continue
        if now - float(info.get("seen", 0)) <= fresh_s:
            found.append({"key": row["key"], **info})
    return found
