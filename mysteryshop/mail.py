"""Reading and writing email with the standard library's `email` package (policy.default)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, make_msgid

from mysteryshop.quality.clean import html_to_text, remove_quoted

_MSGID = re.compile(r"<[^<>\s]+>")


@dataclass(slots=True)
class ParsedMail:
    """What the harness reads from one received message. `text` is the company's own words."""

    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_addr: str = ""
    to_addrs: list[str] = field(default_factory=list)
    full_text: str = ""
    text: str = ""
    html: str | None = None
    auto_submitted: str | None = None
    list_unsubscribe: str | None = None
    precedence: str | None = None
    defects: list[str] = field(default_factory=list)

    @property
    def malformed(self) -> bool:
        return bool(self.defects)

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this message says it follows, nearest first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        return ids + [r for r in reversed(self.references) if r not in ids]


def message_ids(value: str | None) -> list[str]:
    """The <message-ids> in a header value, in order."""
    return _MSGID.findall(str(value or ""))


def _header(msg: EmailMessage, name: str, defects: list[str]) -> str | None:
    try:
        value = msg.get(name)
    except Exception as exc:  # noqa: BLE001 - a broken header must not lose the message
        defects.append(f"header {name}: {exc}")
        return None
    return None if value is None else str(value)


def _body(msg: EmailMessage, defects: list[str]) -> tuple[str, str | None]:
    plain: str | None = None
    markup: str | None = None
    for kind in ("plain", "html"):
        try:
            part = msg.get_body(preferencelist=(kind,))
            if part is not None:
                content = part.get_content()
                if kind == "plain":
                    plain = content
                else:
                    markup = content
        except (LookupError, ValueError, AssertionError, KeyError) as exc:
            defects.append(f"text/{kind} part could not be decoded: {exc}")
    if plain is None and markup is not None:
        return html_to_text(markup), markup
    return plain or "", markup


def parse_mail(raw: bytes, *, customer_text: str | None = None) -> ParsedMail:
    """Parse raw RFC 5322 bytes. Never raises: problems end up in `defects` (the message is malformed)."""
    defects: list[str] = []
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # noqa: BLE001
        return ParsedMail(defects=[f"unparseable message: {exc}"])
    parsed = ParsedMail()
    parsed.message_id = next(iter(message_ids(_header(msg, "Message-ID", defects))), None)
    parsed.in_reply_to = next(iter(message_ids(_header(msg, "In-Reply-To", defects))), None)
    parsed.references = message_ids(_header(msg, "References", defects))
    parsed.subject = _header(msg, "Subject", defects) or ""
    parsed.from_addr = next((a for _, a in getaddresses([_header(msg, "From", defects) or ""]) if a), "")
    parsed.to_addrs = [a for _, a in getaddresses([_header(msg, "To", defects) or ""]) if a]
    parsed.auto_submitted = _header(msg, "Auto-Submitted", defects)
    parsed.list_unsubscribe = _header(msg, "List-Unsubscribe", defects)
    parsed.precedence = _header(msg, "Precedence", defects)
    for part in msg.walk():
        defects.extend(type(d).__name__ for d in part.defects)
    if msg.is_multipart() and not any(p.get_content_maintype() == "text" for p in msg.walk()):
        defects.append("multipart message without any text part")
    parsed.full_text, parsed.html = _body(msg, defects)
    parsed.text = remove_quoted(parsed.full_text, customer_text)
    parsed.defects = list(dict.fromkeys(defects))
    return parsed


def compose(
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    domain: str,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A plain-text message with a fresh Message-ID on `domain`."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=domain)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = " ".join([*(references or []), in_reply_to])
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg
