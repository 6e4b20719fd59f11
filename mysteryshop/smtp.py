"""The sending side of SMTP: timed deliveries over kept connections (personas and the demo desk send this way)."""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from typing import Any

import aiosmtplib
from aiosmtplib.email import quote_address
from aiosmtplib.protocol import normalize_message_line_endings


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
#: an address that needs no quoting on the wire: dot-atom@domain
DOT_ATOM_ADDRESS = rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_PLAIN_ADDRESS = re.compile(DOT_ATOM_ADDRESS)


@dataclass(frozen=True, slots=True)
class Delivery:
    """Monotonic times of one sent message.

    `transmitted_ns`: the sender handed the last byte of the message to the socket; this is
    "when it was sent", for the harness and the demo desk alike. `accepted_ns`: the receiving
    server's 250 arrived.
    """

    transmitted_ns: int
    accepted_ns: int


class _Connection:
    """One open SMTP client connection whose writes are timed: the end of DATA is stamped when its last byte goes out."""

    __slots__ = ("client", "clock", "stamps", "sent", "idle_since", "last_read_ns")

    def __init__(self, client: aiosmtplib.SMTP, clock: Callable[[], int]) -> None:
        self.client = client
        self.clock = clock
        self.stamps: list[int] = []
        self.sent = 0
        self.idle_since = 0.0
        self.last_read_ns: int | None = None
        protocol = client.protocol
        write, data_received = protocol.write, protocol.data_received

        def timed_write(data: bytes) -> None:
            # aiosmtplib writes the whole dot-stuffed body, ending in CRLF.CRLF, in one call.
            write(data)
            if data.endswith(b"\r\n.\r\n"):
                self.stamps.append(clock())

        def timed_read(data: bytes) -> None:
            # the reply came off the socket now; the coroutine waiting for it resumes a turn later
            self.last_read_ns = clock()
            data_received(data)

        protocol.write = timed_write  # type: ignore[method-assign]
        protocol.data_received = timed_read  # type: ignore[method-assign]

    async def send(self, payload: bytes, sender: str, recipients: list[str], timeout: float) -> Delivery:
        self.stamps.clear()
        await self._transact(payload, sender, recipients, timeout)
        accepted = self.last_read_ns or self.clock()  # the 250 to DATA is the last thing read
        self.sent += 1
        return Delivery(self.stamps[-1] if self.stamps else accepted, accepted)

    async def _transact(self, payload: bytes, sender: str, recipients: list[str], timeout: float) -> None:
        """aiosmtplib's `sendmail`, on the wire and in what it raises, without parsing each address twice.

        Every address is checked before anything is sent; a refusal (a 4xx/5xx to MAIL, to every
        RCPT, or to DATA) is answered with RSET.
        """
        client = self.client
        mail_from = b"FROM:" + _path(sender)
        rcpt_to = [b"TO:" + _path(recipient) for recipient in recipients]
        await client._ehlo_or_helo_if_needed()
        size = (f"size={_wire_size(payload)}".encode("ascii"),) if client.supports_extension("size") else ()
        try:
            response = await client.execute_command(b"MAIL", mail_from, *size, timeout=timeout)
            if response.code != 250:
                raise aiosmtplib.SMTPSenderRefused(response.code, response.message, sender)
            refused: list[aiosmtplib.SMTPRecipientRefused] = []
            for recipient, arg in zip(recipients, rcpt_to):
                response = await client.execute_command(b"RCPT", arg, timeout=timeout)
                if response.code not in (250, 251):
                    refused.append(aiosmtplib.SMTPRecipientRefused(response.code, response.message, recipient))
            if len(refused) == len(recipients):
                raise aiosmtplib.SMTPRecipientsRefused(refused)
            await client.data(payload, timeout=timeout)
        except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
            try:
                await client.rset(timeout=timeout)
            except (ConnectionError, aiosmtplib.SMTPResponseException):
                pass
            raise

    async def quit(self, timeout: float | None = None) -> None:
        try:
            await self.client.quit(timeout=timeout)
        except (aiosmtplib.SMTPException, OSError):
            self.client.close()


async def _connect(
    host: str, port: int, timeout: float, starttls: bool, tls_context: ssl.SSLContext | None,
    username: str | None, password: str | None, clock: Callable[[], int],
) -> _Connection:
    client = aiosmtplib.SMTP(
        hostname=host, port=port, timeout=timeout, local_hostname="localhost", start_tls=starttls or False,
        tls_context=tls_context, username=username, password=password,
    )
    await client.connect()
    return _Connection(client, clock)


async def deliver(
    message: Message | bytes,
    *,
    host: str,
    port: int,
    sender: str,
    recipients: list[str],
    timeout: float = 10.0,
    starttls: bool = False,
    tls_context: ssl.SSLContext | None = None,
    username: str | None = None,
    password: str | None = None,
    clock: Callable[[], int] = time.monotonic_ns,
) -> Delivery:
    """Send one message over a fresh SMTP connection (optionally STARTTLS and AUTH) and time it with `clock`."""
    connection = await _connect(host, port, timeout, starttls, tls_context, username, password, clock)
    try:
        return await connection.send(_payload(message), sender, recipients, timeout)
    finally:
        await connection.quit()


def _payload(message: Message | bytes) -> bytes:
    return message if isinstance(message, bytes) else message.as_bytes()


def _path(address: str) -> bytes:
    """`<address>` as aiosmtplib's `quote_address` writes it (and raises ValueError where it does);
    a plain `dot-atom@domain` needs none of its parsing (a test compares the two)."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>".encode("ascii")
    return quote_address(address).encode("ascii")


def _wire_size(payload: bytes) -> int:
    """The octets DATA will carry before dot-stuffing (RFC 1870's SIZE), as aiosmtplib counts them;
    a message already in CRLF lines, as `mail.WIRE` writes it, needs no rewriting to count."""
    crlf = payload.count(b"\r\n")
    if crlf == payload.count(b"\n") == payload.count(b"\r") and payload.endswith(b"\r\n"):
        return len(payload)
    return len(normalize_message_line_endings(payload))


class SmtpPool:
    """SMTP connections kept open for more messages, per destination, as a mail server keeps them.

    Opening a connection costs both sides more than the message itself (TCP, greeting, EHLO,
    QUIT, and a fresh protocol object on the server); a thousand messages at once would
    otherwise be a thousand connections. At most `per_destination` connections to one
    destination are open at a time (Postfix's default is 20); a message waits for a free one.
    A connection carries at most `max_messages` and is closed after `max_idle_s` unused.
    """

    def __init__(
        self, *, per_destination: int = 20, max_messages: int = 100, max_idle_s: float = 5.0, clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.per_destination = per_destination
        self.max_messages = max_messages
        self.max_idle_s = max_idle_s
        self.clock = clock
        self._idle: dict[tuple[Any, ...], list[_Connection]] = {}
        self._slots: dict[tuple[Any, ...], asyncio.Semaphore] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._reaper: asyncio.TimerHandle | None = None

    async def deliver(
        self,
        message: Message | bytes,
        *,
        host: str,
        port: int,
        sender: str,
        recipients: list[str],
        timeout: float = 10.0,
        starttls: bool = False,
        tls_context: ssl.SSLContext | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> Delivery:
        """`deliver`, over a kept connection when one is free. Raises what `deliver` raises."""
        key = (host, port, starttls, username)
        payload = _payload(message)
        slots = self._slots.setdefault(key, asyncio.Semaphore(self.per_destination))
        async with slots:
            connection = self._take_idle(key)
            if connection is not None:
                try:
                    delivery = await connection.send(payload, sender, recipients, timeout)
                except (aiosmtplib.SMTPServerDisconnected, ConnectionError):
                    connection.client.close()
                    if connection.stamps:  # the message went out: sending it again could deliver it twice
                        raise
                else:
                    self._keep(key, connection)
                    return delivery
            connection = await _connect(host, port, timeout, starttls, tls_context, username, password, self.clock)
            try:
                delivery = await connection.send(payload, sender, recipients, timeout)
            except BaseException:
                self._close_soon([connection])
                raise
            self._keep(key, connection)
            return delivery

    async def close(self) -> None:
        """QUIT every kept connection."""
        if self._reaper is not None:
            self._reaper.cancel()
            self._reaper = None
        idle = [c for connections in self._idle.values() for c in connections]
        self._idle.clear()
        self._close_soon(idle)
        if self._closing:
            await asyncio.wait(self._closing, timeout=3)

    def _take_idle(self, key: tuple[Any, ...]) -> _Connection | None:
        connections = self._idle.get(key)
        while connections:
            connection = connections.pop()
            if connection.client.is_connected:
                return connection
        return None

    def _keep(self, key: tuple[Any, ...], connection: _Connection) -> None:
        if connection.sent >= self.max_messages or not connection.client.is_connected:
            self._close_soon([connection])
            return
        loop = asyncio.get_running_loop()
        connection.idle_since = loop.time()
        self._idle.setdefault(key, []).append(connection)
        if self._reaper is None:
            self._reaper = loop.call_later(self.max_idle_s, self._reap)

    def _reap(self) -> None:
        self._reaper = None
        cutoff = asyncio.get_running_loop().time() - self.max_idle_s
        stale: list[_Connection] = []
        for connections in self._idle.values():
            stale.extend(c for c in connections if c.idle_since <= cutoff)
            connections[:] = [c for c in connections if c.idle_since > cutoff]
        self._close_soon(stale)
        if any(self._idle.values()):
            self._reaper = asyncio.get_running_loop().call_later(self.max_idle_s, self._reap)

    def _close_soon(self, connections: list[_Connection]) -> None:
        for connection in connections:
            task = asyncio.ensure_future(connection.quit(timeout=2.0))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
