"""Benchmark: how long `mysteryshop run` takes to stop on Ctrl-C while N probes wait on a desk that never replies.

For each N, a demo desk that answers nothing runs as its own process (a company on loopback, deadlines of an hour
in real time); `python -m mysteryshop.cli run` sends N probes to it; once every probe has sent, SIGINT is sent and
the time until the process has exited is measured: cancelling the waiting probes, marking the run interrupted,
scoring what was measured and writing the scorecard (HTML, JSON, JUnit, Markdown). The issue's bound is 5 s.
Then a second run is stopped with two SIGINTs 50 ms apart: the time from the second to the exit ("at once").

    .venv/bin/python bench/stop_latency.py                 # N = 1, 100, 1000
    .venv/bin/python bench/stop_latency.py --n 10 --n 500

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mysteryshop.demo.process import DemoDeskProcess  # noqa: E402
from mysteryshop.demo.profile import Profile  # noqa: E402

JOURNEY = """id: ask
title: Ask and wait
steps:
  - {id: ask, do: send_email, subject: "Order {persona.order_id}", body: "Hello, where is my order? {persona.full_name}"}
  - {id: acknowledged, expect: acknowledgement, within: 1h}
"""
SILENT = {"name": "silent", "personalize": 1.0, **{k: {"probability": 0.0, "delay": ["1s", "1s"]}
                                                    for k in ("acknowledgement", "answer", "followup", "marketing")}}
SEND_TIMEOUT_S = 300  # at most this long for N probes to send; then the figure is skipped
EXIT_TIMEOUT_S = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _project(root: Path, desk_port: int, mailbox_port: int) -> Path:
    (root / "journeys" / "targets").mkdir(parents=True)
    (root / "probes").mkdir()
    (root / "pyproject.toml").write_text("[tool.mysteryshop]\n")
    (root / "journeys" / "ask.yaml").write_text(JOURNEY)
    (root / "journeys" / "targets" / "desk.yaml").write_text(
        f"name: desk\nprobe_domain: probe.mysteryshop.test\ncollect: {{port: {mailbox_port}}}\n"
        f"email: {{support_address: support@northwind.demo, smtp_host: 127.0.0.1, smtp_port: {desk_port}, timeout: 30}}\n")
    (root / "probes" / "test_ask.py").write_text('import pytest\n\n\n@pytest.mark.journey("ask")\ndef test_ask(probe):\n    probe.check()\n')
    return root


def _sent(store: Path, run_id: str) -> int:
    try:
        conn = sqlite3.connect(store, timeout=5)
        try:
            return conn.execute("SELECT count(*) FROM events WHERE run_id = ? AND kind = 'sent'", (run_id,)).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def measure(n: int, workdir: Path, *, twice: bool) -> dict[str, float | str | None]:
    mailbox = _free_port()
    with DemoDeskProcess(Profile.model_validate(SILENT), deliver_to=("127.0.0.1", mailbox), workdir=workdir) as desk:
        project = _project(workdir / "p", desk.port, mailbox)
        run_id = f"n{n}"
        with (workdir / "out.txt").open("w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "mysteryshop.cli", "run", "--root", str(project), "--target", "desk",
                                     "--personas", str(n), "--run-id", run_id], stdout=out, stderr=subprocess.STDOUT,
                                    env={**os.environ, "PYTHONPATH": str(ROOT)})
        store = project / "reports" / "mysteryshop.sqlite"
        deadline = time.monotonic() + SEND_TIMEOUT_S
        while _sent(store, run_id) < n and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        if proc.poll() is not None or _sent(store, run_id) < n:
            proc.kill()
            proc.wait()
            return {"n": n, "stop_s": None, "note": "did not send in time: " + (workdir / "out.txt").read_text()[:1500]}
        time.sleep(0.5)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        if twice:
            time.sleep(0.05)
            started = time.monotonic()
            proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return {"n": n, "stop_s": None, "note": f"still running {EXIT_TIMEOUT_S}s after SIGINT"}
        elapsed = time.monotonic() - started
        conn = sqlite3.connect(store)
        status = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
        conn.close()
        return {"n": n, "stop_s": round(elapsed, 3), "exit": proc.returncode, "run_status": status,
                "scorecard": (project / "reports" / run_id / "scorecard.json").exists()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, action="append", help="probes waiting when SIGINT comes (repeatable; default 1, 100, 1000)")
    args = parser.parse_args()
    sizes = args.n or [1, 100, 1000]
    figures: dict[str, object] = {"graceful": [], "second_sigint": None, "cores": os.cpu_count(), "load": os.getloadavg()[0]}
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="mysteryshop-stop-") as tmp:
            result = measure(n, Path(tmp), twice=False)
        figures["graceful"].append(result)  # type: ignore[attr-defined]
        print(f"{n:>5} probes waiting: SIGINT to exit {result['stop_s']} s (exit {result.get('exit')}, run {result.get('run_status')}, "
              f"scorecard written: {result.get('scorecard')})", flush=True)
    with tempfile.TemporaryDirectory(prefix="mysteryshop-stop-") as tmp:
        result = measure(sizes[-1], Path(tmp), twice=True)
    figures["second_sigint"] = result
    print(f"{sizes[-1]:>5} probes waiting, two SIGINTs: second to exit {result['stop_s']} s (exit {result.get('exit')}, "
          f"run {result.get('run_status')})", flush=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
