"""Which probe a received message belongs to: by recipient, then by thread, then by ticket number."""

from __future__ import annotations

from collections.abc import Iterable


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
