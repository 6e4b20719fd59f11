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
#: routing reads at most this many bytes of a message's header block (real ones are a few KiB; the
#: header parser's cost is per line, and it reads everything it is given)
HEADER_BLOCK_LIMIT = 128 * 1024
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
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


def header_block(raw: bytes) -> bytes:
    """The header block of `raw` (up to its first blank line), at most `HEADER_BLOCK_LIMIT` bytes."""
    blank = _BLANK_LINE.search(raw, 0, HEADER_BLOCK_LIMIT)
    return raw[: blank.end() if blank else HEADER_BLOCK_LIMIT]


def _addresses(value: object) -> list[str]:
    try:
        return [addr for _, addr in getaddresses([str(value)]) if "@" in addr]
    except Exception:  # noqa: BLE001 - a field the parser fails on (nested comments recurse) names nobody
        return []


def read_envelope(raw: bytes, rcpt_tos: Sequence[str] = ()) -> Envelope:
    """The envelope of a stored message. `rcpt_tos`: the SMTP envelope recipients, when it came by SMTP.

    Reads the header block only (`header_block`), so its cost does not grow with the body."""
    recipients = [a for a in rcpt_tos if a]
    try:
        headers = _HEADERS.parsebytes(header_block(raw))
        for name in RECIPIENT_HEADERS:
            for value in headers.get_all(name) or []:
                recipients.extend(_addresses(value))
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
        headers = _HEADERS.parsebytes(header_block(raw))
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
