"""The store's two engines: choosing one by location, migrations, bad URLs, and claims raced by processes.

These tests run on both engines whatever MYSTERYSHOP_TEST_STORE says: PostgreSQL on a real server started from
Debian's binaries (the session's `pg_server`), SQLite on a file.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mysteryshop.errors import StoreUnavailable
from mysteryshop.storage import schema
from mysteryshop.storage.dialect import to_postgres
from mysteryshop.store import Store

from .conftest import free_port, pg_database, project_with_store, store_at

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    if request.param == "sqlite":
        return tmp_path / "store.sqlite"
    return pg_database(request.getfixturevalue("pg_server"))


def test_the_same_writes_and_reads_give_the_same_rows_on_both_engines(location: Path | str) -> None:
    store = Store(location)
    try:
        assert store.engine == ("sqlite" if isinstance(location, Path) else "postgresql")
        store.create_run("r", {"seed": 1})
        store.add_probe("r", "p2", "j", "t", {"email": "b@probe.test"})
        store.add_probe("r", "p1", "j", "t", {"email": "a@probe.test"})

        async def write() -> tuple[int, int, int]:
            first = await store.amessage("r", "in", "desk@x", ["a@probe.test"], 5, b"\x00raw bytes\xff", source="imap:7")
            again = await store.amessage("r", "in", "desk@x", ["a@probe.test"], 5, b"other", source="imap:7")
            event = await store.aevent("r", "p1", "sent", 3, step="ask", flag=True)
            return first, again, event

        first, again, event = asyncio.run(write())
        assert first > 0 and again == 0 and event > 0  # a message already stored from its source is not stored twice
        assert [r["id"] for r in store.probes("r")] == ["p2", "p1"]  # in the order they were added
        (message,) = store.messages("r")
        assert bytes(message["raw"]) == b"\x00raw bytes\xff" and message["source"] == "imap:7"
        assert store.query("SELECT sum(t_ns) AS n FROM events")[0]["n"] == 3  # a whole number, as SQLite gives it
        assert store.changes(*store.annotation(first, subject="Re: hi", malformed=True)) == 1
        assert store.query_dicts("SELECT subject, malformed FROM messages") == [{"subject": "Re: hi", "malformed": 1}]
        # a claim and what it records, together: the second claim of the same row records nothing
        move = ("UPDATE messages SET probe_id = ? WHERE id = ? AND probe_id IS NULL", ("p1", first))
        record = ("INSERT INTO events (run_id, probe_id, kind, t_ns, utc) VALUES ('r', 'p1', 'received', 6, 'now')", ())
        assert store.together([move, record], only_if_first=True) == [1, 1]
        assert store.together([move, record], only_if_first=True) == [0, 0]
        assert len(store.events("r", "p1")) == 2
        store.write("INSERT OR REPLACE INTO meta (key, value) VALUES ('k', '1')")
        store.write("INSERT OR REPLACE INTO meta (key, value) VALUES ('k', '2')")
        assert store.rows("SELECT value FROM meta WHERE key = 'k'") == [("2",)]
    finally:
        store.close()


def test_many_messages_at_once_get_their_own_ids_and_annotations_on_both_engines(location: Path | str) -> None:
    """Hundreds of messages stored at once (one batch: PostgreSQL sends each run of inserts, and of posted
    annotations, as one statement): each awaited id is the row of that message, and where one message is annotated
    twice in a batch the later annotation is the one kept, as when the writes are applied one after another."""
    store = Store(location)
    try:
        store.create_run("r", {})

        async def receive() -> list[int]:
            ids = await asyncio.gather(*(store.amessage("r", "in", "desk@x", [f"p{n}@probe.test"], n, f"raw {n}".encode())
                                         for n in range(300)))
            for n, rowid in enumerate(ids):
                store.post(*store.annotation(rowid, probe_id=f"p{n}", subject=f"first {n}", malformed=n % 2))
                if n % 3 == 0:
                    store.post(*store.annotation(rowid, probe_id=f"p{n}", subject=f"second {n}", malformed=n % 2))
            store.post(*store.annotation(ids[7], text=None, subject="only the subject"))  # another shape in the same batch
            await store.aflush()
            return ids

        ids = asyncio.run(receive())
        assert len(set(ids)) == 300
        rows = {r[0]: r[1:] for r in store.rows("SELECT id, raw, t_ns, probe_id, subject, malformed FROM messages")}
        for n, rowid in enumerate(ids):
            raw, t_ns, probe_id, subject, malformed = rows[rowid]
            assert (bytes(raw), t_ns, probe_id, malformed) == (f"raw {n}".encode(), n, f"p{n}", n % 2)
            assert subject == ("only the subject" if n == 7 else f"second {n}" if n % 3 == 0 else f"first {n}")
    finally:
        store.close()


AWKWARD_TEXT = ["", "NULL", "null", 'a "quoted" word', "back\\slash", "{braces}, commas", "tab\tand\nnewline", "émoji ✉", " spaced "]


def test_awkward_values_in_a_batch_come_back_exactly_on_both_engines(location: Path | str) -> None:
    """A batch's runs of inserts and of annotations (on PostgreSQL one statement over arrays, sent in binary) keep
    every value as written: bytes with NUL, quotes, backslashes and braces; text that reads as NULL, is empty, or
    holds what an array's text form must quote; a column left NULL in every row; a bool in an INTEGER column."""
    store = Store(location)
    try:
        store.create_run("r", {})
        raws = [bytes([n % 256]) + b'\x00"\\{},NULL' + bytes(range(n % 7)) for n in range(200)]
        texts = [AWKWARD_TEXT[n % len(AWKWARD_TEXT)] for n in range(200)]

        async def receive() -> list[int]:
            ids = await asyncio.gather(*(store.amessage("r", "in", texts[n], [texts[n]], n, raws[n]) for n in range(200)))
            for n, rowid in enumerate(ids):
                store.post(*store.annotation(rowid, subject=texts[n], text=None, malformed=n % 2 == 0))
            await store.aflush()
            return ids

        ids = asyncio.run(receive())
        rows = {r[0]: r[1:] for r in store.rows("SELECT id, raw, mail_from, rcpt_to, subject, text, malformed, probe_id FROM messages")}
        for n, rowid in enumerate(ids):
            raw, mail_from, rcpt_to, subject, text, malformed, probe_id = rows[rowid]
            assert (bytes(raw), mail_from, subject, text, malformed, probe_id) == (raws[n], texts[n], texts[n], None, int(n % 2 == 0), None)
            assert rcpt_to == json.dumps([texts[n]])
    finally:
        store.close()


def test_a_store_records_its_schema_version_and_opening_it_again_changes_nothing(location: Path | str) -> None:
    Store(location).close()
    store = Store(location)
    try:
        rows = store.rows("SELECT version, description FROM schema_version ORDER BY version")
        assert [r[0] for r in rows] == [m.version for m in schema.MIGRATIONS]
        assert store.rows("SELECT value FROM meta WHERE key = 'schema_version'") == [(str(schema.SCHEMA_VERSION),)]
    finally:
        store.close()


def test_a_store_of_an_older_schema_is_migrated_in_order(location: Path | str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a store at the current version, and a mysteryshop that knows one migration more
    store = Store(location)
    store.create_run("kept", {})
    store.close()
    newer = schema.Migration(schema.SCHEMA_VERSION + 1, "a test table", "CREATE TABLE later (x INTEGER);", "CREATE TABLE later (x BIGINT);")
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, newer))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", newer.version)
    # When it is opened, the migration is applied once and the rows stay
    for _ in range(2):
        store = Store(location)
        try:
            assert store.rows("SELECT count(*) FROM later") == [(0,)]
            assert [r["id"] for r in store.runs()] == ["kept"]
            assert store.rows("SELECT max(version) FROM schema_version") == [(newer.version,)]
        finally:
            store.close()


def test_a_store_of_a_newer_schema_is_refused_with_what_to_do(location: Path | str) -> None:
    store = Store(location)
    store.write("INSERT INTO schema_version VALUES (?, 'later', 'from a newer mysteryshop')", (schema.SCHEMA_VERSION + 5,))
    store.close()
    with pytest.raises(StoreUnavailable, match=rf"schema version {schema.SCHEMA_VERSION + 5}, newer than this mysteryshop knows "
                                                rf"\({schema.SCHEMA_VERSION}\).*Upgrade mysteryshop"):
        Store(location)


def test_an_unreachable_postgresql_url_says_where_and_what_to_check_in_one_line() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(StoreUnavailable) as caught:
        Store(f"postgresql://shop:secret@127.0.0.1:{port}/mysteryshop")
    message = str(caught.value)
    assert "\n" not in message and "secret" not in message
    assert f"127.0.0.1:{port}/mysteryshop" in message and f"pg_isready -h 127.0.0.1 -p {port}" in message


@pytest.mark.parametrize(("url", "says"), [
    ("postgresql://shop@127.0.0.1:54x2/db", "the port is not a number"),
    ("postgresql://shop@127.0.0.1:5432", "names no database"),
])
def test_a_malformed_postgresql_url_is_refused_before_connecting(url: str, says: str) -> None:
    with pytest.raises(StoreUnavailable, match=says):
        Store(url)


def test_a_database_that_does_not_exist_is_named(pg_server: object) -> None:
    with pytest.raises(StoreUnavailable, match=r"127\.0\.0\.1:\d+/nosuchdb: .*does not exist.*createdb"):
        Store(pg_server.url("nosuchdb"))  # type: ignore[attr-defined]


def test_the_command_line_reports_an_unreachable_store_in_one_line(tmp_path: Path) -> None:
    port = free_port()
    done = subprocess.run([sys.executable, "-m", "mysteryshop.cli", "report", "latest", "--root", str(tmp_path),
                           "--store", f"postgresql://shop@127.0.0.1:{port}/mysteryshop"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and f"127.0.0.1:{port}/mysteryshop" in errors[0], done.stderr


def test_the_store_is_chosen_by_the_config_key_and_by_the_environment(pg_server: object, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from mysteryshop.config import load_settings

    monkeypatch.delenv("MYSTERYSHOP_STORE", raising=False)  # the PostgreSQL pass names each test's database there

    url = pg_database(pg_server)
    project = project_with_store(tmp_path / "p", url)
    assert store_at(project) == url
    assert load_settings(project, environ={}).store_file == url
    other = pg_database(pg_server)
    assert load_settings(project, environ={"MYSTERYSHOP_STORE": other}).store_file == other
    assert load_settings(tmp_path, environ={}).store_file == tmp_path / "reports/mysteryshop.sqlite"


def test_sqlite_dialect_is_translated_outside_string_literals() -> None:
    assert to_postgres("SELECT '?%' || ? FROM probes ORDER BY rowid") == "SELECT '?%%' || %s FROM probes ORDER BY seq"
    assert to_postgres("INSERT OR IGNORE INTO events (run_id) VALUES (?)", returning_id=True) == (
        "INSERT INTO events (run_id) VALUES (%s) ON CONFLICT DO NOTHING RETURNING id")
    assert to_postgres("CREATE TABLE IF NOT EXISTS b (id INTEGER PRIMARY KEY, n INTEGER, raw BLOB)") == (
        "CREATE TABLE IF NOT EXISTS b (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n BIGINT, raw BYTEA)")
    assert to_postgres("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)") == (
        "INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value")


WORKER = textwrap.dedent("""
    import asyncio, sys, time
    from mysteryshop.store import Store
    from mysteryshop.walks import WalkClaims

    url, owner = sys.argv[1], sys.argv[2]
    store = Store(url)
    claims = WalkClaims(store, "campaign-race", owner, clock=time.time_ns, lease_ns=60_000_000_000)

    async def work() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            due = claims.pending().due
            if not due:
                return
            for probe_id, state in (await claims.claim(due[:25])).items():
                if state != "done":  # read after claiming: another worker may have walked it meanwhile
                    await store.aevent("campaign-race", probe_id, "walked", time.monotonic_ns(), owner=owner)
                    await claims.save(probe_id, "done")
                    await store.awrite("UPDATE probes SET status = 'finished' WHERE run_id = ? AND id = ?", ("campaign-race", probe_id))
                else:
                    await claims.release([probe_id])

    asyncio.run(work())
    store.close()
""")


@pytest.mark.timeout(180)
def test_several_tick_workers_on_one_postgresql_store_never_walk_one_probe_twice(pg_server: object) -> None:
    from mysteryshop.walks import WalkClaims

    # Given a campaign of 300 probes, each with a walk that is due
    url = pg_database(pg_server)
    store = Store(url)
    store.create_run("campaign-race", {})
    probes = [f"p{i:03d}" for i in range(300)]
    claims = WalkClaims(store, "campaign-race", "setup", clock=time.time_ns, lease_ns=1)
    for probe_id in probes:
        store.add_probe("campaign-race", probe_id, "j", "t", {"email": f"{probe_id}@probe.test"})
        asyncio.run(claims.add(probe_id, "new"))
    # When four worker processes claim and walk them at once
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, url, f"tick-{n}"], stderr=subprocess.PIPE, text=True) for n in range(4)]
    errors = [err for proc in workers if (err := proc.communicate(timeout=150)[1]) and proc.returncode != 0]
    # Then every probe was walked exactly once, the work shared among them
    try:
        assert errors == []
        walked = store.rows("SELECT probe_id, data FROM events WHERE run_id = 'campaign-race' AND kind = 'walked'")
        assert sorted(p for p, _ in walked) == probes
        assert len({data for _, data in walked}) > 1, "one worker did everything: the race was not run"
    finally:
        store.close()
