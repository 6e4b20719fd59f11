"""Each message a campaign probe sends (an email, a web form, a chat message), sent at most once, whatever else runs.

Several processes may move one campaign on at the same time (`tick`s, a `listen` that ticks, a
`run --campaign` resuming it). Each holds a claim on the walks it moves on (walks.py); on top of
that, every action is written to the `sends` ledger under an idempotency key (run, probe, step,
visit) before it goes out (before the SMTP transaction), and marked `sent` once the company took
it (after the 250):

- the row is inserted only by the walk's current claimer, and for an email only if the target's
  rate limits have room (one statement: the key, the claim and the count are checked together);
- a key found `sent` is not sent again (its claimer died after the 250, before saving the walk);
- a key found `started` and never confirmed means its claimer died (or lost its claim) in the
  middle of sending: the message may or may not have reached the company. It is never sent
  blindly a second time; the probe ends in error saying so.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from mysteryshop.errors import MysteryShopError
from mysteryshop.journey import Step
from mysteryshop.plan import ProbeSpec
from mysteryshop.safety import Capped, Limits, RateLimiter, Window
from mysteryshop.scoring.timeline import Action, Timeline
from mysteryshop.store import Store, utc_at

log = logging.getLogger(__name__)


class SendDeferred(Exception):  # not an error: the walk waits for its next window
    """A rate limit is reached: the send waits until `due_ns` (wall clock); the walk stays before this step."""

    def __init__(self, due_ns: int, reason: str) -> None:
        super().__init__(reason)
        self.due_ns, self.reason = due_ns, reason


class SendUncertain(MysteryShopError):
    """A send was started and never confirmed: it may or may not have been delivered."""


class ClaimLost(MysteryShopError):
    """Another process claimed this probe's walk (ours lapsed): it moves the walk on now, not us."""


class SendGuard(Protocol):
    """What runner.Engine asks around each action of a walk (campaigns; a plain run has none)."""

    async def reserve(self, spec: ProbeSpec, step: Step, visit: int, timeline: Timeline) -> bool:
        """True when this action was done already (its record is in `timeline`); False: do it now.
        Raises SendDeferred when a rate limit holds it back."""

    async def confirm(self, spec: ProbeSpec, step: Step, visit: int, timeline: Timeline) -> None:
        """The action is done (the company's server answered 250)."""

    async def fail(self, spec: ProbeSpec, step: Step, visit: int, error: BaseException) -> None:
        """The action failed with `error` (the probe ends in error)."""


@dataclass(frozen=True, slots=True)
class Sent:
    """An email this process sent: probe, step, visit."""

    probe_id: str
    step: str
    visit: int


def _what(spec: ProbeSpec, step: Step) -> str:
    """What a step sends, for a message: the email to support@..., the web form at ..., the chat message."""
    target = spec.target.spec
    if step.channel == "email":
        return f"the email to {target.email.support_address if target.email else target.name}"
    if step.channel == "webform":
        return f"the web form of {target.webform.url if target.webform else target.name}"
    return f"the chat action '{step.do}' on {target.chat.url if target.chat else target.name}"


class _Keyed:
    """A ledger's rows of one run: a send's key is (run, probe, step, visit)."""

    store: Store
    run_id: str

    def _key(self, spec: ProbeSpec, step: Step, visit: int) -> tuple[str, str, str, int]:
        return (self.run_id, spec.probe_id, step.id, visit)

    def _row(self, spec: ProbeSpec, step: Step, visit: int) -> dict[str, Any] | None:
        rows = self.store.query_dicts("SELECT * FROM sends WHERE run_id = ? AND probe_id = ? AND step = ? AND visit = ?",
                                      self._key(spec, step, visit))
        return rows[0] if rows else None


class SendLedger(_Keyed):
    """The sends of one campaign run by one claimer (`owner`, the name it holds walks under)."""

    def __init__(self, store: Store, run_id: str, owner: str, *, clock: Callable[[], int], lease_ns: int) -> None:
        self.store, self.run_id, self.owner = store, run_id, owner
        self.clock = clock
        self.lease_ns = lease_ns
        self.limiter = RateLimiter(store)
        self.sent: list[Sent] = []
        self._capped: dict[str, Capped] = {}  # target -> its full window, known in this tick: no need to try again before it is due

    async def reserve(self, spec: ProbeSpec, step: Step, visit: int, timeline: Timeline) -> bool:
        target = spec.target
        windows = self._windows(spec) if step.channel == "email" else []  # the limits are on emails
        for _ in range(3):  # a window that frees a slot between our try and our look is tried again
            found = self._row(spec, step, visit)
            if found is not None:  # the claimer before us got this far
                return await self._already(spec, step, visit, found, timeline)
            now = self.clock()
            capped = self._capped.get(target.name)
            if capped is not None and now < capped.due_ns:
                raise SendDeferred(capped.due_ns, capped.reason(target.name))
            row = {"run_id": self.run_id, "probe_id": spec.probe_id, "step": step.id, "visit": visit, "target": target.name,
                   "channel": step.channel or "email", "owner": self.owner, "reserved_ns": now, "status": "started"}
            holds_claim = ("EXISTS (SELECT 1 FROM walks WHERE run_id = ? AND probe_id = ? AND owner = ?)",
                           (self.run_id, spec.probe_id, self.owner))
            if await self.limiter.reserve(row, target.name, windows, now, only_if=holds_claim):
                # the claim runs for a full lease from now: the SMTP transaction has all of it
                await self.store.achanges("UPDATE walks SET lease_until_ns = ? WHERE run_id = ? AND probe_id = ? AND owner = ?",
                                          (now + self.lease_ns, self.run_id, spec.probe_id, self.owner))
                return False
            if self._row(spec, step, visit) is not None:
                continue
            holder = self.store.query("SELECT owner FROM walks WHERE run_id = ? AND probe_id = ?", (self.run_id, spec.probe_id))
            if not holder or holder[0]["owner"] != self.owner:
                raise ClaimLost(f"{spec.probe_id}: another process ({holder[0]['owner'] if holder else 'none'}) claimed this walk "
                                f"before step '{step.id}' was sent; it moves the walk on")
            capped = self.limiter.capped(target.name, windows, now) if windows else None
            if capped is not None:
                self._capped[target.name] = capped
                raise SendDeferred(capped.due_ns, capped.reason(target.name))
        raise SendDeferred(self.clock(), f"target '{target.name}': no send slot could be reserved; the next tick tries again")

    def _windows(self, spec: ProbeSpec) -> list[Window]:
        channel = spec.target.spec.email
        limits = Limits.of(channel.limits if channel else {}, str(spec.target.path))
        return limits.windows(spec.target.spec.speedup)

    async def _already(self, spec: ProbeSpec, step: Step, visit: int, row: dict[str, Any], timeline: Timeline) -> bool:
        """A send with this key exists: done (True) if it reached the company, else the probe cannot go on."""
        status = row["status"]
        if status == "started" and row["owner"] != self.owner and step.channel == "email":
            delivered = self._delivered_since(spec, step, row["reserved_ns"])
            if delivered is not None:  # its 250 came and was recorded; only the confirmation was lost
                await self.store.achanges("UPDATE sends SET status = 'sent', done_ns = ? WHERE run_id = ? AND probe_id = ? AND step = ? "
                                          "AND visit = ? AND status = 'started'", (delivered, *self._key(spec, step, visit)))
                status = "sent"
        if status == "sent":
            if step.id not in timeline.actions:
                log.warning("%s: step '%s' was sent (%s) but its 'sent' event is missing; its time is the ledger's",
                            spec.probe_id, step.id, utc_at(row["done_ns"] or row["reserved_ns"]))
                t_ns = row["done_ns"] or row["reserved_ns"]
                timeline.actions[step.id] = Action(step.id, t_ns, utc_at(t_ns), "")
                timeline.action_log.append(timeline.actions[step.id])
            return True
        if status == "failed":
            raise SendUncertain(f"step '{step.id}' (visit {visit}) failed before: {row['error']}; it is not sent again")
        raise SendUncertain(
            f"step '{step.id}' (visit {visit}): {_what(spec, step)} was started at {utc_at(row['reserved_ns'])} by {row['owner']}, which "
            f"stopped (or lost its claim) before the company confirmed it. It may or may not have been delivered, so it is not sent "
            f"again: check the company's side, then start a new campaign for this persona if needed"
        )

    def _delivered_since(self, spec: ProbeSpec, step: Step, since_ns: int) -> int | None:
        """The time of a 'sent' event of this step recorded after `since_ns` (the engine records it after the 250)."""
        rows = self.store.query("SELECT t_ns FROM events WHERE run_id = ? AND probe_id = ? AND kind = 'sent' AND step = ? AND t_ns >= ? "
                                "ORDER BY t_ns LIMIT 1", (self.run_id, spec.probe_id, step.id, since_ns))
        return rows[0]["t_ns"] if rows else None

    async def confirm(self, spec: ProbeSpec, step: Step, visit: int, timeline: Timeline) -> None:
        action = timeline.actions.get(step.id)
        await self.store.achanges(
            "UPDATE sends SET status = 'sent', done_ns = ? WHERE run_id = ? AND probe_id = ? AND step = ? AND visit = ? AND owner = ?",
            (action.t_ns if action else self.clock(), *self._key(spec, step, visit), self.owner),
        )
        self.sent.append(Sent(spec.probe_id, step.id, visit))

    async def fail(self, spec: ProbeSpec, step: Step, visit: int, error: BaseException) -> None:
        await self.store.achanges(
            "UPDATE sends SET status = 'failed', done_ns = ?, error = ? WHERE run_id = ? AND probe_id = ? AND step = ? AND visit = ? "
            "AND owner = ? AND status = 'started'",
            (self.clock(), str(error)[:2000], *self._key(spec, step, visit), self.owner),
        )


class RunSends(_Keyed):
    """The ledger for a live run (pytest, `mysteryshop run`) against a real desk: each action at most once, even when
    the run is resumed after a crash, and the target's rate limits waited out rather than broken.

    The embedded demo desk keeps no ledger (nothing real is emailed; its thousand-probe runs stay fast).
    """

    #: a probe waits for a free send slot at most this many times before it gives up (each wait is until the window frees)
    MAX_WAITS = 1000

    def __init__(self, store: Store, run_id: str, *, run_clock: Callable[[], int], wall_clock: Callable[[], int] = time.time_ns) -> None:
        self.store, self.run_id = store, run_id
        self.run_clock, self.wall_clock = run_clock, wall_clock
        self.limiter = RateLimiter(store)

    @staticmethod
    def applies(spec: ProbeSpec) -> bool:
        return spec.target.spec.embedded is None

    async def reserve(self, spec: ProbeSpec, step: Step, visit: int, timeline: Timeline) -> bool:
        if not self.applies(spec):
            return False
        channel = spec.target.spec.email
        windows = Limits.of(channel.limits if channel else {}, str(spec.target.path)).windows(spec.target.spec.speedup) \
            if step.channel == "email" else []
        for _ in range(self.MAX_WAITS):
            found = self._row(spec, step, visit)
            if found is not None:  # this run got this far before it was interrupted
                return await self._already(spec, step, visit, found, timeline)
            now = self.wall_clock()
            row = {"run_id": self.run_id, "probe_id": spec.probe_id, "step": step.id, "visit": visit, "target": spec.target.name,
                   "channel": step.channel or "email", "owner": f"run:{self.run_id}", "reserved_ns": now, "status": "started"}
            if await self.limiter.reserve(row, spec.target.name, windows, now):
                return False
            capped = self.limiter.capped(spec.target.name, windows, now) if windows else None
            if capped is None:
                continue
            wait_ns = max(capped.due_ns - now, 10_000_000)
            self.store.event(self.run_id, spec.probe_id, "deferred_until", self.run_clock(), step=step.id,
                             until_ns=self.run_clock() + wait_ns, local=utc_at(capped.due_ns), reason=capped.reason(spec.target.name))
            await asyncio.sleep(wait_ns / 1e9)
        raise SendUncertain(f"step '{step.id}': no send slot for target '{spec.target.name}' after {self.MAX_WAITS} waits; nothing was sent")

    async def _already(self, spec: ProbeSpec, step: Step, visit: int, row: dict[str, Any], timeline: Timeline) -> bool:
        status = row["status"]
        if status == "started":
            sent = self.store.query("SELECT count(*) AS n FROM events WHERE run_id = ? AND probe_id = ? AND kind IN ('sent', 'acted') "
                                    "AND step = ?", (self.run_id, spec.probe_id, step.id))
            if sent[0]["n"] >= visit:  # its 250 came and was recorded; only the confirmation was lost
                await self.store.achanges("UPDATE sends SET status = 'sent', done_ns = ? WHERE run_id = ? AND probe_id = ? AND step = ? "
                                          "AND visit = ? AND status = 'started'", (self.wall_clock(), *self._key(spec, step, visit)))
                status = "sent"
        if status == "sent":
            if step.id not in timeline.actions:
                t_ns = self.run_clock()
                timeline.actions[step.id] = Action(step.id, t_ns, utc_at(row["done_ns"] or row["reserved_ns"]), "")
                timeline.action_log.append(timeline.actions[step.id])
            return True
        if status == "failed":
            raise SendUncertain(f"step '{step.id}' (visit {visit}) failed before: {row['error']}; it is not sent again")
        raise SendUncertain(
            f"step '{step.id}' (visit {visit}): {_what(spec, step)} was being sent at {utc_at(row['reserved_ns'])} when the run stopped, "
            f"before the company confirmed it. It may or may not have been delivered, so it is not sent again: check the company's side"
        )

    async def confirm(self, spec: ProbeSpec, step: Step, visit: int, timeline: Timeline) -> None:
        if self.applies(spec):
            await self.store.achanges("UPDATE sends SET status = 'sent', done_ns = ? WHERE run_id = ? AND probe_id = ? AND step = ? AND visit = ?",
                                      (self.wall_clock(), *self._key(spec, step, visit)))

    async def fail(self, spec: ProbeSpec, step: Step, visit: int, error: BaseException) -> None:
        if self.applies(spec):
            await self.store.achanges(
                "UPDATE sends SET status = 'failed', done_ns = ?, error = ? WHERE run_id = ? AND probe_id = ? AND step = ? AND visit = ? "
                "AND status = 'started'", (self.wall_clock(), str(error)[:2000], *self._key(spec, step, visit)))
