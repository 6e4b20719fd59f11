"""Benchmark: emails a company receives against emails due, when many processes move one campaign on at once.

Each trial starts a fresh project: the demo desk (its own process; its ground-truth log says what the
company received), `mysteryshop listen` ticking every 5 s, then a 30-probe campaign started twice at
the same moment. Each probe sends two emails (the question, then a follow-up once acknowledged): 60
are due. Once the company has acknowledged every question, four `mysteryshop tick` processes are
started at the same moment, round after round, until every probe has finished (at most
--trial-timeout seconds), the listener ticking all the while.

    .venv/bin/python bench/concurrent_ticks.py               # 10 trials
    .venv/bin/python bench/concurrent_ticks.py --trials 3

Goal: sent == due in every trial. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mysteryshop.demo.process import DemoDeskProcess  # noqa: E402
from mysteryshop.demo.profile import Profile  # noqa: E402
from mysteryshop.store import Store  # noqa: E402

PERSONAS = 30
EMAILS_PER_PROBE = 2
SPEEDUP = 14400
LISTEN_TICK_EVERY_S = 5  # it ticks at start, then now and then among the rounds of ticks
JOURNEY = """
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
TARGET = """
name: northwind
speedup: {speedup}
probe_domain: probe.mysteryshop.test
ticket_pattern: '\\[#(NW-\\d+)\\]'
email:
  support_address: support@northwind.demo
  smtp_host: 127.0.0.1
  smtp_port: {port}
"""
PROFILE = {"name": "bench", "personalize": 1.0, "acknowledgement": {"probability": 1.0, "delay": ["1m", "2m"]},
           "answer": {"probability": 1.0, "delay": ["1h", "1h"], "quality": {"good": 1.0}},
           "followup": {"probability": 0.0, "delay": ["1s", "1s"]}, "marketing": {"probability": 0.0, "delay": ["1s", "1s"]}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli(project: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "mysteryshop.cli", *args, "--root", str(project)]


def statuses(project: Path) -> list[str]:
    path = project / "reports/mysteryshop.sqlite"
    if not path.exists():
        return []
    store = Store(path)
    try:
        return [r["status"] for r in store.probes("campaign-c")]
    finally:
        store.close()


def trial(workdir: Path, timeout_s: float) -> dict[str, object]:
    project = workdir
    (project / "journeys/targets").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.mysteryshop]\n")
    (project / "allowlist.yaml").write_text("targets: [northwind]\n")
    (project / "journeys/ask_and_nudge.yaml").write_text(JOURNEY)
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    port = free_port()
    log = (project / "listen.log").open("w")
    listener = subprocess.Popen(cli(project, "listen", "--port", str(port), "--domain", "probe.mysteryshop.test", "--tick-every", str(LISTEN_TICK_EVERY_S)),
                                stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while "ready" not in (project / "listen.log").read_text() and time.monotonic() < deadline and listener.poll() is None:
        time.sleep(0.05)
    desk = DemoDeskProcess(Profile.model_validate(PROFILE), deliver_to=("127.0.0.1", port), speedup=SPEEDUP, workdir=project).start()
    (project / "journeys/targets/northwind.yaml").write_text(TARGET.format(speedup=SPEEDUP, port=desk.port))
    started = time.monotonic()
    starts = [subprocess.Popen(cli(project, "run", "--campaign", "c", "--target", "northwind", "--personas", str(PERSONAS)),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env) for _ in range(2)]
    for proc in starts:
        proc.wait(timeout=timeout_s)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and sum(r.kind == "acknowledgement" for r in desk.truth.sent) < PERSONAS:
        time.sleep(0.1)
    rounds = 0
    while time.monotonic() < deadline:  # four ticks started at the same moment, again and again, while the listener ticks too
        ticks = [subprocess.Popen(cli(project, "tick", "c"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env) for _ in range(4)]
        for proc in ticks:
            proc.wait(timeout=120)
        rounds += 1
        done = statuses(project)
        if done and "running" not in done:
            break
    wall = time.monotonic() - started
    listener.terminate()
    listener.wait(timeout=30)
    log.close()
    time.sleep(0.3)
    desk.stop()
    received = desk.truth.received
    per_email = Counter((r["mail_from"], (r.get("subject") or "?").split()[0]) for r in received)
    final = statuses(project)
    return {"due": PERSONAS * EMAILS_PER_PROBE, "sent": len(received), "twice": sum(n > 1 for n in per_email.values()),
            "finished": sum(s != "running" for s in final), "wall_s": round(wall, 2), "tick_rounds": rounds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--trial-timeout", type=float, default=120.0, help="seconds a trial may take (default 120)")
    args = parser.parse_args()
    results = []
    for number in range(1, max(1, min(args.trials, 50)) + 1):
        with tempfile.TemporaryDirectory(prefix="mysteryshop-ticks-") as tmp:
            result = trial(Path(tmp), args.trial_timeout)
        results.append(result)
        print(f"trial {number:>2}: sent {result['sent']} / due {result['due']}  (emails sent twice: {result['twice']}; probes finished "
              f"{result['finished']}/{PERSONAS}; {result['tick_rounds']} rounds of 4 ticks at once; {result['wall_s']} s)",
              flush=True)
    sent, due = sum(r["sent"] for r in results), sum(r["due"] for r in results)
    equal = sum(r["sent"] == r["due"] for r in results)
    print(f"{len(results)} trials: {sent} emails sent for {due} due; sent == due in {equal} of {len(results)} trials; load {os.getloadavg()[0]:.1f}")
    print(json.dumps({"trials": len(results), "emails_due": due, "emails_sent": sent, "trials_equal": equal,
                      "emails_sent_twice": sum(r["twice"] for r in results), "probes_finished": sum(r["finished"] for r in results),
                      "wall_s_max": max(r["wall_s"] for r in results)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
