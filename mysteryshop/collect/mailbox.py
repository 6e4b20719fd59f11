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
from typing import Any, Protocol

from mysteryshop.collect.correlate import Correlator
from mysteryshop.collect.envelope import read_envelope
from mysteryshop.collect.parse import ParsedMail, parse_mail, stored_fields
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
    reading: Any = None  # its kind, read once as it was stored (see ProbeMailbox.kind_of), or None


@dataclass(frozen=True, slots=True)
class _Received:
    rowid: int
    t_ns: int
    utc: str
    raw: bytes
    rcpt_tos: tuple[str, ...]
    matched_by: str | None = None  # decided already (a reply claimed from the shared inbox)


class Source(Protocol):
    """Something that brings a run's replies to its mailbox from elsewhere (IMAP, a running `mysteryshop listen`)."""

    async def start(self, mailbox: ProbeMailbox) -> None: ...

    async def stop(self) -> None: ...

    async def catch_up(self, before_ns: int) -> None:
        """Bring in now whatever arrived before `before_ns` (run clock), before a deadline is judged."""

    def describe(self) -> str:
        """Where replies are expected, for people: 'IMAP qa@imap.example.com:993/INBOX'."""

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
        self._ticket_finders: list[Callable[[str], str | None]] = [ticket_of] if ticket_of else []
        self.sources: list[Source] = []
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
        #: reads a reply's kind as the probe receives it: (reading, its stored form), kept beside the message so a report
        #: need not read it again (the engine's scoring.stored_kind.read_and_keep; None: nothing read here)
        self.kind_of: Callable[[ParsedMail], tuple[Any, str]] | None = None

    def ticket_of(self, text: str) -> str | None:
        """The ticket number in `text`, by the first target pattern that finds one."""
        for find in self._ticket_finders:
            ticket = find(text)
            if ticket:
                return ticket
        return None

    def add_ticket_pattern(self, find: Callable[[str], str | None]) -> None:
        if find not in self._ticket_finders:
            self._ticket_finders.append(find)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Serve SMTP on host:port (0: any free port); returns the port."""
        self.server, self.port = await serve_smtp(self, host=host, port=port, name="probe-mailbox.mysteryshop", clock=self.clock)
        return self.port

    async def add_source(self, source: Source) -> None:
        """Start bringing replies in from `source` too."""
        await source.start(self)
        self.sources.append(source)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        for source in self.sources:
            await source.stop()
        await self.drain()

    def take(self, rowid: int, t_ns: int, utc: str, raw: bytes, *, rcpt_tos: tuple[str, ...] = (), matched_by: str | None = None) -> None:
        """Hand the mailbox a reply a source has stored already (`t_ns` in the run's clock)."""
        self._last_arrival = asyncio.get_running_loop().time()
        self._route(_Received(rowid, t_ns, utc, raw, rcpt_tos, matched_by))

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
        matched_by = item.matched_by or self._matched_by(item, probe_id)
        ticket = self.ticket_of(f"{mail.subject}\n{mail.full_text}")
        if ticket:
            self.correlator.add_ticket(probe_id, ticket)
        reading, kept = self.kind_of(mail) if self.kind_of is not None else (None, None)
        self._annotate(item.rowid, mail, probe_id=probe_id, matched_by=matched_by, customer_text=customer_text, kind_reading=kept)
        return Inbound(item.rowid, item.t_ns, item.utc, mail, matched_by, reading)

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
        for source in self.sources:
            await source.catch_up(before_ns)
        loop = asyncio.get_running_loop()
        give_up = loop.time() + timeout_s
        while any(t <= before_ns for t in self._inflight.values()) and loop.time() < give_up:
            self._routed.clear()
            try:
                await asyncio.wait_for(self._routed.wait(), timeout=max(0.0, give_up - loop.time()))
            except TimeoutError:
                return

    def _matched_by(self, item: _Received, probe_id: str) -> str:
        if any(self.correlator.match([a], [], None)[0] == probe_id for a in item.rcpt_tos):
            return "recipient"
        envelope = read_envelope(item.raw, item.rcpt_tos)
        _, how = self.correlator.match(envelope.recipients, envelope.thread_ids, self.ticket_of(envelope.subject))
        return how or "thread"

    def _route(self, item: _Received) -> None:
        probe_id, _ = self.correlator.match(item.rcpt_tos, [], None)
        if probe_id is None:
            envelope = read_envelope(item.raw, item.rcpt_tos)  # headers only; never raises
            probe_id, _ = self.correlator.match(envelope.recipients, envelope.thread_ids, self.ticket_of(envelope.subject))
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
            matched_by = item.matched_by or self._matched_by(item, probe_id)
            self._annotate(item.rowid, mail, probe_id=probe_id, matched_by=matched_by, customer_text=customer_text)
            return
        self._annotate(item.rowid, mail, probe_id=None, matched_by=None)
        await self.store.aevent(
            self.run_id, None, "unmatched_message", item.t_ns, message_ref=item.rowid, rcpt_to=list(item.rcpt_tos), subject=mail.subject
        )

    def _annotate(
        self, rowid: int, mail: ParsedMail, *, probe_id: str | None, matched_by: str | None, customer_text: str | None = None,
        kind_reading: str | None = None,
    ) -> None:
        """Record what was parsed (every field scoring reads: a scorecard need not parse it again), and the kind read
        from it if it was; queued, not awaited: the raw message is already safe."""
        fields = stored_fields(mail, customer_text)
        if kind_reading is not None:
            fields["kind_reading"] = kind_reading
        self.store.post(*self.store.annotation(rowid, probe_id=probe_id, matched_by=matched_by, **fields))
