"""Routing the shared inbox: claim the stored replies that belong to one run's probes.

The same matching as the run's own mailbox (recipient, then thread, then ticket number), over
messages another process stored (`mysteryshop listen`, or an IMAP collector). Each message is
read once per consumer: a cursor (the highest row id already looked at) moves past it, matched or
not, so a tick over ten thousand unmatched messages does not read them again next time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mysteryshop.collect.correlate import Correlator
from mysteryshop.collect.envelope import read_envelope
from mysteryshop.collect.inbox import StoredReply, claim, inbox_after
from mysteryshop.store import Store

#: messages read from the store at a time
BATCH = 500


@dataclass(frozen=True, slots=True)
class Routed:
    """A reply claimed for a probe; `t_ns` in the claiming run's clock."""

    reply: StoredReply
    probe_id: str
    matched_by: str
    t_ns: int


@dataclass(slots=True)
class RouteResult:
    cursor: int
    routed: list[Routed] = field(default_factory=list)
    unmatched: int = 0
    lost_races: int = 0  # matched, but another process claimed it first


def route_inbox(
    store: Store,
    run_id: str,
    correlator: Correlator,
    *,
    after_id: int,
    ticket_of: Callable[[str], str | None] = lambda text: None,
    shift_ns: int = 0,
    record_events: bool = False,
    max_messages: int | None = None,
) -> RouteResult:
    """Claim for `run_id` every unclaimed inbox message after `after_id` that `correlator` matches to a probe.

    `shift_ns` turns the stored (wall-clock) stamp into the run's clock. `record_events`: write each
    claimed reply's `received` event in the claim's transaction (campaigns; a live run's probe
    writes its own when it takes the reply). Stops after `max_messages` when given.
    """
    result = RouteResult(after_id)
    seen = 0
    while max_messages is None or seen < max_messages:
        batch = inbox_after(store, result.cursor, BATCH if max_messages is None else min(BATCH, max_messages - seen))
        for reply in batch:
            result.cursor = reply.rowid
            seen += 1
            envelope = read_envelope(reply.raw, reply.rcpt_tos)
            probe_id, matched_by = correlator.match(envelope.recipients, envelope.thread_ids, ticket_of(envelope.subject))
            if probe_id is None or matched_by is None:
                result.unmatched += 1
                continue
            t_ns = reply.t_ns + shift_ns
            event = {"message_ref": reply.rowid, "matched_by": matched_by} if record_events else None
            if claim(store, reply, run_id=run_id, probe_id=probe_id, matched_by=matched_by, t_ns=t_ns, event=event):
                result.routed.append(Routed(reply, probe_id, matched_by, t_ns))
            else:
                result.lost_races += 1
        if len(batch) < BATCH:
            break
    return result
