"""Writing email: the messages personas send (and the demo desk answers with), in SMTP's wire form."""

from __future__ import annotations

import re
from email import base64mime
from email.header import Header
from email.message import Message
from email.policy import Compat32
from email.utils import formataddr, make_msgid
from typing import Any

_PLAIN_HEADER = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")


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
) -> Message:
    """A plain-text UTF-8 message with a fresh Message-ID on `domain`.

    Built with the compat32 classes: composing thousands of messages a second with
    policy.default's header objects costs more than sending them.
    """
    msg = Message(policy=WIRE)  # what MIMEText(body, "plain", "utf-8") builds, without its parameter parsing
    msg["Content-Type"] = 'text/plain; charset="utf-8"'
    msg["MIME-Version"] = "1.0"
    msg["Content-Transfer-Encoding"] = "base64"
    msg.set_payload(base64mime.body_encode(body.encode("utf-8")))
    msg["From"] = formataddr(sender, charset="utf-8") if isinstance(sender, tuple) else sender
    msg["To"] = to
    msg["Subject"] = subject if subject.isascii() else Header(subject, "utf-8")
    msg["Message-ID"] = make_msgid(domain=domain)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = " ".join([*(references or []), in_reply_to])
    for name, value in (headers or {}).items():
        msg[name] = value
    return msg
