"""Where each campaign probe's walk stopped, and who is moving it on now.

A process moves a walk on only while it holds a claim on it: a lease in the `walks` row (an
owner and an expiry, wall clock), taken by one conditional UPDATE, so two processes never both
get it. A claimer that dies lets its walks go when the lease lapses. After claiming, the walk is
read again from the store: another process may have moved it on since it was last looked at.
Saving a walk gives its claim up, and only a claimer that still holds it can save.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass

from mysteryshop.store import Store, placeholders, utc_now

log = logging.getLogger(__name__)


def new_owner(role: str) -> str:
    """A claimer's name, unique and readable in a message: tick@host:pid:1a2b3c."""
    return f"{role}@{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class Pending:
    """A campaign's walks still going: due now, deferred until later, claimed by another live process."""

    due: list[str]
    deferred: dict[str, int]  # probe -> not before (wall ns)
    busy: dict[str, str]  # probe -> its claimer


class WalkClaims:
    """The walks of one campaign run, as claimed by one process (`owner`)."""

    def __init__(self, store: Store, run_id: str, owner: str, *, clock: Callable[[], int], lease_ns: int) -> None:
        self.store, self.run_id, self.owner = store, run_id, owner
        self.clock, self.lease_ns = clock, lease_ns

    async def add(self, probe_id: str, state: str, *, not_before_ns: int | None = None) -> bool:
        """A new walk (not claimed), not due before `not_before_ns` (wall ns) when given; False when the probe has one already."""
        return await self.store.achanges(
            "INSERT OR IGNORE INTO walks (run_id, probe_id, state, updated_utc, not_before_ns) VALUES (?, ?, ?, ?, ?)",
            (self.run_id, probe_id, state, utc_now(), not_before_ns),
        ) == 1

    def pending(self, only: Collection[str] | None = None) -> Pending:
        """The walks of probes still running, by what can be done with them now."""
        now = self.clock()
        due: list[str] = []
        deferred: dict[str, int] = {}
        busy: dict[str, str] = {}
        for probe_id, owner, lease_until, not_before in self.store.rows(
            "SELECT w.probe_id, w.owner, w.lease_until_ns, w.not_before_ns FROM walks w JOIN probes p ON p.run_id = w.run_id AND p.id = w.probe_id "
            "WHERE w.run_id = ? AND p.status = 'running' ORDER BY p.rowid", (self.run_id,)
        ):
            if only is not None and probe_id not in only:
                continue
            if owner is not None and owner != self.owner and (lease_until or 0) > now:
                busy[probe_id] = owner
            elif not_before is not None and not_before > now:
                deferred[probe_id] = not_before
            else:
                due.append(probe_id)
        return Pending(due, deferred, busy)

    async def claim(self, probe_ids: list[str]) -> dict[str, str]:
        """Claim the walks of `probe_ids` that nobody holds (or whose claimer's lease lapsed) and that are due:
        probe -> its walk state (JSON), read after claiming."""
        if not probe_ids:
            return {}
        now = self.clock()
        ids = placeholders(len(probe_ids))
        # the rows are chosen, then taken; on PostgreSQL the choice locks them and skips those another worker is
        # taking at this moment (FOR UPDATE SKIP LOCKED), which then fail its free check once it commits
        await self.store.achanges(
            f"UPDATE walks SET owner = ?, lease_until_ns = ? WHERE run_id = ? AND probe_id IN ("
            f"SELECT w.probe_id FROM walks w WHERE w.run_id = ? AND w.probe_id IN ({ids}) "
            f"AND (w.owner IS NULL OR w.lease_until_ns IS NULL OR w.lease_until_ns <= ?) AND (w.not_before_ns IS NULL OR w.not_before_ns <= ?) "
            f"AND EXISTS (SELECT 1 FROM probes p WHERE p.run_id = w.run_id AND p.id = w.probe_id AND p.status = 'running'){self.store.claim_lock})",
            (self.owner, now + self.lease_ns, self.run_id, self.run_id, *probe_ids, now, now),
        )
        return dict(self.store.rows(f"SELECT probe_id, state FROM walks WHERE run_id = ? AND owner = ? AND probe_id IN ({ids})",
                                    (self.run_id, self.owner, *probe_ids)))

    def holds(self, probe_id: str) -> bool:
        rows = self.store.rows("SELECT owner FROM walks WHERE run_id = ? AND probe_id = ?", (self.run_id, probe_id))
        return bool(rows) and rows[0][0] == self.owner

    async def save(self, probe_id: str, state: str, *, not_before_ns: int | None = None) -> bool:
        """Store where the walk stopped and give the claim up; False when the claim was no longer ours (nothing saved)."""
        return await self.store.achanges(
            "UPDATE walks SET state = ?, updated_utc = ?, owner = NULL, lease_until_ns = NULL, not_before_ns = ? "
            "WHERE run_id = ? AND probe_id = ? AND owner = ?",
            (state, utc_now(), not_before_ns, self.run_id, probe_id, self.owner),
        ) == 1

    def unwalked(self) -> list[tuple[str, str]]:
        """Probes still running that have no walk (their start was cut short between the two writes): (probe, journey).
        Nothing was sent for them: a send needs a claim on the walk."""
        return [(r[0], r[1]) for r in self.store.rows(
            "SELECT p.id, p.journey FROM probes p WHERE p.run_id = ? AND p.status = 'running' "
            "AND NOT EXISTS (SELECT 1 FROM walks w WHERE w.run_id = p.run_id AND w.probe_id = p.id) ORDER BY p.rowid", (self.run_id,))]

    @contextlib.asynccontextmanager
    async def kept(self, probe_ids: Collection[str]) -> AsyncIterator[None]:
        """While inside, renew the claims still held on `probe_ids` every quarter lease: a live claimer keeps its walks
        however long one takes (a chat waited for), a dead one lets them go after one lease."""
        async def renew() -> None:
            while True:
                await asyncio.sleep(self.lease_ns / 4e9)
                try:
                    await self.store.achanges(
                        f"UPDATE walks SET lease_until_ns = ? WHERE run_id = ? AND owner = ? AND probe_id IN ({placeholders(len(probe_ids))})",
                        (self.clock() + self.lease_ns, self.run_id, self.owner, *probe_ids),
                    )
                except Exception as exc:  # noqa: BLE001 - a claim not renewed lapses; the sends ledger still keeps each message once
                    log.warning("could not renew the claims on %d walks: %s", len(probe_ids), exc)

        task = asyncio.ensure_future(renew())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def release(self, probe_ids: Collection[str]) -> None:
        """Give up the claims still held on `probe_ids`, the walks unchanged."""
        if probe_ids:
            await self.store.achanges(
                f"UPDATE walks SET owner = NULL, lease_until_ns = NULL WHERE run_id = ? AND owner = ? AND probe_id IN ({placeholders(len(probe_ids))})",
                (self.run_id, self.owner, *probe_ids),
            )
