"""SMTP plumbing shared by the probe mailbox and the demo desk: servers on an existing loop, and sending."""

from __future__ import annotations

import asyncio
import time
from email.message import EmailMessage
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
    server = await loop.create_server(factory, host=host, port=port, reuse_address=True)
    bound = server.sockets[0].getsockname()[1]
    return server, bound


async def deliver(
    message: EmailMessage, *, host: str, port: int, sender: str, recipients: list[str], timeout: float = 10.0
) -> int:
    """Send one message; returns time.monotonic_ns() taken when the server accepted the DATA (its 250)."""
    client = aiosmtplib.SMTP(hostname=host, port=port, timeout=timeout, local_hostname="localhost", start_tls=False)
    await client.connect()
    try:
        await client.sendmail(sender, recipients, message.as_bytes())
        return time.monotonic_ns()
    finally:
        try:
            await client.quit()
        except aiosmtplib.SMTPException:
            client.close()
