"""Delivery reports (bounces and delay warnings) read from a parsed message, at parse time.

A standard report (RFC 3464: `multipart/report; report-type=delivery-status`) is read with the
standard library, which parses a `message/delivery-status` part into its header blocks: the
per-recipient `Action` (failed, delayed, delivered, relayed, expanded), `Status` and
`Diagnostic-Code` say whether delivery failed for good. The many non-standard formats of mail
servers (Exim, qmail, Exchange, Yahoo, GroupWise, ...) are left to flufl.bounce, the bounce
detectors of GNU Mailman: it is run only on a message that looks like a mail server's (sent by a
mailer daemon or postmaster, a report, an `X-Failed-Recipients` header, a delivery-failure
subject), since its seventeen detectors cost ~0.3 ms even on a two-line answer.

What this module finds is kept beside the message (`ParsedMail.report_type`, `delivery_action`,
`delivery_status`, `delivery_evidence`); the classifier (mysteryshop.scoring.classify) decides the
kind, with the words of plain-text bounces that carry no structure at all.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email.message import EmailMessage, Message

#: Action values from the least to the most final (RFC 3464 2.3.3; opensmtpd writes "error")
_RANK = {"expanded": 1, "relayed": 1, "delivered": 1, "delayed": 2, "failed": 3, "error": 3}
_DAEMON = re.compile(r"^(mailer[-_.]?daemon|postmaster|mail[-_.]?daemon|mdaemon|mail[-_.]?delivery[-_.]?(subsystem|system)?|"
                     r"bounces?|double[-_.]?bounce)(@|$)", re.IGNORECASE)
_DAEMON_NAME = re.compile(r"mail delivery|mailer[- ]daemon|postmaster|mail system|mail administrator|e-?mail delivery", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|returned mail|delivery (status )?notification|delivery (has )?failed|delivery failure|failure notice|"
    r"mail delivery|could not be delivered|not delivered|delivery delayed|delayed mail|warning: could not send|"
    r"unzustellbar|nicht zustellbar|zustellung|non remis|non distribu|remise|no se puede entregar|no entregad|entrega|"
    r"devuelto|retourn|r[eé]ponse de non[- ]remise",
    re.IGNORECASE,
)
_ACTION_LINE = re.compile(r"^\s*action:\s*([a-z]+)", re.IGNORECASE | re.MULTILINE)
_STATUS_LINE = re.compile(r"^\s*status:\s*([245]\.\d{1,3}\.\d{1,3})", re.IGNORECASE | re.MULTILINE)

logging.getLogger("flufl.bounce").addHandler(logging.NullHandler())  # a failing detector is our defect, not a traceback on stderr


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What a message says about the delivery of another message. `action`: the most final one reported."""

    report_type: str | None = None
    action: str | None = None
    status: str | None = None
    evidence: str = ""


def looks_like_daemon(from_addr: str, from_name: str) -> bool:
    """Whether the sender is a mail server rather than a person or a desk (MAILER-DAEMON, postmaster, "Mail Delivery System")."""
    return bool(_DAEMON.match(from_addr or "") or (from_name and _DAEMON_NAME.search(from_name)))


def read_report(msg: EmailMessage, *, from_addr: str, from_name: str, subject: str, failed_recipients: str | None,
                defects: list[str]) -> DeliveryReport | None:
    """The delivery report `msg` carries, or None for a message that is not one. Never raises (problems go to `defects`)."""
    report_type = None
    found: DeliveryReport | None = None
    try:
        if msg.get_content_type() == "multipart/report":
            report_type = str(msg.get_param("report-type") or "").strip().lower() or None
            if report_type in ("delivery-status", "global-delivery-status", None):
                found = _standard(msg, report_type)
    except Exception as exc:  # noqa: BLE001 - a malformed report is read as far as it goes
        defects.append(f"delivery report could not be read: {type(exc).__name__}: {str(exc)[:200]}")
    if found is not None and found.action in ("failed", "error", "delayed"):
        return found
    candidate = (report_type is not None or failed_recipients is not None or not from_addr or looks_like_daemon(from_addr, from_name)
                 or bool(_BOUNCE_SUBJECT.search(subject or "")))
    if candidate:
        library = _flufl(msg, defects)
        if library is not None:
            return DeliveryReport(report_type, library.action, found.status if found else None, library.evidence)
    if failed_recipients is not None:
        return DeliveryReport(report_type, "failed", found.status if found else None,
                              f"X-Failed-Recipients: {' '.join(failed_recipients.split())[:200]}")
    if found is not None:
        return found
    return DeliveryReport(report_type) if report_type else None


def _standard(msg: EmailMessage, report_type: str | None) -> DeliveryReport | None:
    """The most final Action of the message/delivery-status parts (RFC 3464), with its Status and diagnostic."""
    best: tuple[int, str, str | None, str] | None = None
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype not in ("message/delivery-status", "message/global-delivery-status"):
            continue
        payload = part.get_payload()
        blocks: list[tuple[str, str | None, str, str]] = []
        if isinstance(payload, list):
            for block in payload[1:] if len(payload) > 1 else payload:  # the first block is per message, the others per recipient
                if isinstance(block, Message) and block.get("action"):
                    blocks.append((str(block.get("action")), _header(block, "status"), _header(block, "final-recipient") or "",
                                   _header(block, "diagnostic-code") or ""))
        else:  # global-delivery-status (RFC 6533), or a part the parser did not split into blocks: its lines
            text = part.get_payload(decode=True)
            text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(payload)
            statuses = _STATUS_LINE.findall(text)
            for i, action in enumerate(_ACTION_LINE.findall(text)):
                blocks.append((action, statuses[i] if i < len(statuses) else None, "", ""))
        for action, status, recipient, diagnostic in blocks:
            word = action.strip().split()[0].lower().rstrip(";,") if action.strip() else ""
            rank = _RANK.get(word, 0)
            if best is None or rank > best[0]:
                detail = f"Action: {word}" + (f", Status: {status}" if status else "")
                if recipient:
                    detail += f", Final-Recipient: {' '.join(recipient.split())[:120]}"
                if diagnostic:
                    detail += f", Diagnostic-Code: {' '.join(diagnostic.split())[:200]}"
                best = (rank, "failed" if word == "error" else word, status, f"{ctype} ({detail})")
    if best is None:
        return None
    return DeliveryReport(report_type, best[1] or None, best[2], best[3])


def _header(block: Message, name: str) -> str | None:
    value = block.get(name)
    return None if value is None else " ".join(str(value).split()).split(" (")[0] if name == "status" else str(value)


def _flufl(msg: EmailMessage, defects: list[str]) -> DeliveryReport | None:
    """flufl.bounce's verdict: a permanent failure (failed) or only temporary ones (delayed); None when it finds neither."""
    try:
        from flufl.bounce import all_failures

        temporary, permanent = all_failures(msg)
    except Exception as exc:  # noqa: BLE001 - a detector that trips over a malformed report must not lose the message
        defects.append(f"bounce detectors failed: {type(exc).__name__}: {str(exc)[:200]}")
        return None
    if permanent:
        return DeliveryReport(action="failed", evidence="flufl.bounce: permanent delivery failure for " + _addresses(permanent))
    if temporary:
        return DeliveryReport(action="delayed", evidence="flufl.bounce: delivery delayed (temporary failure) for " + _addresses(temporary))
    return None


def _addresses(found: frozenset[bytes]) -> str:
    return ", ".join(sorted(a.decode("ascii", "replace") for a in found)[:5])
