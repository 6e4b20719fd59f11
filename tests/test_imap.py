"""The IMAP side of the collector against a real dovecot on loopback."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mysteryshop.collect.imap import ImapAccount, ImapCollector
from mysteryshop.store import Store

from .conftest import free_port
from .imap_server import Dovecot

pytestmark = pytest.mark.skipif(not Dovecot.available(), reason="needs Debian's dovecot-imapd and root (scripts/bootstrap.sh installs it)")


def message(i: int) -> bytes:
    return f"From: support@northwind.demo\r\nTo: ann+p{i}@probe.example\r\nSubject: Re: question {i}\r\nMessage-ID: <m{i}@northwind.demo>\r\n\r\nAnswer {i}\r\n".encode()


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    # dovecot's unprivileged processes must reach the folder: pytest's tmp_path is private to root
    root = Path(tempfile.mkdtemp(prefix="mysteryshop-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root, free_port()).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def store(store_location: Path | str) -> Iterator[Store]:
    s = Store(store_location)
    s.create_run("_inbox", {})
    yield s
    s.close()


def account(server: Dovecot) -> ImapAccount:
    return ImapAccount("127.0.0.1", server.port, server.user, server.password)


async def _sync(store: Store, server: Dovecot, **kw: object) -> int:
    collector = ImapCollector(store, account(server), run_id="_inbox", **kw)
    await collector.connect()
    try:
        return await collector.sync()
    finally:
        await collector.close()


def stored_subjects(store: Store) -> list[bytes]:
    return sorted(bytes(r["raw"]).split(b"Subject: ")[1].split(b"\r\n")[0] for r in store.messages("_inbox"))


def test_uid_state_holds_across_restarts(dovecot: Dovecot, store: Store) -> None:
    dovecot.append(*(message(i) for i in range(5)))
    assert asyncio.run(_sync(store, dovecot)) == 5
    # a new collector (a restarted listener) fetches nothing twice
    assert asyncio.run(_sync(store, dovecot)) == 0
    dovecot.append(*(message(i) for i in range(5, 8)))
    assert asyncio.run(_sync(store, dovecot, batch=2)) == 3
    assert stored_subjects(store) == sorted(f"Re: question {i}".encode() for i in range(8))


def test_idle_delivers_a_new_message_without_polling(dovecot: Dovecot, store: Store) -> None:
    async def scenario() -> float:
        stop = asyncio.Event()
        collector = ImapCollector(store, account(dovecot), run_id="_inbox", idle_s=30)
        task = asyncio.ensure_future(collector.run(stop))
        await asyncio.sleep(1.0)  # connected, synced, now in IDLE (30 s: a poll would not see it in time)
        sent = time.monotonic()
        await asyncio.to_thread(dovecot.append, message(1))
        for _ in range(200):
            if collector.stored:
                break
            await asyncio.sleep(0.05)
        took = time.monotonic() - sent
        stop.set()
        await asyncio.wait_for(task, 15)
        return took

    took = asyncio.run(scenario())
    assert len(store.messages("_inbox")) == 1
    assert took < 10, f"IDLE took {took:.1f}s to deliver"


def test_stopping_while_an_idle_is_starting_logs_out_at_once(dovecot: Dovecot, store: Store) -> None:
    async def scenario() -> float:
        collector = ImapCollector(store, account(dovecot), run_id="_inbox", idle_s=30)
        await collector.connect()
        await collector.sync()
        idle = asyncio.ensure_future(collector.idle())
        for _ in range(3):  # the IDLE command goes out; the server's "+ idling" is not read yet
            await asyncio.sleep(0)
        assert collector.client is not None and collector.client.has_pending_idle()
        idle.cancel()
        started = time.monotonic()
        await collector.close()
        return time.monotonic() - started

    took = asyncio.run(scenario())
    assert took < 2.5, f"closing took {took:.1f}s (LOGOUT waited behind the IDLE; its own timeout is 5 s)"


def test_the_collector_reconnects_after_a_server_restart(dovecot: Dovecot, store: Store) -> None:
    async def scenario() -> None:
        stop = asyncio.Event()
        collector = ImapCollector(store, account(dovecot), run_id="_inbox", idle_s=2)
        task = asyncio.ensure_future(collector.run(stop, max_backoff_s=1))
        await asyncio.sleep(1.0)
        await asyncio.to_thread(dovecot.stop)
        await asyncio.sleep(1.5)
        await asyncio.to_thread(dovecot.start)
        await asyncio.to_thread(dovecot.append, message(7))
        for _ in range(300):
            if collector.stored:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 15)

    asyncio.run(scenario())
    assert stored_subjects(store) == [b"Re: question 7"]


def test_a_mailbox_of_thousands_is_collected_in_batches_exactly_once(dovecot: Dovecot, store: Store) -> None:
    dovecot.drop_into_maildir([message(i) for i in range(3000)])
    assert asyncio.run(_sync(store, dovecot, batch=200)) == 3000
    assert asyncio.run(_sync(store, dovecot, batch=200)) == 0
    assert len(store.messages("_inbox")) == 3000
