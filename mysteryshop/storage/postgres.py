"""The PostgreSQL engine of the store (psycopg 3 and its pool): one store shared by shards, workers and listeners.

The store's SQL is written once in SQLite's dialect and translated here (storage/dialect.py). The writer keeps one
connection of its own and commits in groups as on SQLite; readers borrow pooled connections in autocommit mode,
so each read sees everything committed before it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import psycopg
import psycopg.adapt
from psycopg.types.numeric import NumericBinaryLoader
from psycopg_pool import ConnectionPool

from mysteryshop.errors import StoreUnavailable
from mysteryshop.storage import schema
from mysteryshop.storage.clock import utc_now
from mysteryshop.storage.dialect import to_postgres

#: any number, the same in every process: the lock that migrations take
MIGRATION_LOCK = 0x6D797374
CONNECT_TIMEOUT_S = 5
#: an update of one row by its id (an annotation): a run of them can go as one statement over arrays
_UPDATE_BY_ID = re.compile(r"UPDATE (\w+) SET ((?:\w+ = %s, )*\w+ = %s) WHERE id = %s")
#: a plain insert of one row returning its generated id (a received message): a run of them can go as one statement
_INSERT_RETURNING_ID = re.compile(r"INSERT INTO (\w+) \((\w+(?:, \w+)*)\) VALUES \((%s(?:, %s)*)\) RETURNING id")
#: Python values whose lists psycopg sends as one typed array
_ARRAY_TYPES = (str, int, float, bytes, bool)


def redacted(url: str) -> str:
    """The URL without its password: what messages and `store.path` show."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


def where(url: str) -> str:
    """host:port/database of a URL, for messages."""
    parts = urlsplit(url)
    try:
        port = parts.port or 5432
    except ValueError:
        port = "?"
    return f"{parts.hostname or 'localhost'}:{port}/{parts.path.lstrip('/') or '(no database)'}"


class _Numeric(psycopg.adapt.Loader):
    """numeric (what sum() of integers gives) as int when whole, else float: as SQLite returns them."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        if "." in text or "e" in text.lower() or text in ("NaN", "Infinity", "-Infinity"):
            return float(text)
        return int(text)


class Row(tuple):  # type: ignore[type-arg]
    """A result row read by position or by column name (as sqlite3.Row)."""

    __slots__ = ()
    names: dict[str, int] = {}

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self.names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self.names)


def _row_factory(cursor: Any) -> Any:
    if cursor.description is None:
        return lambda values: values
    names = {d.name: i for i, d in enumerate(cursor.description)}
    row_class = type("Row", (Row,), {"__slots__": (), "names": names})
    return lambda values: row_class(values)


class _NumericBinary(NumericBinaryLoader):
    """`_Numeric` for results read in binary (every read: bytea then travels as it is, not hex-encoded)."""

    def load(self, data: Any) -> int | float:
        value = super().load(data)
        return int(value) if value == value.to_integral_value() else float(value)


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.adapters.register_loader("numeric", _Numeric)
    conn.adapters.register_loader("numeric", _NumericBinary)


def _params(params: tuple[Any, ...]) -> tuple[Any, ...]:
    """SQLite stores a bool as 0/1 in an INTEGER column; PostgreSQL refuses a boolean there."""
    if bool not in set(map(type, params)):  # the common case, checked in C: the writer calls this for every write
        return params
    return tuple(int(p) if p is True or p is False else p for p in params)


def check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise StoreUnavailable(f"store URL {redacted(url)}: the scheme must be postgresql:// (e.g. postgresql://user@127.0.0.1:5432/mysteryshop)")
    try:
        parts.port
    except ValueError:
        raise StoreUnavailable(f"store URL {redacted(url)}: the port is not a number; write postgresql://user@host:5432/database") from None
    if not parts.path.strip("/"):
        raise StoreUnavailable(f"store URL {redacted(url)} names no database; write postgresql://user@{parts.hostname or 'host'}:{parts.port or 5432}/mysteryshop")


class PostgresEngine:
    errors: tuple[type[BaseException], ...] = (psycopg.Error,)
    #: a claim skips rows another worker is claiming, instead of waiting for it
    claim_lock = " FOR UPDATE SKIP LOCKED"
    #: a failed statement aborts its transaction: the writer replays the rest of the batch
    isolated_failures = False
    name = "postgresql"

    def __init__(self, url: str) -> None:
        check_url(url)
        self.url = url
        self.location = redacted(url)
        self.path = self.location
        self._types: dict[str, dict[str, str]] = {}
        first = self.connect()  # a bad URL says so here, in one line, before any pool retries in the background
        first.close()
        self._pool = ConnectionPool(url, min_size=1, max_size=8, kwargs={"autocommit": True, "row_factory": _row_factory},
                                    configure=_configure, open=True, name="mysteryshop-store")

    def connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S, row_factory=_row_factory)
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise StoreUnavailable(
                f"cannot open the PostgreSQL store at {where(self.url)}: {reason}. Check the URL (--store, MYSTERYSHOP_STORE or "
                f"[tool.mysteryshop] store), that the server runs there (pg_isready -h {urlsplit(self.url).hostname or 'localhost'} "
                f"-p {urlsplit(self.url).port or 5432}) and that the database exists (createdb)") from None
        _configure(conn)
        return conn

    def migrate(self) -> None:
        with self.connect() as conn:
            conn.execute("BEGIN")
            try:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                conn.execute(schema.POSTGRES_VERSION_TABLE)
                current = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
                missing = schema.pending(current, self.location)
                for migration in missing:
                    conn.execute(migration.postgres)
                    conn.execute("INSERT INTO schema_version VALUES (%s, %s, %s)", schema.version_row(migration, utc_now()))
                if missing:
                    conn.execute("INSERT INTO meta VALUES ('schema_version', %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                                 (str(schema.SCHEMA_VERSION),))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def lock_sql(self, key: str) -> tuple[str, tuple[Any, ...]]:
        """A statement taking a lock on `key` until the transaction ends: writers naming the same key run one at a time."""
        return "SELECT pg_advisory_xact_lock(hashtext(?))", (key,)

    # -- the writer's connection
    def begin(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute("BEGIN")

    def commit(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute("COMMIT")

    def rollback(self, conn: psycopg.Connection[Any]) -> None:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")

    def execute(self, conn: psycopg.Connection[Any], sql: str) -> None:
        conn.execute(sql)

    def apply(self, conn: psycopg.Connection[Any], sql: str, params: tuple[Any, ...], changes: bool) -> int:
        text = to_postgres(sql, returning_id=not changes)
        cursor = conn.execute(text, _params(params), prepare=True)
        if not changes and text.endswith(" RETURNING id"):
            row = cursor.fetchone()
            return int(row[0]) if row else 0
        return max(cursor.rowcount, 0)

    def apply_many(self, conn: psycopg.Connection[Any], writes: list[tuple[str, tuple[Any, ...], bool, bool]]) -> list[int]:
        """Several writes (sql, params, changes, wanted) in one round trip (pipeline mode): what `apply` returns for each.
        Runs of the same statement go as one `executemany` where no one needs a row count from it (an insert that
        returns its id; a posted write nobody waits for). The first write that fails raises, and the transaction is
        aborted (the store then replays the batch one write at a time)."""
        runs: list[tuple[str, bool, list[tuple[Any, ...]]]] = []  # (statement, returns id, params of each write)
        for sql, params, changes, wanted in writes:
            text = to_postgres(sql, returning_id=not changes)
            returning = not changes and text.endswith(" RETURNING id")
            many = returning or not wanted
            if many and runs and runs[-1][0] == text and runs[-1][1] == returning and len(runs[-1][2]) > 0 and runs[-1][2][-1] is not None:
                runs[-1][2].append(_params(params))
                continue
            runs.append((text, returning, [_params(params)] if many else [_params(params), None]))  # None: a single write
        pending: list[tuple[Any, bool, int, str]] = []  # (cursor, returns ids, writes, how: single / many / one statement)
        with conn.pipeline():
            for text, returning, rows in runs:
                cursor = conn.cursor()
                if rows[-1] is None:
                    cursor.execute(text, rows[0], prepare=True)
                    pending.append((cursor, returning, 1, "single"))
                    continue
                together = None if len(rows) < 2 else (self._inserts_as_one if returning else self._updates_as_one)(text, rows)
                if together is not None:
                    cursor.execute(*together)
                    pending.append((cursor, returning, len(rows), "one"))
                    continue
                cursor.executemany(text, rows, returning=returning)
                pending.append((cursor, returning, len(rows), "many"))
        results: list[int] = []
        for cursor, returning, count, how in pending:
            if how == "one" and returning:
                found = sorted(int(row[0]) for row in cursor.fetchall())
                if len(found) != count:
                    raise RuntimeError(f"the store's writer lost count: {count} rows inserted, {len(found)} ids returned")
                results.extend(found)
            elif returning:
                found = []
                while True:
                    row = cursor.fetchone()
                    found.append(int(row[0]) if row else 0)
                    if not cursor.nextset():
                        break
                results.extend(found)
            elif how == "single":
                results.append(max(cursor.rowcount, 0))
            else:
                results.extend([0] * count)  # posted: nobody reads it
        if len(results) != len(writes):
            raise RuntimeError(f"the store's writer lost count: {len(writes)} writes, {len(results)} results")
        return results

    def _updates_as_one(self, text: str, rows: list[tuple[Any, ...]]) -> tuple[str, list[Any]] | None:
        """A run of posted `UPDATE t SET a = %s, ... WHERE id = %s` as one `UPDATE ... FROM unnest(arrays)`: the
        server plans and runs one statement, not one per row. The same end state as the writes one after another:
        where an id comes twice, its last write is the one kept. None when the run does not have that shape (or a
        column's values are not of one plain type), and it goes row by row."""
        match = _UPDATE_BY_ID.fullmatch(text)
        if match is None:
            return None
        table, columns = match.group(1), [a.split(" = ")[0] for a in match.group(2).split(", ")]
        names = [*columns, "id"]
        arrays = self._typed_arrays(table, names, list({row[-1]: row for row in rows}.values()))
        if arrays is None:
            return None
        assignments = ", ".join(f"{c} = v.{c}" for c in columns)
        return f"UPDATE {table} SET {assignments} FROM unnest({arrays[0]}) AS v({', '.join(names)}) WHERE {table}.id = v.id", arrays[1]

    def _inserts_as_one(self, text: str, rows: list[tuple[Any, ...]]) -> tuple[str, list[Any]] | None:
        """A run of `INSERT INTO t (a, ...) VALUES (%s, ...) RETURNING id` as one `INSERT ... SELECT FROM unnest(arrays)`.
        Rows are inserted in the run's order (ORDER BY their ordinal), so the ids the sequence gives them rise in
        that order and the returned ids, sorted, are the run's ids one by one (as SQLAlchemy's insertmanyvalues
        relies on). None when the run does not have that shape."""
        match = _INSERT_RETURNING_ID.fullmatch(text)
        if match is None:
            return None
        table, names = match.group(1), match.group(2).split(", ")
        arrays = self._typed_arrays(table, names, rows)
        if arrays is None or "id" in names:
            return None
        columns = ", ".join(names)
        return (f"INSERT INTO {table} ({columns}) SELECT {columns} FROM unnest({arrays[0]}) WITH ORDINALITY "
                f"AS v({columns}, ordinal) ORDER BY ordinal RETURNING id", arrays[1])

    def _typed_arrays(self, table: str, names: list[str], rows: list[tuple[Any, ...]]) -> tuple[str, list[Any]] | None:
        """(the `%s::type[], ...` placeholders, one list per column) for `rows` of `names`; None when a column is
        unknown or its values are not all of one plain type (psycopg could not send them as one array)."""
        types = self._column_types(table)
        if any(c not in types for c in names):
            return None
        arrays = [list(values) for values in zip(*rows)]
        for values in arrays:
            kinds = {type(v) for v in values if v is not None}
            if len(kinds) > 1 or not kinds <= set(_ARRAY_TYPES):
                return None
        return ", ".join(f"%b::{types[c]}[]" for c in names), arrays

    def _column_types(self, table: str) -> dict[str, str]:
        """Column name → its SQL type, read once per table from the catalogue."""
        cache = self._types
        if table not in cache:
            with self.connect() as other:
                found = other.execute("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                                      "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped", (table,)).fetchall()
            cache[table] = {str(name): str(kind) for name, kind in found}
        return cache[table]

    def run_together(self, writes: list[tuple[str, tuple[Any, ...]]]) -> None:
        with self.connect() as conn, conn.transaction():
            for sql, params in writes:
                conn.execute(to_postgres(sql), _params(params))

    def bulk(self, statements: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
        with self.connect() as conn, conn.transaction(), conn.cursor() as cursor:
            for sql, rows in statements:
                cursor.executemany(to_postgres(sql), [_params(r) for r in rows])

    # -- reading
    def query(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        with self._pool.connection() as conn:
            return conn.execute(to_postgres(sql), _params(params), binary=True).fetchall()

    def each_row(self, sql: str, params: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        with self._pool.connection() as conn, conn.cursor(row_factory=psycopg.rows.tuple_row) as cursor:
            cursor.execute(to_postgres(sql), _params(params), binary=True)
            yield from cursor

    def query_dicts(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        with self._pool.connection() as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cursor:
            cursor.execute(to_postgres(sql), _params(params), binary=True)
            return cursor.fetchall()

    def read_only(self) -> _Reader:
        return _Reader(self)

    def close(self) -> None:
        self._pool.close()


class _Reader:
    """What progress lines read through: `execute(sql, params)` in SQLite's dialect, as a sqlite3 connection offers."""

    def __init__(self, engine: PostgresEngine) -> None:
        self._conn = engine.connect()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self._conn.execute(to_postgres(sql), _params(tuple(params)))

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self._conn.close()
