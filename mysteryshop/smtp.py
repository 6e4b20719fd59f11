"""SMTP plumbing shared by the probe mailbox and the demo desk: servers on an existing loop, and sending."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from functools import partial
from typing import Any

import aiosmtplib
from aiosmtpd.smtp import SMTP


async def serve_smtp(handler: Any, *, host: str = "127.0.0.1", port: int = 0, name: str) -> tuple[asyncio.Server, int]:
    """Start an aiosmtpd server for `handler` on the running loop; returns the server and its port.

    `name` is the hostname the server greets with; giving it avoids aiosmtpd's reverse DNS
    lookup, which can stall for seconds on machines without a resolver.
    """
    loop = asyncio.get_running_loop()
    factory = partial(SMTP, handler, hostname=name, ident=f"{name} ESMTP", data_size_limit=25 * 2**20, timeout=60)
    # A deep accept queue: a thousand replies arriving at once must not have their SYNs dropped
    # (the sender's TCP would retry after 1, 3, 7 s, and we would measure the company as late).
    server = await loop.create_server(factory, host=host, port=port, reuse_address=True, backlog=4096)
    bound = server.sockets[0].getsockname()[1]
    return server, bound


@dataclass(frozen=True, slots=True)
class Delivery:
    """Monotonic times of one sent message.

    `transmitted_ns`: the sender handed the last byte of the message to the socket; this is
    "when it was sent", for the harness and the demo desk alike. `accepted_ns`: the receiving
    server's 250 arrived.
    """

    transmitted_ns: int
    accepted_ns: int


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
    client = aiosmtplib.SMTP(
        hostname=host, port=port, timeout=timeout, local_hostname="localhost", start_tls=starttls or False,
        tls_context=tls_context, username=username, password=password,
    )
    await client.connect()
    stamps: list[int] = []
    protocol = client.protocol
    write = protocol.write

    def timed_write(data: bytes) -> None:
        # aiosmtplib writes the whole dot-stuffed body, ending in CRLF.CRLF, in one call.
        write(data)
        if data.endswith(b"\r\n.\r\n"):
            stamps.append(clock())

    protocol.write = timed_write  # type: ignore[method-assign]
    try:
        payload = message if isinstance(message, bytes) else message.as_bytes()
        await client.sendmail(sender, recipients, payload)
        accepted = clock()
        return Delivery(stamps[-1] if stamps else accepted, accepted)
    finally:
        try:
            await client.quit()
        except aiosmtplib.SMTPException:
            client.close()
