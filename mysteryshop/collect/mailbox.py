"""The probe mailbox of a run: each reply is stored first, then matched to its probe and handed to it.

The path from SMTP DATA to 250 does the least it can: store the raw bytes durably, match the
message by its envelope recipient (or its thread headers), hand it on. The full MIME parse
happens where the result is needed: in the probe that waits for the message, or, for mail that
matches no probe, in the background and at the latest when the run drains. The mailbox accepts
mail only for probe domains (it is not an open relay).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from mysteryshop.collect.correlate import Correlator
from mysteryshop.collect.parse import ParsedMail, message_ids as _ids, parse_mail, stored_fields
from mysteryshop.collect.smtp_server import serve_smtp
from mysteryshop.store import Store, utc_now


@dataclass(frozen=True, slots=True)
class Inbound:
    """A received message, stored as `rowid`, received at `t_ns` (end of SMTP DATA)."""

    rowid: int
    t_ns: int
    utc: str
    mail: ParsedMail
    matched_by: str | None


@dataclass(frozen=True, slots=True)
class _Received:
    rowid: int
    t_ns: int
    utc: str
    raw: bytes
    rcpt_tos: tuple[str, ...]


_HEADERS = BytesHeaderParser(policy=compat32)

#: mail no probe waits for is parsed once no message has arrived for this long...
BACKLOG_QUIET_S = 0.5
#: ...or once it has waited this long, whichever comes first
BACKLOG_MAX_WAIT_S = 10.0


class ProbeMailbox:
    """aiosmtpd handler: the harness's inbox for every persona of a run.

    The path from SMTP DATA to 250 does the least it can: store the raw bytes durably, match
    the message by its envelope recipient (or its thread headers), hand it on. The full MIME
    parse happens where the result is needed: in the probe that waits for the message, or, for
    mail that matches no probe, in the background and at the latest when the run drains.
    """

    def __init__(self, store: Store, run_id: str, domains: set[str], *, ticket_of: Callable[[str], str | None] | None = None) -> None:
        self.store = store
        self.run_id = run_id
        self.domains = {d.lower() for d in domains}
        self.correlator = Correlator()
        self.ticket_of = ticket_of or (lambda text: None)
        self.customer_text: dict[str, str] = {}
        self._inboxes: dict[str, asyncio.Queue[_Received]] = {}
        self._backlog: list[tuple[_Received, str | None]] = []
        self._closed: set[str] = set()
        self._held: dict[str, _Received] = {}  # a reply taken from a probe's inbox by a receive that was cancelled
        self._inflight: dict[int, int] = {}  # messages read in full but not yet stored and routed: key -> t_ns
        self._next_key = 0
        self._routed = asyncio.Event()
        self._backlog_handle: asyncio.TimerHandle | None = None
        self._backlog_since = 0.0
        self._last_arrival = 0.0
        self.server: asyncio.Server | None = None
        self.port = 0
        #: awaited before a received message is parsed (the engine's TurnBudget)
        self.pace: Callable[[], Awaitable[None]] | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self.server, self.port = await serve_smtp(self, host=host, port=port, name="probe-mailbox.mysteryshop", clock=self.clock)
        return self.port

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        await self.drain()

    async def drain(self) -> None:
        """Parse, flag and record every message no probe is waiting for."""
        while self._backlog:
            batch, self._backlog = self._backlog, []
            for item, probe_id in batch:
                await self._record_later(item, probe_id)
        await self.store.awrite("SELECT 1")  # a barrier: every queued annotation is committed

    def open_inbox(self, probe_id: str, address: str) -> asyncio.Queue[_Received]:
        self.correlator.add_probe(probe_id, address)
        return self._inboxes.setdefault(probe_id, asyncio.Queue())

    def close_inbox(self, probe_id: str) -> None:
        """The probe has finished: what is queued, and what comes later, is recorded for it but not waited on."""
        self._closed.add(probe_id)
        held = self._held.pop(probe_id, None)
        if held is not None:
            self._defer(held, probe_id)
        inbox = self._inboxes.pop(probe_id, None)
        while inbox is not None and not inbox.empty():
            self._defer(inbox.get_nowait(), probe_id)

    async def receive(self, probe_id: str, inbox: asyncio.Queue[_Received], timeout: float) -> Inbound:
        """The probe's next message, parsed against what the persona wrote; raises TimeoutError."""
        item = self._held.pop(probe_id, None) or await asyncio.wait_for(inbox.get(), timeout=timeout)
        if self.pace is not None:
            try:
                await self.pace()
            except asyncio.CancelledError:  # the probe stopped waiting (its chat showed something first): the reply is still
                self._held[probe_id] = item  # its, and its next receive takes it before anything queued after it
                raise
        customer_text = self.customer_text.get(probe_id)
        mail = parse_mail(item.raw, customer_text=customer_text)
        matched_by = "recipient" if any(self.correlator.match([a], [], None)[0] == probe_id for a in item.rcpt_tos) else "thread"
        ticket = self.ticket_of(f"{mail.subject}\n{mail.full_text}")
        if ticket:
            self.correlator.add_ticket(probe_id, ticket)
        self._annotate(item.rowid, mail, probe_id=probe_id, matched_by=matched_by, customer_text=customer_text)
        return Inbound(item.rowid, item.t_ns, item.utc, mail, matched_by)

    # -- aiosmtpd hooks -------------------------------------------------------------------
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        domain = address.rpartition("@")[2].lower()
        if domain not in self.domains:
            return f"550 5.7.1 <{address}>: relay denied; this mailbox only accepts probe addresses (@{', @'.join(sorted(self.domains))})"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    clock: Callable[[], int] = staticmethod(time.monotonic_ns)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        t_ns = server.last_data_ns  # when the end of DATA came off the socket; this handler runs a little later
        key, self._next_key = self._next_key, self._next_key + 1
        self._inflight[key] = t_ns
        try:
            utc = utc_now()
            raw = envelope.original_content or envelope.content or b""
            rcpt_tos = tuple(envelope.rcpt_tos)
            rowid = await self.store.amessage(self.run_id, "in", envelope.mail_from or "", list(rcpt_tos), t_ns, raw)
            self._last_arrival = asyncio.get_running_loop().time()
            self._route(_Received(rowid, t_ns, utc, raw, rcpt_tos))
        finally:
            del self._inflight[key]
            self._routed.set()
        return "250 OK: stored"

    async def settle(self, before_ns: int, timeout_s: float = 10.0) -> None:
        """Wait until every message received before `before_ns` has been stored and routed.

        On a busy loop a message can arrive before a deadline and still be on its way to the
        store when the deadline's timer fires; judging then would call it late.
        """
        loop = asyncio.get_running_loop()
        give_up = loop.time() + timeout_s
        while any(t <= before_ns for t in self._inflight.values()) and loop.time() < give_up:
            self._routed.clear()
            try:
                await asyncio.wait_for(self._routed.wait(), timeout=max(0.0, give_up - loop.time()))
            except TimeoutError:
                return

    def _route(self, item: _Received) -> None:
        probe_id, _ = self.correlator.match(item.rcpt_tos, [], None)
        if probe_id is None:
            try:
                headers = _HEADERS.parsebytes(item.raw)
                thread_ids = _ids(headers.get("In-Reply-To")) + _ids(headers.get("References"))[::-1]
                ticket = self.ticket_of(str(headers.get("Subject") or ""))
            except Exception:  # noqa: BLE001 - unreadable headers: the message is still stored
                thread_ids, ticket = [], None
            probe_id, _ = self.correlator.match([], thread_ids, ticket)
        if probe_id is not None and probe_id in self._inboxes:
            self._inboxes[probe_id].put_nowait(item)
            return
        self._defer(item, probe_id)

    def _defer(self, item: _Received, probe_id: str | None) -> None:
        self._backlog.append((item, probe_id))
        if self._backlog_handle is None:
            self._backlog_since = asyncio.get_running_loop().time()
            self._backlog_handle = asyncio.get_running_loop().call_later(BACKLOG_QUIET_S, self._drain_soon)

    def quiet_for(self) -> float:
        """Seconds since the last message arrived (0 while one is being taken)."""
        return 0.0 if self._inflight else asyncio.get_running_loop().time() - self._last_arrival

    def _drain_soon(self) -> None:
        """Parse the backlog once the mailbox has been quiet a moment (or has waited long enough):
        parsing is what a flood of mail should not have to wait behind."""
        loop = asyncio.get_running_loop()
        busy = loop.time() - self._last_arrival < BACKLOG_QUIET_S
        if busy and loop.time() - self._backlog_since < BACKLOG_MAX_WAIT_S:
            self._backlog_handle = loop.call_later(BACKLOG_QUIET_S, self._drain_soon)
            return
        self._backlog_handle = None
        asyncio.ensure_future(self.drain())

    async def _record_later(self, item: _Received, probe_id: str | None) -> None:
        customer_text = self.customer_text.get(probe_id or "")
        mail = parse_mail(item.raw, customer_text=customer_text)
        if probe_id is not None:
            matched_by = "recipient" if self.correlator.match(item.rcpt_tos, [], None)[0] == probe_id else "thread"
            self._annotate(item.rowid, mail, probe_id=probe_id, matched_by=matched_by, customer_text=customer_text)
            return
        self._annotate(item.rowid, mail, probe_id=None, matched_by=None)
        await self.store.aevent(
            self.run_id, None, "unmatched_message", item.t_ns, message_ref=item.rowid, rcpt_to=list(item.rcpt_tos), subject=mail.subject
        )

    def _annotate(
        self, rowid: int, mail: ParsedMail, *, probe_id: str | None, matched_by: str | None, customer_text: str | None = None
    ) -> None:
        """Record what was parsed (every field scoring reads: a scorecard need not parse it again);
        queued, not awaited: the raw message is already safe."""
        self.store.post(*self.store.annotation(
            rowid, probe_id=probe_id, matched_by=matched_by, **stored_fields(mail, customer_text),
        ))
