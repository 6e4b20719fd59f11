"""The email channel's sending side: personas send over SMTP, through the target's server or relay.

Replies come back through the collector (mysteryshop.collect).
"""

from __future__ import annotations

import asyncio
import ssl
from email.message import Message
from typing import Any

import aiosmtplib

from mysteryshop.credentials import relay_credentials
from mysteryshop.errors import ChannelError, TargetUnreachable
from mysteryshop.smtp import Delivery, SmtpPool


async def send_email(
    message: Message | bytes,
    *,
    sender: str,
    recipients: list[str],
    host: str,
    port: int,
    timeout: float,
    step: str,
    journey: str,
    pool: SmtpPool,
    channel: Any = None,
) -> Delivery:
    """Send as the persona and time it. Unreachable → TargetUnreachable; refused → ChannelError.

    `channel` (a target's email settings) adds STARTTLS and the relay login, whose credentials
    come from the environment or the keyring at this moment and go nowhere else. The message
    goes over one of `pool`'s kept connections when one is free, and the pool's clock times it.
    """
    tls: dict[str, Any] = {}
    if channel is not None and getattr(channel, "starttls", False):
        context = ssl.create_default_context()
        if not channel.tls_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        tls = {"starttls": True, "tls_context": context}
    credentials = relay_credentials(channel) if channel is not None else None
    login = {"username": credentials.username, "password": credentials.password} if credentials else {}
    try:
        return await pool.deliver(message, host=host, port=port, sender=sender, recipients=recipients, timeout=timeout, **tls, **login)
    except aiosmtplib.SMTPAuthenticationError as exc:
        raise ChannelError(f"{host}:{port} refused the relay login for step '{step}' of journey '{journey}': {exc.code} {exc.message}") from exc
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
