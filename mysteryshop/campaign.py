"""Campaigns against real companies: send, exit, collect for days, move journeys on, score any time.

A pytest run cannot wait the days a real company takes to answer. A campaign splits the walk:

- `start` sends each probe's first steps and records where each walk stopped (table `walks`);
- the listener (`mysteryshop listen`) stores every reply as it arrives, in the run `_inbox`;
- `tick` matches stored replies to probes (recipient, then thread, then ticket number), judges
  the open expectations and moves the walks on: follow-ups and on_timeout fallbacks are sent
  when their time comes;
- `score` writes the scorecard from the store at any moment, deadlines still open marked pending.

Times are wall-clock nanoseconds (`time.time_ns()`), so a campaign survives restarts and reboots.
Safety rails apply: the allowlist, per-target rate limits and daily caps, and `--dry-run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mysteryshop.channels.browser import BrowserOptions
from mysteryshop.dryrun import describe_sends, first_actions
from mysteryshop.errors import ConfigError, MysteryShopError
from mysteryshop.journey import Journey
from mysteryshop.collect.correlate import correlator_for_run
from mysteryshop.collect.inbox import read_cursor, save_cursor, unclaimed_count
from mysteryshop.collect.parse import parse_mail, stored_fields
from mysteryshop.collect.router import route_inbox
from mysteryshop.plan import ProbeSpec
from mysteryshop.runner import Engine, WalkState
from mysteryshop.scorecard.entries import FinishedProbe, record_entries
from mysteryshop.safety import Allowlist, Limits, RateLimiter
from mysteryshop.scoring.expectations import FAILED, evaluate
from mysteryshop.scoring.timeline import Timeline
from mysteryshop.store import Store, utc_now
from mysteryshop.target import Target

log = logging.getLogger(__name__)

WALKS = """
CREATE TABLE IF NOT EXISTS walks (
    run_id TEXT NOT NULL,
    probe_id TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_utc TEXT NOT NULL,
    PRIMARY KEY (run_id, probe_id)
)
"""
CLOCK = time.time_ns


def run_id_of(name: str) -> str:
    return f"campaign-{name}"


def _ensure_tables(store: Store) -> None:
    store.write(WALKS)


def _limits(target: Target) -> Limits:
    limits = target.spec.email.limits if target.spec.email else {}
    return Limits(per_minute=limits.get("per_minute"), per_day=limits.get("per_day"))


def check_campaign(specs: Iterable[ProbeSpec], allowlist: Allowlist) -> None:
    """Refuse what a campaign must not do: send to a target that is not on the allowlist."""
    for spec in specs:
        allowlist.check(spec.target)


def dry_run(specs: Iterable[ProbeSpec], out: Callable[[str], None] = print) -> int:
    """Print what `start` would send; send nothing, store nothing."""
    return describe_sends(specs, out)


@dataclass(slots=True)
class TickReport:
    routed: int = 0
    unmatched: int = 0
    advanced: int = 0
    finished: int = 0
    waiting: int = 0
    errors: list[str] = field(default_factory=list)


class Campaign:
    """One campaign's probes in the store, and the engine that moves them on."""

    def __init__(self, store: Store, name: str) -> None:
        self.store, self.name, self.run_id = store, name, run_id_of(name)
        _ensure_tables(store)

    def exists(self) -> bool:
        return bool(self.store.query("SELECT 1 FROM runs WHERE id = ?", (self.run_id,)))

    async def start(self, specs: list[ProbeSpec], *, allowlist: Allowlist, config: dict[str, Any], out: Callable[[str], None] = print) -> TickReport:
        if self.exists():
            raise ConfigError(f"campaign '{self.name}' exists already (run {self.run_id}); move it on with `mysteryshop tick`, score it with `mysteryshop score {self.name}`, or choose another name")
        check_campaign(specs, allowlist)
        self.store.create_run(self.run_id, {**config, "campaign": self.name, "clock": "wall"})
        report = TickReport()
        limiter = RateLimiter(self.store)
        async with self._engine(specs) as engine:
            for spec in specs:
                self.store.add_probe(self.run_id, spec.probe_id, spec.journey.name, spec.target.name, spec.persona.as_dict())
                started = CLOCK()
                await self.store.aevent(self.run_id, spec.probe_id, "probe_started", started)
                timeline = Timeline(persona=spec.persona.as_dict(), origin=(started, utc_now()))
                state = WalkState(spec.journey.start)
                if (deferred := spec.deferred(timeline, CLOCK())) is not None:  # outside the target's send window
                    self._defer(spec, state, deferred, report)
                    out(f"{spec.probe_id}: deferred until {deferred[1]} (the target's send window); a later tick sends it")
                    continue
                await self._wait_for_limits(limiter, spec.target)
                await self._advance(engine, spec, timeline, state, report)
                out(f"{spec.probe_id}: sent {', '.join(first_actions(spec.journey))} as {spec.persona.email}")
        return report

    def _defer(self, spec: ProbeSpec, state: WalkState, deferred: tuple[int, str], report: TickReport) -> None:
        """Keep a probe whose first message waits for its send window: its walk is stored unstarted, `tick` sends it when due."""
        self.store.event(self.run_id, spec.probe_id, "deferred_until", CLOCK(), until_ns=deferred[0], local=deferred[1])
        self.store.write("INSERT OR REPLACE INTO walks (run_id, probe_id, state, updated_utc) VALUES (?, ?, ?, ?)",
                         (self.run_id, spec.probe_id, state.to_json(), utc_now()))
        report.waiting += 1

    async def _wait_for_limits(self, limiter: RateLimiter, target: Target) -> None:
        limits = _limits(target)
        for _ in range(100):
            delay = limiter.wait_s(target.name, limits)
            if delay <= 0:
                return
            await asyncio.sleep(delay)
        raise ConfigError(f"target '{target.name}': still rate-limited; try again later")

    @contextlib.asynccontextmanager
    async def _engine(self, specs: Iterable[ProbeSpec]) -> AsyncIterator[Engine]:
        """An engine for one start or tick: web-form and chat steps start Chromium when their time comes; it closes after."""
        domains = {s.target.spec.probe_domain for s in specs}
        browser = BrowserOptions(concurrency=2, artifacts="off")
        engine = Engine(self.store, self.run_id, domains=domains or {"probe.mysteryshop.test"}, clock=CLOCK, browser=browser)
        try:
            yield engine
        finally:
            await engine.web.stop()
            await engine.smtp.close()

    async def _advance(self, engine: Engine, spec: ProbeSpec, timeline: Timeline, state: WalkState, report: TickReport) -> None:
        try:
            waiting = await engine.advance_through_chats(spec, timeline, state)
        except MysteryShopError as exc:
            report.errors.append(f"{spec.probe_id}: {exc}")
            await engine.close_browser(spec.probe_id, failed=True)
            await self._finish(spec, timeline, "error", str(exc))
            return
        await engine.close_browser(spec.probe_id, failed=False)  # the customer leaves the page; a later step opens a new one
        self.store.write(
            "INSERT OR REPLACE INTO walks (run_id, probe_id, state, updated_utc) VALUES (?, ?, ?, ?)",
            (self.run_id, spec.probe_id, state.to_json(), utc_now()),
        )
        report.advanced += 1
        if waiting is None:
            outcomes = evaluate(spec.journey, timeline, now_ns=CLOCK(), speedup=spec.target.spec.speedup, finished=True,
                                clock=spec.target.clock)
            await self._finish(spec, timeline, FAILED if any(o.status == FAILED for o in outcomes) else "passed", None, outcomes)
            report.finished += 1
        else:
            report.waiting += 1

    async def _finish(self, spec: ProbeSpec, timeline: Timeline, status: str, error: str | None, outcomes: list[Any] | None = None) -> None:
        await self.store.aevent(self.run_id, spec.probe_id, "probe_finished", CLOCK(), status=status, error=error)
        await self.store.afinish_probe(
            self.run_id, spec.probe_id, status,
            {"outcomes": [o.as_dict() for o in outcomes or []], "error": error, "path": [v.step for v in timeline.path]},
        )
        # its scorecard entry, as a run records it (a tick is not timing anything: recorded at once)
        try:
            record_entries(self.store, self.run_id, [FinishedProbe(spec.probe_id, spec.journey, spec.target.spec.speedup, clock=spec.target.clock)])
        except Exception:  # noqa: BLE001 - an entry saves a report time, no more: the campaign goes on, `score` scores this probe
            log.warning("could not record the scorecard entry of %s (`mysteryshop score` scores it from the store)", spec.probe_id,
                        exc_info=True)

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
        self.store.post(*self.store.annotation(rowid, **stored_fields(mail, customer_text)))

    async def tick(self, journeys: dict[str, Journey], targets: dict[str, Target]) -> TickReport:
        """Route new replies, then move every waiting walk on as far as it goes now."""
        from mysteryshop.persona import Persona
        from mysteryshop.scorecard.rebuild import load_probes

        if not self.exists():
            raise ConfigError(f"no campaign '{self.name}' in {self.store.path}; start it with `mysteryshop run --campaign {self.name}`")
        report = TickReport()
        report.routed, report.unmatched = self.route_inbox(targets)
        walks = {r["probe_id"]: WalkState.from_json(r["state"]) for r in self.store.query("SELECT probe_id, state FROM walks WHERE run_id = ?", (self.run_id,))}
        waiting = {r["id"] for r in self.store.probes(self.run_id) if r["status"] == "running"}
        stored = [p for p in load_probes(self.store, self.run_id) if p.probe_id in waiting and p.probe_id in walks]
        specs = []
        for probe in stored:
            journey, target = journeys.get(probe.journey), targets.get(probe.target)
            if journey is None or target is None:
                report.errors.append(f"{probe.probe_id}: journey '{probe.journey}' or target '{probe.target}' not found; is --journeys right?")
                continue
            persona = Persona(**{k: v for k, v in probe.persona.items() if k != "full_name"})
            specs.append((ProbeSpec(probe.probe_id, journey, target, persona), probe.timeline))
        limiter = RateLimiter(self.store)
        async with self._engine([s for s, _ in specs]) as engine:
            for spec, timeline in specs:
                if spec.deferred(timeline, CLOCK()) is not None:  # its send window has not come yet
                    report.waiting += 1
                    continue
                try:
                    await self._wait_for_limits(limiter, spec.target)  # a tick may send follow-ups and fallbacks
                except ConfigError as exc:
                    report.errors.append(f"{spec.probe_id}: {exc}")
                    report.waiting += 1
                    continue
                await self._advance(engine, spec, timeline, walks[spec.probe_id], report)
        return report


def load_targets_and_journeys(journeys_dir: Path, names: Iterable[str] | None = None) -> tuple[dict[str, Journey], dict[str, Target]]:
    from mysteryshop.journey import load_journey
    from mysteryshop.target import load_target

    journeys = {j.name: j for j in (load_journey(p) for p in sorted(journeys_dir.glob("*.yaml")))}
    targets = {t.name: t for t in (load_target(p) for p in sorted((journeys_dir / "targets").glob("*.yaml")))}
    if names is not None:
        journeys = {k: v for k, v in journeys.items() if k in set(names)}
    return journeys, targets
