"""Where a received message belongs and when it arrived, read from its envelope and headers only.

Matching a reply to its probe needs its recipients, the message ids it follows and its subject
(for a ticket number), not its body: reading the headers is cheap even for a 20 MB message, and
these functions never raise, so an unreadable message is still stored and reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

_HEADERS = BytesHeaderParser(policy=compat32)
_MSGID = re.compile(r"<[^<>\s]+>")
#: headers naming who a message was delivered to, most specific first (a mailbox read over IMAP has no envelope)
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To", "Cc")


@dataclass(frozen=True, slots=True)
class Envelope:
    """What routing reads of a message: recipients (envelope first), thread ids (nearest first), subject."""

    recipients: tuple[str, ...]
    thread_ids: tuple[str, ...]
    subject: str


def message_ids(value: object) -> list[str]:
    """The <message-ids> in a header value, in order."""
    return _MSGID.findall(str(value or ""))


def _text(value: object) -> str:
    if value is None:
        return ""
    raw = str(value)
    if "=?" not in raw:
        return " ".join(raw.split())
    try:
        return " ".join(str(make_header(decode_header(raw))).split())
    except Exception:  # noqa: BLE001 - an undecodable subject is matched as it is written
        return " ".join(raw.split())


def read_envelope(raw: bytes, rcpt_tos: Sequence[str] = ()) -> Envelope:
    """The envelope of a stored message. `rcpt_tos`: the SMTP envelope recipients, when it came by SMTP."""
    recipients = [a for a in rcpt_tos if a]
    try:
        headers = _HEADERS.parsebytes(raw)
        for name in RECIPIENT_HEADERS:
            for value in headers.get_all(name) or []:
                recipients.extend(addr for _, addr in getaddresses([str(value)]) if "@" in addr)
        thread_ids = message_ids(headers.get("In-Reply-To")) + message_ids(headers.get("References"))[::-1]
        subject = _text(headers.get("Subject"))
    except Exception:  # noqa: BLE001 - unreadable headers: matched by the envelope alone
        thread_ids, subject = [], ""
    return Envelope(tuple(dict.fromkeys(recipients)), tuple(dict.fromkeys(thread_ids)), subject)


def received_wall_ns(raw: bytes) -> int | None:
    """When the receiving mail server took the message: the date of its topmost Received header (UTC ns), or None.

    For mail collected later (over IMAP, or stored by another process) this is the moment it
    arrived, which polling cannot know. Received headers carry whole seconds.
    """
    try:
        headers = _HEADERS.parsebytes(raw)
        first = headers.get("Received")
        if first is None:
            return None
        when = str(first).rpartition(";")[2].strip()
        stamp = parsedate_to_datetime(when)
    except Exception:  # noqa: BLE001 - no usable date: the caller falls back to another clock
        return None
    if stamp is None or stamp.tzinfo is None:
        return None
    return int(stamp.timestamp()) * 1_000_000_000 + stamp.microsecond * 1000
