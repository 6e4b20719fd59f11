"""The email channel: personas send over SMTP; replies land in the probe mailbox on loopback.

The probe mailbox is an aiosmtpd server that accepts mail only for probe domains (it is not
an open relay) and writes every message, raw, to the store before it answers 250. Parsing and
matching the message to its probe happen after that, so a message that cannot be parsed or
matched is still kept.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import aiosmtplib

from mysteryshop.correlate import Correlator
from mysteryshop.errors import ChannelError, TargetUnreachable
from mysteryshop.mail import ParsedMail, parse_mail
from mysteryshop.smtp import Delivery, deliver, serve_smtp
from mysteryshop.store import Store, utc_now


@dataclass(frozen=True, slots=True)
class Inbound:
    """A received message, stored as `rowid`, received at `t_ns` (end of SMTP DATA)."""

    rowid: int
    t_ns: int
    utc: str
    mail: ParsedMail
    matched_by: str | None


class ProbeMailbox:
    """aiosmtpd handler: the harness's inbox for every persona of a run."""

    def __init__(self, store: Store, run_id: str, domains: set[str], *, ticket_of: Callable[[str], str | None] | None = None) -> None:
        self.store = store
        self.run_id = run_id
        self.domains = {d.lower() for d in domains}
        self.correlator = Correlator()
        self.ticket_of = ticket_of or (lambda text: None)
        self.customer_text: dict[str, str] = {}
        self._inboxes: dict[str, asyncio.Queue[Inbound]] = {}
        self.unmatched: list[Inbound] = []
        self._pending: set[asyncio.Task[None]] = set()
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self.server, self.port = await serve_smtp(self, host=host, port=port, name="probe-mailbox.mysteryshop")
        return self.port

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        await self.drain()

    async def drain(self) -> None:
        """Wait until every accepted message has been parsed and routed."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    def open_inbox(self, probe_id: str, address: str) -> asyncio.Queue[Inbound]:
        self.correlator.add_probe(probe_id, address)
        return self._inboxes.setdefault(probe_id, asyncio.Queue())

    # -- aiosmtpd hooks -------------------------------------------------------------------
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        domain = address.rpartition("@")[2].lower()
        if domain not in self.domains:
            return f"550 5.7.1 <{address}>: relay denied; this mailbox only accepts probe addresses (@{', @'.join(sorted(self.domains))})"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        t_ns = time.monotonic_ns()
        utc = utc_now()
        raw = envelope.original_content or envelope.content or b""
        rowid = await self.store.amessage(self.run_id, "in", envelope.mail_from or "", list(envelope.rcpt_tos), t_ns, raw)
        task = asyncio.ensure_future(self._route(rowid, t_ns, utc, raw, list(envelope.rcpt_tos)))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return "250 OK: stored"

    async def _route(self, rowid: int, t_ns: int, utc: str, raw: bytes, rcpt_tos: list[str]) -> None:
        mail = parse_mail(raw)
        ticket = self.ticket_of(f"{mail.subject}\n{mail.full_text}")
        probe_id, matched_by = self.correlator.match(rcpt_tos, mail.thread_ids, ticket)
        if probe_id is not None and probe_id in self.customer_text:
            mail = parse_mail(raw, customer_text=self.customer_text[probe_id])
        if probe_id is not None and ticket:
            self.correlator.add_ticket(probe_id, ticket)
        await self.store.aannotate_message(
            rowid,
            probe_id=probe_id,
            matched_by=matched_by,
            message_id=mail.message_id,
            in_reply_to=mail.in_reply_to,
            subject=mail.subject,
            text=mail.text,
            malformed=int(mail.malformed),
            defects=mail.defects,
        )
        inbound = Inbound(rowid, t_ns, utc, mail, matched_by)
        if probe_id is None:
            self.unmatched.append(inbound)
            await self.store.aevent(self.run_id, None, "unmatched_message", t_ns, message_ref=rowid, rcpt_to=rcpt_tos, subject=mail.subject)
            return
        await self._inboxes[probe_id].put(inbound)


async def send_email(
    message: EmailMessage, *, host: str, port: int, timeout: float, step: str, journey: str
) -> Delivery:
    """Send as the persona and time it. Unreachable → TargetUnreachable; refused → ChannelError."""
    sender = message["From"].addresses[0].addr_spec
    recipients = [a.addr_spec for a in message["To"].addresses]
    try:
        return await deliver(message, host=host, port=port, sender=sender, recipients=recipients, timeout=timeout)
    except (OSError, aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, asyncio.TimeoutError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise TargetUnreachable(host=host, port=port, step=step, journey=journey, reason=reason) from exc
    except aiosmtplib.SMTPResponseException as exc:
        raise ChannelError(
            f"{host}:{port} refused the email of step '{step}' of journey '{journey}': {exc.code} {exc.message}"
        ) from exc
    except aiosmtplib.SMTPRecipientsRefused as exc:
        refused = "; ".join(f"{e.recipient}: {e.code} {e.message}" for e in exc.recipients)
        raise ChannelError(f"{host}:{port} refused the recipients of step '{step}' of journey '{journey}': {refused}") from exc
