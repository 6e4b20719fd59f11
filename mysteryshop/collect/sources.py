"""Where a run's replies come from when its own SMTP mailbox does not receive them.

- `InboxSource`: a `mysteryshop listen` (any process on the same store) stores replies in the
  shared inbox; the run claims the ones that belong to its probes, polling the store.
- `ImapSource`: the run reads a real mailbox over IMAP itself (plus-addressed personas): it
  stores new messages in the shared inbox by UID, as `listen` would, and claims its own from there.
  Either way a reply is matched and timed the same way (collect.router; the arrival time the
  receiving server recorded, never the moment we polled).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from mysteryshop.collect.imap import ImapAccount, ImapCollector
from mysteryshop.collect.inbox import INBOX_RUN, ensure_inbox_run
from mysteryshop.collect.router import route_inbox
from mysteryshop.errors import CollectorError
from mysteryshop.store import Store

if TYPE_CHECKING:
    from mysteryshop.collect.mailbox import ProbeMailbox

log = logging.getLogger(__name__)

#: how often the shared inbox is looked at for new replies (their times come from when they arrived, not from this)
POLL_S = 0.25


class InboxSource:
    """Claims this run's replies from the shared inbox of the store."""

    def __init__(
        self, store: Store, *, poll_s: float | None = POLL_S, label: str = "a running `mysteryshop listen` on this store", from_start: bool = False,
    ) -> None:
        self.store, self.poll_s, self.label = store, poll_s, label
        self.from_start = from_start
        self.mailbox: ProbeMailbox | None = None
        self.cursor = 0
        self.claimed = 0
        self._lock = asyncio.Lock()
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_start_ns = 0

    async def start(self, mailbox: ProbeMailbox) -> None:
        self.mailbox = mailbox
        ensure_inbox_run(self.store)
        # replies to a new run's probes can only arrive from now on (their addresses are new); a resumed run's may be waiting
        self.cursor = 0 if self.from_start else int(self.store.query("SELECT coalesce(max(id), 0) AS n FROM messages")[0]["n"])
        self._task = asyncio.ensure_future(self._watch())

    def kick(self) -> None:
        """Look at the inbox now (something was just stored)."""
        self._kick.set()

    async def _watch(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._kick.wait(), timeout=self.poll_s)
            except TimeoutError:
                pass
            self._kick.clear()
            try:
                await self.poll()
            except Exception:  # noqa: BLE001 - one failed look at the store must not stop collecting; the next one retries
                log.warning("could not read the shared inbox of %s", self.store.path, exc_info=True)

    async def poll(self) -> int:
        """Claim every reply stored since the last look that belongs to this run's probes; how many."""
        mailbox = self.mailbox
        assert mailbox is not None
        async with self._lock:
            self._last_start_ns = mailbox.clock()
            shift = mailbox.clock() - time.time_ns()  # stored stamps are wall clock; the run's clock may be another
            result = await asyncio.to_thread(
                route_inbox, self.store, mailbox.run_id, mailbox.correlator,
                after_id=self.cursor, ticket_of=mailbox.ticket_of, shift_ns=shift,
            )
            self.cursor = result.cursor
            for routed in result.routed:
                reply = routed.reply
                mailbox.take(reply.rowid, routed.t_ns, reply.utc, reply.raw, rcpt_tos=reply.rcpt_tos, matched_by=routed.matched_by)
            self.claimed += len(result.routed)
            return len(result.routed)

    async def catch_up(self, before_ns: int) -> None:
        if self._last_start_ns < before_ns:
            await self.poll()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self.mailbox is not None:
            await self.poll()  # what arrived until now is this run's

    def describe(self) -> str:
        return f"{self.label} ({self.store.path})"


class ImapSource:
    """Reads a real mailbox over IMAP for this run (new mail only), through the shared inbox."""

    def __init__(self, store: Store, account: ImapAccount) -> None:
        self.store, self.account = store, account
        self.inbox = InboxSource(store, poll_s=5.0, label=f"IMAP {account.key}")
        self.collector = ImapCollector(store, account, run_id=INBOX_RUN, only_new=True, on_stored=self._stored)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _stored(self, rowid: int, raw: bytes) -> None:
        self.inbox.kick()

    async def start(self, mailbox: ProbeMailbox) -> None:
        try:
            await self.collector.connect()  # before anything is sent: wrong credentials stop the run here
        except (OSError, ConnectionError, TimeoutError) as exc:
            raise CollectorError(
                f"cannot read the reply mailbox {self.account.key}: {exc}. Check collect.imap in the target file "
                f"(host, port, ssl) and the credentials in ${self.account_env()}; nothing was sent"
            ) from exc
        await self.inbox.start(mailbox)
        self._task = asyncio.ensure_future(self.collector.run(self._stop))

    def account_env(self) -> str:
        return "MYSTERYSHOP_IMAP_USER / MYSTERYSHOP_IMAP_PASSWORD (or the variables named by collect.imap.user_env / password_env)"

    async def catch_up(self, before_ns: int) -> None:
        if self.collector.client is not None:
            await self.collector.synced_after_now(timeout_s=10.0)
        await self.inbox.catch_up(before_ns)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        await self.inbox.stop()

    def describe(self) -> str:
        return f"IMAP {self.account.key}"
