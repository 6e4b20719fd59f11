"""A sharded run (`pytest -n 2`) stopped part-way, with real processes and real signals: a Ctrl-C (to the whole process
group, as a terminal sends it, or to the controller alone, as `kill` or a CI runner does) and a worker killed outright.
Nothing stored is lost, the run says how to go on, and going on with its run id sends nothing twice and ends in one
scorecard.

The embedded demo desk runs at 360x (a company hour is 10 s), so the probes are still waiting for their replies when
the signal comes; the resumed run runs it at 57,600x, so their deadlines pass within seconds.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from mysteryshop.shards import Shard, slot_of

from .conftest import ROOT
from .test_shards import JOURNEY, PROBE_MODULE

pytestmark = pytest.mark.timeout(300)

PERSONAS = 6
STOP_S = 30.0  # a graceful stop of both workers and the controller, with slack for a loaded 2-core machine
INTERRUPTED = int(pytest.ExitCode.INTERRUPTED)


def _project(root: Path, speedup: int) -> Path:
    (root / "journeys" / "targets").mkdir(parents=True, exist_ok=True)
    (root / "journeys" / "shard_question.yaml").write_text(JOURNEY)
    target = (ROOT / "journeys/targets/demo.yaml").read_text()
    assert "speedup: 14400" in target
    (root / "journeys" / "targets" / "demo.yaml").write_text(target.replace("speedup: 14400", f"speedup: {speedup}"))
    (root / "test_probe.py").write_text(PROBE_MODULE)
    return root


def _start(project: Path, out: str, *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "pytest", "test_probe.py", "-p", "no:cacheprovider", "-q", "--demo-profile", "typical",
               "--personas", str(PERSONAS), "--seed", "5", "--run-id", "r", *(args or ("-n", "2"))]
    with (project / out).open("w") as stream:
        return subprocess.Popen(command, cwd=project, stdout=stream, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)


def _rows(project: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    path = project / "reports" / "mysteryshop.sqlite"
    if not path.exists():
        return []
    conn = sqlite3.connect(path, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return []  # still being created
    finally:
        conn.close()


def _count(project: Path, sql: str, *params: Any) -> int:
    rows = _rows(project, sql, *params)
    return int(rows[0][0]) if rows else 0


def _wait_until_sent(project: Path, proc: subprocess.Popen[str], out: str, timeout: float = 120, probes: int = PERSONAS) -> None:
    """Until `probes` probes sent their email (bounded); then they wait for replies that come in company hours."""
    deadline = time.monotonic() + timeout
    while _count(project, "SELECT count(*) FROM events WHERE run_id = 'r' AND kind = 'sent'") < probes:
        assert proc.poll() is None, (project / out).read_text()
        assert time.monotonic() < deadline, f"not every probe sent within {timeout}s:\n{(project / out).read_text()}"
        time.sleep(0.2)
    time.sleep(0.5)


def _ended_within(proc: subprocess.Popen[str], seconds: float) -> float:
    started = time.monotonic()
    try:
        proc.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise AssertionError(f"still running {seconds}s after it was stopped") from None
    return time.monotonic() - started


def _received_by_the_desks(project: Path) -> int:
    """Emails the demo desks received, by their ground-truth logs (a desk per worker, appended to by every session)."""
    return sum(json.loads(line)["event"] == "received" for path in (project / "reports" / "r").glob("demo-desk-*/ground-truth.jsonl")
               for line in path.read_text().splitlines() if line.strip())


def _assert_clean_stop(text: str, name: str = "SIGINT") -> None:
    assert "INTERNALERROR" not in text and "Traceback" not in text, text
    assert "crashed" not in text and "replacing" not in text, text  # xdist took no worker for a crashed one
    assert f"mysteryshop.interrupt.Interrupted: {name}" in text, text  # as plain pytest ends an interrupted run
    assert "run the same command with --run-id r to go on" in text, text


def _resume(project: Path) -> str:
    """Go on with run 'r' (its desk now fast, so the deadlines of what it waits for pass in seconds)."""
    _project(project, 57600)
    proc = _start(project, "resumed.txt")
    _ended_within(proc, 240)
    text = (project / "resumed.txt").read_text()
    assert proc.returncode in (0, 1), text  # the new desk never answers what the old one received: expectations fail
    assert "scored from what every worker stored" in text, text
    assert "INTERNALERROR" not in text and "crashed" not in text, text
    # each item reports its probe's result of this session, not the interruption of the last one (its worker walks it on)
    assert "RunInterrupted" not in text and "before the journey ended" not in text, text
    return text


def _assert_resumed_once(project: Path) -> None:
    assert _count(project, "SELECT count(*) FROM events WHERE run_id = 'r' AND kind = 'sent'") == PERSONAS  # nothing sent twice
    assert _received_by_the_desks(project) == PERSONAS  # the company got each email once
    assert _rows(project, "SELECT status FROM runs WHERE id = 'r'")[0][0] in ("passed", "failed")
    assert _count(project, "SELECT count(*) FROM probes WHERE run_id = 'r' AND status IN ('running', 'interrupted')") == 0
    assert _rows(project, "SELECT count(*) FROM run_parts WHERE run_id = 'r' AND part = 'scorecard'") == [(1,)]
    card = json.loads((project / "reports" / "r" / "scorecard.json").read_text())
    assert card["run"]["status"] in ("passed", "failed") and card["summary"]["probes"] == PERSONAS
    assert not card["summary"].get("interrupted"), card["summary"]


@pytest.mark.parametrize(("to", "sig"), [("group", signal.SIGINT), ("controller", signal.SIGINT), ("controller", signal.SIGTERM)])
def test_ctrl_c_stops_every_worker_keeps_what_was_stored_and_the_run_goes_on(tmp_path: Path, to: str, sig: signal.Signals) -> None:
    project = _project(tmp_path, 360)
    proc = _start(project, "out.txt")
    _wait_until_sent(project, proc, "out.txt")
    stored = _count(project, "SELECT count(*) FROM events WHERE run_id = 'r'")
    if to == "group":
        os.killpg(proc.pid, sig)  # a terminal's Ctrl-C: the controller and both workers
    else:
        proc.send_signal(sig)  # the controller alone (kill, a CI runner cancelling): it passes the stop on
    _ended_within(proc, STOP_S)
    text = (project / "out.txt").read_text()
    assert proc.returncode == INTERRUPTED, text
    _assert_clean_stop(text, sig.name)
    assert _rows(project, "SELECT status FROM runs WHERE id = 'r'") == [("interrupted",)]
    assert _rows(project, "SELECT status, count(*) FROM probes WHERE run_id = 'r' GROUP BY status") == [("interrupted", PERSONAS)]
    assert _count(project, "SELECT count(*) FROM events WHERE run_id = 'r'") >= stored  # nothing stored is lost
    assert _count(project, "SELECT count(*) FROM events WHERE run_id = 'r' AND kind = 'sent'") == PERSONAS
    card = json.loads((project / "reports" / "r" / "scorecard.json").read_text())
    assert card["run"]["status"] == "interrupted" and card["run"]["interrupted"] == sig.name

    _resume(project)
    _assert_resumed_once(project)
    assert _count(project, "SELECT count(*) FROM events WHERE run_id = 'r' AND kind = 'probe_resumed'") == PERSONAS


def test_a_killed_worker_s_probes_are_reported_lost_at_once_and_the_run_goes_on_without_sending_twice(tmp_path: Path) -> None:
    project = _project(tmp_path, 360)
    proc = _start(project, "out.txt")
    _wait_until_sent(project, proc, "out.txt")
    desk = next(p for p in psutil.Process(proc.pid).children(recursive=True) if any("demo-desk-demo-gw1" in a for a in p.cmdline()))
    worker = desk.parent()
    assert worker is not None and worker.ppid() == proc.pid
    lost = sorted(pid for (pid,) in _rows(project, "SELECT id FROM probes WHERE run_id = 'r'") if slot_of(f"worker:{pid}", 2) == 1)
    assert lost and len(lost) < PERSONAS
    worker.send_signal(signal.SIGKILL)

    # the controller records gw1's probes as cut short at once; the items waiting for them end (not at a pytest timeout)
    deadline = time.monotonic() + 30
    while _count(project, "SELECT count(*) FROM probes WHERE run_id = 'r' AND status = 'interrupted'") < len(lost):
        assert proc.poll() is None and time.monotonic() < deadline, (project / "out.txt").read_text()
        time.sleep(0.2)
    while (project / "out.txt").read_text().count("F") < len(lost):
        assert proc.poll() is None and time.monotonic() < deadline, (project / "out.txt").read_text()
        time.sleep(0.2)
    assert sorted(pid for (pid,) in _rows(project, "SELECT id FROM probes WHERE run_id = 'r' AND status = 'interrupted'")) == lost
    assert _rows(project, "SELECT status FROM runs WHERE id = 'r'") == [("running",)]  # gw0's probes go on
    text = (project / "out.txt").read_text()
    assert f"xdist worker gw1 died (Not properly terminated): {len(lost)} probe(s) under way in it were cut short: {', '.join(lost)}" in text
    assert "run the same command with --run-id r to walk them on" in text

    proc.send_signal(signal.SIGINT)  # and the rest is stopped too
    _ended_within(proc, STOP_S)
    text = (project / "out.txt").read_text()
    assert proc.returncode == INTERRUPTED, text
    assert "INTERNALERROR" not in text and "Traceback" not in text, text
    assert "lost with xdist worker gw1" in text  # the failure of the items that waited for its probes
    assert _count(project, "SELECT count(*) FROM events WHERE run_id = 'r' AND kind = 'sent'") == PERSONAS
    assert _count(project, "SELECT count(*) FROM probes WHERE run_id = 'r' AND status = 'running'") == 0

    _resume(project)
    _assert_resumed_once(project)


def test_a_shard_interrupted_and_run_again_after_the_others_ended_is_scored_again(tmp_path: Path) -> None:
    project = _project(tmp_path, 360)
    mine = [pid for pid in (f"shard_question-demo-p{i}" for i in range(PERSONAS)) if Shard(1, 2).owns(pid)]
    assert 0 < len(mine) < PERSONAS
    first = _start(project, "out.txt", "--shard", "1/2")
    _wait_until_sent(project, first, "out.txt", probes=len(mine))
    first.send_signal(signal.SIGINT)
    _ended_within(first, STOP_S)
    assert first.returncode == INTERRUPTED, (project / "out.txt").read_text()
    assert "run the same command with --run-id r to go on" in (project / "out.txt").read_text()

    _project(project, 57600)
    second = _start(project, "second.txt", "--shard", "2/2")
    _ended_within(second, 240)
    assert "all 2 shards of run r are in" in (project / "second.txt").read_text()
    assert _rows(project, "SELECT status FROM runs WHERE id = 'r'") == [("interrupted",)]  # scored as it stood

    again = _start(project, "resumed.txt", "--shard", "1/2")
    _ended_within(again, 240)
    text = (project / "resumed.txt").read_text()
    assert again.returncode in (0, 1), text
    assert "all 2 shards of run r are in; scored it" in text, text
    assert _count(project, "SELECT count(*) FROM events WHERE run_id = 'r' AND kind = 'probe_resumed'") == len(mine)
    _assert_resumed_once(project)


ONE_STOP = """
import os, signal, sys, time
from mysteryshop import interrupt

first, then = (signal.Signals[name] for name in sys.argv[1:3])
with interrupt.handled(forwarded=True):
    try:
        os.kill(os.getpid(), first)
        time.sleep(10)
    except KeyboardInterrupt as exc:
        print("stopping", interrupt.reason(exc), flush=True)
        os.kill(os.getpid(), then)  # while the stop is under way, before it writes anything (not `finishing`)
        time.sleep(0.5)
        print("one stop", interrupt.received(), flush=True)
"""


@pytest.mark.parametrize(("first", "then", "reason"), [("SIGINT", "SIGUSR1", "SIGINT"), ("SIGUSR1", "SIGINT", "SIGINT"),
                                                        ("SIGTERM", "SIGUSR2", "SIGTERM"), ("SIGUSR2", "SIGTERM", "SIGTERM")])
def test_a_worker_that_gets_a_signal_and_its_controller_s_forward_stops_once(first: str, then: str, reason: str) -> None:
    """A terminal's Ctrl-C reaches a worker and its controller, which passes it on: in either order, one graceful stop."""
    done = subprocess.run([sys.executable, "-c", ONE_STOP, first, then], check=False, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [f"stopping {reason}", f"one stop {reason}"]
    assert "stopping at once" not in done.stderr and done.stderr.count(": stopping") == 1, done.stderr


def test_a_second_signal_of_its_own_still_stops_a_worker_at_once() -> None:
    done = subprocess.run([sys.executable, "-c", ONE_STOP, "SIGINT", "SIGINT"], check=False, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 130 and "SIGINT again: stopping at once" in done.stderr, done.stdout + done.stderr
