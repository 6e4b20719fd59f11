"""Benchmark: one pytest process vs xdist workers on N email probes (default 1,000) against the demo desk.

The same probe suite runs twice as a real `pytest` subprocess: `-n 0` (one process, one event loop) and `-n 4`
(four workers, each with its own reply mailbox and demo desk, writing into one run). Printed side by side: wall
time, CPU time of everything the run started (user + system, children included: resource.getrusage(RUSAGE_CHILDREN)),
and the merge cost: the time to score the one run from the store and write its one scorecard — done by the xdist
controller after its workers ended (as it prints), and by the single process at its end (as it prints). Also checked: both runs hold N probes and the same pass/fail counts.

    .venv/bin/python bench/xdist_email.py               # N = 1000, -n 4 vs -n 0
    .venv/bin/python bench/xdist_email.py --n 200 --workers 2

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

JOURNEY = """
id: bench_question
title: Acknowledged and answered
tags: [email]
steps:
  - id: ask
    do: send_email
    subject: "Returning order {persona.order_id}"
    body: "Can I return my jacket? {persona.full_name}"
  - id: acknowledged
    expect: acknowledgement
    within: 6h
  - id: answered
    expect: answer
    within: 12h
"""

PROBE_MODULE = """
import pytest

@pytest.mark.journey("bench_question")
def test_bench_question(probe):
    probe.check()
"""

#: a bound on each run (the loop of runs is two long): a stuck run ends the bench with what it measured
RUN_TIMEOUT_S = 1800


def _project(root: Path) -> Path:
    (root / "journeys" / "targets").mkdir(parents=True)
    (root / "journeys" / "bench_question.yaml").write_text(JOURNEY)
    # at 3,600x (a wall second is a company hour) a loaded machine's delays stay far from the deadlines: both runs
    # should then pass and fail the same probes, and `same_counts` says whether they did
    target = (ROOT / "journeys/targets/demo.yaml").read_text().replace("speedup: 14400", "speedup: 3600")
    (root / "journeys" / "targets" / "demo.yaml").write_text(target)
    (root / "test_probe.py").write_text(PROBE_MODULE)
    return root


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall and CPU seconds (children included) of one command, and its output."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cpu, wall = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT_S, check=False)
    wall, cpu = time.perf_counter() - wall, _children_cpu() - cpu
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} ended with {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return wall, cpu, done.stdout + done.stderr


def _counts(project: Path, run_id: str) -> dict[str, int]:
    card = json.loads((project / "reports" / run_id / "scorecard.json").read_text())
    return {key: card["summary"][key] for key in ("probes", "passed", "failed", "error", "interrupted")}


def run(n: int, workers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="xdist-bench-") as tmp:
        project = _project(Path(tmp))
        pytest_cmd = [sys.executable, "-m", "pytest", "test_probe.py", "-q", "-p", "no:cacheprovider", "--demo-profile", "excellent",
                      "--personas", str(n), "--seed", "3"]
        figures: dict[str, Any] = {"n": n, "workers": workers}
        for mode, extra in (("one", ["-n", "0"]), ("xdist", ["-n", str(workers)])):
            wall, cpu, out = _timed([*pytest_cmd, *extra, "--run-id", mode], project)
            figures[f"{mode}_wall_s"], figures[f"{mode}_cpu_s"] = round(wall, 2), round(cpu, 2)
            figures[f"{mode}_counts"] = _counts(project, mode)
            pattern = r"scored from what every worker stored, in ([0-9.]+) s" if mode == "xdist" else r"run one scored in ([0-9.]+) s"
            scored = re.search(pattern, out)
            figures[f"{mode}_merge_s"] = float(scored.group(1)) if scored else None
        figures["same_counts"] = figures["one_counts"] == figures["xdist_counts"]
        figures["wall_ratio"] = round(figures["xdist_wall_s"] / figures["one_wall_s"], 2)
        figures["cpu_ratio"] = round(figures["xdist_cpu_s"] / figures["one_cpu_s"], 2)
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="email probes (personas of the one journey)")
    parser.add_argument("--workers", type=int, default=4, help="xdist workers of the sharded run")
    args = parser.parse_args()
    figures = run(args.n, args.workers)
    print(f"{args.n} email probes against the demo desk (excellent profile), on {os.cpu_count()} cores")
    print(f"{'':28}{'-n 0':>12}{f'-n {args.workers}':>12}")
    print(f"{'wall (s)':28}{figures['one_wall_s']:>12}{figures['xdist_wall_s']:>12}")
    print(f"{'CPU, children incl. (s)':28}{figures['one_cpu_s']:>12}{figures['xdist_cpu_s']:>12}")
    print(f"{'score the one run (s)':28}{figures['one_merge_s'] or 'n/a':>12}{figures['xdist_merge_s'] or 'n/a':>12}"
          "   (-n 0: at the run's end; -n N: the controller, from what the workers stored)")
    print(f"{'passed / failed':28}{figures['one_counts']['passed']:>7} / {figures['one_counts']['failed']:<3}"
          f"{figures['xdist_counts']['passed']:>7} / {figures['xdist_counts']['failed']:<3}")
    print(f"ratios -n {args.workers} / -n 0: wall {figures['wall_ratio']}x, CPU {figures['cpu_ratio']}x; same counts: {figures['same_counts']}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
