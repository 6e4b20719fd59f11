"""The SQLite engine of the store: one file, WAL, nothing to set up (the default)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mysteryshop.storage import schema
from mysteryshop.storage.clock import utc_now


CONNECT_TIMEOUT_S = 30.0


def _enter_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL, waiting out other processes doing the same.

    Processes opening a new file at once race for the exclusive lock the switch takes, and SQLite can answer
    "database is locked" there without calling the busy handler (the `timeout` given to connect), so it is retried
    here, bounded by the same timeout."""
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    pause = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)


class SQLiteEngine:
    """Connections to one SQLite file: a writer's, and one reader per thread."""

    errors: tuple[type[BaseException], ...] = (sqlite3.Error,)
    #: SQLite serialises writers: a conditional UPDATE is a claim as it is
    claim_lock = ""
    #: a failed statement leaves the rest of its transaction usable
    isolated_failures = True
    name = "sqlite"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=CONNECT_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        _enter_wal(conn)
        conn.execute("PRAGMA synchronous=FULL")
        conn.row_factory = sqlite3.Row
        return conn

    def migrate(self) -> None:
        """Bring the file to the current schema: one transaction holding the write lock, so processes opening a new
        store at once (four `tick`s) never both apply a migration ("duplicate column name")."""
        conn = self.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(schema.SQLITE_VERSION_TABLE)
            current = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
            missing = schema.pending(current, self.location)
            for migration in missing:
                schema.apply_sqlite(conn, migration)
                conn.execute("INSERT INTO schema_version VALUES (?, ?, ?)", schema.version_row(migration, utc_now()))
            if missing:  # a store opened as it is stays byte for byte the same (a dry run changes nothing)
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(schema.SCHEMA_VERSION),))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    # -- the writer's connection
    def lock_sql(self, key: str) -> None:
        """No lock to take: SQLite runs one write transaction at a time."""
        return None

    def begin(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def commit(self, conn: sqlite3.Connection) -> None:
        conn.execute("COMMIT")

    def rollback(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    def execute(self, conn: sqlite3.Connection, sql: str) -> None:
        conn.execute(sql)

    def apply(self, conn: sqlite3.Connection, sql: str, params: tuple[Any, ...], changes: bool) -> int:
        cursor = conn.execute(sql, params)
        if changes:
            return max(cursor.rowcount, 0)
        return (cursor.lastrowid or 0) if cursor.rowcount != 0 else 0

    def run_together(self, writes: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Writes in one transaction on a connection of their own (for a process about to end at once)."""
        conn = sqlite3.connect(self.path, timeout=3, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            for sql, params in writes:
                conn.execute(sql, params)
            conn.execute("COMMIT")
        finally:
            conn.close()

    def bulk(self, statements: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
        """Many rows in one transaction (synthetic runs, benchmarks)."""
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            conn.execute("BEGIN")
            for sql, rows in statements:
                conn.executemany(sql, rows)
            conn.execute("COMMIT")
        finally:
            conn.close()

    # -- reading
    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self.connect()
        return conn

    def query(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        return self._reader().execute(sql, params).fetchall()

    def each_row(self, sql: str, params: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        cursor = self._reader().cursor()
        cursor.row_factory = None
        yield from cursor.execute(sql, params)

    def query_dicts(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        cursor = self._reader().cursor()
        cursor.row_factory = None
        cursor.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    def read_only(self) -> sqlite3.Connection:
        """A connection of its own that cannot write (progress lines read while the run writes)."""
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=5, check_same_thread=False)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
