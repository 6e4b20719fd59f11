"""Always interruptible: real signals sent to the real command (and to plain pytest) while probes wait on a desk
that never replies.

The desk is the demo desk as its own process with a profile that answers nothing, probed as a company on
loopback; its deadlines (an hour, six hours) are real time, so without a signal the run would wait for hours.
Bounds: a graceful stop ends within 5 s of the signal (the issue's bound; it takes 1-2 s here), a second
Ctrl-C within 2 s of itself ("at once", with the slack a loaded 2-core machine needs).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from mysteryshop.demo.process import DemoDeskProcess
from mysteryshop.exitcodes import EXIT_INTERRUPTED

from .conftest import ROOT, free_port, profile, store_at
from .test_collect_modes import target_yaml, write_project

GRACEFUL_S = 5.0
AT_ONCE_S = 2.0


def env() -> dict[str, str]:
    """The commands' environment, read when they start: on the PostgreSQL pass it names the test's own database."""
    return {**os.environ, "PYTHONPATH": str(ROOT)}


@pytest.fixture
def silent(tmp_path: Path) -> tuple[Path, DemoDeskProcess]:
    """A project whose target 'desk' is a running desk that never replies (its replies would go to the run's mailbox)."""
    mailbox = free_port()
    with DemoDeskProcess(profile(), deliver_to=("127.0.0.1", mailbox), speedup=1, workdir=tmp_path) as desk:
        yield write_project(tmp_path / "p", target_yaml(desk.port, f"{{port: {mailbox}}}", speedup=1)), desk


def start(project: Path, *args: str, command: list[str] | None = None) -> subprocess.Popen[str]:
    out = (project / "out.txt").open("w")
    return subprocess.Popen(command or [sys.executable, "-m", "mysteryshop.cli", "run", "--root", str(project), *args],
                            stdout=out, stderr=subprocess.STDOUT, text=True, env=env(), cwd=project)


def output(project: Path) -> str:
    return (project / "out.txt").read_text()


def store_rows(project: Path, sql: str, params: tuple = ()) -> list[tuple]:
    path = store_at(project)
    if isinstance(path, str):
        from mysteryshop.store import Store

        store = Store(path)
        try:
            return [tuple(row) for row in store.query(sql, params)]
        finally:
            store.close()
    if not path.exists():
        return []
    conn = sqlite3.connect(path, timeout=5)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:
        return []  # the store is still being created
    finally:
        conn.close()


def wait_until_sent(project: Path, proc: subprocess.Popen[str], run_id: str, count: int, timeout: float = 90) -> None:
    """Until `count` probes of `run_id` have sent their first step (bounded: the run is then waiting on the desk)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, output(project)
        if store_rows(project, "SELECT count(*) FROM events WHERE run_id = ? AND kind = 'sent'", (run_id,)) == [(count,)]:
            time.sleep(0.3)  # and they are waiting for the reply
            return
        time.sleep(0.1)
    raise AssertionError(f"{count} probe(s) did not send within {timeout}s:\n{output(project)}")


def stop(proc: subprocess.Popen[str], sig: signal.Signals, within: float) -> float:
    """Send `sig`; the seconds until the process ended (it must end within `within`)."""
    sent = time.monotonic()
    proc.send_signal(sig)
    try:
        proc.wait(timeout=within)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"still running {within}s after {sig.name}") from None
    return time.monotonic() - sent


def statuses(project: Path, run_id: str) -> tuple[str, list[str]]:
    run = store_rows(project, "SELECT status FROM runs WHERE id = ?", (run_id,))[0][0]
    return run, [s for (s,) in store_rows(project, "SELECT status FROM probes WHERE run_id = ? ORDER BY id", (run_id,))]


def partial_files(project: Path) -> list[Path]:
    return list((project / "reports").rglob("*.partial"))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_a_waiting_run_within_5s_with_a_scorecard_of_what_was_measured(silent, sig: signal.Signals) -> None:
    project, desk = silent
    proc = start(project, "--target", "desk", "--personas", "2", "--run-id", "r")
    wait_until_sent(project, proc, "r", 2)
    stop(proc, sig, GRACEFUL_S)
    text = output(project)
    assert proc.returncode == EXIT_INTERRUPTED, text
    assert statuses(project, "r") == ("interrupted", ["interrupted", "interrupted"])
    run_dir = project / "reports" / "r"
    card = json.loads((run_dir / "scorecard.json").read_text())
    assert card["run"]["status"] == "interrupted" and card["run"]["interrupted"] == sig.name
    assert card["summary"]["interrupted"] == 2 and card["summary"]["failed"] == 0  # nothing counted against the company
    for probe in card["probes"]:
        assert probe["status"] == "interrupted" and probe["problem"] == "interrupted"
        assert [(o["step"], o["status"]) for o in probe["outcomes"]] == [("acknowledged", "pending")]
        assert probe["outcomes"][0]["reason"].startswith("not decided: interrupted")
    said = f"Run interrupted ({sig.name}): 2 probe(s) cut short"
    assert said in (run_dir / "summary.md").read_text() and said in (run_dir / "scorecard.html").read_text() and said in text
    junit = (run_dir / "junit.xml").read_text()
    assert junit.count("<skipped") == 4 and "<failure" not in junit  # 2 undecided expectations + 2 cut-short probes
    jsonschema.validate(card, json.loads(resources.files("mysteryshop.scorecard").joinpath("schema.json").read_text()))
    xmlschema.XMLSchema(str(ROOT / "tests" / "data" / "junit-10.xsd")).validate(str(run_dir / "junit.xml"))
    assert partial_files(project) == []
    if sig is signal.SIGTERM:
        return
    # a probe cut short has not finished: `run --resume` walks it on (sending nothing again), and it stops the same way
    (project / "out.txt").unlink()
    proc = start(project, "--resume", "r")
    deadline = time.monotonic() + 60
    while store_rows(project, "SELECT count(*) FROM events WHERE run_id = 'r' AND kind = 'probe_resumed'") != [(2,)]:
        assert proc.poll() is None and time.monotonic() < deadline, output(project)
        time.sleep(0.1)
    stop(proc, sig, GRACEFUL_S)
    assert proc.returncode == EXIT_INTERRUPTED, output(project)
    assert statuses(project, "r") == ("interrupted", ["interrupted", "interrupted"])
    assert store_rows(project, "SELECT count(*) FROM events WHERE run_id = 'r' AND kind = 'sent'") == [(2,)]
    assert len(desk.truth.received) == 2


def test_a_second_ctrl_c_exits_at_once_and_leaves_the_run_marked_interrupted(silent) -> None:
    project, _ = silent
    proc = start(project, "--target", "desk", "--personas", "2", "--run-id", "r")
    wait_until_sent(project, proc, "r", 2)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    stop(proc, signal.SIGINT, AT_ONCE_S)
    assert proc.returncode == EXIT_INTERRUPTED, output(project)
    assert "SIGINT again: stopping at once" in output(project)
    run, probes = statuses(project, "r")
    assert run == "interrupted" and "running" not in probes
    assert partial_files(project) == []
    for path in (project / "reports" / "r").glob("*.json"):  # whatever was written is whole
        json.loads(path.read_text())


def test_plain_pytest_sigterm_and_a_pytest_timeout_mark_the_run_interrupted_with_a_scorecard(silent) -> None:
    project, _ = silent
    pytest_cmd = [sys.executable, "-m", "pytest", "probes", "-p", "no:cacheprovider", "--rootdir", str(project),
                  "--target", "desk", "--personas", "1"]
    proc = start(project, command=[*pytest_cmd, "--run-id", "term"])
    wait_until_sent(project, proc, "term", 1)
    stop(proc, signal.SIGTERM, GRACEFUL_S)
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, output(project)
    assert statuses(project, "term") == ("interrupted", ["interrupted"])
    assert json.loads((project / "reports" / "term" / "scorecard.json").read_text())["run"]["interrupted"] == "SIGTERM"

    # pytest-timeout (signal method) fails the test waiting for its probe: that probe is cut short, the run says so
    started = time.monotonic()
    timed = subprocess.run([*pytest_cmd, "--run-id", "timeout", "--timeout", "3"], cwd=project, capture_output=True, text=True,
                           timeout=60, env=env())
    assert timed.returncode == pytest.ExitCode.TESTS_FAILED, timed.stdout + timed.stderr
    assert time.monotonic() - started < 30
    assert "Timeout" in timed.stdout
    assert statuses(project, "timeout") == ("interrupted", ["interrupted"])
    card = json.loads((project / "reports" / "timeout" / "scorecard.json").read_text())
    assert card["summary"]["interrupted"] == 1 and "Timeout" in card["run"]["interrupted"]


def test_an_interrupted_run_and_one_whose_process_was_killed_can_be_reported(silent) -> None:
    project, _ = silent
    proc = start(project, "--target", "desk", "--personas", "1", "--run-id", "cut")
    wait_until_sent(project, proc, "cut", 1)
    stop(proc, signal.SIGINT, GRACEFUL_S)
    report = subprocess.run([sys.executable, "-m", "mysteryshop.cli", "report", "cut", "--root", str(project), "--out",
                             str(project / "again"), "--pdf"], capture_output=True, text=True, timeout=120, env=env())
    assert report.returncode == EXIT_INTERRUPTED, report.stdout + report.stderr  # the code of the run it reports
    assert "Run interrupted (SIGINT): 1 probe(s) cut short" in report.stdout
    assert (project / "again" / "onepager.pdf").read_bytes().startswith(b"%PDF")
    refused = subprocess.run([sys.executable, "-m", "mysteryshop.cli", "baseline", "accept", "cut", "--root", str(project)],
                             capture_output=True, text=True, timeout=60, env=env())
    assert refused.returncode == 2 and "was interrupted: a baseline is a run that ran to its end" in refused.stderr

    # kill -9: nothing could be done then; a report finds the process gone and marks the run interrupted
    (project / "out.txt").unlink()
    proc = start(project, "--target", "desk", "--personas", "1", "--run-id", "killed")
    wait_until_sent(project, proc, "killed", 1)
    stop(proc, signal.SIGKILL, GRACEFUL_S)
    assert statuses(project, "killed") == ("running", ["running"])
    report = subprocess.run([sys.executable, "-m", "mysteryshop.cli", "report", "killed", "--root", str(project)],
                            capture_output=True, text=True, timeout=120, env=env())
    assert report.returncode == EXIT_INTERRUPTED, report.stdout + report.stderr
    assert "left running by a process that is gone" in report.stdout
    assert statuses(project, "killed") == ("interrupted", ["interrupted"])
    probe = json.loads((project / "reports" / "killed" / "scorecard.json").read_text())["probes"][0]
    assert probe["status"] == "interrupted" and probe["outcomes"][0]["reason"].startswith("not decided: interrupted")


def test_campaigns_can_be_reported_and_scored_to_pdf(silent) -> None:
    project, _ = silent
    cli = [sys.executable, "-m", "mysteryshop.cli"]
    started = subprocess.run([*cli, "run", "--campaign", "c1", "--target", "desk", "--personas", "1", "--root", str(project)],
                             capture_output=True, text=True, timeout=120, env=env())
    assert started.returncode == 0, started.stdout + started.stderr
    scored = subprocess.run([*cli, "score", "c1", "--pdf", "--root", str(project)], capture_output=True, text=True, timeout=120, env=env())
    assert scored.returncode == 0, scored.stdout + scored.stderr
    assert (project / "reports" / "campaign-c1" / "onepager.pdf").read_bytes().startswith(b"%PDF")
    for name in ("campaign-c1", "c1"):
        report = subprocess.run([*cli, "report", name, "--root", str(project), "--out", str(project / name)],
                                capture_output=True, text=True, timeout=120, env=env())
        assert report.returncode == 0, report.stdout + report.stderr
        card = json.loads((project / name / "scorecard.json").read_text())
        assert card["run"]["id"] == "campaign-c1" and [p["status"] for p in card["probes"]] == ["waiting"]


def test_demo_and_listen_stop_within_5s(tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / "journeys" / "targets").mkdir(parents=True)
    (project / "probes").mkdir()
    (project / "pyproject.toml").write_text("[tool.mysteryshop]\n")
    (project / "journeys" / "targets" / "demo.yaml").write_text((ROOT / "journeys" / "targets" / "demo.yaml").read_text())
    # at the demo desk's 14,400x clock, a month is three minutes of waiting
    (project / "journeys" / "ask.yaml").write_text("id: ask\ntitle: Ask\nsteps:\n  - {id: ask, do: send_email, subject: Hi, body: Where is my order?}\n"
                                                   "  - {id: answered, expect: answer, within: 30d}\n")
    (project / "probes" / "test_ask.py").write_text('import pytest\n\n\n@pytest.mark.journey("ask")\ndef test_ask(probe):\n    probe.check()\n')
    proc = start(project, command=[sys.executable, "-m", "mysteryshop.cli", "demo", "--root", str(project), "--personas", "2",
                                   "--profile", "poor", "--run-id", "d"])
    wait_until_sent(project, proc, "d", 2)
    stop(proc, signal.SIGINT, GRACEFUL_S)
    assert proc.returncode == EXIT_INTERRUPTED, output(project)
    assert statuses(project, "d")[0] == "interrupted"
    desk_dir = str(project / "reports" / "d" / "demo-desk-demo")
    assert subprocess.run(["pgrep", "-f", desk_dir], capture_output=True).returncode == 1, "the embedded desk is still running"

    port = free_port()
    listen = start(project, command=[sys.executable, "-m", "mysteryshop.cli", "listen", "--port", str(port), "--domain", "probe.test",
                                     "--tick-every", "1", "--root", str(project)])
    deadline = time.monotonic() + 60
    while "ready" not in output(project) and time.monotonic() < deadline:
        assert listen.poll() is None, output(project)
        time.sleep(0.1)
    stop(listen, signal.SIGTERM, GRACEFUL_S)
    assert listen.returncode == 0, output(project)  # a signal is how a collector is stopped: its normal end


ASYNC_COMMAND = """
import asyncio, sys
from pathlib import Path
from mysteryshop import interrupt

marker = Path(sys.argv[1])

async def command():
    try:
        print("ready", flush=True)
        await asyncio.sleep(3600)
    finally:
        marker.write_text("closed")  # what a listener or tick does when it is cancelled: close, keep what it has
        if len(sys.argv) > 2:
            await asyncio.sleep(3600)  # a cleanup that hangs: only a second signal ends it

with interrupt.handled():
    try:
        interrupt.run_async(command())
    except KeyboardInterrupt as exc:
        print("interrupted", interrupt.reason(exc), flush=True)
        sys.exit(130)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_async_command_is_cancelled_by_a_signal_and_a_hanging_cleanup_by_a_second(tmp_path: Path, sig: signal.Signals) -> None:
    """How `run --campaign`, `tick` and `listen`'s command run their event loop (interrupt.run_async)."""
    for hangs in (False, True):
        marker = tmp_path / f"closed-{hangs}"
        (tmp_path / "out.txt").write_text("")
        proc = start(tmp_path, command=[sys.executable, "-c", ASYNC_COMMAND, str(marker), *(["hang"] if hangs else [])])
        deadline = time.monotonic() + 30
        while "ready" not in output(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.05)
        if hangs:
            proc.send_signal(sig)
            time.sleep(0.3)
            assert proc.poll() is None  # its cleanup hangs
        stop(proc, sig, AT_ONCE_S if hangs else GRACEFUL_S)
        assert proc.returncode == EXIT_INTERRUPTED, output(tmp_path)
        assert marker.read_text() == "closed"
        assert ("again: stopping at once" in output(tmp_path)) == hangs
        assert (f"interrupted {sig.name}" in output(tmp_path)) != hangs
