"""The run store: runs, probes, events and messages, in SQLite (WAL; the default) or PostgreSQL (a URL).

`Store(location)` opens either: a file path is SQLite, a postgresql:// URL is PostgreSQL (storage/). Both have the
same schema and migrations (storage/schema.py) and take the same SQL, written in SQLite's dialect.

Writes go through one writer thread that commits in groups: every caller waits until its
row is committed (fsync'd in the WAL), but a burst of a thousand messages costs a handful of
fsyncs, not a thousand. That is how the probe mailbox can store a message before answering
250 and still keep up with a flood of mail.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from mysteryshop.storage import is_url, open_engine
from mysteryshop.storage.clock import ns_at, utc_at, utc_now
from mysteryshop.storage.schema import KIND_COLUMNS, PARSED_COLUMNS, SCHEMA_VERSION, WALK_COLUMNS

__all__ = ["KIND_COLUMNS", "PARSED_COLUMNS", "SCHEMA_VERSION", "WALK_COLUMNS", "Store", "is_url", "ns_at", "utc_at", "utc_now"]
log = logging.getLogger(__name__)

#: how long a posted write (nobody waits for it) may stay on its loop, gathering company
POST_DELAY_S = 0.02

def placeholders(count: int) -> str:
    """`?, ?, ?` for `count` values: the parameters of an `IN (...)` or a `VALUES (...)`."""
    return ", ".join("?" * count)


def new_run_id() -> str:
    """Sortable and unique enough: 20261123-070722-a389."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def _json(data: dict[str, Any]) -> str:
    """An event's data as JSON: orjson (a tenth of the stdlib's time; a probe writes eight events), or the stdlib for what orjson refuses."""
    try:
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(data)


@dataclass(frozen=True, slots=True)
class _Write:
    sql: str
    params: tuple[Any, ...]
    future: Future[int] | asyncio.Future[int] | None  # None: posted, nobody waits
    optional: bool = False  # posted, and its failure concerns no one (a cache: see `post`)
    changes: bool = False  # the result is the number of rows changed, not the last row id


@dataclass(frozen=True, slots=True)
class _Group:
    """Writes that take effect together or not at all (`Store.together`)."""

    writes: tuple[_Write, ...]
    only_if_first: bool = False


def _flat(batch: list[Any]) -> list[_Write]:
    return [w for item in batch for w in (item.writes if isinstance(item, _Group) else [item])]


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _event(run_id: str, probe_id: str | None, kind: str, t_ns: int, step: str | None, data: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    return (
        "INSERT INTO events (run_id, probe_id, kind, step, t_ns, utc, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (run_id, probe_id, kind, step, t_ns, utc_now(), _json(data)),
    )


_INTERRUPTED = "EXISTS (SELECT 1 FROM runs WHERE id = ? AND status = 'interrupted')"


def interrupted_writes(run_id: str, reason: str, t_ns: int, *, probes: bool = False) -> list[tuple[str, tuple[Any, ...]]]:
    """The writes that mark a running run interrupted: its status, and a `run_interrupted` event saying why;
    with `probes`, also its probes still running (for a run that ends without recording them one by one)."""
    event_sql, event_params = _event(run_id, None, "run_interrupted", t_ns, None, {"reason": reason})
    writes = [
        ("UPDATE runs SET status = 'interrupted' WHERE id = ? AND status = 'running'", (run_id,)),
        (event_sql.replace(" VALUES (?, ?, ?, ?, ?, ?, ?)", f" SELECT ?, ?, ?, ?, ?, ?, ? WHERE {_INTERRUPTED}"), (*event_params, run_id)),
    ]
    if probes:
        writes.append((f"UPDATE probes SET status = 'interrupted' WHERE run_id = ? AND status = 'running' AND {_INTERRUPTED}", (run_id, run_id)))
        writes.append(("UPDATE runs SET finished_utc = ? WHERE id = ? AND finished_utc IS NULL AND status = 'interrupted'", (utc_now(), run_id)))
    return writes


def mark_interrupted_now(location: Path | str, run_id: str, reason: str) -> None:
    """Mark a run and its probes still running interrupted, on a connection of its own: for a process about to end
    at once (a second Ctrl-C), or for a run whose process is gone. Does nothing to a run no longer running."""
    engine = open_engine(location)
    try:
        engine.run_together(interrupted_writes(run_id, reason, time.monotonic_ns(), probes=True))
    finally:
        engine.close()


def _settle(future: Future[int] | asyncio.Future[int], result: int | BaseException) -> None:
    if future.done():  # its waiter was cancelled (a stopped run); the row is committed all the same
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


def _settle_all(pairs: list[tuple[asyncio.Future[int], int | BaseException]]) -> None:
    for future, result in pairs:
        _settle(future, result)


class Store:
    """Every run, in one SQLite file or one PostgreSQL database. Thread-safe; async callers use the `a*` methods.

    `location`: a file path (SQLite) or a postgresql:// URL. Opening it applies the schema migrations it lacks
    (storage/schema.py) and refuses a store written by a newer mysteryshop; a URL that is wrong or unreachable
    raises StoreUnavailable with one line saying which host:port and what to check.
    """

    _STOP = object()

    def __init__(self, location: Path | str, *, batch: int = 512) -> None:
        from mysteryshop.errors import StoreUnavailable
        from mysteryshop.storage.schema import SchemaTooNew

        self._engine = open_engine(location)
        try:
            self._engine.migrate()
        except SchemaTooNew as exc:
            self._engine.close()
            raise StoreUnavailable(str(exc)) from None
        except BaseException:
            self._engine.close()
            raise
        #: the file (SQLite) or the URL without its password (PostgreSQL): what messages name
        self.path: Any = self._engine.path
        self.location = self._engine.location
        #: what the store was opened with (a file, or the URL with its password): for another connection of its own
        self.opened_with = location
        self.engine = self._engine.name
        #: what a failed statement raises on this engine (sqlite3.Error, psycopg.Error)
        self.errors: tuple[type[BaseException], ...] = self._engine.errors
        #: appended to a claim's row selection: PostgreSQL's FOR UPDATE SKIP LOCKED (SQLite serialises writers)
        self.claim_lock: str = self._engine.claim_lock
        self._batch = batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._staged: dict[asyncio.AbstractEventLoop, list[_Write]] = {}
        self._hand_over_at: dict[asyncio.AbstractEventLoop, asyncio.TimerHandle] = {}
        self._failure: BaseException | None = None  # of a posted write nobody waited for
        self._writer = threading.Thread(target=self._write_loop, name="mysteryshop-store", daemon=True)
        self._writer.start()

    # -- writing -------------------------------------------------------------------------
    def _write_loop(self) -> None:
        engine = self._engine
        conn = engine.connect()
        while True:
            first = self._queue.get()
            if first is self._STOP:
                break
            batch = list(first) if isinstance(first, list) else [first]
            stop = False
            while len(batch) < self._batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is self._STOP:
                    stop = True
                    break
                batch.extend(item) if isinstance(item, list) else batch.append(item)
            results = self._commit(conn, batch)
            if results is None:  # PostgreSQL: one failed statement aborted the batch; each item again on its own
                results = []
                for item in batch:
                    results.extend(self._commit(conn, [item]) or [(w, self._last_error) for w in _flat([item])])
            self._resolve(results)
            if stop:
                break
        conn.close()

    _last_error: BaseException | None = None

    def _commit(self, conn: Any, batch: list[Any]) -> list[tuple[_Write, int | BaseException]] | None:
        """Apply `batch` in one transaction: the result of each write, or None when a failure aborted the whole
        transaction (PostgreSQL) and nothing was applied."""
        engine = self._engine
        results: list[tuple[_Write, int | BaseException]] = []
        try:
            engine.begin(conn)
            if hasattr(engine, "apply_many") and not any(isinstance(w, _Group) for w in batch):
                done = engine.apply_many(conn, [(w.sql, w.params, w.changes, w.future is not None) for w in batch])
                engine.commit(conn)
                return list(zip(batch, done))
            for write in batch:
                if isinstance(write, _Group):
                    results.extend(self._apply_group(conn, write))
                    continue
                try:
                    results.append((write, self._apply(conn, write)))
                except engine.errors as exc:
                    if not engine.isolated_failures:
                        raise
                    results.append((write, exc))
            engine.commit(conn)
        except engine.errors as exc:
            engine.rollback(conn)
            if not engine.isolated_failures and len(batch) > 1:
                return None
            self._last_error = exc
            results = [(w, exc) for w in _flat(batch)]
        return results

    def _apply(self, conn: Any, write: _Write) -> int:
        return int(self._engine.apply(conn, write.sql, write.params, write.changes))

    def _apply_group(self, conn: Any, group: _Group) -> list[tuple[_Write, int | BaseException]]:
        """A group's writes all take effect or none does (a savepoint inside the batch's transaction). With
        `only_if_first`, the writes after the first are skipped (0 rows) when the first changed none."""
        engine = self._engine
        engine.execute(conn, "SAVEPOINT grp")
        done: list[tuple[_Write, int | BaseException]] = []
        try:
            for index, write in enumerate(group.writes):
                if index and group.only_if_first and done[0][1] == 0:
                    done.append((write, 0))
                    continue
                done.append((write, self._apply(conn, write)))
        except engine.errors as exc:
            engine.execute(conn, "ROLLBACK TO SAVEPOINT grp")
            engine.execute(conn, "RELEASE SAVEPOINT grp")
            return [(w, exc) for w in group.writes]
        engine.execute(conn, "RELEASE SAVEPOINT grp")
        return done

    def _resolve(self, results: list[tuple[_Write, int | BaseException]]) -> None:
        """Hand each writer its result: thread futures at once, a loop's futures in one callback per loop."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[int], int | BaseException]]] = {}
        for write, result in results:
            future = write.future
            if future is None:
                if isinstance(result, BaseException):
                    if write.optional:
                        log.warning("an optional write failed (%s): %s", write.sql.split("(")[0].strip(), result)
                    elif self._failure is None:
                        self._failure = result
                continue
            if isinstance(future, asyncio.Future):
                by_loop.setdefault(future.get_loop(), []).append((future, result))
            else:
                _settle(future, result)
        for loop, pairs in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle_all, pairs)
            except RuntimeError:  # the loop has closed: nobody is waiting any more
                pass

    def submit(self, sql: str, params: tuple[Any, ...] = ()) -> Future[int]:
        """Queue a write; the future resolves to lastrowid once committed."""
        future: Future[int] = Future()
        self._hand_over(_running_loop())  # what this loop queued before comes first
        self._queue.put(_Write(sql, params, future))
        return future

    def write(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        return self.submit(sql, params).result()

    def changes(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Run a write and return how many rows it changed: whether a conditional UPDATE or INSERT (a claim) took effect."""
        future: Future[int] = Future()
        self._hand_over(_running_loop())
        self._queue.put(_Write(sql, params, future, changes=True))
        return future.result()

    def together(self, writes: list[tuple[str, tuple[Any, ...]]], *, only_if_first: bool = False) -> list[int]:
        """Several writes that take effect together or not at all (one transaction); the rows each changed.

        If one fails, none is applied and its error is raised. With `only_if_first`, the others are made only
        when the first changed a row (a claim and what it records).
        """
        futures: list[Future[int]] = [Future() for _ in writes]
        self._hand_over(_running_loop())
        self._queue.put(_Group(tuple(_Write(sql, params, future, changes=True) for (sql, params), future in zip(writes, futures)), only_if_first))
        for future in futures:
            future.exception()  # wait for all
        failure = next((f.exception() for f in futures if f.exception() is not None), None)
        if failure is not None:
            raise failure
        return [f.result() for f in futures]

    async def achanges(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """`changes` for a coroutine, in order with the writes this loop queued before it."""
        self._raise_failure()
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._stage(_Write(sql, params, future, changes=True))
        return await future

    async def achanges_serialized(self, key: str, sql: str, params: tuple[Any, ...] = ()) -> int:
        """`achanges` for a write whose condition reads rows it does not change (a count under a cap): no other writer
        that names the same `key` runs between its read and its write. SQLite writes one transaction at a time; on
        PostgreSQL the write first takes a transaction lock on `key` (pg_advisory_xact_lock), held until it commits."""
        lock = self._engine.lock_sql(key)
        if lock is None:
            return await self.achanges(sql, params)
        self._raise_failure()
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[int]] = [loop.create_future(), loop.create_future()]
        self._stage_group(_Group((_Write(*lock, futures[0], changes=True), _Write(sql, params, futures[1], changes=True))))
        await asyncio.gather(*futures, return_exceptions=True)
        for future in futures:
            if future.exception() is not None:
                raise future.exception()  # type: ignore[misc]
        return futures[1].result()

    async def awrite(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """`write` for a coroutine. The writes a loop makes in one turn reach the writer thread together."""
        self._raise_failure()
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._stage(_Write(sql, params, future))
        return await future

    async def aflush(self) -> None:
        """Wait until every write this loop has queued (posted ones too) is committed."""
        await self.awrite("SELECT 1")

    def post(self, sql: str, params: tuple[Any, ...] = (), *, optional: bool = False) -> None:
        """Queue a write and go on. It is committed in order after every write queued before it;
        if it fails, the next `awrite` raises the error.

        For the record a probe keeps as it goes (events, the messages it sent): waiting for each
        commit would only make a thousand probes wake up together, one commit at a time.
        An `optional` write (what only saves work later: recorded scorecard entries and verdicts)
        neither raises an earlier failure nor makes later writes raise its own; it is logged.
        """
        write = _Write(sql, params, None, optional)
        if not optional:
            self._raise_failure()
        if _running_loop() is None:
            self._queue.put(write)
            return
        self._stage(write)

    def _stage_group(self, group: _Group) -> None:
        """Queue a group of writes on this loop's list, as an awaited write (see `_stage`)."""
        self._stage(group)

    def _stage(self, write: _Write | _Group) -> None:
        """Queue `write` on this loop's list. Someone waiting: the list goes to the writer at the end
        of this turn; only posted writes: within POST_DELAY_S, with whatever else came meanwhile
        (each hand-over wakes the writer thread, which then competes with the loop for the GIL)."""
        loop = asyncio.get_running_loop()
        staged = self._staged.get(loop)
        if staged is None:
            staged = self._staged[loop] = []
        staged.append(write)  # type: ignore[arg-type]
        pending = self._hand_over_at.get(loop)
        if isinstance(write, _Group) or write.future is not None:
            if pending is None or pending.when() > loop.time():
                if pending is not None:
                    pending.cancel()
                self._hand_over_at[loop] = loop.call_at(loop.time(), self._hand_over, loop)
        elif pending is None:
            self._hand_over_at[loop] = loop.call_later(POST_DELAY_S, self._hand_over, loop)

    def _raise_failure(self) -> None:
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def _hand_over(self, loop: asyncio.AbstractEventLoop | None) -> None:
        if loop is None:
            return
        pending = self._hand_over_at.pop(loop, None)
        if pending is not None:
            pending.cancel()  # when called before its time (a blocking write, the store closing)
        staged = self._staged.pop(loop, None)
        if staged:
            self._queue.put(staged)

    def close(self) -> None:
        if self._writer.is_alive():
            for loop in list(self._staged):  # posted on a loop that ended before handing them over
                self._hand_over(loop)
            self._queue.put(self._STOP)
            self._writer.join()
        self._engine.close()

    # -- reading -------------------------------------------------------------------------
    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Rows read by position or by column name (sqlite3.Row, or its like on PostgreSQL)."""
        return self._engine.query(sql, params)  # type: ignore[no-any-return]

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """`query` as plain tuples (the fastest form, for many rows read by position)."""
        return list(self.each_row(sql, params))

    def each_row(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        """`rows` one at a time: for large values (a run's scorecard entries) not all held at once."""
        yield from self._engine.each_row(sql, params)

    def query_dicts(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """`query` as plain dicts: for reading many fields of many rows (sqlite3.Row finds a name by scanning its columns)."""
        return self._engine.query_dicts(sql, params)  # type: ignore[no-any-return]

    def read_only(self) -> Any:
        """A connection of its own for reading while others write (progress lines): `execute(sql, params)`, `close()`."""
        return self._engine.read_only()

    def bulk(self, statements: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
        """Many rows at once, in one transaction of its own, past the writer (synthetic runs, benchmarks):
        (SQL, rows) pairs, each SQL run once per row."""
        self._engine.bulk(statements)

    # -- domain operations ---------------------------------------------------------------
    def create_run(self, run_id: str, config: dict[str, Any]) -> None:
        self.write("INSERT INTO runs (id, started_utc, config) VALUES (?, ?, ?)", (run_id, utc_now(), json.dumps(config)))

    def join_run(self, run_id: str, config: dict[str, Any]) -> bool:
        """Create the run unless another process (a shard, an xdist worker) did already; whether this call created it."""
        return self.changes("INSERT INTO runs (id, started_utc, config) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
                            (run_id, utc_now(), json.dumps(config))) == 1

    def record_part(self, run_id: str, part: str, status: str, host: str, pid: int) -> None:
        """One process's share of a run has ended (`part`: 'i/n'); a share run again replaces its row."""
        self.write("INSERT INTO run_parts (run_id, part, status, host, pid, finished_utc) VALUES (?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT (run_id, part) DO UPDATE SET status = excluded.status, host = excluded.host, pid = excluded.pid, "
                   "finished_utc = excluded.finished_utc", (run_id, part, status, host, pid, utc_now()))

    def parts(self, run_id: str) -> dict[str, str]:
        """The shares of a run that have ended: part ('i/n') -> status."""
        return {part: status for part, status in self.rows("SELECT part, status FROM run_parts WHERE run_id = ? AND part <> 'scorecard'", (run_id,))}

    def claim_scoring(self, run_id: str, parts: int, host: str, pid: int) -> bool:
        """Whether this process is the one to score the run: all `parts` shares have ended and no one claimed it before.
        Exactly one caller wins, even when the last shares end at once (the claim is a row under the primary key)."""
        return self.changes(
            "INSERT INTO run_parts (run_id, part, status, host, pid, finished_utc) SELECT ?, 'scorecard', 'claimed', ?, ?, ? "
            "WHERE (SELECT count(*) FROM run_parts WHERE run_id = ? AND part <> 'scorecard') >= ? ON CONFLICT (run_id, part) DO NOTHING",
            (run_id, host, pid, utc_now(), run_id, parts)) == 1

    def finish_run(self, run_id: str, status: str, summary: dict[str, Any]) -> None:
        self.write(
            "UPDATE runs SET finished_utc = ?, status = ?, summary = ? WHERE id = ?",
            (utc_now(), status, json.dumps(summary), run_id),
        )

    def mark_interrupted(self, run_id: str, reason: str) -> None:
        """Mark a running run interrupted at once (its scorecard and summary follow with `finish_run`), saying why."""
        self.together(interrupted_writes(run_id, reason, time.monotonic_ns()))

    def add_probe(self, run_id: str, probe_id: str, journey: str, target: str, persona: dict[str, Any]) -> None:
        self.write(
            "INSERT INTO probes (run_id, id, journey, target, persona, address) VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, probe_id, journey, target, json.dumps(persona), persona["email"]),
        )

    async def afinish_probe(self, run_id: str, probe_id: str, status: str, outcome: dict[str, Any]) -> None:
        await self.awrite(
            "UPDATE probes SET status = ?, outcome = ? WHERE run_id = ? AND id = ?",
            (status, json.dumps(outcome), run_id, probe_id),
        )

    async def aevent(
        self, run_id: str, probe_id: str | None, kind: str, t_ns: int, *, step: str | None = None, **data: Any
    ) -> int:
        return await self.awrite(*_event(run_id, probe_id, kind, t_ns, step, data))

    def event(self, run_id: str, probe_id: str | None, kind: str, t_ns: int, *, step: str | None = None, **data: Any) -> None:
        """`aevent` without waiting for the commit (see `post`)."""
        self.post(*_event(run_id, probe_id, kind, t_ns, step, data))

    async def amessage(self, *args: Any, **kwargs: Any) -> int:
        """Store one message (the arguments of `message_write`); returns its row id. With `source`
        (e.g. an IMAP UID) a message already stored is not stored twice (returns 0)."""
        return await self.awrite(*self.message_write(*args, **kwargs))

    def message_write(
        self,
        run_id: str,
        direction: str,
        mail_from: str,
        rcpt_to: list[str],
        t_ns: int,
        raw: bytes,
        *,
        probe_id: str | None = None,
        source: str | None = None,
        parsed: Any = None,
    ) -> tuple[str, tuple[Any, ...]]:
        """SQL and parameters that store one message (`amessage`; `post` them not to wait).

        A message the persona sends (`out`) is ours and well-formed: its parsed fields are stored
        with it at once (`mail.stored_fields`; `parsed` when the caller composed it and knows them),
        so a scorecard never parses it again. A received
        message is stored raw first and annotated once parsed (channels/email.py).
        """
        verb = "INSERT OR IGNORE" if source else "INSERT"
        columns = ["run_id", "probe_id", "direction", "mail_from", "rcpt_to", "t_ns", "utc", "raw", "source"]
        values: list[Any] = [run_id, probe_id, direction, mail_from, json.dumps(rcpt_to), t_ns, utc_now(), raw, source]
        if direction == "out":
            from mysteryshop.collect.parse import parse_mail, stored_fields

            for key, value in stored_fields(parsed if parsed is not None else parse_mail(raw)).items():
                columns.append(key)
                values.append(json.dumps(value) if key == "defects" else value)
        return f"{verb} INTO messages ({', '.join(columns)}) VALUES ({placeholders(len(columns))})", tuple(values)

    def annotation(self, message_rowid: int, **fields: Any) -> tuple[str, tuple[Any, ...]]:
        """SQL and parameters that record parsed fields of a stored message."""
        allowed = {"probe_id", "message_id", "in_reply_to", "subject", "text", "matched_by", "malformed", "defects", *PARSED_COLUMNS}
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"cannot annotate message fields {sorted(bad)}; allowed: {sorted(allowed)}")
        values = [json.dumps(v) if k == "defects" else v for k, v in fields.items()]
        assignments = ", ".join(f"{k} = ?" for k in fields)
        return f"UPDATE messages SET {assignments} WHERE id = ?", (*values, message_rowid)

    def verdict_recorder(self, run_id: str, probe_id: str | None) -> Callable[[str, str, dict[str, list[Any]]], None]:
        """A callback for `shared_scores.recording_verdicts`: each reply-quality verdict made for the probe is posted to the store
        (an optional write: a verdict lost only costs a report the time to find it again)."""
        def record(scorer: str, digest: str, results: dict[str, list[Any]]) -> None:
            self.post("INSERT INTO verdicts (run_id, probe_id, scorer, digest, results) VALUES (?, ?, ?, ?, ?)",
                      (run_id, probe_id, scorer, digest, json.dumps(results)), optional=True)
        return record

    def verdicts(self, run_id: str, scorer: str, probe_ids: Collection[str] | None = None) -> dict[str, list[str]]:
        """The reply-quality verdicts recorded in a run by `scorer` (for `probe_ids` only, when given): digest of the
        exchange → the JSON objects recorded for it."""
        sql, params = "SELECT digest, results FROM verdicts WHERE run_id = ? AND scorer = ?", (run_id, scorer)
        if probe_ids is not None:
            sql += f" AND probe_id IN ({placeholders(len(probe_ids))})"
            params += tuple(probe_ids)
        found: dict[str, list[str]] = {}
        for digest, results in self.rows(sql, params):
            found.setdefault(digest, []).append(results)
        return found

    def runs(self) -> list[Any]:
        return self.query("SELECT * FROM runs ORDER BY started_utc")

    def probes(self, run_id: str) -> list[Any]:
        return self.query("SELECT * FROM probes WHERE run_id = ? ORDER BY rowid", (run_id,))

    def events(self, run_id: str, probe_id: str | None = None) -> list[Any]:
        if probe_id is None:
            return self.query("SELECT * FROM events WHERE run_id = ? ORDER BY t_ns, id", (run_id,))
        return self.query("SELECT * FROM events WHERE run_id = ? AND probe_id = ? ORDER BY t_ns, id", (run_id, probe_id))

    def messages(self, run_id: str, probe_id: str | None = None, *, unmatched: bool = False) -> list[Any]:
        if unmatched:
            return self.query("SELECT * FROM messages WHERE run_id = ? AND probe_id IS NULL ORDER BY t_ns", (run_id,))
        if probe_id is None:
            return self.query("SELECT * FROM messages WHERE run_id = ? ORDER BY t_ns", (run_id,))
        return self.query("SELECT * FROM messages WHERE run_id = ? AND probe_id = ? ORDER BY t_ns", (run_id, probe_id))
