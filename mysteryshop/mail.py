"""Writing email: the messages personas send (and the demo desk answers with), in SMTP's wire form."""

from __future__ import annotations

import re
import time
from binascii import b2a_qp
from email import base64mime
from email.header import Header
from email.message import Message
from email.policy import Compat32
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

_PLAIN_HEADER = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")
#: RFC 5322's limit on a line, without its CRLF
_LONG_LINE = re.compile(r"[^\n]{999}")


class _WirePolicy(Compat32):
    """compat32 with SMTP's CRLF line ends, writing a short one-line ASCII header as it is.

    compat32 passes every header through email.header.Header to fold it, which costs more than
    sending the message; for a header that needs no folding and no encoding the result is the
    same line (a test compares the two).
    """

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        if (
            type(value) is str
            and len(name) + len(value) + 2 <= (self.max_line_length or 78)
            and _PLAIN_HEADER.fullmatch(value)
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


#: what composed messages are written with
WIRE = _WirePolicy(linesep="\r\n")


_date = (0, "")


def mail_date(now: float | None = None) -> str:
    """The Date header as a mail client writes it: local time with its UTC offset (RFC 5322).

    Formatted once a second: composing a thousand messages a second must not format a thousand dates.
    """
    global _date
    now = time.time() if now is None else now
    second = int(now)
    if _date[0] != second:
        _date = (second, formatdate(second, localtime=True))
    return _date[1]


def encode_body(body: str) -> tuple[str, str]:
    """(Content-Transfer-Encoding, payload) for a plain-text body, chosen as mail clients choose it.

    ASCII with no line over 998 characters goes as it is (7bit); Latin text as quoted-printable,
    which keeps it readable; text mostly in other scripts (Cyrillic, Greek, CJK) as base64, which
    is shorter for it. Line ends become LF here and CRLF on the wire; the last line ends too, as
    SMTP needs.
    """
    if "\r" in body:
        body = body.replace("\r\n", "\n").replace("\r", "\n")
    if not body.endswith("\n"):
        body += "\n"
    if body.isascii() and (len(body) < 999 or not _LONG_LINE.search(body)):
        return "7bit", body
    data = body.encode("utf-8")
    if len(data) - len(body) <= len(body) // 3:  # UTF-8's extra bytes: one per Latin letter, more per letter of other scripts
        return "quoted-printable", b2a_qp(data, istext=True).decode("ascii")
    return "base64", base64mime.body_encode(data)


def compose(
    *,
    sender: str | tuple[str, str],
    to: str,
    subject: str,
    body: str,
    domain: str,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> Message:
    """A plain-text UTF-8 message with a fresh Message-ID on `domain`, headed as a mail client heads it.

    Message-ID, Date, MIME-Version, the addresses and Subject, then the content headers, in the
    order Thunderbird writes them; the body in 7bit or quoted-printable (see `encode_body`).
    Built with the compat32 classes: composing thousands of messages a second with
    policy.default's header objects costs more than sending them. With `html`, the message is
    multipart/alternative, the plain text first, as webmail and Outlook send it. `attachments` (file name, MIME type,
    bytes) make it multipart/mixed, the text first and each file base64-encoded after it.
    """
    msg = Message(policy=WIRE)
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["Date"] = mail_date()
    msg["MIME-Version"] = "1.0"
    msg["From"] = formataddr(sender, charset="utf-8") if isinstance(sender, tuple) else sender
    msg["To"] = to
    msg["Subject"] = subject if subject.isascii() else Header(subject, "utf-8")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = " ".join([*(references or []), in_reply_to])
    content = msg
    if attachments:
        msg["Content-Type"] = "multipart/mixed"
        content = Message(policy=WIRE)
        msg.attach(content)
    if html is None:
        _fill(content, body, "plain")
    else:
        content["Content-Type"] = "multipart/alternative"
        for text, subtype in ((body, "plain"), (html, "html")):
            part = Message(policy=WIRE)
            _fill(part, text, subtype)
            content.attach(part)
    for name, mime, data in attachments or ():
        part = Message(policy=WIRE)
        part["Content-Type"] = f'{mime}; name="{name}"'
        part["Content-Disposition"] = f'attachment; filename="{name}"'
        part["Content-Transfer-Encoding"] = "base64"
        part.set_payload(base64mime.body_encode(data))
        msg.attach(part)
    for name, value in (headers or {}).items():
        msg[name] = value
    return msg


def _fill(part: Message, text: str, subtype: str) -> None:
    encoding, payload = encode_body(text)
    part["Content-Type"] = f"text/{subtype}; charset=UTF-8"
    part["Content-Transfer-Encoding"] = encoding
    part.set_payload(payload)
