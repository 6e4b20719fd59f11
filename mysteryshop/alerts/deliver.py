"""Delivering alert events: webhooks (Slack-compatible or generic JSON) and email, with retries and a ledger.

The ledger (`alerts` table in the run store) holds one row per (event, destination). A sender claims the row before
it sends ('sending'), marks it 'sent' after the webhook answered 2xx or the SMTP server took the mail, and 'failed'
when every attempt failed, so that a later invocation tries again. A row left 'sending' (a sender that died while it
sent) is not sent again: the alert may have gone out, and a duplicate is what the ledger is there to prevent.
"""

from __future__ import annotations

import json
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from mysteryshop.alerts.events import AlertEvent
from mysteryshop.alerts.spec import AlertSpec, Destination
from mysteryshop.store import Store, utc_now



class Retryable(Exception):
    """An attempt that failed in a way worth trying again (a 5xx or 429, a timeout, a refused connection)."""


class Permanent(Exception):
    """An attempt that failed in a way another attempt will not change (a 4xx: wrong URL, a revoked token)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to one event at one destination."""

    event: AlertEvent
    destination: str
    outcome: str  # sent | already sent | in flight | failed
    attempts: int = 0
    error: str | None = None

    def line(self) -> str:
        said = f"{self.event.kind} {self.event.key.split(':', 2)[-1]} → {self.destination}: {self.outcome}"
        if self.attempts > 1:
            said += f" after {self.attempts} attempts"
        return said + (f" ({self.error})" if self.error else "")


def _moment_lines(event: AlertEvent) -> list[str]:
    return [f"{m.get('target')}/{m.get('journey')} step {m.get('step')}: {m.get('reason')} — “{m.get('quote', '')[:200]}”"
            for m in event.worst]


def slack_payload(event: AlertEvent) -> dict[str, Any]:
    """Slack's incoming-webhook JSON (`text` for notifications, `blocks` for the message); Mattermost and Teams'
    Slack-compatible hooks read `text`."""
    body = "\n".join([*event.lines, *(f"• {line}" for line in _moment_lines(event))])
    return {
        "text": f"{event.title}: {event.link}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": event.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": body[:2900] or event.title}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"<{event.link}|The run's scorecard>"}},
        ],
    }


def json_payload(event: AlertEvent) -> dict[str, Any]:
    return {"schema": "mysteryshop.alert/1", "key": event.key, "kind": event.kind, "title": event.title, "run_id": event.run_id,
            "link": event.link, "lines": list(event.lines), "worst_moments": [dict(m) for m in event.worst]}


def email_message(event: AlertEvent, destination: Destination) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = event.title
    message["From"] = destination.sender
    message["To"] = destination.email
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="mysteryshop.invalid")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to an alert
    moments = _moment_lines(event)
    message.set_content("\n".join([event.title, "", *event.lines, "", *(["The worst moments:", *moments, ""] if moments else []),
                                   f"The run's scorecard: {event.link}", ""]))
    return message


def post_webhook(url: str, payload: Mapping[str, Any], timeout_s: float) -> None:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "mysteryshop-alerts"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 (the user's own URL)
            response.read(65536)
    except urllib.error.HTTPError as exc:
        said = f"HTTP {exc.code} {exc.reason}"
        if exc.code >= 500 or exc.code in (408, 429):
            raise Retryable(said) from None
        raise Permanent(said + ": check the webhook URL and its token") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Retryable(f"{type(reason).__name__}: {reason}" if str(reason) else type(reason).__name__) from None


def send_email(destination: Destination, message: EmailMessage, timeout_s: float) -> None:
    host, _, port = (destination.smtp or "").rpartition(":")
    try:
        with smtplib.SMTP(host, int(port), timeout=timeout_s) as smtp:
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        said = "SMTP refused " + "; ".join(f"{rcpt}: {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
                                           for rcpt, (code, text) in exc.recipients.items())
        if all(code >= 500 for code in codes):
            raise Permanent(said) from None
        raise Retryable(said) from None
    except smtplib.SMTPResponseException as exc:
        said = f"SMTP {exc.smtp_code} {exc.smtp_error.decode(errors='replace') if isinstance(exc.smtp_error, bytes) else exc.smtp_error}"
        if 400 <= exc.smtp_code < 500:
            raise Retryable(said) from None
        raise Permanent(said) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise Retryable(f"{host}:{port}: {type(exc).__name__}: {exc}") from None


def _attempt(event: AlertEvent, destination: Destination, timeout_s: float) -> None:
    if destination.webhook is not None:
        payload = json_payload(event) if destination.format == "json" else slack_payload(event)
        post_webhook(destination.webhook, payload, timeout_s)
    else:
        send_email(destination, email_message(event, destination), timeout_s)


def _claim(store: Store, event: AlertEvent, destination: Destination) -> str | None:
    """'claimed' when this sender owns the row now; else what stops it ('already sent', 'in flight')."""
    fresh = store.changes(
        "INSERT INTO alerts (event_key, destination, kind, run_id, status, updated_utc) VALUES (?, ?, ?, ?, 'sending', ?) "
        "ON CONFLICT (event_key, destination) DO NOTHING", (event.key, destination.key, event.kind, event.run_id, utc_now()))
    if fresh:
        return "claimed"
    if store.changes("UPDATE alerts SET status = 'sending', updated_utc = ? WHERE event_key = ? AND destination = ? AND status = 'failed'",
                     (utc_now(), event.key, destination.key)):
        return "claimed"
    row = store.query("SELECT status FROM alerts WHERE event_key = ? AND destination = ?", (event.key, destination.key))
    return "already sent" if row and row[0]["status"] == "sent" else "in flight"


def deliver(store: Store, events: Iterable[AlertEvent], spec: AlertSpec, *,
            sleep: Callable[[float], None] = time.sleep) -> list[Delivery]:
    """Send every event to every destination of `spec` that has not had it yet; what happened to each."""
    done = []
    for event in events:
        for destination in spec.send:
            claim = _claim(store, event, destination)
            if claim != "claimed":
                done.append(Delivery(event, destination.name, claim))
                continue
            error, attempts = None, 0
            for attempts in range(1, spec.retries + 1):
                try:
                    _attempt(event, destination, spec.timeout_s)
                    error = None
                    break
                except Permanent as exc:
                    error = str(exc)
                    break
                except Retryable as exc:
                    error = str(exc)
                    if attempts < spec.retries:
                        sleep(spec.backoff_s * 2 ** (attempts - 1))
            status = "failed" if error else "sent"
            store.write("UPDATE alerts SET status = ?, attempts = attempts + ?, error = ?, updated_utc = ? WHERE event_key = ? AND destination = ?",
                        (status, attempts, error, utc_now(), event.key, destination.key))
            done.append(Delivery(event, destination.name, status, attempts, error))
    return done
