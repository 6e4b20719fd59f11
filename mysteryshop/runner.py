"""Running probes: every probe of a session is an asyncio task on one event loop.

A probe waiting twelve hours for a reply costs a timer, not a thread. `Engine` owns the loop's
shared parts (the probe mailbox, the store); `EngineThread` runs an engine on a background
thread so synchronous callers (pytest items, the CLI) can wait on one probe's future each.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import gc
import json
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from mysteryshop.channels.browser import BrowserOptions
from mysteryshop.collect.mailbox import ProbeMailbox
from mysteryshop.channels.email import send_email
from mysteryshop.channels.web import CHAT_EXPECTATIONS, WEB_ACTIONS, WebChannels
from mysteryshop.collect.setup import CollectPlan
from mysteryshop.converse.answering import Answering
from mysteryshop.converse.asked import warm_up as asked_warm_up
from mysteryshop.converse.reply import PersonaAnswer, wordings as answer_wordings
from mysteryshop.collect.sources import ImapSource, InboxSource
from mysteryshop.errors import CaptureMissing, CollectorError, MysteryShopError, RunInterrupted, TargetMisconfigured, problem_of
from mysteryshop.journey import Step
from mysteryshop.collect.parse import ParsedMail
from mysteryshop.mail import compose
from mysteryshop.pacing import TurnBudget
from mysteryshop.plan import ProbeSpec
from mysteryshop.scorecard.entries import FinishedProbe, code_digest, record_entries
from mysteryshop.scoring.expectations import FAILED, PASSED, PENDING, Outcome, cut_short, evaluate, judge_visit
from mysteryshop.scoring.first_answer import first_answer_quality
from mysteryshop.scoring.journey_clock import JourneyClock, journey_clock
from mysteryshop.scoring.shared_scores import recording_verdicts, shared_scores
from mysteryshop.scoring.stored_kind import read_and_keep
from mysteryshop.scoring.timeline import SIMULATED_GRACE_WALL_S, Action, Reply, Timeline, Visit, judged_ns, judged_replies
from mysteryshop.sends import SendDeferred, SendGuard
from mysteryshop.signing import Signers
from mysteryshop.smtp import SmtpPool
from mysteryshop.untrusted import terminal_line
from mysteryshop.store import Store, utc_now

T = TypeVar("T")
MAX_STEPS = 1000
log = logging.getLogger(__name__)

#: Finished probes' scorecard entries are recorded once no mail has arrived for this long (while mail
#: arrives, its timing matters more); those left when the engine stops, the run's scorecard records...
RECORD_QUIET_S = 0.5
#: ...a probe or two per turn of the loop (1-2 ms each), so that it reads its sockets in between
RECORD_BATCH = 2


@dataclass(slots=True)
class ProbeResult:
    spec: ProbeSpec
    status: str  # passed | failed | error
    outcomes: list[Outcome] = field(default_factory=list)
    error: str | None = None
    timeline: Timeline | None = None
    problem: str | None = None  # what stopped it (errors.MysteryShopError.problem): unreachable, misconfigured, interrupted, ...
    error_class: str | None = None

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == FAILED]

    def failure_lines(self) -> list[str]:
        """One line per missed expectation: the expectation, what happened against the deadline, the target."""
        target = self.spec.target
        where = f"target '{target.name}'"
        if target.spec.email:
            where += f" <{target.spec.email.support_address}>"
        return [f"{self.spec.journey.name}/{o.step} ({o.expect}): {terminal_line(o.reason)} — {where}" for o in self.failures]


@dataclass(slots=True)
class WalkState:
    """Where a probe is in its journey: enough to resume the walk in another process."""

    current: str | None
    visits: dict[str, int] = field(default_factory=dict)
    last_action_ns: int | None = None
    waiting: Visit | None = None

    def to_json(self) -> str:
        waiting = None if self.waiting is None else [self.waiting.step, self.waiting.visit, self.waiting.entered_ns, self.waiting.anchor_ns]
        return json.dumps({"current": self.current, "visits": self.visits, "last_action_ns": self.last_action_ns, "waiting": waiting})

    @classmethod
    def from_json(cls, text: str) -> WalkState:
        data = json.loads(text)
        waiting = Visit(*data["waiting"]) if data.get("waiting") else None
        return cls(data["current"], dict(data.get("visits") or {}), data.get("last_action_ns"), waiting)


class Engine:
    """The shared parts of a run, living on one event loop."""

    def __init__(
        self, store: Store, run_id: str, *, domains: set[str], mailbox_host: str = "127.0.0.1", mailbox_port: int = 0,
        browser: BrowserOptions | None = None, clock: Callable[[], int] = time.monotonic_ns, collect: CollectPlan | None = None,
    ) -> None:
        """`collect`: how replies come back (collect.setup.plan_collection); default: the SMTP mailbox on mailbox_host:mailbox_port."""
        self.clock = clock
        self.store = store
        self.run_id = run_id
        self.mailbox = ProbeMailbox(store, run_id, domains)
        self.mailbox.clock = clock
        # a few pieces of CPU work per turn of the loop (a reply parsed and judged, an email composed): sockets are read in between
        self.pace = TurnBudget()
        self.mailbox.pace = self.pace
        self.mailbox.kind_of = read_and_keep  # each reply's kind read once, as it comes, and kept beside it for the report
        self._starting = TurnBudget(8)  # a thousand probes submitted at once start over a hundred turns, not in one
        self.smtp = SmtpPool(clock=clock)
        # Probes compose and send a few at a time, about as many as the pool has connections:
        # a thousand probes acting in one turn of the loop would make that turn so long that
        # every other event (a 250, an arriving reply) waits for it, and would be timed late.
        self._sending = asyncio.Semaphore(2 * self.smtp.per_destination)
        self.web = WebChannels(store, run_id, self.mailbox, browser, clock=clock)  # web form and chat; Chromium starts on first use
        self.answering = Answering(store, run_id, clock, self)  # the persona answers a company that asks it for something
        self.signers = Signers()  # DKIM keys of the targets that sign, each read once
        self.collect = collect or CollectPlan(domains=set(domains), smtp=(mailbox_host, mailbox_port))
        if self.collect.smtp is not None:
            self._host, self._port = self.collect.smtp
        else:
            self._host, self._port = mailbox_host, mailbox_port
        self._gc_thresholds = gc.get_threshold()
        self._unrecorded: list[FinishedProbe] = []  # finished probes whose scorecard entry is still to be recorded
        self._recording: asyncio.Future[None] | None = None
        self._acting = 0  # probes in the middle of an action (sending, filling in a form): being timed
        self.sends: SendGuard | None = None  # a campaign's ledger: each action done at most once across processes (sends.py)
        self._walking: dict[str, asyncio.Task[Any]] = {}  # probes walking their journey, by id (what `interrupt` cancels)
        self._kept_refs: dict[str, list[int]] = {}  # a simulated desk's probes: the replies inside the probe (runner._simulated_end)
        self._interrupts: dict[str, str] = {}  # probe id → why it was interrupted
        self._stopping: str | None = None  # why the whole run was interrupted: a probe not yet started does not start

    @property
    def mailbox_address(self) -> tuple[str, int]:
        """Where a desk on this machine delivers replies (a mailbox bound to every interface is reached on loopback)."""
        host = "127.0.0.1" if self._host in ("0.0.0.0", "", "::") else self._host
        return host, self.mailbox.port

    def replies_expected_at(self) -> str:
        return self.collect.describe(self.mailbox.port)

    async def start(self) -> None:
        # What exists now (modules, journeys, personas) lives as long as the run: kept out of the
        # garbage collector's full passes, which would otherwise stall the loop for tens of
        # milliseconds in the middle of a thousand probes, and every reply then would be timed late.
        gc.collect()
        gc.freeze()
        self._gc_thresholds = gc.get_threshold()
        young, middle, old = self._gc_thresholds
        gc.set_threshold(young, middle, max(old, 100))  # and full passes ten times rarer
        code_digest()  # the code that runs now stamps the entries recorded (see _record), even if files change during the run
        asked_warm_up()  # what reading a company's question needs, loaded before the first reply (see converse/asked.py)
        answer_wordings()
        if self.collect.smtp is not None:
            try:
                await self.mailbox.start(self._host, self._port)
            except OSError as exc:
                raise CollectorError(
                    f"cannot open the reply mailbox on {self._host}:{self._port}: {exc.strerror or exc}. "
                    + ("Is a `mysteryshop listen` running there? Then collect via it (--collect listener); otherwise "
                       "choose a free port (collect.port in the target file, or --mailbox-port)" if exc.errno == errno.EADDRINUSE
                       else "Check collect.host and collect.port in the target file (or --mailbox-host / --mailbox-port)")
                ) from exc
        for account in self.collect.imap:
            await self.mailbox.add_source(ImapSource(self.store, account))
        if self.collect.listener:
            await self.mailbox.add_source(InboxSource(self.store, from_start=self.collect.from_start))

    async def stop(self) -> None:
        await self.web.stop()
        await self.smtp.close()
        await self.mailbox.stop()
        if self._recording is not None:
            self._recording.cancel()
        # what is left is scored by the run's scorecard anyway, in parallel: it records those entries (build_scorecard(keep=True))
        self._unrecorded.clear()
        await self.store.aflush()
        gc.set_threshold(*self._gc_thresholds)
        gc.unfreeze()

    async def run_probe(self, spec: ProbeSpec, resume: tuple[Timeline, WalkState] | None = None) -> ProbeResult:
        """Walk the journey's graph: act, wait for each expectation to be decided, follow the edge it chose.

        `resume`: go on from where an interrupted run left this probe (its rebuilt timeline and walk state).
        """
        await self._starting()
        target = spec.target
        if target.spec.ticket_pattern:
            self.mailbox.add_ticket_pattern(target.ticket)
        inbox = self.mailbox.open_inbox(spec.probe_id, spec.persona.email)
        speedup, clock = target.spec.speedup, target.clock
        if resume is None:
            started = self.clock()
            timeline, state = Timeline(persona=spec.persona.as_dict(), origin=(started, utc_now())), WalkState(spec.journey.start)
            self.store.event(self.run_id, spec.probe_id, "probe_started", started)
        else:
            timeline, state = resume
            self._remember_sent(spec, timeline)
            self.store.event(self.run_id, spec.probe_id, "probe_resumed", self.clock())
        # A reply is scored once however often its step is judged, and the verdicts are kept for the report
        with shared_scores() as verdicts, recording_verdicts(self.store.verdict_recorder(self.run_id, spec.probe_id)):
            self._walking[spec.probe_id] = asyncio.current_task()  # type: ignore[assignment]
            try:
                if not timeline.action_log:
                    await self._wait_for_send_window(spec, timeline)
                await self._walk(spec, timeline, inbox, state)
                self.web.walked(spec.probe_id)
                end_ns = await self._simulated_end(spec, timeline, inbox)
                await self.answering.finish(spec, timeline, end_ns)  # answers still due are not sent (recorded so) before the verdicts
                outcomes = evaluate(spec.journey, timeline, now_ns=self.clock(), speedup=speedup, finished=True, clock=clock)
                status = FAILED if any(o.status == FAILED for o in outcomes) else "passed"
                result = ProbeResult(spec, status, outcomes, timeline=timeline)
            except (MysteryShopError, asyncio.CancelledError) as exc:
                result = self._stopped(spec, timeline, exc)  # a CAPTCHA: "blocked"; Ctrl-C: "interrupted"
            finally:
                self._walking.pop(spec.probe_id, None)
                await self.answering.finish(spec, timeline)
            if result.status != "interrupted":
                first_answer_quality(timeline, spec.journey)  # nothing is timed any more: the scorecard's criteria, scored now and stored
        self.mailbox.close_inbox(spec.probe_id)
        await self.web.finish(spec.probe_id, failed=result.status not in ("passed", "interrupted"))
        # a probe cut short has not finished: `run --resume` walks it on from its step events (resume.py)
        ended = "probe_interrupted" if result.status == "interrupted" else "probe_finished"
        kept = self._kept_refs.pop(spec.probe_id, None)
        self.store.event(self.run_id, spec.probe_id, ended, self.clock(), status=result.status, error=result.error,
                         problem=result.problem, error_class=result.error_class, **({} if kept is None else {"kept_refs": kept}))
        await self.store.afinish_probe(
            self.run_id, spec.probe_id, result.status,
            {"outcomes": [o.as_dict() for o in result.outcomes], "error": result.error, "problem": result.problem,
             "error_class": result.error_class, "path": [v.step for v in timeline.path]},
        )
        self._unrecorded.append(FinishedProbe(spec.probe_id, spec.journey, speedup, verdicts, clock))
        if self._recording is None or self._recording.done():
            self._recording = asyncio.ensure_future(self._record_when_quiet())
        return result

    def _stopped(self, spec: ProbeSpec, timeline: Timeline, exc: BaseException) -> ProbeResult:
        """The result of a probe an error stopped, or that `interrupt` cancelled (its open expectations left undecided)."""
        if isinstance(exc, asyncio.CancelledError):
            reason = self._interrupts.get(spec.probe_id)
            task = asyncio.current_task()
            if reason is None or task is None:
                raise exc  # not ours to swallow: the loop is being shut down
            task.uncancel()
            exc = RunInterrupted(f"interrupted ({reason}) before the journey ended")
        interrupted = isinstance(exc, RunInterrupted)
        outcomes = evaluate(spec.journey, timeline, now_ns=self.clock(), speedup=spec.target.spec.speedup, finished=not interrupted,
                            clock=spec.target.clock)
        if interrupted:
            outcomes = cut_short(outcomes)
        status, problem = problem_of(exc)
        return ProbeResult(spec, status, outcomes, str(exc), timeline, problem, type(exc).__name__)

    async def interrupt(self, reason: str, probe_ids: Iterable[str] | None = None) -> int:
        """Stop probes still walking (all, or `probe_ids`): each is recorded as interrupted with what it measured so
        far, its open expectations not decided; a probe not yet started does not start. How many were cancelled."""
        if probe_ids is None:
            self._stopping = reason
            ids = list(self._walking)
        else:
            ids = [p for p in probe_ids if p in self._walking]
            for probe_id in probe_ids:
                self._interrupts.setdefault(probe_id, reason)
        for probe_id in ids:
            self._interrupts.setdefault(probe_id, reason)
            self._walking[probe_id].cancel()
        return len(ids)

    def _check_interrupted(self, spec: ProbeSpec) -> None:
        reason = self._interrupts.get(spec.probe_id) or self._stopping
        if reason is not None:
            self._interrupts.setdefault(spec.probe_id, reason)
            raise RunInterrupted(f"interrupted ({reason}) before the probe started")

    async def _record_when_quiet(self) -> None:
        """Record finished probes' scorecard entries (see scorecard.entries) while nothing is being timed:
        no mail has arrived for a while and no probe is acting."""
        while self._unrecorded:
            await asyncio.sleep(RECORD_QUIET_S)
            while self._unrecorded and not self._acting and self.mailbox.quiet_for() >= RECORD_QUIET_S:
                self._record(RECORD_BATCH)
                await asyncio.sleep(0)

    async def entries_recorded(self) -> None:
        """Until the scorecard entries of the probes finished so far are recorded and committed (once the mailbox is quiet)."""
        while self._recording is not None and not self._recording.done():
            await asyncio.shield(self._recording)
        await self.store.aflush()

    def _record(self, count: int) -> None:
        batch, self._unrecorded = self._unrecorded[:count], self._unrecorded[count:]
        try:
            record_entries(self.store, self.run_id, batch)
        except Exception:  # noqa: BLE001 - an entry saves a report time, no more: that report scores these probes from their rows
            log.warning("could not record the scorecard entries of %d probes (a report scores them from the store)", len(batch),
                        exc_info=True)

    def _remember_sent(self, spec: ProbeSpec, timeline: Timeline) -> None:
        """What a resumed probe's mailbox must know to match replies: the customer's words, the ids of what was sent."""
        first_email = next((a for a in timeline.action_log if a.text), None)
        if first_email is not None:
            self.mailbox.customer_text.setdefault(spec.probe_id, first_email.text)
        for row in self.store.query("SELECT data FROM events WHERE run_id = ? AND probe_id = ? AND kind = 'sent'", (self.run_id, spec.probe_id)):
            message_id = json.loads(row["data"] or "{}").get("message_id")
            if message_id:
                self.mailbox.correlator.add_sent(spec.probe_id, message_id)
        for form in timeline.web.forms.values():
            if form.ticket:
                self.mailbox.correlator.add_ticket(spec.probe_id, form.ticket)
        for reply in timeline.replies:
            ticket = self.mailbox.ticket_of(f"{reply.mail.subject}\n{reply.mail.full_text}")
            if ticket:
                self.mailbox.correlator.add_ticket(spec.probe_id, ticket)

    async def _simulated_end(self, spec: ProbeSpec, timeline: Timeline, inbox: asyncio.Queue[Any]) -> int | None:
        """End a simulated desk's probe (speedup > 1) on the journey's clock, not on the harness's pace
        (scoring/journey_clock.py: the time the harness took between deciding a step and doing the next is taken out).
        Answers the persona owes after the end are not sent; mail the desk planned by then is waited for
        (SIMULATED_GRACE_WALL_S) and counts; mail planned after it does not (kept out of the timeline, and of the
        rebuilt scorecard by probe_finished's `kept_refs`). Without this, whether a follow-up or a persona's answer
        falls inside the probe depends on how busy the machine was. A real desk: None, nothing changes.
        Returns the end as a wall time (the clock's), for `Answering.finish`."""
        target = spec.target
        if target.spec.speedup <= 1:
            return None
        self.answering.chat_changed(spec, timeline)  # a question the walk decided past without reading it is answered if due by the end
        clock = self._journey_clock(spec, timeline)
        self.answering.cut(spec, timeline, clock.end_ns, clock.lag_from)
        end_wall = clock.end_ns + clock.lag_from(self.clock())
        await asyncio.sleep(max(0, end_wall + int(SIMULATED_GRACE_WALL_S * 1e9) - self.clock()) / 1e9)
        await self.mailbox.settle(self.clock())
        while not inbox.empty():
            inbound = await self.mailbox.receive(spec.probe_id, inbox, 0.001)
            if inbound is not None:
                self._take(spec, timeline, inbound)
        self.answering.chat_changed(spec, timeline)
        self.answering.cut(spec, timeline, clock.end_ns, clock.lag_from)
        timeline.replies = judged_replies(timeline.replies, True, timeline.action_log, target.spec.speedup)
        timeline.replies = [r for r in timeline.replies if clock.reply_ns(r, timeline) <= clock.end_ns]
        self._kept_refs[spec.probe_id] = [r.message_ref for r in timeline.replies if r.message_ref is not None]
        return end_wall

    def _journey_clock(self, spec: ProbeSpec, timeline: Timeline) -> JourneyClock:
        target = spec.target
        timeline.replies = judged_replies(timeline.replies, True, timeline.action_log, target.spec.speedup)
        outcomes = evaluate(spec.journey, timeline, now_ns=self.clock(), speedup=target.spec.speedup, finished=True, clock=target.clock)
        return journey_clock(spec.journey, timeline, outcomes, target.wall_ns)

    def _judging_now(self, spec: ProbeSpec, timeline: Timeline) -> int:
        """The time open expectations are judged at: now, or for a simulated desk whose replies count at their stamped
        time (scoring.timeline.judged_ns) the grace earlier, so that a reply stamped before its deadline but delivered
        late by a busy machine still counts, in every run alike."""
        now = self.clock()
        speedup = spec.target.spec.speedup
        if speedup <= 1:
            return now
        # an action recorded after a reply came (a form's submission is known once its page is back) can be the one it answers
        timeline.replies = judged_replies(timeline.replies, True, timeline.action_log, speedup)
        return now - int(SIMULATED_GRACE_WALL_S * 1e9)

    async def _wait_for_send_window(self, spec: ProbeSpec, timeline: Timeline) -> None:
        """A target with a send window: the probe's first message waits for its time in the window (event `deferred_until`)."""
        now = self.clock()
        deferred = spec.deferred(timeline, now)
        if deferred is None:
            return
        until_ns, local = deferred
        self.store.event(self.run_id, spec.probe_id, "deferred_until", now, until_ns=until_ns, local=local)
        await asyncio.sleep((until_ns - now) / 1e9)

    async def _walk(self, spec: ProbeSpec, timeline: Timeline, inbox: asyncio.Queue[Any], state: WalkState) -> None:
        """Walk until the journey ends, waiting on the loop whenever an expectation is still open."""
        self._check_interrupted(spec)
        while (visit := await self.advance(spec, timeline, state)) is not None:
            await self._receive(spec, timeline, inbox, visit)

    async def advance(self, spec: ProbeSpec, timeline: Timeline, state: WalkState) -> Visit | None:
        """Move the walk on as far as it goes without waiting: act, judge, follow edges.

        Returns the expectation visit still pending (the walk waits there), or None when the
        journey has ended. Never blocks on the company: a campaign calls it from `tick`.
        """
        journey = spec.journey
        speedup, clock = spec.target.spec.speedup, spec.target.clock
        for _ in range(MAX_STEPS):
            if state.waiting is not None:
                visit = state.waiting
                outcome = judge_visit(journey, visit, timeline, now_ns=self._judging_now(spec, timeline), speedup=speedup, clock=clock)
                if outcome is not None and outcome.status == PENDING:
                    return visit
                when = "pass" if outcome is None or outcome.status == PASSED else ("timeout" if outcome.timed_out else "fail")
                if outcome is not None and outcome.captured:
                    self._captured(spec, timeline, visit.step, outcome.captured)
                self.store.event(self.run_id, spec.probe_id, "step_decided", self.clock(), step=visit.step, when=when, visit=visit.visit)
                state.current, state.waiting = journey.follow(visit.step, when), None
                continue
            current = state.current
            if current is None:
                return None
            step = journey.step(current)
            state.visits[current] = state.visits.get(current, 0) + 1
            if step.max_visits is not None and state.visits[current] > step.max_visits:
                self.store.event(self.run_id, spec.probe_id, "step_exhausted", self.clock(), step=current)
                state.current = journey.follow(current, "exhausted")
                continue
            now = self.clock()
            if step.is_action:
                await self._act_once(spec, step, timeline, state)
                state.last_action_ns = timeline.actions[step.id].t_ns
                visit = Visit(step.id, state.visits[current], now, None)
                timeline.path.append(visit)
                self._entered(spec, visit)
                state.current = journey.follow(current, "next")
                continue
            anchor = timeline.actions[step.after].t_ns if step.after and step.after in timeline.actions else state.last_action_ns
            visit = Visit(step.id, state.visits[current], now, anchor)
            timeline.path.append(visit)
            self._entered(spec, visit)
            if step.expect == "no_marketing":
                state.current = journey.follow(current, "next")
            else:
                state.waiting = visit
        raise TargetMisconfigured(f"journey '{journey.name}' took more than {MAX_STEPS} steps; check its loops' max_visits in {journey.path}")

    async def advance_through_chats(self, spec: ProbeSpec, timeline: Timeline, state: WalkState) -> Visit | None:
        """`advance`, and wait here for what an open chat shows (a campaign's tick: a browser cannot stay open for days).

        Expectations a chat answers (chat_response, human_agent, ...) are waited for with the chat open, each
        until its deadline; an expectation of anything else (an email answer) is left to later ticks.
        """
        inbox = self.mailbox.open_inbox(spec.probe_id, spec.persona.email)
        try:
            for _ in range(MAX_STEPS):
                visit = await self.advance(spec, timeline, state)
                if visit is None or not self.web.has_open_chat(spec.probe_id):
                    return visit
                if spec.journey.step(visit.step).expect not in CHAT_EXPECTATIONS:
                    return visit
                await self._receive(spec, timeline, inbox, visit)
            raise TargetMisconfigured(f"journey '{spec.journey.name}' took more than {MAX_STEPS} steps; check its loops' max_visits in {spec.journey.path}")
        finally:
            self.mailbox.close_inbox(spec.probe_id)

    async def close_browser(self, probe_id: str, *, failed: bool) -> None:
        await self.web.finish(probe_id, failed=failed)

    async def _act_once(self, spec: ProbeSpec, step: Step, timeline: Timeline, state: WalkState) -> None:
        """`_act`, recorded in the campaign's ledger of sends when there is one: skipped when done already."""
        if self.sends is None:
            await self._act(spec, step, timeline)
            return
        visit = state.visits[step.id]
        try:
            if await self.sends.reserve(spec, step, visit, timeline):
                return
        except SendDeferred:
            state.visits[step.id] -= 1  # not entered: the walk stays before this step until the window has room
            raise
        try:
            await self._act(spec, step, timeline)
        except Exception as exc:
            await self.sends.fail(spec, step, visit, exc)
            raise
        await self.sends.confirm(spec, step, visit, timeline)

    def _captured(self, spec: ProbeSpec, timeline: Timeline, step: str, values: dict[str, str]) -> None:
        """Keep what an expectation captured for the steps after it (event `captured`: a resumed probe has them too)."""
        new = {name: value for name, value in values.items() if timeline.captured.get(name) != value}
        timeline.captured.update(values)
        if new:
            self.store.event(self.run_id, spec.probe_id, "captured", self.clock(), step=step, values=new)

    def _entered(self, spec: ProbeSpec, visit: Visit) -> None:
        self.store.event(
            self.run_id, spec.probe_id, "step_entered", visit.entered_ns, step=visit.step, visit=visit.visit, anchor_ns=visit.anchor_ns
        )

    async def _act(self, spec: ProbeSpec, step: Step, timeline: Timeline) -> None:
        self._acting += 1
        try:
            await self._do(spec, step, timeline)
        finally:
            self._acting -= 1

    async def _do(self, spec: ProbeSpec, step: Step, timeline: Timeline) -> None:
        persona = spec.persona
        missing = sorted(spec.journey.uses.get(step.id, frozenset()) - timeline.captured.keys())
        if missing:
            names = ", ".join(f"{{{name}}}" for name in missing)
            raise CaptureMissing(
                f"step '{step.id}' of journey '{spec.journey.name}' uses {names}, which no earlier step captured on this probe's path "
                f"(its capture failed or was not on the path taken): nothing was sent. Route the capturing step's on_fail/on_timeout "
                f"to a step that does not use it ({spec.journey.path})"
            )
        if step.do == "send_email":
            async with self._sending:
                await self.pace()  # the 250s of emails sent before this one are read (and timed) before it is composed
                written = spec.journey.write(step.id, "body", persona, email=True, values=timeline.captured)
                subject = spec.journey.write(step.id, "subject", persona, values=timeline.captured).text
                await self._send_email(spec, timeline, step.id, subject, written.text, written.html)
            return
        if step.do in WEB_ACTIONS:
            await self.web.act(spec, step, timeline)
            return
        raise TargetMisconfigured(f"step '{step.id}' of journey '{spec.journey.name}': action '{step.do}' is not supported ({spec.journey.path})")

    async def _send_email(
        self, spec: ProbeSpec, timeline: Timeline, step_id: str, subject: str, body: str, html: str | None, *,
        in_reply_to: str | None = None, references: list[str] | None = None, attachments: list[tuple[str, str, bytes]] | None = None,
        answer_to: int | None = None,
    ) -> int:
        """Send one email of the persona to the target's support address and record it (message, `sent` event, what
        it gave); the time the company's server accepted it. `answer_to`: the reply it answers (the persona's answers)."""
        persona, target = spec.persona, spec.target
        channel = target.spec.email
        if channel is None:
            raise TargetMisconfigured(f"step '{step_id}' of journey '{spec.journey.name}' sends an email, but target file {target.path} "
                                      f"has no 'email:' section")
        message = compose(
            sender=(persona.full_name, persona.email),
            to=channel.support_address,
            subject=subject,
            body=body,
            html=html,
            domain=persona.email.rpartition("@")[2],
            in_reply_to=in_reply_to,
            references=references,
            attachments=attachments,
        )
        self.mailbox.correlator.add_sent(spec.probe_id, str(message["Message-ID"]))
        if answer_to is None:
            self.mailbox.customer_text[spec.probe_id] = body
        raw = message.as_bytes()  # once: what is sent is what is stored
        if channel.dkim is not None:
            raw = self.signers.sign(target, raw)
        delivery = await send_email(
            raw, sender=persona.email, recipients=[channel.support_address], host=channel.smtp_host, port=channel.smtp_port,
            timeout=channel.timeout, step=step_id, journey=spec.journey.name, channel=channel, pool=self.smtp,
        )
        # The clock starts when the company's server accepted the email (its 250):
        # from then on, every second of silence is the company's.
        t_ns = delivery.accepted_ns
        timeline.actions[step_id] = Action(step_id, t_ns, utc_now(), body, delivery.transmitted_ns, str(message["Message-ID"]))
        timeline.action_log.append(timeline.actions[step_id])
        composed = ParsedMail(
            message_id=str(message["Message-ID"]), subject=subject, from_addr=persona.email,
            to_addrs=[channel.support_address], full_text=body, text=body,
        )
        self.store.post(*self.store.message_write(
            self.run_id, "out", persona.email, [channel.support_address], t_ns, raw, probe_id=spec.probe_id, parsed=composed
        ))
        extra = {} if answer_to is None else {"answer_to": answer_to}
        self.store.event(
            self.run_id, spec.probe_id, "sent", t_ns, step=step_id, channel="email",
            message_id=str(message["Message-ID"]), transmitted_ns=delivery.transmitted_ns, **extra,
        )
        await self.web.customer_gave(spec, timeline, step_id, t_ns, "email", [str(message["Subject"]), body])
        return t_ns

    async def send_answer_email(self, spec: ProbeSpec, timeline: Timeline, step: str, answer: PersonaAnswer, reply: Reply) -> int:
        """The persona's answer to `reply`, in its thread (converse/answering.py)."""
        self._acting += 1
        try:
            async with self._sending:
                await self.pace()
                mail = reply.mail
                return await self._send_email(
                    spec, timeline, step, answer.subject or "Re:", answer.text, answer.html, in_reply_to=mail.message_id,
                    references=[r for r in mail.references if r != mail.message_id][-10:], attachments=list(answer.attachments),
                    answer_to=reply.t_ns,
                )
        finally:
            self._acting -= 1

    async def say_answer_in_chat(self, spec: ProbeSpec, timeline: Timeline, step: str, text: str) -> int:
        """The persona's answer to a chat message that asked for something, typed in the open chat."""
        self._acting += 1
        try:
            return await self.web.say_text(spec, timeline, step, text)
        finally:
            self._acting -= 1

    async def _receive(self, spec: ProbeSpec, timeline: Timeline, inbox: asyncio.Queue[Any], visit: Visit) -> None:
        """Wait for the next thing the company does for this probe, or until the visit's deadline."""
        now = self._judging_now(spec, timeline)
        outcome = judge_visit(spec.journey, visit, timeline, now_ns=now, speedup=spec.target.spec.speedup, clock=spec.target.clock)
        deadline = (visit.anchor_ns or now) + spec.target.wall_ns((outcome.deadline_ns if outcome else 0) or 0)
        timeout = max(0.0, (deadline - now) / 1e9) + 0.001
        deadline += self.clock() - now  # the mailbox's times are the clock's
        try:
            inbound = await self.web.or_changed(spec.probe_id, self.mailbox.receive(spec.probe_id, inbox, timeout))
        except TimeoutError:
            await self.mailbox.settle(deadline)  # mail that arrived in time but is still being stored counts
            if inbox.empty():
                return
            inbound = await self.mailbox.receive(spec.probe_id, inbox, 0.001)
        if inbound is None:  # an open chat showed something new: judge again
            self.answering.chat_changed(spec, timeline)
            return
        self._take(spec, timeline, inbound)

    def _take(self, spec: ProbeSpec, timeline: Timeline, inbound: Any) -> None:
        """One email the probe's inbox received, into its timeline at the time it counts; the persona answers it if asked."""
        if inbound.reading is not None:
            reply = Reply.read(inbound.t_ns, inbound.utc, inbound.mail, inbound.rowid, inbound.reading)
        else:
            reply = Reply.of(inbound.t_ns, inbound.utc, inbound.mail, inbound.rowid)
        speedup = spec.target.spec.speedup
        if (judged := judged_ns(reply, speedup > 1, timeline.action_log, speedup)) != reply.t_ns:
            reply = replace(reply, t_ns=judged)
        timeline.replies.append(reply)
        timeline.replies.sort(key=lambda r: r.t_ns)
        self.store.event(self.run_id, spec.probe_id, "received", inbound.t_ns, message_ref=inbound.rowid, matched_by=inbound.matched_by)
        self.answering.email_received(spec, timeline, reply)


class EngineThread:
    """An Engine on a background event loop, for synchronous callers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="mysteryshop-engine", daemon=True)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> EngineThread:
        self._thread.start()
        try:
            self.call(self.engine.start())
        except BaseException:
            self.stop()  # nothing was sent: close what did start (the mailbox, a collector) and the loop
            raise
        return self

    def submit(self, spec: ProbeSpec, resume: tuple[Timeline, WalkState] | None = None) -> concurrent.futures.Future[ProbeResult]:
        return asyncio.run_coroutine_threadsafe(self.engine.run_probe(spec, resume), self.loop)

    def interrupt(self, reason: str, probe_ids: Iterable[str] | None = None, timeout: float = 2) -> int:
        """`Engine.interrupt` from this (another) thread."""
        if not self._thread.is_alive():
            return 0
        return self.call(self.engine.interrupt(reason, probe_ids), timeout)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self.call(self.engine.stop())

        async def _cancel_rest() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.call(_cancel_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()
