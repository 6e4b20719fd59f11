"""Exactly once: every email of a campaign is sent at most once, whatever moves the campaign on at the same time
(several `tick`s, a `listen` that ticks, `run --campaign` started twice), rate limits are counted atomically and
defer rather than abort, a campaign resumes by name, and a claimer killed with SIGKILL sends nothing twice.

Everything here is real: the store, `mysteryshop` processes, the demo desk as its own process (its ground-truth
log says what the company received), `mysteryshop listen` as its own process.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from mysteryshop.storage import exists

from mysteryshop.campaign import run_id_of
from mysteryshop.cli import main as cli
from mysteryshop.demo.process import DemoDeskProcess
from mysteryshop.errors import ConfigError
from mysteryshop.safety import DAY_NS, MINUTE_NS, Limits, Window, due_ns
from mysteryshop.store import Store

from .conftest import project_with_store, store_at, PROBE_DOMAIN, free_port, profile

ASK_AND_NUDGE = """
id: ask_and_nudge
title: Ask; once acknowledged, nudge; then wait for the answer
steps:
  - id: ask
    do: send_email
    subject: "Question about order {persona.order_id}"
    body: "Hello, can I return my jacket? {persona.full_name}"
  - id: acknowledged
    expect: acknowledgement
    within: 1d
  - id: nudge
    do: send_email
    subject: "Following up on order {persona.order_id}"
    body: "Any news on my return? {persona.full_name}"
  - id: answered
    expect: answer
    within: 3d
"""
ASK_ONLY = """
id: ask_only
title: Ask and wait for an acknowledgement
steps:
  - id: ask
    do: send_email
    subject: "Question about order {persona.order_id}"
    body: "Hello, can I return my jacket? {persona.full_name}"
  - id: acknowledged
    expect: acknowledgement
    within: 1d
"""
TARGET = """
name: northwind
speedup: {speedup}
probe_domain: probe.mysteryshop.test
ticket_pattern: '\\[#(NW-\\d+)\\]'
email:
  support_address: support@northwind.demo
  smtp_host: 127.0.0.1
  smtp_port: {port}
  timeout: {timeout}
"""
SPEEDUP = 14400  # a company day is 6 s of the test's time


def write_target(project: Path, port: int, *, speedup: float = SPEEDUP, limits: str = "", timeout: float = 10) -> None:
    text = TARGET.format(speedup=speedup, port=port, timeout=timeout)
    if limits:
        text += f"  limits: {limits}\n"
    (project / "journeys/targets/northwind.yaml").write_text(text)


@pytest.fixture
def project(tmp_path: Path, store_location: Path | str) -> Path:
    return project_with_store(tmp_path, store_location)


def mysteryshop(project: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "mysteryshop.cli", *args, "--root", str(project)]


class Listener:
    """`mysteryshop listen` as its own process; its output goes to a file (a pipe nobody reads would stall it)."""

    def __init__(self, project: Path, *, tick_every: float) -> None:
        self.port = free_port()
        self.log = project / f"listen-{self.port}.log"
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                mysteryshop(project, "listen", "--port", str(self.port), "--domain", PROBE_DOMAIN, "--tick-every", str(tick_every)),
                stdout=out, stderr=subprocess.STDOUT, text=True,
            )
        deadline = time.monotonic() + 30
        while "ready" not in self.log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the listener did not start: {self.log.read_text()}")
            time.sleep(0.05)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        return self.log.read_text()


class Ticks:
    """`count` loops, each running `mysteryshop tick NAME` as a process again and again until stopped."""

    def __init__(self, project: Path, name: str, count: int) -> None:
        self.project, self.name = project, name
        self.outputs: list[str] = []
        self.runs = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(count)]
        for thread in self._threads:
            thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            done = subprocess.run(mysteryshop(self.project, "tick", self.name), capture_output=True, text=True, timeout=120, check=False)
            self.outputs.append(done.stdout + done.stderr)
            self.runs += 1

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=150)


def store_of(project: Path) -> Store:
    return Store(store_at(project))


def statuses(project: Path, name: str) -> list[str]:
    path = store_at(project)
    if not exists(path):
        return []
    store = Store(path)
    try:
        return [r["status"] for r in store.probes(run_id_of(name))]
    finally:
        store.close()


def wait_until(predicate: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def received_by_desk(desk: DemoDeskProcess) -> Counter[tuple[str, str]]:
    """What the company received, from its own log: (sender, first word of the subject) -> how many times."""
    return Counter((r["mail_from"], r["subject"].split()[0]) for r in desk.truth.received)


def start_campaign(project: Path, name: str, personas: int, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(mysteryshop(project, "run", "--campaign", name, "--target", "northwind", "--personas", str(personas), *extra),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


# -- the pure parts ----------------------------------------------------------------------------

def test_a_full_window_has_room_again_when_its_oldest_send_leaves_it() -> None:
    window = Window("per_day", 3, 100)
    assert due_ns([10, 20, 30], window) == 110
    assert due_ns([10, 20, 30, 40], window) == 120  # four in a window of three (a cap lowered since): two must leave
    assert Limits(per_minute=5, per_day=50).windows() == [Window("per_minute", 5, MINUTE_NS), Window("per_day", 50, DAY_NS)]
    assert Limits(per_day=50).windows(speedup=14400) == [Window("per_day", 50, DAY_NS // 14400)]  # a simulated desk's day
    with pytest.raises(ConfigError, match=r"acme.yaml: email.limits.per_day is 0; give a whole number of emails, at least 1"):
        Limits.of({"per_day": 0}, "acme.yaml")
    with pytest.raises(ConfigError, match=r"acme.yaml: email.limits has per_hour; the limits are per_minute, per_day and open_probes"):
        Limits.of({"per_hour": 3}, "acme.yaml")


def test_changes_tells_whether_a_conditional_write_took_effect(store_location: Path | str) -> None:
    store = Store(store_location)
    try:
        store.create_run("r", {})
        assert store.changes("UPDATE runs SET status = 'x' WHERE id = ? AND status = 'running'", ("r",)) == 1
        assert store.changes("UPDATE runs SET status = 'y' WHERE id = ? AND status = 'running'", ("r",)) == 0
        assert store.changes("INSERT OR IGNORE INTO runs (id, started_utc) VALUES ('r', 'now')") == 0
        assert asyncio.run(store.achanges("INSERT OR IGNORE INTO runs (id, started_utc) VALUES ('r2', 'now')")) == 1
    finally:
        store.close()


def test_a_send_slot_is_reserved_only_while_the_window_has_room_counting_the_emails_of_runs_too(store_location: Path | str) -> None:
    from mysteryshop.safety import RateLimiter

    store = Store(store_location)
    try:
        # Given a plain run that sent two emails to acme (recorded as 'sent' events, as a run does) and one to another target
        store.create_run("run-1", {})
        for probe, target in (("p1", "acme"), ("p2", "acme"), ("p3", "other")):
            store.add_probe("run-1", probe, "j", target, {"email": f"{probe}@probe.test"})
            asyncio.run(store.aevent("run-1", probe, "sent", time.time_ns(), step="ask"))
        limiter, window, now = RateLimiter(store), Window("per_day", 3, DAY_NS), time.time_ns()

        def row(probe: str) -> dict[str, object]:
            return {"run_id": "campaign-c", "probe_id": probe, "step": "ask", "visit": 1, "target": "acme", "owner": "me",
                    "reserved_ns": now, "status": "started"}

        # When a campaign reserves slots against a cap of 3 a day
        first = asyncio.run(limiter.reserve(row("c1"), "acme", [window], now))
        second = asyncio.run(limiter.reserve(row("c2"), "acme", [window], now))
        # Then it gets the one slot left; the full window says when it has room again (a day after the oldest email)
        assert (first, second) == (True, False)
        capped = limiter.capped("acme", [window], now)
        assert capped is not None and capped.due_ns == limiter.sent_since("acme", now - DAY_NS)[0] + DAY_NS
        assert capped.due_ns - now > DAY_NS - 60 * 1_000_000_000
        assert asyncio.run(limiter.reserve(row("c2"), "other", [window], now))  # other targets have their own window
        # and a key reserved once is not reserved again, whatever the window says
        assert not asyncio.run(limiter.reserve(row("c1"), "acme", [], now))
    finally:
        store.close()


@pytest.mark.timeout(120)
@pytest.mark.sqlite_only("four processes creating one new SQLite file at once; a PostgreSQL database is made by createdb, not by the store")
def test_processes_opening_a_new_store_at_once_all_open_it(tmp_path: Path) -> None:
    # (four `tick`s started together on a project without a store yet: each adds the migrated columns)
    opener = "import sys; from mysteryshop.store import Store; Store(sys.argv[1]).close()"
    failures = []
    for trial in range(8):
        path = tmp_path / f"s{trial}.sqlite"
        procs = [subprocess.Popen([sys.executable, "-c", opener, str(path)], stderr=subprocess.PIPE, text=True) for _ in range(4)]
        failures += [err for proc in procs if (err := proc.communicate(timeout=60)[1]) and proc.returncode != 0]
    assert failures == []


@pytest.mark.sqlite_only("an older SQLite file's tables, rewritten through sqlite3 itself")
def test_an_older_store_gets_the_claim_columns_of_walks(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as conn:  # walks as campaign.py created it before claims existed
        conn.execute("DROP TABLE walks")
        conn.execute("CREATE TABLE walks (run_id TEXT NOT NULL, probe_id TEXT NOT NULL, state TEXT NOT NULL, updated_utc TEXT NOT NULL, "
                     "PRIMARY KEY (run_id, probe_id))")
        conn.execute("INSERT INTO walks VALUES ('campaign-x', 'p', '{}', 'then')")
        conn.execute("DROP TABLE schema_version")  # a store from before schema versions were kept
    store = Store(path)
    try:
        assert [dict(r) for r in store.query("SELECT * FROM walks")] == [
            {"run_id": "campaign-x", "probe_id": "p", "state": "{}", "updated_utc": "then", "owner": None, "lease_until_ns": None,
             "not_before_ns": None}]
    finally:
        store.close()


# -- concurrency, against the demo desk's ground truth -----------------------------------------

@pytest.mark.timeout(300)
def test_four_ticks_a_ticking_listener_and_two_starts_send_each_email_exactly_once(project: Path) -> None:
    # Given a company that acknowledges every email within 1-2 company minutes and answers within an hour,
    # and a listener that ticks (in processes of its own) every 0.3 s
    listener = Listener(project, tick_every=0.3)
    desk = DemoDeskProcess(profile(acknowledgement={"probability": 1.0, "delay": ["1m", "2m"]},
                                   answer={"probability": 1.0, "delay": ["1h", "1h"], "quality": {"good": 1.0}}),
                           deliver_to=("127.0.0.1", listener.port), speedup=SPEEDUP, workdir=project).start()
    ticks = None
    try:
        (project / "journeys/ask_and_nudge.yaml").write_text(ASK_AND_NUDGE)
        write_target(project, desk.port)
        # When a 30-probe campaign is started twice at once, while four `tick` loops run and the listener ticks
        ticks = Ticks(project, "c", 4)
        starts = [start_campaign(project, "c", 30) for _ in range(2)]
        outputs = [p.communicate(timeout=120)[0] for p in starts]
        assert [p.returncode for p in starts] == [0, 0], outputs
        assert wait_until(lambda: statuses(project, "c") and "running" not in statuses(project, "c"), timeout=150), statuses(project, "c")
    finally:
        if ticks is not None:
            ticks.stop()
        listener_log = listener.stop()
        desk.stop()
    # Then the company received each persona's first email once and its follow-up once: 60 emails for 60 due
    received = received_by_desk(desk)
    assert sum(received.values()) == 60, received
    assert set(received.values()) == {1}
    assert Counter(word for _, word in received) == {"Question": 30, "Following": 30}
    # and every probe finished once, in the store as in the ledger
    store = store_of(project)
    try:
        run = run_id_of("c")
        assert statuses(project, "c") and set(statuses(project, "c")) <= {"passed", "failed"}
        finished = Counter(r["probe_id"] for r in store.query("SELECT probe_id FROM events WHERE run_id = ? AND kind = 'probe_finished'", (run,)))
        assert len(finished) == 30 and set(finished.values()) == {1}
        sent = Counter(r["probe_id"] for r in store.query("SELECT probe_id FROM events WHERE run_id = ? AND kind = 'sent'", (run,)))
        assert len(sent) == 30 and set(sent.values()) == {2}
        assert [tuple(r) for r in store.query("SELECT status, count(*) FROM sends WHERE run_id = ? GROUP BY status", (run,))] == [("sent", 60)]
        assert not store.query("SELECT 1 FROM walks WHERE run_id = ? AND owner IS NOT NULL", (run,))  # every claim given up
    finally:
        store.close()
    # (and the work really was shared: the starts, the tick loops and the listener's ticks, each a process of its own, all ran)
    assert ticks.runs >= 4 and "tick: campaign 'c'" in listener_log
    assert "resumed" in "".join(outputs)


@pytest.mark.timeout(300)
def test_a_cap_sends_exactly_the_cap_defers_the_rest_and_a_later_tick_sends_them(project: Path) -> None:
    # Given a target whose daily cap is 20 (its clock 5760x fast: a company day is 15 s here) and 30 personas to probe
    speedup = 86400 / 15
    window_ns = 15 * 1_000_000_000
    listener = Listener(project, tick_every=0.3)
    desk = DemoDeskProcess(profile(acknowledgement={"probability": 1.0, "delay": ["1m", "2m"]}),
                           deliver_to=("127.0.0.1", listener.port), speedup=speedup, workdir=project).start()
    ticks = None
    try:
        (project / "journeys/ask_only.yaml").write_text(ASK_ONLY)
        write_target(project, desk.port, speedup=speedup, limits="{per_day: 20}")
        # When the campaign starts twice at once while four tick loops run and the listener ticks
        ticks = Ticks(project, "capped", 4)
        starts = [start_campaign(project, "capped", 30) for _ in range(2)]
        outputs = [p.communicate(timeout=120)[0] for p in starts]
        assert [p.returncode for p in starts] == [0, 0], outputs  # a cap that is reached does not abort anything
        # Then after the first window, exactly the cap was sent; the rest waits, and ticks report when it is due
        assert wait_until(lambda: len(desk.truth.received) >= 20, timeout=60)
        first_window = list(received_by_desk(desk).elements())
        assert len(first_window) == 20
        assert wait_until(lambda: statuses(project, "capped") and "running" not in statuses(project, "capped"), timeout=120)
    finally:
        if ticks is not None:
            ticks.stop()
        listener.stop()
        desk.stop()
    # Then the company received each persona's email once: 20 in the first window, 10 once it had room
    received = received_by_desk(desk)
    assert sum(received.values()) == 30 and set(received.values()) == {1}
    store = store_of(project)
    try:
        reserved = [r[0] for r in store.rows("SELECT reserved_ns FROM sends WHERE target = 'northwind' ORDER BY reserved_ns")]
        assert len(reserved) == 30
        assert all(reserved[i + 20] - reserved[i] >= window_ns for i in range(len(reserved) - 20))  # no window of the cap held 21
        assert reserved[20] - reserved[0] >= window_ns
        assert set(statuses(project, "capped")) <= {"passed", "failed"}
    finally:
        store.close()
    said = "".join(outputs + ticks.outputs)
    assert "deferred until" in said
    assert "has had its 20 emails in the last 24 hours (email.limits.per_day in its target file)" in said


@pytest.mark.timeout(120)
def test_four_campaigns_at_once_against_a_cap_of_three_send_three(project: Path) -> None:
    # Given a target capped at 3 emails a day (a real day: speedup 1) and four campaigns started at the same moment
    desk = DemoDeskProcess(profile(), deliver_to=("127.0.0.1", free_port()), workdir=project).start()
    try:
        (project / "journeys/ask_only.yaml").write_text(ASK_ONLY)
        write_target(project, desk.port, speedup=1, limits="{per_day: 3}")
        starts = [start_campaign(project, f"c{i}", 1) for i in range(4)]
        outputs = [p.communicate(timeout=90)[0] for p in starts]
        assert wait_until(lambda: len(desk.truth.received) >= 3, timeout=10)
        time.sleep(0.5)
    finally:
        desk.stop()
    # Then the company received three; the fourth campaign deferred its probe to tomorrow and exited normally
    assert len(desk.truth.received) == 3
    assert [p.returncode for p in starts] == [0, 0, 0, 0], outputs
    assert sum("(1 of them deferred)" in out for out in outputs) == 1, outputs


def test_a_campaign_resumes_by_name_and_sends_nothing_twice(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a campaign of two personas against a target capped at 3 emails a day
    desk = DemoDeskProcess(profile(), deliver_to=("127.0.0.1", free_port()), workdir=project).start()
    try:
        (project / "journeys/ask_only.yaml").write_text(ASK_ONLY)
        write_target(project, desk.port, speedup=1, limits="{per_day: 3}")
        assert cli(["run", "--campaign", "r", "--target", "northwind", "--personas", "2", "--root", str(project)]) == 0
        assert "2 probe(s) started, 2 email(s) sent" in capsys.readouterr().out
        # When it is run again by name with four personas: the two missing are added; the cap leaves room for one
        assert cli(["run", "--campaign", "r", "--target", "northwind", "--personas", "4", "--root", str(project)]) == 0
        out = capsys.readouterr().out
        assert "campaign 'r' resumed (2 of its probe(s) were in it already): 2 probe(s) started, 1 email(s) sent" in out
        assert "(1 of them deferred)" in out and "deferred until" in out
        # and once more: nothing new to send, the deferred probe still waits for its window
        assert cli(["run", "--campaign", "r", "--target", "northwind", "--personas", "4", "--root", str(project)]) == 0
        out = capsys.readouterr().out
        assert "0 probe(s) started, 0 email(s) sent" in out and "(1 of them deferred)" in out
        assert wait_until(lambda: len(desk.truth.received) >= 3, timeout=10)
        time.sleep(0.5)
    finally:
        desk.stop()
    # Then the company received three emails from three personas, each once
    assert len(desk.truth.received) == 3 and len({r["mail_from"] for r in desk.truth.received}) == 3
    store = store_of(project)
    try:
        assert len(store.probes(run_id_of("r"))) == 4
        assert len(store.query("SELECT 1 FROM events WHERE run_id = ? AND kind = 'probe_started'", (run_id_of("r"),))) == 4
    finally:
        store.close()


def test_a_probe_whose_start_was_cut_short_before_its_walk_is_walked_by_the_next_tick(project: Path) -> None:
    from mysteryshop.campaign import load_targets_and_journeys
    from mysteryshop.plan import plan_probes
    from mysteryshop.session import RunConfig

    desk = DemoDeskProcess(profile(), deliver_to=("127.0.0.1", free_port()), workdir=project).start()
    try:
        (project / "journeys/ask_only.yaml").write_text(ASK_ONLY)
        write_target(project, desk.port, speedup=1)
        # Given a campaign whose start stored a probe and stopped before its walk (a kill between the two writes)
        journeys, targets = load_targets_and_journeys(project / "journeys")
        config = RunConfig(seed=1, personas=1, locales=["en_US"], run_id=run_id_of("cut"))
        (spec,) = plan_probes(config, journeys["ask_only"], [targets["northwind"]])
        store = store_of(project)
        try:
            store.create_run(run_id_of("cut"), {"campaign": "cut", "clock": "wall"})
            store.add_probe(run_id_of("cut"), spec.probe_id, "ask_only", "northwind", spec.persona.as_dict())
        finally:
            store.close()
        # When a tick runs
        assert cli(["tick", "cut", "--root", str(project)]) == 0
        assert wait_until(lambda: len(desk.truth.received) >= 1, timeout=10)
    finally:
        desk.stop()
    # Then the probe got its walk and its first email, once
    assert [r["mail_from"] for r in desk.truth.received] == [spec.persona.email]
    store = store_of(project)
    try:
        assert store.rows("SELECT probe_id FROM walks WHERE run_id = ?", (run_id_of("cut"),)) == [(spec.probe_id,)]
    finally:
        store.close()


def test_a_live_claimer_keeps_its_claims_however_long_it_works(store_location: Path | str) -> None:
    from mysteryshop.walks import WalkClaims

    store = Store(store_location)
    clock = [1_000_000_000_000]
    try:
        store.create_run("campaign-x", {})
        store.add_probe("campaign-x", "p", "j", "t", {"email": "p@probe.test"})
        mine = WalkClaims(store, "campaign-x", "me", clock=lambda: clock[0], lease_ns=200_000_000)  # a lease of 0.2 s
        theirs = WalkClaims(store, "campaign-x", "them", clock=lambda: clock[0], lease_ns=200_000_000)

        async def work() -> tuple[dict[str, str], dict[str, str]]:
            await mine.add("p", "{}")
            assert await mine.claim(["p"]) == {"p": "{}"}
            async with mine.kept(["p"]):
                for _ in range(10):  # work for five leases of the store's clock, half a lease at a time (renewed in between)
                    await asyncio.sleep(0.5)
                    clock[0] += 100_000_000
                while_kept = await theirs.claim(["p"])
            clock[0] += 300_000_000  # no longer renewed: the claim lapses after one lease
            return while_kept, await theirs.claim(["p"])

        while_kept, after = asyncio.run(work())
        assert while_kept == {} and after == {"p": "{}"}
    finally:
        store.close()


# -- a claimer killed in the middle ------------------------------------------------------------

class SlowCompany:
    """A company mail server that reads each email in full and answers 250 only after `delay_s` (for ever: never):
    a send stays in mid-air that long."""

    def __init__(self, delay_s: float = 3600) -> None:
        from aiosmtpd.smtp import SMTP

        self.received: list[bytes] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        company = self

        class Handler:
            async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
                company.received.append(envelope.original_content)  # type: ignore[attr-defined]
                await asyncio.sleep(delay_s)
                return "250 OK"

        async def serve() -> int:
            self.server = await self.loop.create_server(lambda: SMTP(Handler(), hostname="slow.test"), "127.0.0.1", 0)
            return self.server.sockets[0].getsockname()[1]

        self.port = asyncio.run_coroutine_threadsafe(serve(), self.loop).result(10)

    def senders(self) -> Counter[str]:
        """How many emails each sender address sent."""
        from email import message_from_bytes
        from email.utils import parseaddr

        return Counter(parseaddr(str(message_from_bytes(raw)["From"]))[1] for raw in list(self.received))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.mark.timeout(120)
def test_a_claimer_killed_mid_send_is_never_repeated_and_its_claim_lapses(project: Path) -> None:
    # Given a company whose server takes an email in and never confirms it
    company = SlowCompany()
    try:
        (project / "journeys/ask_only.yaml").write_text(ASK_ONLY)
        write_target(project, company.port, speedup=1, timeout=60)
        # When the campaign's start is killed with SIGKILL while it waits for the 250
        start = start_campaign(project, "k", 1, "--lease", "10")
        assert wait_until(lambda: len(company.received) == 1, timeout=30)
        start.send_signal(signal.SIGKILL)
        start.wait(timeout=10)
        # Then a tick while its claim holds leaves the walk alone
        busy = subprocess.run(mysteryshop(project, "tick", "k", "--lease", "10"), capture_output=True, text=True, timeout=60, check=False)
        assert "0 email(s) sent" in busy.stdout and "1 being moved on by another process" in busy.stdout, busy.stdout + busy.stderr
        store = store_of(project)
        try:
            assert store.query("SELECT status FROM sends")[0]["status"] == "started"
            (lease,) = store.rows("SELECT lease_until_ns FROM walks WHERE run_id = ?", (run_id_of("k"),))
        finally:
            store.close()
        # and once the claim has lapsed, the next tick takes the walk and flags the probe instead of emailing again
        time.sleep(max(0.0, (lease[0] - time.time_ns()) / 1e9) + 0.2)
        after = subprocess.Popen(mysteryshop(project, "tick", "k", "--lease", "10"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            said = after.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:  # it is waiting for the company's 250 of a second copy
            after.kill()
            said = after.communicate()[0]
        time.sleep(0.5)
        assert len(company.received) == 1, "the email was sent to the company again"
        assert "may or may not have been delivered, so it is not sent again" in said, said
    finally:
        company.close()
    store = store_of(project)
    try:
        assert [r["status"] for r in store.probes(run_id_of("k"))] == ["error"]
        assert not store.query("SELECT 1 FROM walks WHERE owner IS NOT NULL")
    finally:
        store.close()


@pytest.mark.timeout(300)
def test_starts_and_ticks_killed_at_random_moments_send_nothing_twice(project: Path) -> None:
    # Given a company whose server takes 0.3 s to confirm each email, and a 10-probe campaign
    company = SlowCompany(delay_s=0.3)
    rng = random.Random(7)
    try:
        (project / "journeys/ask_only.yaml").write_text(ASK_ONLY)
        write_target(project, company.port)
        # When starts and ticks, two at a time, are killed with SIGKILL at random moments while they send
        killed = 0
        for round_ in range(8):
            command = ["run", "--campaign", "rk", "--target", "northwind", "--personas", "10"] if round_ % 2 == 0 else ["tick", "rk"]
            procs = [subprocess.Popen(mysteryshop(project, *command, "--lease", "1"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for _ in range(2)]
            before = len(company.received)
            wait_until(lambda before=before, procs=procs: len(company.received) > before or all(p.poll() is not None for p in procs),
                       timeout=30)  # sending now
            time.sleep(rng.uniform(0.0, 0.5))
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    killed += 1
                proc.wait(timeout=10)
            time.sleep(rng.uniform(0.0, 1.2))  # some claims lapse before the next round, some do not
        assert killed >= 6
        time.sleep(1.2)  # the last claims lapse
        # and the campaign is then resumed until every probe has ended (its acknowledgement deadline passes unanswered)

        def ended() -> bool:
            subprocess.run(mysteryshop(project, "run", "--campaign", "rk", "--target", "northwind", "--personas", "10"),
                           capture_output=True, timeout=60, check=False)
            return bool(statuses(project, "rk")) and "running" not in statuses(project, "rk")

        assert wait_until(ended, timeout=120), statuses(project, "rk")
        time.sleep(0.5)
    finally:
        company.close()
    # Then no persona's email reached the company twice; a probe whose email is not known to have arrived says so
    senders = company.senders()
    assert senders and set(senders.values()) == {1}, senders
    store = store_of(project)
    try:
        probes = store.probes(run_id_of("rk"))
        assert len(probes) == 10
        flagged = 0
        for probe in probes:
            persona = json.loads(probe["persona"])
            if probe["status"] == "error":
                assert "may or may not have been delivered" in json.loads(probe["outcome"])["error"]
                flagged += 1
            else:
                assert probe["status"] == "failed" and senders[persona["email"]] == 1
        assert flagged < 10
    finally:
        store.close()


# -- the listener's ticks ----------------------------------------------------------------------

@pytest.mark.timeout(60)
def test_a_tick_that_hangs_or_fails_is_stopped_and_logged_and_the_ticker_goes_on(caplog: pytest.LogCaptureFixture,
                                                                               capsys: pytest.CaptureFixture[str]) -> None:
    from mysteryshop.collect.listen import run_tick

    hangs = [sys.executable, "-c", "import time; print('working', flush=True); time.sleep(600)"]
    fails = [sys.executable, "-c", "import sys; print('campaign x: boom at step ask'); sys.exit(3)"]
    works = [sys.executable, "-c", "print('campaign x: 1 email(s) sent')"]

    async def ticks() -> list[int | None]:
        return [await run_tick(hangs, timeout_s=1.0), await run_tick(fails, timeout_s=30), await run_tick(works, timeout_s=30)]

    with caplog.at_level("ERROR"):
        codes = asyncio.run(asyncio.wait_for(ticks(), timeout=40))
    assert codes == [None, 3, 0]
    logged = caplog.text
    assert "stopped: it ran longer than --tick-timeout 1s" in logged
    assert "failed with exit code 3" in logged and "campaign x: boom at step ask" in logged
    assert "tick: working" in capsys.readouterr().out
