"""The run store: durable group commits, concurrent writers, readable from another connection.

Each test runs on the engine MYSTERYSHOP_TEST_STORE names (sqlite by default, or postgresql): the `store_location` fixture."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from mysteryshop.store import Store


def test_concurrent_async_writes_are_all_committed_and_visible_to_another_connection(store_location: Path | str) -> None:
    store = Store(store_location)
    store.create_run("r", {"seed": 1})

    async def write_many() -> list[int]:
        return await asyncio.gather(*(store.amessage("r", "in", "a@x", [f"p{i}@probe.test"], i, b"raw %d" % i) for i in range(500)))

    ids = asyncio.run(write_many())
    assert len(set(ids)) == 500
    # a separate connection (another process would be the same) sees every committed row
    other = Store(store_location)
    assert tuple(other.rows("SELECT count(*), sum(length(raw)) FROM messages")[0]) == (500, sum(len(b"raw %d" % i) for i in range(500)))
    other.close()
    if isinstance(store_location, Path):
        assert sqlite3.connect(store_location).execute("PRAGMA journal_mode").fetchone() == ("wal",)
    store.close()


def test_a_failing_write_fails_only_its_caller(store_location: Path | str) -> None:
    store = Store(store_location)
    good = store.submit("INSERT INTO runs (id, started_utc) VALUES ('a', 'now')")
    bad = store.submit("INSERT INTO no_such_table VALUES (1)")
    also_good = store.submit("INSERT INTO runs (id, started_utc) VALUES ('b', 'now')")
    assert good.result() and also_good.result()
    assert isinstance(bad.exception(), store.errors) and "no_such_table" in str(bad.exception())
    assert [r["id"] for r in store.runs()] == ["a", "b"]
    store.close()


def test_runs_accumulate_in_one_file(store_location: Path | str) -> None:
    for run in ("r1", "r2"):
        store = Store(store_location)
        store.create_run(run, {})
        store.finish_run(run, "passed", {"probes": 0})
        store.close()
    store = Store(store_location)
    assert [(r["id"], r["status"]) for r in store.runs()] == [("r1", "passed"), ("r2", "passed")]
    store.close()


def test_posted_writes_keep_their_order_and_a_failure_reaches_the_next_awaited_write(store_location: Path | str) -> None:
    import pytest

    store = Store(store_location)
    store.create_run("r", {})

    async def record() -> None:
        for i in range(3):
            store.event("r", "p1", f"step{i}", i)
        # a blocking write from the same loop comes after what the loop posted before it
        store.write("UPDATE probes SET status = 'x' WHERE 1 = 0")
        store.event("r", "p1", "after_sync", 3)
        store.post("INSERT INTO no_such_table VALUES (1)")
        await store.awrite("SELECT 1")  # committed after the posted writes: their outcome is known now
        with pytest.raises(store.errors, match="no_such_table"):
            await store.aevent("r", "p1", "next", 4)
        store.event("r", "p1", "last", 5)  # posted on a loop that ends at once: committed when the store closes

    asyncio.run(record())
    store.close()
    other = Store(store_location)
    kinds = [row[0] for row in other.rows("SELECT kind FROM events ORDER BY id")]
    other.close()
    assert kinds == ["step0", "step1", "step2", "after_sync", "last"]


def test_utc_stamps_are_iso_8601_to_the_millisecond(monkeypatch) -> None:
    from datetime import UTC, datetime

    from mysteryshop import store as store_module

    for ns in (0, 999_999, 1_795_459_664_921_000_000, 1_795_459_664_921_999_999, 1_795_459_665_000_000_000, 1_795_459_664_005_000_000, 951_782_400_123_000_000):
        monkeypatch.setattr(store_module.time, "time_ns", lambda ns=ns: ns)
        ms = ns // 1_000_000
        expected = datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        assert store_module.utc_now() == expected


def test_event_data_is_stored_as_json_whatever_the_encoder(store_location: Path | str) -> None:
    import json

    store = Store(store_location)
    store.create_run("r", {})
    data = {"text": "Grüße 👋 \u2028", "n": 2**70, "ratio": 0.5, "keys": {1: "int key"}, "nested": [None, True, ("a", "b")]}
    store.event("r", None, "note", 1, step="s", **data)
    store.close()
    other = Store(store_location)
    row = other.rows("SELECT data FROM events WHERE kind = 'note'")[0]
    other.close()
    assert json.loads(row[0]) == {"text": "Grüße 👋 \u2028", "n": 2**70, "ratio": 0.5, "keys": {"1": "int key"}, "nested": [None, True, ["a", "b"]]}
