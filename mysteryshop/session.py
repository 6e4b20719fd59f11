"""A run: the store, the engine, the embedded demo desk, and the scorecard at the end.

Both the pytest plugin and the CLI drive runs through `RunSession`, so they behave the same.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mysteryshop import interrupt
from mysteryshop.channels.browser import BrowserOptions
from mysteryshop.collect.setup import plan_collection
from mysteryshop.demo.deadlines import email_deadlines
from mysteryshop.demo.process import DemoDeskProcess
from mysteryshop.demo.profile import get_profile
from mysteryshop.history import stored_summary
from mysteryshop.journey import Journey
from mysteryshop.errors import ConfigError
from mysteryshop.plan import ProbeSpec
from mysteryshop.resume import StoredWalk, clock_base_ns, outcomes_of, stored_walks
from mysteryshop.runner import Engine, EngineThread, ProbeResult
from mysteryshop.sends import RunSends
from mysteryshop.safety import Allowlist, check_open_probes, check_targets
from mysteryshop.scorecard.build import build_scorecard
from mysteryshop.scorecard.rubric import load_rubric
from mysteryshop.scorecard.shares import available_cores
from mysteryshop.scorecard.write import write_scorecard
from mysteryshop.scoring.kind_words import kind_words
from mysteryshop.store import Store, interrupted_writes, mark_interrupted_now, new_run_id, utc_now
from mysteryshop.target import Target


@dataclass(slots=True)
class RunConfig:
    """Settings of one run. Every field has a default a first-time user can live with."""

    seed: int = 1
    personas: int = 3
    locales: list[str] = field(default_factory=lambda: ["en_US"])
    personas_file: str | None = None  # personas from a CSV or YAML file (test accounts) instead of Faker
    demo_profile: str | None = None
    reports_dir: Path = Path("reports")
    store_path: Path | str | None = None  # a SQLite file or a postgresql:// URL
    run_id: str = field(default_factory=new_run_id)
    browser_path: str | None = None  # Chromium for web-form and chat probes (default: $MYSTERYSHOP_CHROMIUM, /usr/bin/chromium)
    browser_concurrency: int = 4  # browser probes driving a page at once
    browser_reuse: bool | None = None  # pooled browser contexts for every target (True), none (False), or as each target says (None)
    browser_artifacts: str = "on-failure"  # keep trace + screenshots under reports/<run-id>/browser/: on-failure, always, off
    collect: dict[str, Any] = field(default_factory=dict)  # overrides of the targets' collect: sections (via, host, port, advertise)
    allowlist: Path | None = None  # targets that may be probed (default: allowlist.yaml beside the reports folder's project)
    dry_run: bool = False  # print what would be sent; send nothing, store nothing
    resume: bool = False  # go on with the stored run `run_id` (interrupted): finished probes stay, open ones walk on
    rubric: Path | None = None  # rubric grading each channel and the whole (default: the shipped one)
    study: str | None = None  # the benchmark study the run's companies and personas come from (kept with the run for --resume)
    shard: str | None = None  # 'i/n': this machine's slice of a suite sharded over n machines (shards.py)
    joined: bool = False  # other processes write this run too (shards, xdist workers): join it; whoever ends last scores it

    @property
    def store_file(self) -> Path | str:
        """A SQLite file, or a postgresql:// URL."""
        return self.store_path or self.reports_dir / "mysteryshop.sqlite"

    @property
    def run_dir(self) -> Path:
        return self.reports_dir / self.run_id

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: str(v) if isinstance(v, Path) else v for k, v in data.items()}


#: How long an interrupted run waits for its cancelled probes to record themselves, and for the mailbox to store what
#: it is receiving, before it scores what was measured (the whole graceful stop stays within 5 s)
GRACE_S = 1.5


def process_info() -> dict[str, Any]:
    """Which process runs a run (kept with it): a report can tell a run whose process is gone from one still running."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


def with_port(url: str, port: int) -> str:
    """`url` with port 0 (the placeholder in an embedded target's file) replaced by the desk's HTTP port."""
    parts = urlsplit(url)
    if parts.port != 0 or not parts.hostname:
        return url
    return urlunsplit(parts._replace(netloc=f"{parts.hostname}:{port}"))


def run_clock(stored_config: str | None) -> Callable[[], int]:
    """The clock a process writing into a stored run puts its events on: the run's own (its config's clock base)."""
    base = json.loads(stored_config or "{}").get("clock_base_ns")
    shift = 0 if base is None else clock_base_ns() - int(base)
    # on the same boot the monotonic clock goes on (shift ~0); after a reboot, or on another machine, the wall clock bridges the gap
    return time.monotonic_ns if abs(shift) < 1_000_000 else (lambda: time.monotonic_ns() + shift)


class RunSession:
    """Starts what a run needs, runs its probes concurrently, writes the scorecard."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.store: Store | None = None
        self.engine: EngineThread | None = None
        self.desks: dict[str, DemoDeskProcess] = {}
        self.futures: dict[str, concurrent.futures.Future[ProbeResult]] = {}
        self.journeys: dict[str, Journey] = {}
        self.targets: dict[str, Target] = {}
        self.paths: dict[str, Path] = {}
        self.card: dict[str, Any] | None = None
        self.replies_at = ""
        self.specs: dict[str, ProbeSpec] = {}
        self.notes: list[str] = []  # for people, at the end: e.g. that no reply reached us from a target
        self.scoring_s: float | None = None  # how long scoring the run and writing its scorecard took
        self.status: str | None = None  # passed | failed | interrupted, once finished (of this process's probes, when joined)
        self.interrupted: str | None = None  # why the whole run was interrupted (SIGINT, SIGTERM, ...), once it was
        self._created = False  # the run is in the store
        self._guards = contextlib.ExitStack()  # what a second Ctrl-C does while the run is under way (see interrupt.py)

    def start(self, specs: list[ProbeSpec]) -> None:
        """Start store, probe mailbox and embedded desks, then every probe at once."""
        config = self.config
        targets = list({s.target.name: s.target for s in specs}.values())
        check_targets(targets, Allowlist.load(config.allowlist))
        self.store = Store(config.store_file)
        plan = plan_collection(targets, config.collect, store=self.store)
        walks: dict[str, StoredWalk] = {}
        clock = time.monotonic_ns
        if config.resume:
            walks, clock = self._resume_from_store({s.journey.name: s.journey for s in specs})
        elif config.joined:
            walks, clock = self._join({s.journey.name: s.journey for s in specs}, {s.probe_id for s in specs})
        else:
            check_open_probes(self.store, targets, {t: sum(s.target.name == t for s in specs) for t in {s.target.name for s in specs}})
        for note in plan.notes:
            print(f"mysteryshop: note: {note}", file=sys.stderr, flush=True)
        if config.joined:
            pass
        elif not config.resume:
            self.store.create_run(config.run_id, {**config.as_dict(), "clock_base_ns": clock_base_ns(), **process_info()})
        else:  # the process that runs it now (a report tells a run whose process is gone by it)
            info = process_info()
            rows = self.store.query("SELECT config FROM runs WHERE id = ?", (config.run_id,))
            stored = json.loads(rows[0]["config"] or "{}") if rows else {}
            self.store.write("UPDATE runs SET config = ? WHERE id = ?",
                             (json.dumps({**stored, "pid": info["pid"], "host": info["host"]}), config.run_id))
        self._created = True
        self._guards.enter_context(interrupt.on_hard_exit(self._mark_interrupted_now))
        domains = plan.domains or {s.target.spec.probe_domain for s in specs} or {"probe.mysteryshop.test"}
        plan.domains = set(domains)
        plan.from_start = config.resume  # replies stored while the run was down are its too
        browser = BrowserOptions(config.browser_path, config.browser_concurrency, config.browser_artifacts, config.run_dir,
                                 reuse=config.browser_reuse)
        try:
            engine = Engine(self.store, config.run_id, domains=domains, browser=browser, collect=plan, clock=clock)
            engine.sends = RunSends(self.store, config.run_id, run_clock=clock)  # real desks: each message at most once
            self.engine = EngineThread(engine).start()
        except BaseException as exc:
            self.store.finish_run(config.run_id, "interrupted" if isinstance(exc, KeyboardInterrupt) else "error", {})
            raise
        self.replies_at = self.engine.engine.replies_expected_at()
        kind_words()  # built now: built on the first reply it would hold the loop that stamps the next replies' arrival
        for spec in specs:
            self.journeys[spec.journey.name] = spec.journey
            if spec.target.name not in self.targets:
                self.targets[spec.target.name] = self._prepare_target(spec.target, email_deadlines(s.journey for s in specs if s.target.name == spec.target.name))
        for spec in specs:
            if spec.probe_id in self.futures:
                continue  # the same journey x target x persona collected twice (a probe module and its YAML): one probe
            live = ProbeSpec(spec.probe_id, spec.journey, self.targets[spec.target.name], spec.persona)
            self.specs[spec.probe_id] = live
            walk = walks.get(spec.probe_id)
            if walk is None:
                self.store.add_probe(config.run_id, spec.probe_id, spec.journey.name, spec.target.name, spec.record())
                self.futures[spec.probe_id] = self.engine.submit(live)
            elif walk.timeline is None or walk.state is None:  # finished before the interruption: as it was
                done: concurrent.futures.Future[ProbeResult] = concurrent.futures.Future()
                stored = json.loads(walk.outcome or "{}")
                done.set_result(ProbeResult(live, walk.status, outcomes_of(walk.outcome), stored.get("error"), None,
                                            stored.get("problem"), stored.get("error_class")))
                self.futures[spec.probe_id] = done
            else:
                self.store.write("UPDATE probes SET status = 'running' WHERE run_id = ? AND id = ?", (config.run_id, spec.probe_id))
                self.futures[spec.probe_id] = self.engine.submit(live, (walk.timeline, walk.state))

    def _resume_from_store(self, journeys: dict[str, Journey]) -> tuple[dict[str, StoredWalk], Callable[[], int]]:
        """The stored run to go on with: its probes' walks, and a clock that puts new events on its old clock."""
        assert self.store is not None
        run_id = self.config.run_id
        rows = self.store.query("SELECT status, config FROM runs WHERE id = ?", (run_id,))
        if not rows:
            raise ConfigError(f"there is no run '{run_id}' in {self.store.path} to resume; `mysteryshop report` lists nothing for it either")
        if rows[0]["status"] in ("passed", "failed"):
            raise ConfigError(f"run '{run_id}' finished ({rows[0]['status']}); there is nothing to resume. Score it with `mysteryshop report {run_id}`")
        self.store.write("UPDATE runs SET status = 'running', finished_utc = NULL WHERE id = ?", (run_id,))
        return stored_walks(self.store, run_id, journeys), run_clock(rows[0]["config"])

    def _join(self, journeys: dict[str, Journey], probe_ids: set[str]) -> tuple[dict[str, StoredWalk], Callable[[], int]]:
        """A run other processes write too: created unless one of them did; this process's probes already in it (a shard run
        again) go on from where they stood, like --resume; events go on the run's clock (shards.py)."""
        from mysteryshop.shards import join

        assert self.store is not None
        config, run_id = self.config, self.config.run_id
        stored = join(self.store, run_id, {**config.as_dict(), "clock_base_ns": clock_base_ns(), **process_info()}, config.shard)
        # a shard run again after it was stopped goes on; a run scored as it stood then is scored again when it ends
        if self.store.changes("UPDATE runs SET status = 'running', finished_utc = NULL WHERE id = ? AND status IN ('interrupted', 'error')",
                              (run_id,)):
            self.store.write("DELETE FROM run_parts WHERE run_id = ? AND part = 'scorecard'", (run_id,))
        return stored_walks(self.store, run_id, journeys, only=probe_ids), run_clock(stored)

    def _prepare_target(self, target: Target, deadlines: Sequence[int] = ()) -> Target:
        """An embedded target gets its demo desk started, and the desk's real port; it keeps its replies clear of `deadlines`."""
        if target.spec.embedded != "demo" or self.engine is None:
            return target
        profile = get_profile(self.config.demo_profile or target.spec.profile)
        workdir = self.config.run_dir / f"demo-desk-{target.name}{self._part_suffix()}"
        workdir.mkdir(parents=True, exist_ok=True)
        desk = DemoDeskProcess(
            profile, deliver_to=self.engine.engine.mailbox_address, seed=self.config.seed, speedup=target.spec.speedup, workdir=workdir,
            deadlines=deadlines,
        ).start()
        self.desks[target.name] = desk
        spec = target.spec.model_copy(deep=True)
        spec.profile = profile.name
        if spec.email is not None:
            spec.email.smtp_port = desk.port
        if spec.webform is not None:
            spec.webform.url = with_port(spec.webform.url, desk.http_port)
            if spec.webform.home:
                spec.webform.home = with_port(spec.webform.home, desk.http_port)
        if spec.chat is not None:
            spec.chat.url = with_port(spec.chat.url, desk.http_port)
            if spec.chat.home:
                spec.chat.home = with_port(spec.chat.home, desk.http_port)
        return Target(spec=spec, path=target.path)

    def _part_suffix(self) -> str:
        """Names this process's files apart from those of the run's other shards and xdist workers (each has its own desk)."""
        if not self.config.joined:
            return ""
        shard = f"-shard{self.config.shard.replace('/', 'of')}" if self.config.shard else ""
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        return shard + (f"-{worker}" if worker else "")

    def _silent_targets(self) -> list[str]:
        """A line for each target that was sent email and from which no reply at all reached the run."""
        assert self.store is not None
        rows = self.store.query(
            "SELECT p.target AS target, "
            "(SELECT count(*) FROM events e WHERE e.run_id = p.run_id AND e.kind = 'sent') AS sent, "
            "(SELECT count(*) FROM messages m WHERE m.run_id = p.run_id AND m.probe_id = p.id AND m.direction = 'in') AS replies "
            "FROM probes p WHERE p.run_id = ?", (self.config.run_id,),
        )
        sent: dict[str, int] = {}
        replies: dict[str, int] = {}
        for row in rows:
            sent[row["target"]] = sent.get(row["target"], 0) + row["sent"]
            replies[row["target"]] = replies.get(row["target"], 0) + row["replies"]
        notes = []
        for name, target in self.targets.items():
            if target.spec.embedded or not sent.get(name) or replies.get(name):
                continue
            domain = (target.spec.probe_mailbox or "").rpartition("@")[2] or target.spec.probe_domain
            notes.append(
                f"no reply from target '{name}' reached this run by its last deadline. Replies were expected at {self.replies_at}. "
                f"If the desk did answer, check that its mail for @{domain} is delivered there (the domain's MX, or the desk's "
                f"outbound relay), or collect another way (collect.via in {target.path})"
            )
        return notes

    def result(self, probe_id: str, timeout: float | None = None) -> ProbeResult:
        return self.futures[probe_id].result(timeout)

    def unfinished(self) -> list[str]:
        """The probes still under way."""
        return [probe_id for probe_id, future in self.futures.items() if not future.done()]

    def interrupt(self, reason: str, probe_ids: list[str] | None = None) -> int:
        """Stop the probes still under way (all, or `probe_ids`): each is recorded as interrupted with what it measured,
        its open expectations not decided. Stopping them all marks the run interrupted in the store at once (a
        second Ctrl-C may end the process before its scorecard is written). How many probes were cancelled."""
        if probe_ids is None and self.interrupted is None:
            self.interrupted = reason
            if self.store is not None and self._created:
                self.store.mark_interrupted(self.config.run_id, reason)
        if self.engine is None:
            return 0
        try:
            return self.engine.interrupt(reason, probe_ids)
        except (TimeoutError, concurrent.futures.TimeoutError, RuntimeError):
            return 0  # the loop is busy or gone: finish() records what is left as interrupted

    def abandon(self) -> None:
        """The run could not start (a desk that did not start, ...): stop what did start, mark the run 'error'."""
        try:
            if self.engine is not None:
                self.engine.stop()
            for desk in self.desks.values():
                desk.stop()
            if self.store is not None:
                if self._created:
                    self.store.write("UPDATE runs SET status = 'error', finished_utc = ? WHERE id = ? AND status = 'running'",
                                     (utc_now(), self.config.run_id))
                self.store.close()
        finally:
            self._guards.close()

    def _mark_interrupted_now(self) -> None:
        """For a second Ctrl-C: the run and its probes still running marked interrupted, on a connection of its own."""
        mark_interrupted_now(self.config.store_file, self.config.run_id, self.interrupted or "stopped at once")

    def finish(self, interrupted: str | None = None) -> dict[str, Path]:
        """Wait for every probe, stop the servers, score from the store and write the scorecard.

        With `interrupted` (why: SIGINT, SIGTERM, ...) the probes still under way are cancelled first and recorded as
        interrupted, and whatever has not ended within `GRACE_S` is recorded so; the run is marked interrupted and
        the scorecard shows what was measured. A first signal meanwhile is noted; a second ends the process at once.
        """
        try:
            with interrupt.finishing():
                return self._finish(interrupted)
        finally:
            self._guards.close()

    def _finish(self, interrupted: str | None) -> dict[str, Path]:
        if self.store is None:
            return {}
        if self.engine is None or not self._created:  # the run never started (refused, or stopped while starting)
            if self._created and interrupted:
                self.store.together(interrupted_writes(self.config.run_id, interrupted, time.monotonic_ns(), probes=True))
            for desk in self.desks.values():
                desk.stop()
            self.store.close()
            return {}
        if interrupted:
            self.interrupt(interrupted)
        deadline = time.monotonic() + GRACE_S if self.interrupted else None
        results: dict[str, ProbeResult | BaseException | None] = {}
        for probe_id, future in self.futures.items():
            try:
                results[probe_id] = future.result(None if deadline is None else max(0.05, deadline - time.monotonic()))
            except concurrent.futures.TimeoutError:
                results[probe_id] = None  # still not done: recorded as interrupted below
            except concurrent.futures.CancelledError:
                results[probe_id] = None
            except Exception as exc:  # noqa: BLE001 - a crashed probe is reported by its own item; recorded as an error below
                results[probe_id] = exc
        try:
            self.engine.call(self.engine.engine.mailbox.drain(), timeout=GRACE_S if self.interrupted else 30)
        except (TimeoutError, concurrent.futures.TimeoutError):
            print("mysteryshop: note: the reply mailbox did not drain in time; what it stored is scored", file=sys.stderr, flush=True)
        finally:
            for desk in self.desks.values():
                desk.stop()
            self.engine.stop()
        self._record_left(results)
        if not self.interrupted:  # an interrupted run did not wait until its last deadline
            self.notes.extend(self._silent_targets())
        outcomes = [r for r in results.values() if isinstance(r, ProbeResult)]
        cut_short = [r for r in results.values() if r is None or isinstance(r, ProbeResult) and r.status == "interrupted"]
        if cut_short and self.interrupted is None:  # e.g. a pytest timeout stopped one probe's wait
            self.interrupted = next((r.error for r in cut_short if r is not None and r.error), None) or "interrupted"
            self.store.mark_interrupted(self.config.run_id, self.interrupted)
        if self.interrupted:
            status = "interrupted"
        else:
            status = "passed" if len(outcomes) == len(results) and all(r.status == "passed" for r in outcomes) else "failed"
        self.status = status
        if self.config.joined:  # scored once, by whoever ends the run's last share (shards.end_part)
            self.store.close()
            return {}
        scoring = time.perf_counter()
        # the probes the engine had no quiet moment to record are scored here (in parallel when many) and recorded for later reports
        card = build_scorecard(self.store, self.config.run_id, self.journeys, self.targets, keep=True, workers=available_cores(),
                               rubric=load_rubric(self.config.rubric))
        self.store.finish_run(self.config.run_id, status, stored_summary(card))  # with each company's figures, for their trends
        card["run"]["status"] = status
        card["run"]["finished_utc"] = next(r["finished_utc"] for r in self.store.runs() if r["id"] == self.config.run_id)
        self.card = card
        self.paths = write_scorecard(card, self.config.run_dir, journeys=self.journeys, store=self.store)
        self.scoring_s = time.perf_counter() - scoring
        self.store.close()
        return self.paths

    def _record_left(self, results: dict[str, ProbeResult | BaseException | None]) -> None:
        """Probes that ended without recording their end: cut short (no result in time) or crashed (an exception)."""
        assert self.store is not None
        clock = time.monotonic_ns()
        left = [probe_id for probe_id, result in results.items() if not isinstance(result, ProbeResult)]
        if not left:
            return
        # one that recorded itself while the engine stopped (its cancellation came then) is not recorded twice
        ended = {probe_id for (probe_id,) in self.store.rows(
            "SELECT probe_id FROM events WHERE run_id = ? AND kind IN ('probe_finished', 'probe_interrupted') "
            "AND id > coalesce((SELECT max(id) FROM events WHERE run_id = ? AND kind = 'probe_resumed'), 0)",
            (self.config.run_id, self.config.run_id))}
        for probe_id, result in results.items():
            if isinstance(result, ProbeResult) or probe_id in ended:
                continue
            if result is None:
                status, problem, error = "interrupted", "interrupted", f"interrupted ({self.interrupted or 'stopped'}) before the journey ended"
            else:
                status, problem, error = "error", "error", f"the probe crashed: {type(result).__name__}: {result}"
            ended = "probe_interrupted" if result is None else "probe_finished"
            self.store.event(self.config.run_id, probe_id, ended, clock, status=status, error=error, problem=problem,
                             error_class=type(result).__name__ if result is not None else "RunInterrupted")
            self.store.write("UPDATE probes SET status = ? WHERE run_id = ? AND id = ? AND status = 'running'", (status, self.config.run_id, probe_id))
