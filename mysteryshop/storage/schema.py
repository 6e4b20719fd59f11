"""The store's schema, one versioned list of migrations for both engines.

A store records each migration applied in `schema_version` (version, when, what). Opening a store applies the
ones it lacks, in order, in one transaction that holds the store's write lock (SQLite: BEGIN IMMEDIATE;
PostgreSQL: an advisory lock), so processes opening a new store at once never both apply one. A store written by
a newer mysteryshop (a version this code does not know) is refused: it could hold what this code would lose.

Migration 1 is the schema as it was before versions were kept: on SQLite it is written so that it also brings a
store from those days up to date (tables and columns added where missing); PostgreSQL has no such past.
To change the schema, append a migration with SQL for both engines; never edit one a release has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mysteryshop.storage.dialect import to_postgres

#: Columns of `walks` added after it was first created by campaign.py (migrated in place).
WALK_COLUMNS = (("owner", "TEXT"), ("lease_until_ns", "INTEGER"), ("not_before_ns", "INTEGER"))

#: Parsed fields that tell a message's kind (scoring.classify), added with them: `from_addr` is never NULL on a row
#: annotated since, so a row where it is NULL was annotated before and is parsed again from its raw bytes.
KIND_COLUMNS = ("from_addr", "from_name", "report_type", "delivery_action", "delivery_status", "delivery_evidence", "kind_headers")

#: Parsed fields of a message added after the first store (NULL on older rows).
#: `text_basis` marks a complete annotation: a digest of the customer text that `text` was
#: cut against (see mail.stored_fields). `full_text` is NULL when it equals `text`.
#: `kind_reading`: the message's kind as read when it was received (scoring.stored_kind; NULL: read it when needed).
PARSED_COLUMNS = ("full_text", "html", "auto_submitted", "list_unsubscribe", "precedence", "text_basis",
                  *KIND_COLUMNS, "kind_reading")

SQLITE_BASELINE = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    started_utc TEXT NOT NULL,
    finished_utc TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    config TEXT NOT NULL DEFAULT '{}',
    summary TEXT
);
CREATE TABLE IF NOT EXISTS probes (
    id TEXT NOT NULL,
    run_id TEXT NOT NULL REFERENCES runs(id),
    journey TEXT NOT NULL,
    target TEXT NOT NULL,
    persona TEXT NOT NULL,
    address TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'running',
    outcome TEXT,
    PRIMARY KEY (run_id, id)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    probe_id TEXT,
    kind TEXT NOT NULL,
    step TEXT,
    t_ns INTEGER NOT NULL,
    utc TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS events_probe ON events (run_id, probe_id);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    probe_id TEXT,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    mail_from TEXT NOT NULL,
    rcpt_to TEXT NOT NULL,
    t_ns INTEGER NOT NULL,
    utc TEXT NOT NULL,
    raw BLOB NOT NULL,
    message_id TEXT,
    in_reply_to TEXT,
    subject TEXT,
    text TEXT,
    matched_by TEXT,
    malformed INTEGER NOT NULL DEFAULT 0,
    defects TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS messages_probe ON messages (run_id, probe_id);
CREATE TABLE IF NOT EXISTS verdicts (
    run_id TEXT NOT NULL,
    probe_id TEXT,
    scorer TEXT NOT NULL,
    digest TEXT NOT NULL,
    results TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS verdicts_run ON verdicts (run_id, scorer);
CREATE TABLE IF NOT EXISTS entries (
    run_id TEXT NOT NULL,
    probe_id TEXT NOT NULL,
    scorer TEXT NOT NULL,
    seen TEXT NOT NULL,
    entry BLOB NOT NULL,
    PRIMARY KEY (run_id, probe_id)
);
-- A recorded entry holds only while the rows it was computed from do (see scorecard/entries.py): row marks see what is
-- added; what is changed or deleted drops the entry here (SQLite reuses the largest id of a deleted row)
CREATE TRIGGER IF NOT EXISTS entries_event_deleted AFTER DELETE ON events
    BEGIN DELETE FROM entries WHERE run_id = old.run_id AND probe_id = old.probe_id; END;
CREATE TRIGGER IF NOT EXISTS entries_event_changed AFTER UPDATE ON events
    BEGIN DELETE FROM entries WHERE run_id = old.run_id AND probe_id IN (old.probe_id, new.probe_id); END;
CREATE TRIGGER IF NOT EXISTS entries_message_deleted AFTER DELETE ON messages
    BEGIN DELETE FROM entries WHERE run_id = old.run_id AND probe_id = old.probe_id; END;
CREATE TRIGGER IF NOT EXISTS entries_message_changed AFTER UPDATE ON messages
    BEGIN DELETE FROM entries WHERE run_id = old.run_id AND probe_id IN (old.probe_id, new.probe_id); END;
CREATE TRIGGER IF NOT EXISTS entries_probe_changed AFTER UPDATE OF journey, target, persona, status ON probes
    BEGIN DELETE FROM entries WHERE run_id = old.run_id AND probe_id = old.id; END;
CREATE TRIGGER IF NOT EXISTS entries_probe_deleted AFTER DELETE ON probes
    BEGIN DELETE FROM entries WHERE run_id = old.run_id AND probe_id = old.id; END;
-- A campaign probe's walk (runner.WalkState as JSON) and who is moving it on: a claimer holds it until lease_until_ns
-- (wall clock), so a claimer that died lets it go; a probe deferred by a rate limit is not due before not_before_ns
CREATE TABLE IF NOT EXISTS walks (
    run_id TEXT NOT NULL,
    probe_id TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_utc TEXT NOT NULL,
    owner TEXT,
    lease_until_ns INTEGER,
    not_before_ns INTEGER,
    PRIMARY KEY (run_id, probe_id)
);
-- Every message a campaign sends to a company (an email, a web form, a chat message), keyed by (run, probe, step, visit):
-- recorded 'started' before it goes out, 'sent' once the company took it (an email's 250; see sends.py). A target's email
-- rows are also its rate-limit slots (safety.RateLimiter).
CREATE TABLE IF NOT EXISTS sends (
    run_id TEXT NOT NULL,
    probe_id TEXT NOT NULL,
    step TEXT NOT NULL,
    visit INTEGER NOT NULL,
    target TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT 'email',
    owner TEXT NOT NULL,
    reserved_ns INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'started' CHECK (status IN ('started', 'sent', 'failed')),
    done_ns INTEGER,
    error TEXT,
    PRIMARY KEY (run_id, probe_id, step, visit)
);
CREATE INDEX IF NOT EXISTS sends_target ON sends (target, channel, reserved_ns);
-- the emails sent lately, whatever sent them: rate limits count a run's sends too (safety.RateLimiter)
CREATE INDEX IF NOT EXISTS events_sent ON events (utc) WHERE kind = 'sent';
"""


def _sqlite_baseline(conn: sqlite3.Connection) -> None:
    """Migration 1 on SQLite: the tables, and the columns a store from before versions may lack."""
    for statement in _statements(SQLITE_BASELINE):
        conn.execute(statement)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(messages)")}
    for column in ("source", *PARSED_COLUMNS):
        if column not in columns:
            conn.execute(f"ALTER TABLE messages ADD COLUMN {column} TEXT")
    conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS messages_source ON messages (source) WHERE source IS NOT NULL")
    walk_columns = {row[1] for row in conn.execute("PRAGMA table_info(walks)")}
    for column, kind in WALK_COLUMNS:
        if column not in walk_columns:
            conn.execute(f"ALTER TABLE walks ADD COLUMN {column} {kind}")


_PG_PARSED = ",\n    ".join(f"{column} TEXT" for column in ("source", *PARSED_COLUMNS))

POSTGRES_BASELINE = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    started_utc TEXT NOT NULL,
    finished_utc TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    config TEXT NOT NULL DEFAULT '{{}}',
    summary TEXT
);
CREATE TABLE probes (
    seq BIGINT GENERATED ALWAYS AS IDENTITY,  -- the order probes were added (SQLite's rowid)
    id TEXT NOT NULL,
    run_id TEXT NOT NULL REFERENCES runs(id),
    journey TEXT NOT NULL,
    target TEXT NOT NULL,
    persona TEXT NOT NULL,
    address TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'running',
    outcome TEXT,
    PRIMARY KEY (run_id, id)
);
CREATE TABLE events (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    run_id TEXT NOT NULL,
    probe_id TEXT,
    kind TEXT NOT NULL,
    step TEXT,
    t_ns BIGINT NOT NULL,
    utc TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{{}}'
);
CREATE INDEX events_probe ON events (run_id, probe_id);
CREATE INDEX events_sent ON events (utc) WHERE kind = 'sent';
CREATE TABLE messages (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    run_id TEXT NOT NULL,
    probe_id TEXT,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    mail_from TEXT NOT NULL,
    rcpt_to TEXT NOT NULL,
    t_ns BIGINT NOT NULL,
    utc TEXT NOT NULL,
    raw BYTEA NOT NULL,
    message_id TEXT,
    in_reply_to TEXT,
    subject TEXT,
    text TEXT,
    matched_by TEXT,
    malformed INTEGER NOT NULL DEFAULT 0,
    defects TEXT NOT NULL DEFAULT '[]',
    {_PG_PARSED}
);
CREATE INDEX messages_probe ON messages (run_id, probe_id);
CREATE UNIQUE INDEX messages_source ON messages (source) WHERE source IS NOT NULL;
CREATE TABLE verdicts (
    run_id TEXT NOT NULL,
    probe_id TEXT,
    scorer TEXT NOT NULL,
    digest TEXT NOT NULL,
    results TEXT NOT NULL
);
CREATE INDEX verdicts_run ON verdicts (run_id, scorer);
CREATE TABLE entries (
    run_id TEXT NOT NULL,
    probe_id TEXT NOT NULL,
    scorer TEXT NOT NULL,
    seen TEXT NOT NULL,
    entry BYTEA NOT NULL,
    PRIMARY KEY (run_id, probe_id)
);
-- a recorded entry holds only while the rows it was computed from do (scorecard/entries.py; as SQLite's triggers)
CREATE FUNCTION entries_forget_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'probes' THEN
        DELETE FROM entries WHERE run_id = OLD.run_id AND probe_id = OLD.id;
    ELSIF TG_OP = 'UPDATE' THEN
        DELETE FROM entries WHERE run_id = OLD.run_id AND probe_id IN (OLD.probe_id, NEW.probe_id);
    ELSE
        DELETE FROM entries WHERE run_id = OLD.run_id AND probe_id = OLD.probe_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER entries_event_changed AFTER UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION entries_forget_row();
CREATE TRIGGER entries_message_changed AFTER UPDATE OR DELETE ON messages FOR EACH ROW EXECUTE FUNCTION entries_forget_row();
CREATE TRIGGER entries_probe_changed AFTER UPDATE OF journey, target, persona, status OR DELETE ON probes
    FOR EACH ROW EXECUTE FUNCTION entries_forget_row();
CREATE TABLE walks (
    run_id TEXT NOT NULL,
    probe_id TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_utc TEXT NOT NULL,
    owner TEXT,
    lease_until_ns BIGINT,
    not_before_ns BIGINT,
    PRIMARY KEY (run_id, probe_id)
);
CREATE TABLE sends (
    run_id TEXT NOT NULL,
    probe_id TEXT NOT NULL,
    step TEXT NOT NULL,
    visit INTEGER NOT NULL,
    target TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT 'email',
    owner TEXT NOT NULL,
    reserved_ns BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'started' CHECK (status IN ('started', 'sent', 'failed')),
    done_ns BIGINT,
    error TEXT,
    PRIMARY KEY (run_id, probe_id, step, visit)
);
CREATE INDEX sends_target ON sends (target, channel, reserved_ns);
"""


#: Tables of features that once created their own on first use (a race on PostgreSQL): the accepted baselines
#: (history.py), retention's log (purge.py), the alerts ledger (alerts/deliver.py), scheduled waves (waves.py).
FEATURE_TABLES = (
    'CREATE TABLE IF NOT EXISTS baselines (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, accepted_utc TEXT NOT NULL, file TEXT)',
    'CREATE TABLE IF NOT EXISTS waves (name TEXT PRIMARY KEY, cron TEXT NOT NULL, tz TEXT NOT NULL, targets TEXT NOT NULL, journeys TEXT NOT NULL, personas INTEGER NOT NULL, seed INTEGER NOT NULL, created_utc TEXT NOT NULL, next_utc TEXT NOT NULL, last_utc TEXT, last_campaign TEXT)',
    'CREATE TABLE IF NOT EXISTS alerts (event_key TEXT NOT NULL, destination TEXT NOT NULL, kind TEXT NOT NULL, run_id TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, error TEXT, updated_utc TEXT NOT NULL, PRIMARY KEY (event_key, destination))',
    'CREATE TABLE IF NOT EXISTS purges (run_id TEXT PRIMARY KEY, purged_utc TEXT NOT NULL, older_than TEXT NOT NULL, removed TEXT NOT NULL)',
)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    sqlite: Callable[[sqlite3.Connection], None] | str
    postgres: str


#: A run written by several processes (`pytest --shard i/n` on several machines, xdist): a row per share that ended, and
#: the row 'scorecard' of the one process that found them all in and scored the run (see shards.py)
RUN_PARTS = """
CREATE TABLE IF NOT EXISTS run_parts (
    run_id TEXT NOT NULL,
    part TEXT NOT NULL,
    status TEXT NOT NULL,
    host TEXT,
    pid INTEGER,
    finished_utc TEXT NOT NULL,
    PRIMARY KEY (run_id, part)
);
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "runs, probes, events, messages, verdicts, entries, walks, sends", _sqlite_baseline, POSTGRES_BASELINE),
    Migration(2, "baselines, purges, alerts, waves", ";\n".join(FEATURE_TABLES) + ";",
              ";\n".join(to_postgres(table) for table in FEATURE_TABLES) + ";"),
    Migration(3, "run_parts: the shares of a sharded run", RUN_PARTS, RUN_PARTS),
)
SCHEMA_VERSION = MIGRATIONS[-1].version

SQLITE_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL, description TEXT NOT NULL)"
POSTGRES_VERSION_TABLE = SQLITE_VERSION_TABLE


class SchemaTooNew(RuntimeError):
    """The store was written by a newer mysteryshop."""


def pending(current: int, where: str, migrations: Sequence[Migration] | None = None) -> list[Migration]:
    """The migrations a store at version `current` lacks, in order; refuses a store newer than `migrations` know."""
    migrations = MIGRATIONS if migrations is None else migrations
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise SchemaTooNew(
            f"the store {where} has schema version {current}, newer than this mysteryshop knows ({latest}): it was written by a "
            f"newer mysteryshop. Upgrade mysteryshop (pip install -U mysteryshop), or give another store with --store")
    return [m for m in migrations if m.version > current]


def _statements(script: str) -> list[str]:
    """A script cut into statements for `execute` (sqlite3 runs one at a time; executescript would commit)."""
    statements, current = [], []
    for line in script.splitlines():
        if line.strip().startswith("--") or not line.strip():
            continue
        current.append(line)
        joined = "\n".join(current)
        if joined.rstrip().endswith(";") and sqlite3.complete_statement(joined):
            statements.append(joined)
            current = []
    if current:
        statements.append("\n".join(current))
    return statements


def apply_sqlite(conn: sqlite3.Connection, migration: Migration) -> None:
    if callable(migration.sqlite):
        migration.sqlite(conn)
    else:
        for statement in _statements(migration.sqlite):
            conn.execute(statement)


def version_row(migration: Migration, utc: str) -> tuple[Any, ...]:
    return (migration.version, utc, migration.description)
