"""Collecting replies from a real mailbox over IMAP, with IDLE, resuming where it stopped.

Each message is stored with the source `imap:<user>@<host>/<mailbox>:<uidvalidity>:<uid>`, which
is unique in the store: a message is never stored twice, and a restart resumes after the
highest UID already stored for the mailbox's current UIDVALIDITY, so none is skipped. When the
server changes UIDVALIDITY (the mailbox was recreated), the collector starts over for the new
value; the unique source still prevents duplicates of what it had.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import aioimaplib

from mysteryshop.collect.envelope import received_wall_ns
from mysteryshop.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_UIDNEXT = re.compile(rb"UIDNEXT (\d+)")
_FETCH_HEADER = re.compile(rb"^\d+ FETCH \(.*?UID (\d+).*\{\d+\}$")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


@dataclass(frozen=True, slots=True)
class ImapAccount:
    host: str
    port: int
    user: str
    password: str
    mailbox: str = "INBOX"
    ssl: bool = False

    @property
    def key(self) -> str:
        return f"imap:{self.user}@{self.host}:{self.port}/{self.mailbox}"

    def __repr__(self) -> str:
        return f"ImapAccount({self.key}, password='***')"


OnStored = Callable[[int, bytes], Awaitable[None]]


def arrival_wall_ns(raw: bytes, internaldate: str | None) -> int | None:
    """When the message reached the mailbox's server: its topmost Received header, else the IMAP INTERNALDATE (UTC ns)."""
    stamp = received_wall_ns(raw)
    if stamp is not None:
        return stamp
    if internaldate:
        try:
            when = datetime.strptime(internaldate.strip(), "%d-%b-%Y %H:%M:%S %z")
        except ValueError:
            return None
        return int(when.timestamp()) * 1_000_000_000
    return None


class ImapCollector:
    """Fetch new messages into the store, then wait with IDLE; reconnect after errors."""

    def __init__(
        self,
        store: Store,
        account: ImapAccount,
        *,
        run_id: str,
        batch: int = 200,
        idle_s: float = 60.0,
        command_timeout_s: float = 120.0,
        clock: Callable[[], int] = time.time_ns,
        on_stored: OnStored | None = None,
        only_new: bool = False,
    ) -> None:
        """`clock`: wall-clock ns, the fallback stamp of a message that says nothing of its arrival.
        `only_new`: start at the mailbox's next UID when nothing of it is stored yet (a run: earlier mail is not its)."""
        self.store, self.account, self.run_id = store, account, run_id
        self.batch, self.idle_s, self.clock = batch, idle_s, clock
        self.command_timeout_s = command_timeout_s
        self.on_stored = on_stored
        self.only_new = only_new
        self.client: aioimaplib.IMAP4 | None = None
        self.uidvalidity: int | None = None
        self.uidnext: int | None = None
        self.stored = 0
        self.syncs = 0  # completed syncs
        self._floor: int | None = None
        self._wake = asyncio.Event()
        self._synced = asyncio.Event()

    def last_uid(self, uidvalidity: int) -> int:
        prefix = f"{self.account.key}:{uidvalidity}:"
        rows = self.store.query(
            "SELECT max(CAST(substr(source, ?) AS INTEGER)) AS uid FROM messages WHERE source LIKE ? || '%'",
            (len(prefix) + 1, prefix),
        )
        return int(rows[0]["uid"] or 0)

    async def _bounded(self, call: Awaitable[T]) -> T:
        """Every IMAP command gets a deadline: a connection that dies mid-command must not hang the collector."""
        try:
            return await asyncio.wait_for(call, timeout=self.command_timeout_s)
        except TimeoutError as exc:
            self.client = None
            raise ConnectionError(f"IMAP {self.account.key}: no answer within {self.command_timeout_s:.0f}s") from exc

    async def connect(self) -> None:
        cls = aioimaplib.IMAP4_SSL if self.account.ssl else aioimaplib.IMAP4
        client = cls(host=self.account.host, port=self.account.port, timeout=30)
        await self._bounded(client.wait_hello_from_server())
        response = await self._bounded(client.login(self.account.user, self.account.password))
        if response.result != "OK":
            raise ConnectionError(f"IMAP login to {self.account.key} refused: {response.lines[-1]!r}")
        response = await self._bounded(client.select(self.account.mailbox))
        if response.result != "OK":
            raise ConnectionError(f"IMAP mailbox {self.account.key} cannot be selected: {response.lines[-1]!r}")
        match = next((m for line in response.lines if (m := _UIDVALIDITY.search(bytes(line)))), None)
        self.uidvalidity = int(match.group(1)) if match else 0
        nxt = next((m for line in response.lines if (m := _UIDNEXT.search(bytes(line)))), None)
        self.uidnext = int(nxt.group(1)) if nxt else None
        if self.only_new and self._floor is None:
            self._floor = max(0, (self.uidnext or 1) - 1)
        self.client = client

    async def sync(self) -> int:
        """Store every message after the last stored UID, `batch` at a time; returns how many were new."""
        assert self.client is not None and self.uidvalidity is not None
        start = max(self.last_uid(self.uidvalidity), self._floor or 0) + 1
        response = await self._bounded(self.client.uid_search(f"UID {start}:*"))
        if response.result != "OK":
            raise ConnectionError(f"IMAP search in {self.account.key} failed: {response.lines[-1]!r}")
        uids = sorted({int(n) for line in response.lines[:-1] for n in bytes(line).removeprefix(b"SEARCH").split() if n.isdigit()})
        uids = [u for u in uids if u >= start]  # "n:*" also matches the highest UID when n is past it
        new = 0
        for i in range(0, len(uids), self.batch):
            chunk = uids[i : i + self.batch]
            response = await self._bounded(self.client.uid("fetch", ",".join(map(str, chunk)), "(UID INTERNALDATE BODY.PEEK[])"))
            if response.result != "OK":
                raise ConnectionError(f"IMAP fetch from {self.account.key} failed: {response.lines[-1]!r}")
            for uid, raw, internaldate in sorted(self._messages(response.lines)):
                arrived = arrival_wall_ns(raw, internaldate)
                rowid = await self.store.amessage(
                    self.run_id, "in", "", [], arrived if arrived is not None else self.clock(), raw,
                    source=f"{self.account.key}:{self.uidvalidity}:{uid}",
                )
                if rowid:
                    new += 1
                    self.stored += 1
                    if self.on_stored is not None:
                        await self.on_stored(rowid, raw)
        self.syncs += 1
        self._synced.set()
        return new

    @staticmethod
    def _messages(lines: list[bytes | bytearray]) -> list[tuple[int, bytes, str | None]]:
        """(uid, raw message, INTERNALDATE) from a UID FETCH response: a header line, then the literal."""
        found = []
        for header, body in zip(lines, lines[1:], strict=False):
            match = _FETCH_HEADER.match(bytes(header))
            if match:
                date = _INTERNALDATE.search(bytes(header))
                found.append((int(match.group(1)), bytes(body), date.group(1).decode("ascii", "replace") if date else None))
        return found

    async def synced_after_now(self, timeout_s: float = 10.0) -> bool:
        """Ask for a sync now (ending an IDLE) and wait until one has completed; False if none did within `timeout_s`."""
        target = self.syncs + 1
        self._wake.set()
        loop = asyncio.get_running_loop()
        give_up = loop.time() + timeout_s
        while self.syncs < target:
            self._synced.clear()
            try:
                await asyncio.wait_for(self._synced.wait(), timeout=max(0.0, give_up - loop.time()))
            except TimeoutError:
                return False
        return True

    async def idle(self) -> None:
        """Wait (at most idle_s) for the server to announce something new."""
        assert self.client is not None
        if self._wake.is_set():  # someone asked for a sync meanwhile
            self._wake.clear()
            return
        waiting = await self.client.idle_start(timeout=self.idle_s)
        push = asyncio.ensure_future(self.client.wait_server_push())
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({push, woken}, timeout=self.idle_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (push, woken):
                task.cancel()
            await asyncio.gather(push, woken, return_exceptions=True)
            self._wake.clear()
            self.client.idle_done()
            await asyncio.wait_for(waiting, timeout=10)

    async def close(self) -> None:
        if self.client is not None:
            try:
                if self.client.has_pending_idle():  # stopped while an IDLE was starting: the server reads nothing but DONE now
                    self.client.idle_done()
                await asyncio.wait_for(self.client.logout(), timeout=5)
            except Exception:  # noqa: BLE001 - the connection may already be gone
                pass
            self.client = None

    async def run(self, stop: asyncio.Event, *, max_backoff_s: float = 30.0) -> None:
        """Sync, IDLE, repeat until `stop`; after an error, reconnect with growing pauses."""
        backoff = 0.5
        while not stop.is_set():
            try:
                if self.client is None:
                    await self.connect()
                    backoff = 0.5
                await self.sync()
                idle = asyncio.ensure_future(self.idle())
                stopper = asyncio.ensure_future(stop.wait())
                done, _ = await asyncio.wait({idle, stopper}, return_when=asyncio.FIRST_COMPLETED)
                stopper.cancel()
                if idle in done:
                    idle.result()
                else:  # stopping: end the IDLE (DONE, and its answer) before logging out, or LOGOUT can wait behind it
                    idle.cancel()
                    await asyncio.wait({idle}, timeout=10)
            except (OSError, ConnectionError, TimeoutError, aioimaplib.Abort, aioimaplib.CommandTimeout) as exc:
                log.warning("IMAP %s: %s; reconnecting in %.1fs", self.account.key, exc, backoff)
                self.client = None
                try:
                    await asyncio.wait_for(stop.wait(), timeout=backoff)
                except TimeoutError:
                    pass
                backoff = min(max_backoff_s, backoff * 2)
        await self.close()
