"""Campaigns against real companies: send, exit, collect for days, move journeys on, score any time.

A pytest run cannot wait the days a real company takes to answer. A campaign splits the walk:

- `start` (`mysteryshop run --campaign NAME`) adds the probes of its plan and sends their first steps; run
  again with the same name, it resumes the campaign: adds what is missing, moves the walks on;
- the listener (`mysteryshop listen`) stores every reply as it arrives, in the run `_inbox`;
- `tick` matches stored replies to probes (recipient, then thread, then ticket number), judges
  the open expectations and moves the walks on: follow-ups and on_timeout fallbacks are sent
  when their time comes;
- `score` writes the scorecard from the store at any moment, deadlines still open marked pending.

Any number of these may run at once on one store: a walk is moved on only by the process that holds
its claim (walks.py), and each message is recorded before it is sent and never sent twice (sends.py).
A rate limit that is reached defers a probe to the window that has room; the campaign goes on.

Times are wall-clock nanoseconds (`time.time_ns()`), so a campaign survives restarts and reboots.
Safety rails apply: the allowlist, per-target rate limits and daily caps, and `--dry-run`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mysteryshop.channels.browser import BrowserOptions
from mysteryshop.dryrun import describe_sends
from mysteryshop.errors import ConfigError, MysteryShopError
from mysteryshop.journey import Journey
from mysteryshop.collect.correlate import correlator_for_run
from mysteryshop.collect.inbox import read_cursor, save_cursor, unclaimed_count
from mysteryshop.collect.parse import parse_mail, stored_fields
from mysteryshop.scoring.stored_kind import read_and_keep
from mysteryshop.collect.router import route_inbox
from mysteryshop.plan import ProbeSpec
from mysteryshop.runner import Engine, WalkState
from mysteryshop.scorecard.entries import FinishedProbe, record_entries
from mysteryshop.safety import Allowlist, check_open_probes, Limits
from mysteryshop.scoring.expectations import FAILED, evaluate
from mysteryshop.scoring.timeline import Timeline
from mysteryshop.sends import ClaimLost, SendDeferred, SendLedger
from mysteryshop.store import Store, utc_now
from mysteryshop.target import Target
from mysteryshop.walks import WalkClaims, new_owner

log = logging.getLogger(__name__)

CLOCK = time.time_ns
#: How long a claim on a walk holds once its claimer has died; a live claimer renews it every quarter of that
#: (walks.WalkClaims.kept), however long a walk takes.
LEASE_S = 120.0
#: Walks claimed at a time: concurrent ticks share a campaign's work in batches of this size.
CLAIM_BATCH = 20


def run_id_of(name: str) -> str:
    return f"campaign-{name}"


def utc_of(ns: int) -> str:
    """Wall-clock nanoseconds as ISO 8601 UTC to the second (2026-11-23T20:05:01Z)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ns // 1_000_000_000))


def check_campaign(specs: Iterable[ProbeSpec], allowlist: Allowlist) -> None:
    """Refuse what a campaign must not do: send to a target that is not on the allowlist, or with limits that make no sense."""
    for spec in specs:
        allowlist.check(spec.target)
        if spec.target.spec.email:
            Limits.of(spec.target.spec.email.limits, str(spec.target.path))


def dry_run(specs: Iterable[ProbeSpec], out: Callable[[str], None] = print) -> int:
    """Print what `start` would send; send nothing, store nothing."""
    return describe_sends(specs, out)


@dataclass(frozen=True, slots=True)
class Deferral:
    """A probe held back until `due_ns` (wall clock): by a rate limit, or by its target's send window (`local`: the
    company's time it opens for the probe)."""

    probe_id: str
    due_ns: int
    reason: str
    local: str | None = None

    def line(self) -> str:
        return f"{self.probe_id}: deferred until {self.local or utc_of(self.due_ns)} ({self.reason}); a later tick sends it"


@dataclass(slots=True)
class TickReport:
    routed: int = 0
    unmatched: int = 0
    started: int = 0  # probes added to the campaign (start)
    resumed: bool = False  # start found the campaign in the store and went on with it
    advanced: int = 0
    finished: int = 0
    waiting: int = 0  # probes left open: waiting for replies, or deferred
    sent: list[str] = field(default_factory=list)  # "probe: step", each email sent by this process
    deferred: list[Deferral] = field(default_factory=list)
    busy: int = 0  # walks another live process holds (it moves them on)
    errors: list[str] = field(default_factory=list)

    def defer(self, deferral: Deferral) -> None:
        self.deferred.append(deferral)
        self.waiting += 1


class Campaign:
    """One campaign's probes in the store, and the engine that moves them on."""

    def __init__(self, store: Store, name: str, *, lease_s: float = LEASE_S, owner: str | None = None) -> None:
        self.store, self.name, self.run_id = store, name, run_id_of(name)
        self.owner = owner or new_owner("campaign")
        self.lease_ns = int(lease_s * 1e9)
        self.walks = WalkClaims(store, self.run_id, self.owner, clock=CLOCK, lease_ns=self.lease_ns)

    def exists(self) -> bool:
        return bool(self.store.query("SELECT 1 FROM runs WHERE id = ?", (self.run_id,)))

    async def start(self, specs: list[ProbeSpec], *, allowlist: Allowlist, config: dict[str, Any], out: Callable[[str], None] = print) -> TickReport:
        """Add the probes of `specs` that the campaign lacks (all of them, for a new campaign) and move their walks on.

        Started again with the same name, a campaign resumes: what was sent is not sent again."""
        check_campaign(specs, allowlist)
        existing = {r["id"] for r in self.store.query("SELECT id FROM probes WHERE run_id = ?", (self.run_id,))}
        new = [s for s in specs if s.probe_id not in existing]
        targets_of = {s.target.name: s.target for s in new}
        check_open_probes(self.store, targets_of.values(), {name: sum(s.target.name == name for s in new) for name in targets_of})
        report = TickReport()
        created = await self.store.achanges(
            "INSERT OR IGNORE INTO runs (id, started_utc, config) VALUES (?, ?, ?)",
            (self.run_id, utc_now(), json.dumps({**config, "campaign": self.name, "clock": "wall"})),
        )
        if not created:
            stored = json.loads(self.store.query("SELECT config FROM runs WHERE id = ?", (self.run_id,))[0]["config"] or "{}")
            if stored.get("campaign") != self.name:
                raise ConfigError(f"run '{self.run_id}' in {self.store.path} is not campaign '{self.name}'; choose another campaign name")
            report.resumed = True
        for spec in specs:
            added = await self.store.achanges(
                "INSERT OR IGNORE INTO probes (run_id, id, journey, target, persona, address) VALUES (?, ?, ?, ?, ?, ?)",
                (self.run_id, spec.probe_id, spec.journey.name, spec.target.name, json.dumps(spec.record()), spec.persona.email),
            )
            if added:  # (its time is the timeline's origin: a send window counts from it)
                await self.store.aevent(self.run_id, spec.probe_id, "probe_started", CLOCK())
                report.started += 1
            await self.walks.add(spec.probe_id, WalkState(spec.journey.start).to_json())
        journeys = {s.journey.name: s.journey for s in specs}
        targets = {s.target.name: s.target for s in specs}
        await self._move_on(journeys, targets, report, only={s.probe_id for s in specs})
        for line in report.sent:
            out(f"sent {line}")
        for deferral in report.deferred:
            out(deferral.line())
        return report

    @contextlib.asynccontextmanager
    async def _engine(self, targets: Iterable[Target], ledger: SendLedger) -> AsyncIterator[Engine]:
        """An engine for one start or tick: web-form and chat steps start Chromium when their time comes; it closes after.
        Each action it takes goes through `ledger` (sends.py)."""
        domains = {t.spec.probe_domain for t in targets}
        browser = BrowserOptions(concurrency=2, artifacts="off")
        engine = Engine(self.store, self.run_id, domains=domains or {"probe.mysteryshop.test"}, clock=CLOCK, browser=browser)
        engine.sends = ledger
        try:
            yield engine
        finally:
            await engine.web.stop()
            await engine.smtp.close()

    async def _move_on(self, journeys: dict[str, Journey], targets: dict[str, Target], report: TickReport,
                       only: Collection[str] | None = None) -> None:
        """Claim the campaign's walks that are due, a batch at a time, and move each on as far as it goes now."""
        for probe_id, journey in self.walks.unwalked():
            if journey in journeys and (only is None or probe_id in only):
                await self.walks.add(probe_id, WalkState(journeys[journey].start).to_json())
        pending = self.walks.pending(only)
        report.busy += len(pending.busy)
        for probe_id, due in pending.deferred.items():
            report.defer(Deferral(probe_id, due, "not due yet: a full rate-limit window, or the target's send window"))
        if not pending.due:
            return
        ledger = SendLedger(self.store, self.run_id, self.owner, clock=CLOCK, lease_ns=self.lease_ns)
        async with self._engine(targets.values(), ledger) as engine:
            try:
                await self._claim_and_advance(engine, pending.due, journeys, targets, report)
            finally:
                report.sent += [f"{s.probe_id}: {s.step}" for s in ledger.sent]

    async def _claim_and_advance(self, engine: Engine, due: list[str], journeys: dict[str, Journey], targets: dict[str, Target],
                                 report: TickReport) -> None:
        from mysteryshop.persona import Persona
        from mysteryshop.scorecard.rebuild import read_run, rebuild_probes

        for at in range(0, len(due), CLAIM_BATCH):
            batch = due[at:at + CLAIM_BATCH]
            claimed = await self.walks.claim(batch)
            report.busy += len(batch) - len(claimed)  # taken by another process since we looked
            if not claimed:
                continue
            try:
                async with self.walks.kept(list(claimed)):  # renewed while we work on them
                    # read again now that they are ours: another process may have moved them on since
                    stored = {p.probe_id: p for p in rebuild_probes(read_run(self.store, self.run_id, only=list(claimed)))}
                    for probe_id in batch:
                        probe = stored.get(probe_id)
                        if probe_id not in claimed or probe is None or probe.status != "running":
                            continue
                        journey, target = journeys.get(probe.journey), targets.get(probe.target)
                        if journey is None or target is None:
                            report.errors.append(f"{probe_id}: journey '{probe.journey}' or target '{probe.target}' not found; is --journeys right?")
                            continue
                        persona = Persona.from_record(probe.persona)
                        spec = ProbeSpec(probe_id, journey, target, persona)
                        state = WalkState.from_json(claimed[probe_id])
                        if (window := spec.deferred(probe.timeline, CLOCK())) is not None:  # its first message waits for the send window
                            await self._defer(spec, state, window, report)
                            continue
                        await self._advance(engine, spec, probe.timeline, state, report)
            finally:
                await self.walks.release(claimed)  # those not saved (skipped, failed): unchanged, free for the next claimer

    async def _defer(self, spec: ProbeSpec, state: WalkState, window: tuple[int, str], report: TickReport) -> None:
        """A probe whose first message waits for its target's send window: its walk is not due before then."""
        until_ns, local = window
        if await self.walks.save(spec.probe_id, state.to_json(), not_before_ns=until_ns):
            self.store.event(self.run_id, spec.probe_id, "deferred_until", CLOCK(), until_ns=until_ns, local=local)
            report.defer(Deferral(spec.probe_id, until_ns, "the target's send window", local))

    async def _advance(self, engine: Engine, spec: ProbeSpec, timeline: Timeline, state: WalkState, report: TickReport) -> None:
        try:
            waiting = await engine.advance_through_chats(spec, timeline, state)
        except SendDeferred as deferred:
            await engine.close_browser(spec.probe_id, failed=False)
            if await self.walks.save(spec.probe_id, state.to_json(), not_before_ns=deferred.due_ns):
                report.defer(Deferral(spec.probe_id, deferred.due_ns, deferred.reason))
            return
        except ClaimLost as exc:
            await engine.close_browser(spec.probe_id, failed=False)
            log.info("%s", exc)
            report.busy += 1
            return
        except MysteryShopError as exc:
            await engine.close_browser(spec.probe_id, failed=True)
            if await self._finish(spec, timeline, state, "error", str(exc)):
                report.errors.append(f"{spec.probe_id}: {exc}")
            return
        await engine.close_browser(spec.probe_id, failed=False)  # the customer leaves the page; a later step opens a new one
        report.advanced += 1
        if waiting is None:
            outcomes = evaluate(spec.journey, timeline, now_ns=CLOCK(), speedup=spec.target.spec.speedup, finished=True,
                                clock=spec.target.clock)
            if await self._finish(spec, timeline, state, FAILED if any(o.status == FAILED for o in outcomes) else "passed", None, outcomes):
                report.finished += 1
        elif await self.walks.save(spec.probe_id, state.to_json()):
            report.waiting += 1
        else:
            report.busy += 1

    async def _finish(self, spec: ProbeSpec, timeline: Timeline, state: WalkState, status: str, error: str | None,
                      outcomes: list[Any] | None = None) -> bool:
        """Finish the probe, once: only while this process holds its walk, and only if it is still running."""
        finished = await self.store.achanges(
            "UPDATE probes SET status = ?, outcome = ? WHERE run_id = ? AND id = ? AND status = 'running' "
            "AND EXISTS (SELECT 1 FROM walks WHERE run_id = ? AND probe_id = ? AND owner = ?)",
            (status, json.dumps({"outcomes": [o.as_dict() for o in outcomes or []], "error": error, "path": [v.step for v in timeline.path]}),
             self.run_id, spec.probe_id, self.run_id, spec.probe_id, self.owner),
        )
        if not finished:
            return False
        await self.store.aevent(self.run_id, spec.probe_id, "probe_finished", CLOCK(), status=status, error=error)
        await self.walks.save(spec.probe_id, state.to_json())
        # its scorecard entry, as a run records it (a tick is not timing anything: recorded at once)
        try:
            record_entries(self.store, self.run_id, [FinishedProbe(spec.probe_id, spec.journey, spec.target.spec.speedup, clock=spec.target.clock)])
        except Exception:  # noqa: BLE001 - an entry saves a report time, no more: the campaign goes on, `score` scores this probe
            log.warning("could not record the scorecard entry of %s (`mysteryshop score` scores it from the store)", spec.probe_id,
                        exc_info=True)
        return True

    # -- tick ---------------------------------------------------------------------------------
    def route_inbox(self, targets: dict[str, Target]) -> tuple[int, int]:
        """Claim the replies the listener stored for this campaign's probes: (routed, still unmatched in the inbox).

        Matched the same way as a run's own mailbox (collect.router); each inbox message is read once by
        this campaign (a cursor moves past it), and a claimed reply is moved with its `received` event in
        one transaction, then parsed once and its fields kept.
        """
        def ticket_in(name: str | None, text: str) -> str | None:
            target = targets.get(name or "")
            return target.ticket(text) if target is not None else None

        def ticket_of(text: str) -> str | None:
            return next((t for target in targets.values() if (t := target.ticket(text))), None)

        correlator = correlator_for_run(self.store, self.run_id, ticket_in)
        consumer = f"campaign:{self.name}"
        result = route_inbox(self.store, self.run_id, correlator, after_id=read_cursor(self.store, consumer), ticket_of=ticket_of,
                             record_events=True)
        save_cursor(self.store, consumer, result.cursor)
        for routed in result.routed:
            self._keep_parsed(routed.reply.rowid, routed.reply.raw, routed.probe_id)
        return len(result.routed), unclaimed_count(self.store)

    def _keep_parsed(self, rowid: int, raw: bytes, probe_id: str) -> None:
        """Parse a claimed reply once, against what the persona wrote, and keep the fields scoring reads."""
        sent = self.store.query(
            "SELECT text, full_text FROM messages WHERE run_id = ? AND probe_id = ? AND direction = 'out' ORDER BY id LIMIT 1",
            (self.run_id, probe_id),
        )
        customer_text = (sent[0]["full_text"] or sent[0]["text"]) if sent else None
        mail = parse_mail(raw, customer_text=customer_text)
        self.store.post(*self.store.annotation(rowid, **stored_fields(mail, customer_text), kind_reading=read_and_keep(mail)[1]))

    async def tick(self, journeys: dict[str, Journey], targets: dict[str, Target]) -> TickReport:
        """Route new replies, then move every waiting walk on as far as it goes now."""
        if not self.exists():
            raise ConfigError(f"no campaign '{self.name}' in {self.store.path}; start it with `mysteryshop run --campaign {self.name}`")
        report = TickReport()
        report.routed, report.unmatched = self.route_inbox(targets)
        await self._move_on(journeys, targets, report)
        return report


def load_targets_and_journeys(journeys_dir: Path, names: Iterable[str] | None = None) -> tuple[dict[str, Journey], dict[str, Target]]:
    from mysteryshop.journey import load_journey
    from mysteryshop.target import load_target

    journeys = {j.name: j for j in (load_journey(p) for p in sorted(journeys_dir.glob("*.yaml")))}
    targets = {t.name: t for t in (load_target(p) for p in sorted((journeys_dir / "targets").glob("*.yaml")))}
    if names is not None:
        journeys = {k: v for k, v in journeys.items() if k in set(names)}
    return journeys, targets
