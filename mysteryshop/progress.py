"""Live progress of a run for `mysteryshop run`: probes waiting, passed, failed, and the next deadline.

A pytest plugin object handed to `pytest.main(plugins=[...])`. It watches the run session the
mysteryshop plugin started (its probe futures, and the `sent` events in the store for the
deadlines) from a background thread. On a terminal it redraws one line; otherwise (CI logs)
it prints a plain line whenever the counts change, at most every few seconds.
"""

from __future__ import annotations

import concurrent.futures
import json
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

import pytest

from mysteryshop.durations import format_duration


class Progress:
    def __init__(self, stream: TextIO | None = None, *, interval: float = 0.25, plain_every: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.interval = interval
        self.plain_every = plain_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._config: pytest.Config | None = None
        self.last_line = ""
        self.specs: dict[str, Any] = {}
        self.start_error: str | None = None  # why the run did not start (the plugin's message), for `mysteryshop run`

    # -- pytest hooks ------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        self._config = config

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            callspec = getattr(item, "callspec", None)
            spec = callspec.params.get("probe") if callspec is not None else getattr(item, "spec", None)
            probe_id = getattr(spec, "probe_id", None)
            if probe_id is not None:
                self.specs[probe_id] = spec
        self._thread = threading.Thread(target=self._watch, name="mysteryshop-progress", daemon=True)
        self._thread.start()

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """A journey or probe file that could not be loaded: say why (the run shows pytest no tracebacks)."""
        if report.failed:
            self.stream.write(f"error: {report.longreprtext.strip()}\n")
            self.stream.flush()

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from mysteryshop.pytest_keys import START_ERROR_KEY

        self.start_error = session.config.stash.get(START_ERROR_KEY, None)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- watching ----------------------------------------------------------------------
    def _session(self) -> Any:
        from mysteryshop.pytest_keys import SESSION_KEY

        return self._config.stash.get(SESSION_KEY, None) if self._config is not None else None

    def _watch(self) -> None:
        last_plain = 0.0
        last_counts: tuple[int, ...] | None = None
        conn: Any = None
        try:
            while not self._stop.wait(self.interval):
                run = self._session()
                if run is None or not run.futures:
                    continue
                if conn is None and run.store is not None:
                    conn = run.store.read_only()
                line, counts = self.status(run, conn)
                now = time.monotonic()
                if self.live:
                    self.stream.write("\r\x1b[2K" + line)
                    self.stream.flush()
                elif counts != last_counts or now - last_plain >= self.plain_every:
                    self.stream.write(line + "\n")
                    self.stream.flush()
                    last_plain = now
                last_counts = counts
                self.last_line = line
                if counts[0] == 0:
                    break
        finally:
            if conn is not None:
                conn.close()
            if self.live and self.last_line:
                self.stream.write("\n")
                self.stream.flush()

    def status(self, run: Any, conn: Any) -> tuple[str, tuple[int, ...]]:
        """'mysteryshop: 3 waiting · 1 passed · 1 failed · next deadline in 2.1s (email_question/answered, 1d)'."""
        waiting = passed = failed = errors = interrupted = 0
        pending_ids = []
        for probe_id, future in list(run.futures.items()):
            if not future.done():
                waiting += 1
                pending_ids.append(probe_id)
                continue
            try:
                status = future.result().status
            except Exception:  # noqa: BLE001 - a crashed probe counts as an error; its item reports why
                status = "error"
            passed += status == "passed"
            failed += status == "failed"
            errors += status not in ("passed", "failed", "interrupted")
            interrupted += status == "interrupted"
        parts = [f"mysteryshop: {waiting} waiting", f"{passed} passed", f"{failed} failed"]
        if errors:
            parts.append(f"{errors} errors")
        if interrupted:
            parts.append(f"{interrupted} interrupted")
        replies = self.replies_in(run, conn)
        if replies is not None:
            parts.append(f"{replies} repl{'y' if replies == 1 else 'ies'} in")
        deferred = self.deferred(run, pending_ids, conn) if pending_ids else None
        if deferred is not None:
            count, seconds, local = deferred
            parts.append(f"{count} deferred to the send window (next send in {format_duration(int(seconds * 1e9))}, {local})")
        nxt = self.next_deadline(run, pending_ids, conn) if pending_ids else None
        if nxt is not None:
            seconds, label, company = nxt
            parts.append(f"next deadline in {seconds:.1f}s ({label}, {company} company time)")
        return " · ".join(parts), (waiting, passed, failed, errors, replies or 0)

    @staticmethod
    def replies_in(run: Any, conn: Any) -> int | None:
        """Messages received so far for the run's probes."""
        if conn is None:
            return None
        try:
            row = conn.execute("SELECT count(*) FROM messages WHERE run_id = ? AND direction = 'in' AND probe_id IS NOT NULL",
                               (run.config.run_id,)).fetchone()
        except run.store.errors:
            return None
        return int(row[0])

    def next_deadline(self, run: Any, pending: list[str], conn: Any) -> tuple[float, str, str] | None:
        """The soonest expectation deadline still ahead among waiting probes: (seconds, journey/step, its deadline).

        A business deadline ("8 business hours") is counted on the target's clock from when the action happened there.
        """
        if conn is None:
            return None
        specs = self.specs if isinstance(self.specs, dict) else {}
        run_id = run.config.run_id
        sent: dict[tuple[str, str], int] = {}
        started: dict[str, tuple[int, str]] = {}
        try:
            for probe_id, step, t_ns in conn.execute("SELECT probe_id, step, t_ns FROM events WHERE run_id = ? AND kind = 'sent'", (run_id,)):
                sent[(probe_id, step)] = t_ns
            if any(getattr(getattr(specs.get(p), "target", None), "clock", None) is not None for p in pending):
                for probe_id, t_ns, utc in conn.execute(
                    "SELECT probe_id, t_ns, utc FROM events WHERE run_id = ? AND kind = 'probe_started' ORDER BY id", (run_id,)
                ):
                    started.setdefault(probe_id, (t_ns, utc))
        except run.store.errors:
            return None
        now = time.monotonic_ns()
        best: tuple[float, str, str] | None = None
        for probe_id in pending:
            spec = specs.get(probe_id) if isinstance(specs, dict) else None
            if spec is None:
                continue
            journey = spec.journey
            for step in journey.steps:
                if step.is_action or step.within is None:
                    continue
                anchor = journey.anchor(step.id)
                start = sent.get((probe_id, anchor)) if anchor else None
                if start is None:
                    continue
                due, text = start + spec.target.wall_ns(step.within), format_duration(step.within)
                clock = spec.target.clock if step.business else None
                if clock is not None and probe_id in started:
                    company = clock.company_time(*started[probe_id], spec.target.spec.speedup)
                    at = company.at(start)
                    end = clock.deadline(at, step.within, step.business or "hours")
                    due, text = start + spec.target.wall_ns(end - at), f"{step.deadline_text}, by {clock.calendar.format(end)}"
                if due > now and (best is None or (due - now) / 1e9 < best[0]):
                    best = ((due - now) / 1e9, f"{journey.name}/{step.id}", text)
        return best

    @staticmethod
    def deferred(run: Any, pending: list[str], conn: Any) -> tuple[int, float, str] | None:
        """Waiting probes whose first message waits for the target's send window: (how many, seconds to the next send,
        its local time on the target's clock)."""
        if conn is None:
            return None
        waiting = set(pending)
        now = time.monotonic_ns()
        ahead: list[tuple[int, str]] = []
        try:
            rows = conn.execute("SELECT probe_id, data FROM events WHERE run_id = ? AND kind = 'deferred_until'", (run.config.run_id,))
            for probe_id, data in rows:
                found = json.loads(data or "{}")
                if probe_id in waiting and int(found.get("until_ns", 0)) > now:
                    ahead.append((int(found["until_ns"]), str(found.get("local", ""))))
        except (*run.store.errors, ValueError):
            return None
        if not ahead:
            return None
        until, local = min(ahead)
        return len(ahead), (until - now) / 1e9, local


class Waiting:
    """Progress under plain pytest, while an item waits for its probe: a line when the counts change, and
    otherwise every so often (5 s at first, then less often, up to once a minute), never silent for long.

    `mysteryshop run` shows its own live line (Progress); then this stays quiet.
    """

    POLL_S = 1.0

    def __init__(self, config: pytest.Config, run: Any, say: Callable[..., None]) -> None:
        self.run, self.say = run, say
        self.quiet = any(isinstance(p, Progress) for p in config.pluginmanager.get_plugins())
        self.progress = Progress(plain_every=5.0)
        self.progress.specs = dict(getattr(run, "specs", {}))
        self._conn: Any = None
        self._last_counts: tuple[int, ...] | None = None
        self._last_line_at = time.monotonic()
        self._every = 5.0

    @classmethod
    def of(cls, config: pytest.Config, run: Any, say: Callable[..., None]) -> Waiting:
        """The run's one Waiting (every item of the session shares it)."""
        waiting = getattr(run, "waiting", None)
        if waiting is None:
            waiting = run.waiting = cls(config, run, say)
        return waiting  # type: ignore[no-any-return]

    def wait(self, probe_id: str) -> Any:
        future = self.run.futures[probe_id]
        while True:
            try:
                return future.result(timeout=self.POLL_S)
            except concurrent.futures.TimeoutError:
                self.report()

    def report(self) -> None:
        if self.quiet:
            return
        if self._conn is None and self.run.store is not None:
            try:
                self._conn = self.run.store.read_only()
            except self.run.store.errors:
                self._conn = None
        line, counts = self.progress.status(self.run, self._conn)
        now = time.monotonic()
        if counts != self._last_counts:
            self._every = 5.0
        elif now - self._last_line_at < self._every:
            return
        else:
            self._every = min(60.0, self._every * 2)
        self._last_counts, self._last_line_at = counts, now
        self.say(line)
