"""Retention: take the personal data out of old runs, keep what their trends are drawn from.

A finished run keeps its grades and headline figures in `runs.summary` (see history.stored_summary), which is all
that later runs' trends, `compare` and the gate read. Everything else that names or quotes a person goes: message
bodies, subjects and addresses (the company's agents are real people), the personas, the text inside events (chat
lines, form fields, quotes), the stored verdicts and scorecard entries (they quote the replies), campaign walks, and
the run's report folder (pages, evidence, screenshots, HAR files). A purge is logged in `purges`; a purged run can
no longer be reported again, only seen in trends.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mysteryshop.store import Store, utc_at, utc_now


#: event data kept after a purge: numbers, flags, and strings under these keys (names of things, never words of people)
EVENT_KEYS_KEPT = frozenset({"when", "matched_by", "channel", "kind", "status", "problem", "verdict", "expectation", "language", "outcome", "step"})

#: the message columns that hold words or addresses of people; each becomes empty ('' keeps NOT NULL and the
#: "annotated" mark of from_addr, so nothing is parsed again from the emptied raw bytes)
MESSAGE_TEXT_COLUMNS = ("subject", "text", "full_text", "html", "delivery_evidence", "kind_headers", "from_name", "list_unsubscribe")


@dataclass(slots=True)
class RunPurge:
    """What purging one run removes: counted before anything changes, so a dry run says exactly this."""

    run_id: str
    started_utc: str
    probes: int = 0
    messages: int = 0
    events: int = 0
    verdicts: int = 0
    walks: int = 0
    files: list[Path] = field(default_factory=list)
    file_bytes: int = 0

    def removed(self) -> dict[str, int]:
        return {"probes": self.probes, "messages": self.messages, "events": self.events, "verdicts": self.verdicts,
                "walks": self.walks, "files": len(self.files), "file_bytes": self.file_bytes}

    def line(self) -> str:
        return (f"{self.run_id} (started {self.started_utc[:16].replace('T', ' ')}): {self.messages} message(s), "
                f"{self.probes} persona(s), {self.events} event(s), {self.verdicts} verdict row(s), "
                f"{len(self.files)} file(s) ({_size(self.file_bytes)})")


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    return f"{count} B"


def purged_runs(store: Store) -> dict[str, str]:
    """Run id → when it was purged (read only: a store that was never purged has no `purges` table)."""
    try:
        rows = store.query("SELECT run_id, purged_utc FROM purges")
    except Exception as exc:  # the engine's "no such table"; anything else is raised
        if "purges" not in str(exc):
            raise
        return {}
    return {r["run_id"]: r["purged_utc"] for r in rows}


def refuse_purged(store: Store, run_id: str) -> None:
    """A ConfigError when `run_id` was purged: its scorecard cannot be built again from what is left."""
    from mysteryshop.errors import ConfigError

    when = purged_runs(store).get(run_id)
    if when:
        raise ConfigError(f"run {run_id} was purged on {when[:10]} (mysteryshop purge): its messages and personas are gone; "
                          "its grade and headline figures remain in the trends of later runs")


def plan_purge(store: Store, reports_dir: Path, cutoff_ns: int) -> list[RunPurge]:
    """The finished runs that started before `cutoff_ns` (wall clock) and are not purged yet, oldest first."""
    done = purged_runs(store)
    rows = store.query("SELECT id, started_utc FROM runs WHERE status != 'running' AND started_utc < ? ORDER BY started_utc",
                       (utc_at(cutoff_ns),))
    plans = []
    for row in rows:
        if row["id"] in done:
            continue
        plan = RunPurge(row["id"], row["started_utc"])
        for table, attr in (("probes", "probes"), ("messages", "messages"), ("events", "events"), ("verdicts", "verdicts"),
                            ("walks", "walks")):
            setattr(plan, attr, store.query(f"SELECT COUNT(*) AS n FROM {table} WHERE run_id = ?", (row["id"],))[0]["n"])
        folder = reports_dir / row["id"]
        if folder.is_dir():
            plan.files = sorted(p for p in folder.rglob("*") if p.is_file())
            plan.file_bytes = sum(p.stat().st_size for p in plan.files)
        plans.append(plan)
    return plans


def scrub_event_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """An event's data without anything a person wrote or is called: numbers, flags and the names of things stay."""
    return {key: value for key, value in data.items()
            if value is None or isinstance(value, bool | int | float) or (key in EVENT_KEYS_KEPT and isinstance(value, str) and len(value) <= 80)}


def _scrubbed_events(store: Store, run_id: str) -> Iterable[tuple[str, tuple[Any, ...]]]:
    for event_id, data in store.rows("SELECT id, data FROM events WHERE run_id = ?", (run_id,)):
        try:
            parsed = json.loads(data or "{}")
        except ValueError:
            parsed = {}
        kept = scrub_event_data(parsed) if isinstance(parsed, dict) else {}
        if kept != parsed:
            yield "UPDATE events SET data = ? WHERE id = ?", (json.dumps(kept), event_id)


def purge_run(store: Store, plan: RunPurge, older_than: str, reports_dir: Path) -> None:
    """Remove `plan`'s personal data in one transaction (all of it or none), then its report folder."""
    run_id = plan.run_id
    blank = ", ".join(f"{column} = CASE WHEN {column} IS NULL THEN NULL ELSE '' END" for column in MESSAGE_TEXT_COLUMNS)
    writes: list[tuple[str, tuple[Any, ...]]] = [
        (f"UPDATE messages SET raw = ?, mail_from = '', rcpt_to = '', from_addr = '', {blank} WHERE run_id = ?", (b"", run_id)),
        ("UPDATE probes SET persona = '{}', address = '', outcome = NULL WHERE run_id = ?", (run_id,)),
        *_scrubbed_events(store, run_id),
        ("DELETE FROM verdicts WHERE run_id = ?", (run_id,)),
        ("DELETE FROM entries WHERE run_id = ?", (run_id,)),
        ("DELETE FROM walks WHERE run_id = ?", (run_id,)),
        ("UPDATE sends SET error = NULL WHERE run_id = ?", (run_id,)),
        ("INSERT INTO purges (run_id, purged_utc, older_than, removed) VALUES (?, ?, ?, ?)",
         (run_id, utc_now(), older_than, json.dumps(plan.removed()))),
    ]
    store.together(writes)
    shutil.rmtree(reports_dir / run_id, ignore_errors=True)


#: the tables a purge rewrites rows of: on PostgreSQL their old row versions (dead tuples, TOAST chunks) keep the
#: removed words in the table files until the table is rewritten
PURGED_TABLES = ("messages", "probes", "events", "verdicts", "entries", "walks", "sends")


def compact_postgres(url: str) -> None:
    """Rewrite the purged tables (VACUUM FULL) so that no old row version still holds what was removed; the old
    files are given back to the file system. VACUUM cannot run in a transaction: a connection of its own, autocommit."""
    from mysteryshop.storage.postgres import PostgresEngine

    engine = PostgresEngine(url)
    try:
        with engine.connect() as conn:
            for table in PURGED_TABLES:
                conn.execute(f"VACUUM FULL {table}")
    finally:
        engine.close()


def compact(path: Path) -> None:
    """Rewrite the SQLite file so that what was removed is not left in its free pages or its write-ahead log."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
