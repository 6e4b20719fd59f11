"""Which probe a received message belongs to: by recipient, then by thread, then by ticket number."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from mysteryshop.store import Store


class Correlator:
    def __init__(self) -> None:
        self._by_address: dict[str, str] = {}
        self._by_message_id: dict[str, str] = {}
        self._by_ticket: dict[str, str] = {}

    def add_probe(self, probe_id: str, address: str) -> None:
        self._by_address[address.lower()] = probe_id

    def add_sent(self, probe_id: str, message_id: str) -> None:
        self._by_message_id[message_id.strip()] = probe_id

    def add_ticket(self, probe_id: str, ticket: str) -> None:
        self._by_ticket.setdefault(ticket, probe_id)

    def match(self, recipients: Iterable[str], thread_ids: Iterable[str], ticket: str | None) -> tuple[str | None, str | None]:
        """(probe id, how it was matched) or (None, None): 'recipient', 'thread' or 'ticket'."""
        for address in recipients:
            probe = self._by_address.get(address.lower())
            if probe is not None:
                return probe, "recipient"
        for message_id in thread_ids:
            probe = self._by_message_id.get(message_id.strip())
            if probe is not None:
                return probe, "thread"
        if ticket and ticket in self._by_ticket:
            return self._by_ticket[ticket], "ticket"
        return None, None


def correlator_for_run(store: Store, run_id: str, tickets: Callable[[str, str], str | None] | None = None) -> Correlator:
    """A run's (or campaign's) correlator rebuilt from the store: its probes' addresses, the message ids they sent,
    and the ticket numbers they were given (`tickets(target, text)` finds one in a reply or a form's confirmation)."""
    correlator = Correlator()
    target_of: dict[str, str] = {}
    for row in store.query("SELECT id, address, target FROM probes WHERE run_id = ?", (run_id,)):
        correlator.add_probe(row["id"], row["address"])
        target_of[row["id"]] = row["target"]
    for row in store.query("SELECT probe_id, kind, data FROM events WHERE run_id = ? AND kind IN ('sent', 'form_submitted')", (run_id,)):
        try:
            data = json.loads(row["data"] or "{}")
        except ValueError:
            continue
        if row["kind"] == "sent" and data.get("message_id"):
            correlator.add_sent(row["probe_id"], str(data["message_id"]))
        elif row["kind"] == "form_submitted" and data.get("ticket"):
            correlator.add_ticket(row["probe_id"], str(data["ticket"]))
    if tickets is not None:
        for row in store.query("SELECT probe_id, subject, text FROM messages WHERE run_id = ? AND direction = 'in' AND probe_id IS NOT NULL", (run_id,)):
            target = target_of.get(row["probe_id"])
            ticket = tickets(target, f"{row['subject'] or ''}\n{row['text'] or ''}") if target else None
            if ticket:
                correlator.add_ticket(row["probe_id"], ticket)
    return correlator
