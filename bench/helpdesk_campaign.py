"""Benchmark: a campaign of N email probes (default 200) against a real help desk, Roundup on loopback.

Starts the desk of tests/helpdesk/roundup_desk.py (its agent answers every issue 2 s after it was created),
a `mysteryshop listen` on the port the desk mails to, then `mysteryshop run --campaign` with N personas on
the roundup_email journey (deadlines of 10 minutes, so a busy gateway is not a missed deadline), waits until the
desk has answered every issue (bounded by --max-seconds), ticks, scores, and compares the scorecard with the
desk's own records (tests/helpdesk/compare.py):

- replies lost: mails the desk delivered to a persona that are not in the scorecard under its probe (0 expected);
- matched: the share of those mails the scorecard holds under their probe (100% expected);
- timing error: the scorecard's acknowledgement and answer times against the desk's delivery of each mail
  (p50, p99, max; p99 < 1 s expected); and, beside it, the probes' send times against the intake's log.

    .venv/bin/python bench/helpdesk_campaign.py              # 200 probes
    .venv/bin/python bench/helpdesk_campaign.py --probes 50

The last line is one JSON object with the figures.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpdesk.compare import compare, percentile, report
from tests.helpdesk.project import write_project
from tests.helpdesk.roundup_desk import free_port, running_desk

PROBE_DOMAIN = "probe.mysteryshop.test"


def _mysteryshop(project: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "mysteryshop.cli", *args, "--root", str(project)], capture_output=True, text=True, check=False,
                            timeout=timeout, cwd=project, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if result.returncode != 0:
        raise SystemExit(f"mysteryshop {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result


def _wait_for_port(port: int, timeout: float) -> None:
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"mysteryshop listen did not open 127.0.0.1:{port} within {timeout:.0f} s")


def _all_answered(truth: dict, n: int) -> bool:
    issues = truth["issues"]
    return len(issues) >= n and all(any(m["staff"] and any(d["delivered_epoch"] for d in m["deliveries"]) for m in i["messages"])
                                    for i in issues)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", type=int, default=200, help="email probes in the campaign (default 200)")
    parser.add_argument("--answer-delay", type=float, default=2.0, help="seconds the desk's agent waits before answering")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="give up waiting for the desk's answers after this long")
    args = parser.parse_args()
    if not 1 <= args.probes <= 1000:
        parser.error("--probes must be between 1 and 1000")
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-") as tmp:
        reply_port = free_port()
        with running_desk(Path(tmp) / "desk", ("127.0.0.1", reply_port), answer_delay_s=args.answer_delay,
                          max_seconds=args.max_seconds + 300) as desk:
            project = write_project(Path(tmp) / "project", desk, reply_port, within="10m")
            listener = subprocess.Popen([sys.executable, "-m", "mysteryshop.cli", "listen", "--port", str(reply_port), "--domain", PROBE_DOMAIN,
                                         "--tick-every", "0", "--root", str(project)], cwd=project, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                _wait_for_port(reply_port, 60)
                t0 = time.monotonic()
                _mysteryshop(project, "run", "--campaign", "bench", "--target", "roundup", "--journey", "roundup_email",
                             "--personas", str(args.probes), timeout=args.max_seconds)
                sent_s = time.monotonic() - t0
                until = t0 + args.max_seconds
                truth = desk.truth()
                while not _all_answered(truth, args.probes) and time.monotonic() < until:
                    time.sleep(2)
                    truth = desk.truth()
                answered_s = time.monotonic() - t0
                _mysteryshop(project, "tick", "bench", timeout=args.max_seconds)
                _mysteryshop(project, "score", "bench", timeout=args.max_seconds)
            finally:
                listener.terminate()
                listener.wait(30)
            card = json.loads((project / "reports/campaign-bench/scorecard.json").read_text())
            truth = desk.truth()
    comparison = compare(card, truth)
    replies = [t.error_s for t in comparison.timings if t.what in ("acknowledgement", "answer")]
    probes = [t.error_s for t in comparison.timings if t.what == "probe"]
    delivered, held = comparison.replies_delivered, comparison.replies_in_card
    lost = delivered - held + len(card.get("unmatched_messages") or [])
    print(f"{args.probes} email probes against Roundup on loopback: {len(truth['issues'])} issues, {delivered} replies delivered by the desk; "
          f"sent in {sent_s:.1f} s, every issue answered after {answered_s:.1f} s")
    report(comparison)
    figures = {
        "probes": args.probes, "issues": len(truth["issues"]), "replies_delivered": delivered, "replies_in_scorecard": held,
        "replies_lost": lost, "matched_pct": round(100 * held / delivered, 2) if delivered else None,
        "unmatched_in_scorecard": len(card.get("unmatched_messages") or []),
        "timing_error_p50_ms": round(percentile(replies, 50) * 1000, 1) if replies else None,
        "timing_error_p99_ms": round(percentile(replies, 99) * 1000, 1) if replies else None,
        "timing_error_max_ms": round(max(replies) * 1000, 1) if replies else None,
        "probe_time_error_p99_ms": round(percentile(probes, 99) * 1000, 1) if probes else None,
        "gateway_delay_p50_s": round(percentile(comparison.gateway_delays_s, 50), 2) if comparison.gateway_delays_s else None,
        "gateway_delay_max_s": round(max(comparison.gateway_delays_s), 2) if comparison.gateway_delays_s else None,
        "send_s": round(sent_s, 1), "all_answered_s": round(answered_s, 1), "mismatches": len(comparison.problems),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
