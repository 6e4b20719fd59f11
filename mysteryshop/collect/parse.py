"""Reading received email with the standard library's `email` package (policy.default), without ever raising.

`parse_mail` turns raw bytes into the fields scoring reads (`ParsedMail`); `stored_fields` and
`from_stored` keep those fields beside the raw message in the store, so a report need not parse it again.
"""

from __future__ import annotations

import codecs
import encodings
import encodings.aliases
import functools
import hashlib
import json
import pkgutil
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import collapse_rfc2231_value, getaddresses
from typing import Any

from mysteryshop.collect.mime import parse_bounded
from mysteryshop.collect.report import read_report
from mysteryshop.quality.clean import remove_quoted
from mysteryshop.quality.html_text import html_text

_MSGID = re.compile(r"<[^<>\s]+>")
#: headers kept for telling a message's kind (mysteryshop.scoring.classify) beside those ParsedMail has fields for
KIND_HEADERS = frozenset({
    "x-autoreply", "x-autorespond", "x-autoresponder", "x-auto-response-suppress", "x-failed-recipients", "list-id",
    "return-path", "x-mailer", "feedback-id", "x-campaign", "x-ms-exchange-generated-message-source",
    "to",  # whom a desk's transcript or a form's copy names as the author of the echoed customer text (scoring.own_text)
    # an Exchange inbox rule (out-of-office or server-side reply) made the message
    "x-ms-exchange-inbox-rules-loop",
    # a mailing to many: one-click unsubscribe (RFC 8058), the Certified Senders Alliance's complaint address, campaign ids
    "list-unsubscribe-post", "x-csa-complaints", "x-campaignid", "x-mc-user", "x-bulkmail", "x-report-abuse",
    # help desks' own headers (Request Tracker, Jira Service Management), and the product that sent it
    "rt-ticket", "x-rt-loop-prevention", "x-jira-fingerprint", "x-powered-by",
    "x-mysteryshop-planned-ns",  # PLANNED_HEADER
})
#: header names kept in `kind_headers` by their start: help desks that stamp every message they send
KIND_HEADER_PREFIXES = ("x-zendesk-", "x-freshdesk-", "x-helpscout-", "x-otrs-", "x-zammad-", "x-kayako-")
#: The demo desk's stamp on each email: "<received> <delay> <ref>", the monotonic ns (this machine's clock) at which it had
#: read the customer's message it answers, the company ns after that at which it planned to send it, and which message
#: that was (its Message-ID, or a contact form's ticket number). Only a simulated
#: desk's stamp is believed (scoring.timeline.judged_ns); a real company's reply counts when it arrived.
PLANNED_HEADER = "x-mysteryshop-planned-ns"
#: kept in `kind_headers` beside the headers: the METHOD of a text/calendar part (an iTIP invitation, or a reply to one)
CALENDAR = "text/calendar"


class _MimeHeaderCache(EmailPolicy):
    """policy.default, except that MIME structure headers are parsed once per distinct value.

    The parser asks for a part's Content-Type four or five times while it reads one message, and
    policy.default builds a new header object each time; nearly every message carries the same
    few values. Header objects are immutable, so sharing them changes nothing but the cost.
    """

    _CACHED = frozenset({"content-type", "content-transfer-encoding", "mime-version", "content-disposition"})
    _cache: dict[tuple[str, str], Any] = {}

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        if hasattr(value, "name") or name.lower() not in self._CACHED:
            return self._parse(name, value)
        key = (name.lower(), value)
        header = self._cache.get(key)
        if header is None:
            if len(self._cache) >= 512:
                self._cache.clear()
            header = self._cache[key] = self._parse(name, value)
        return header

    def _parse(self, name: str, value: Any) -> Any:
        try:
            return super().header_fetch_parse(name, value)
        except Exception:  # noqa: BLE001 - RecursionError on deeply nested (comments), and whatever else: read as absent
            return super().header_fetch_parse(name, "")


#: what every received message is parsed with
POLICY = _MimeHeaderCache()

@dataclass(slots=True)
class ParsedMail:
    """What the harness reads from one received message. `text` is the company's own words."""

    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_addr: str = ""
    from_name: str = ""
    reply_to: str | None = None
    to_addrs: list[str] = field(default_factory=list)
    full_text: str = ""
    text: str = ""
    html: str | None = None
    auto_submitted: str | None = None
    list_unsubscribe: str | None = None
    precedence: str | None = None
    defects: list[str] = field(default_factory=list)
    #: multipart/report's report-type (delivery-status, disposition-notification, ...)
    report_type: str | None = None
    #: the most final delivery action a report or bounce gives (failed, delayed, delivered, ...), see collect.report
    delivery_action: str | None = None
    delivery_status: str | None = None  # its RFC 3463 status code (5.1.1)
    delivery_evidence: str | None = None  # where the action was read (the report's fields, or flufl.bounce's verdict)
    #: the other headers that say what kind of message this is (`KIND_HEADERS`), by lower-case name
    kind_headers: dict[str, str] = field(default_factory=dict)

    @property
    def malformed(self) -> bool:
        return bool(self.defects)

    @property
    def planned(self) -> tuple[int, int] | None:
        """Its sender's stamp (PLANNED_HEADER): when it got the message this answers, and how long after it planned this."""
        parts = self.kind_headers.get(PLANNED_HEADER, "").split()[:2]
        return (int(parts[0]), int(parts[1])) if len(parts) == 2 and all(p.isdigit() for p in parts) else None

    @property
    def planned_ref(self) -> str | None:
        """What its sender's stamp says it answers: the customer's Message-ID, or a contact form's ticket number."""
        parts = self.kind_headers.get(PLANNED_HEADER, "").split()
        return parts[2] if len(parts) == 3 and self.planned is not None else None

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this message says it follows, nearest first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        return ids + [r for r in reversed(self.references) if r not in ids]


def message_ids(value: str | None) -> list[str]:
    """The <message-ids> in a header value, in order."""
    return _MSGID.findall(str(value or ""))


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _header(msg: EmailMessage, name: str, defects: list[str]) -> str | None:
    try:
        value = msg.get(name)
        return None if value is None else str(value)
    except Exception as exc:  # noqa: BLE001 - a broken header must not lose the message
        defects.append(f"header {name}: {_reason(exc)}")
        return None


_SURROGATES = re.compile("[\ud800-\udfff]")


def _unicode(value: str) -> str:
    """`value` without lone surrogates (which no UTF-8 store accepts): the undecodable bytes a header
    carries (`surrogateescape`) are read as UTF-8, as RFC 6532 allows, and anything else as U+FFFD."""
    if value.isascii() or not _SURROGATES.search(value):
        return value
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


_CHARSET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]*")  # what RFC 2978 names look like
_CODEC_MODULES = frozenset(m.name for m in pkgutil.iter_modules(encodings.__path__))
#: codecs that are not for message bodies, or cost more than linear time (punycode decoding is quadratic)
_UNSAFE_CODECS = frozenset({"punycode", "idna", "undefined", "unicode_escape", "raw_unicode_escape", "mbcs", "oem"})


@functools.lru_cache(maxsize=256)
def _codec(charset: str) -> str | None:
    """The Python codec for a MIME charset; None when the name is unknown, malformed or unsafe.

    A name is looked up only when it names a codec of the `encodings` package: a failed
    `codecs.lookup` is remembered by that package forever, so random names would fill memory.
    """
    norm = encodings.normalize_encoding(charset).lower()
    if len(norm) > 40 or (norm not in encodings.aliases.aliases and norm not in _CODEC_MODULES):
        return None
    try:
        info = codecs.lookup(norm)
    except (LookupError, ValueError):
        return None
    return None if info.name.replace("-", "_") in _UNSAFE_CODECS else info.name


def _decode(payload: bytes, charset: str, defects: list[str]) -> str:
    """`payload` as text in `charset`; in UTF-8 when the charset is unknown or unusable (a defect)."""
    codec = _codec(charset) if charset.isascii() else None
    if codec is not None:
        if not _CHARSET_NAME.fullmatch(charset):
            defects.append(f"malformed charset name {charset[:60]!r}: read as {codec}")
        try:
            return payload.decode(codec, errors="replace")
        except (UnicodeError, ValueError, LookupError) as exc:  # codecs that ignore errors="replace"
            defects.append(f"text in charset {charset[:60]!r} could not be decoded ({_reason(exc)}): read as UTF-8")
            return payload.decode("utf-8", errors="replace")
    defects.append(f"unknown charset {_unicode(charset[:60])!r}: read as UTF-8")
    return payload.decode("utf-8", errors="replace")


def _payload(part: EmailMessage) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _charset(part: EmailMessage) -> str:
    """The charset a part names, as written (`get_content_charset` turns a non-ASCII one into its default, unflagged)."""
    charset = part.get_param("charset")
    if charset is None:
        return "us-ascii"
    return str(collapse_rfc2231_value(charset) if isinstance(charset, tuple) else charset)


def _html(markup: str, defects: list[str]) -> tuple[str, str]:
    text, notes = html_text(markup)
    defects.extend(notes)
    return text, markup


def _single_part(msg: EmailMessage, defects: list[str]) -> tuple[str, str | None] | None:
    """Fast path for the common one-part text mail: one Content-Type parse instead of eight."""
    header = msg["Content-Type"]
    ctype = header.content_type if header is not None else "text/plain"
    if ctype not in ("text/plain", "text/html"):
        return None
    charset = (header.params.get("charset") if header is not None else None) or "us-ascii"
    text = _decode(_payload(msg), str(charset), defects).replace("\r\n", "\n")
    return (text, None) if ctype == "text/plain" else _html(text, defects)


def _body(msg: EmailMessage, defects: list[str]) -> tuple[str, str | None]:
    if not msg.is_multipart():
        fast = _single_part(msg, defects)
        if fast is not None:
            return fast
    plain: str | None = None
    markup: str | None = None
    for kind in ("plain", "html"):
        try:
            part = msg.get_body(preferencelist=(kind,))
            if part is not None:
                content = _decode(_payload(part), _charset(part), defects).replace("\r\n", "\n")
                if kind == "plain":
                    plain = content
                else:
                    markup = content
        except Exception as exc:  # noqa: BLE001 - one unreadable part must not cost the others
            defects.append(f"text/{kind} part could not be read: {_reason(exc)}")
    if plain is None and markup is not None:
        return _html(markup, defects)
    return plain or "", markup


def _calendar_method(msg: EmailMessage) -> str | None:
    """The METHOD (request, reply, cancel...) of the message's first text/calendar part, or None when it has none."""
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            return " ".join(str(part.get_param("method") or "calendar").split()).lower()[:40]
    return None


def _decoded(phrase: str, defects: list[str]) -> str:
    """A display name with its RFC 2047 encoded words decoded."""
    if "=?" not in phrase:
        return phrase
    try:
        return str(make_header(decode_header(phrase)))
    except Exception as exc:  # noqa: BLE001 - HeaderParseError, LookupError, UnicodeError, ValueError (a NUL in a charset)...
        defects.append(f"display name {phrase[:200]!r}: {_reason(exc)}")
        return phrase


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDRESS = rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_PLAIN_MAILBOX = re.compile(rf"({_ADDRESS})|((?:{_ATOM} )*{_ATOM}) <({_ADDRESS})>")


def read_addresses(value: str, defects: list[str] | None = None) -> list[tuple[str, str]]:
    """`getaddresses([value])`, without its parser for one plain `addr` or `Name Words <addr>` (a test compares the two).

    Never raises: an address list the parser fails on (its comments recurse) is a defect and no address."""
    plain = _PLAIN_MAILBOX.fullmatch(value)
    if plain is None:
        try:
            return getaddresses([value])
        except Exception as exc:  # noqa: BLE001
            if defects is not None:
                defects.append(f"addresses {value[:100]!r} could not be read: {_reason(exc)}")
            return []
    if plain.group(1) is not None:
        return [("", plain.group(1))]
    return [(plain.group(2), plain.group(3))]


_FOLD = re.compile(r"\r\n|\r|\n")
_PRINTABLE_ASCII = re.compile(r"[\t\x20-\x7e]*")


def _plain_subject(raw: str | None) -> str | None:
    """A Subject of printable ASCII without encoded words, unfolded: what policy.default decodes it to
    (a test compares the two); None when it needs the real decoder."""
    if raw is None:
        return ""
    if "=?" in raw:
        return None
    unfolded = "".join(_FOLD.split(raw))
    return unfolded if _PRINTABLE_ASCII.fullmatch(unfolded) else None


def parse_mail(raw: bytes, *, customer_text: str | None = None) -> ParsedMail:
    """Parse raw RFC 5322 bytes. Never raises: problems end up in `defects` (the message is malformed).

    The parse is bounded (mysteryshop.collect.mime: bytes, lines, header length, nesting depth;
    HTML turned into text: mysteryshop.quality.html_text): what is cut is said in `defects`, and
    each step that fails costs only its own fields. Every text field is valid Unicode.
    """
    defects: list[str] = []
    try:
        msg, notes = parse_bounded(bytes(raw), POLICY)
    except Exception as exc:  # noqa: BLE001 - the raw bytes are kept by the caller; this says why they could not be read
        return ParsedMail(defects=[f"unparseable message: {_unicode(_reason(exc))}"])
    defects += notes
    parsed = ParsedMail()
    try:
        _read_headers(msg, parsed, defects)
    except Exception as exc:  # noqa: BLE001
        defects.append(f"headers could not be read: {_reason(exc)}")
    try:
        parsed.full_text, parsed.html = _body(msg, defects)
        for part in msg.walk():  # after the body: decoding it notes bad base64 and the like on its part
            defects.extend(type(d).__name__ for d in part.defects)
        if msg.is_multipart() and not any(p.get_content_maintype() == "text" for p in msg.walk() if not p.is_multipart()):
            defects.append("multipart message without any text part")
        method = _calendar_method(msg) if msg.is_multipart() else None
        if method is not None:
            parsed.kind_headers[CALENDAR] = method
    except Exception as exc:  # noqa: BLE001
        defects.append(f"body could not be read: {_reason(exc)}")
    try:
        report = read_report(msg, from_addr=parsed.from_addr, from_name=parsed.from_name, subject=parsed.subject,
                             failed_recipients=parsed.kind_headers.get("x-failed-recipients"), defects=defects)
        if report is not None:
            parsed.report_type, parsed.delivery_action, parsed.delivery_status = report.report_type, report.action, report.status
            parsed.delivery_evidence = _unicode(report.evidence) or None
    except Exception as exc:  # noqa: BLE001
        defects.append(f"delivery report could not be read: {_reason(exc)}")
    try:
        parsed.text = remove_quoted(parsed.full_text, customer_text)
    except Exception as exc:  # noqa: BLE001
        defects.append(f"quoted text could not be removed: {_reason(exc)}")
        parsed.text = parsed.full_text
    parsed.subject = _unicode(parsed.subject)
    parsed.defects = list(dict.fromkeys(_unicode(d) for d in defects))
    return parsed


def _read_headers(msg: EmailMessage, parsed: ParsedMail, defects: list[str]) -> None:
    # Structural headers are read raw (ids and addresses are ASCII); only the Subject needs
    # policy.default's decoding. Parsing every header object costs more than the rest.
    raw_headers: dict[str, str] = {}
    raw_subject: str | None = None
    for name, value in msg.raw_items():
        key = name.lower()
        value = str(value)
        if not value.isascii():
            value = _unicode(value)
        if key == "subject" and raw_subject is None:
            raw_subject = value
        raw_headers.setdefault(key, " ".join(value.split()))
    parsed.message_id = next(iter(message_ids(raw_headers.get("message-id"))), None)
    parsed.in_reply_to = next(iter(message_ids(raw_headers.get("in-reply-to"))), None)
    parsed.references = message_ids(raw_headers.get("references"))
    parsed.subject = _plain_subject(raw_subject)
    if parsed.subject is None:
        parsed.subject = _header(msg, "Subject", defects) or ""
    name, parsed.from_addr = next(((n, a) for n, a in read_addresses(raw_headers.get("from", ""), defects) if a), ("", ""))
    parsed.from_name = _unicode(_decoded(name, defects))
    if "reply-to" in raw_headers:
        parsed.reply_to = next((a for _, a in read_addresses(raw_headers["reply-to"], defects) if a), None)
    parsed.to_addrs = [a for _, a in read_addresses(raw_headers.get("to", ""), defects) if a]
    parsed.auto_submitted = raw_headers.get("auto-submitted")
    parsed.list_unsubscribe = raw_headers.get("list-unsubscribe")
    parsed.precedence = raw_headers.get("precedence")
    parsed.kind_headers = {name: value[:300] for name, value in raw_headers.items()
                           if name in KIND_HEADERS or name.startswith(KIND_HEADER_PREFIXES)}


def text_basis(customer_text: str | None) -> str:
    """A short digest of the customer text a reply's `text` was cut against ('' for none). Only its words count, as
    for the cut (quality.clean.remove_quoted): the text the persona composed and the same text parsed back from the
    sent message (a line break more at the end) are one basis, and a report need not cut every reply again."""
    if not customer_text or not customer_text.strip():
        return ""
    words = " ".join(customer_text.split())
    return hashlib.blake2b(words.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def stored_fields(mail: ParsedMail, customer_text: str | None = None) -> dict[str, Any]:
    """The parsed fields of `mail` as the run store keeps them beside the raw bytes (messages table).

    Enough for scoring to run again without parsing the raw message (`from_stored`). `text` was
    cut against `customer_text`; `text_basis` records which, so a reader that needs it cut
    against another text can tell. `full_text` is None when it equals `text`.
    """
    return {
        "message_id": mail.message_id,
        "in_reply_to": mail.in_reply_to,
        "subject": mail.subject,
        "text": mail.text,
        "full_text": None if mail.full_text == mail.text else mail.full_text,
        "html": mail.html,
        "auto_submitted": mail.auto_submitted,
        "list_unsubscribe": mail.list_unsubscribe,
        "precedence": mail.precedence,
        "from_addr": mail.from_addr,
        "from_name": mail.from_name,
        "report_type": mail.report_type,
        "delivery_action": mail.delivery_action,
        "delivery_status": mail.delivery_status,
        "delivery_evidence": mail.delivery_evidence,
        "kind_headers": json.dumps(mail.kind_headers) if mail.kind_headers else None,
        "malformed": int(mail.malformed),
        "defects": mail.defects,
        "text_basis": text_basis(customer_text),
    }


def from_stored(row: Mapping[str, Any], customer_text: str | None = None, *, basis: str | None = None) -> ParsedMail:
    """A ParsedMail from a messages row written with `stored_fields` (its `text_basis` is not NULL).

    `text` is cut again from `full_text` when the row was cut against another customer text
    than `customer_text`, so the result equals `parse_mail(raw, customer_text=customer_text)`
    in every field scoring reads. References and recipient addresses are not kept (scoring never reads them).
    `basis`: `text_basis(customer_text)` when the caller has it already.
    """
    text = row["text"] or ""
    full_text = text if row["full_text"] is None else row["full_text"]
    defects = _stored_defects(row["defects"])
    if row["text_basis"] != (text_basis(customer_text) if basis is None else basis):
        try:
            text = remove_quoted(full_text, customer_text)
        except Exception as exc:  # noqa: BLE001 - as in parse_mail: the text uncut, and why
            defects.append(f"quoted text could not be removed: {_reason(exc)}")
            text = full_text
    return ParsedMail(
        message_id=row["message_id"],
        in_reply_to=row["in_reply_to"],
        subject=row["subject"] or "",
        full_text=full_text,
        text=text,
        html=row["html"],
        auto_submitted=row["auto_submitted"],
        list_unsubscribe=row["list_unsubscribe"],
        precedence=row["precedence"],
        defects=defects,
        from_addr=row["from_addr"] or "",
        from_name=row["from_name"] or "",
        report_type=row["report_type"],
        delivery_action=row["delivery_action"],
        delivery_status=row["delivery_status"],
        delivery_evidence=row["delivery_evidence"],
        kind_headers=_stored_headers(row["kind_headers"], defects),
    )


def _stored_headers(value: Any, defects: list[str]) -> dict[str, str]:
    """The `kind_headers` column (a JSON object, NULL for none)."""
    if not value:
        return {}
    try:
        headers = json.loads(value)
    except (TypeError, ValueError) as exc:
        defects.append(f"stored kind headers unreadable ({_reason(exc)})")
        return {}
    return {str(k): str(v) for k, v in headers.items()} if isinstance(headers, dict) else {}


def _stored_defects(value: Any) -> list[str]:
    """The `defects` column (a JSON list); a value that is not one is itself a defect, not an error."""
    if not value or value == "[]":
        return []
    try:
        defects = json.loads(value)
    except (TypeError, ValueError) as exc:
        return [f"stored defects unreadable ({_reason(exc)}): {str(value)[:200]!r}"]
    return [str(d) for d in defects] if isinstance(defects, list) else [str(defects)]
