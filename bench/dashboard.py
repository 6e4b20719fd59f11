"""The dashboard at scale: a 10,000-probe run's pages served by `mysteryshop serve`, server time per request.

The store is filled first (untimed) as bench/report_scale.py fills it: a synthetic run of 10,000 email probes written
as the engine writes them, with the reply-quality verdicts and scorecard entries the engine records as each probe
finishes, then finished with its stored summary. Then `mysteryshop serve` is started as a user starts it (its own
process, uvicorn on loopback) and asked, over HTTP:

- the run's overview page (/runs/<id>/, the one-pager) once cold: the server builds the scorecard from the store and
  draws the journey map, as `mysteryshop report` would; then 100 times more: the page as kept for the run; then once
  more after the kept card's trust has run out (the run's version is read from the store again);
- the QA page (/runs/<id>/scorecard.html: 500 probes in full) and the same page filtered on the server by a search over
  every probe (?q=...), each cold once then 20 times;
- the run list (/) and the company's history (/companies/demo), 20 times each.

Server time is what the server reports in each response's `Server-Timing: app;dur=` header (from the request's
arrival in the app to the start of its response); the round trip as the client measured it is printed beside it.
Target: the overview p95 under 300 ms over 100 requests.

    .venv/bin/python bench/dashboard.py                      # 10,000 probes
    .venv/bin/python bench/dashboard.py --probes 1000 --requests 50
    .venv/bin/python bench/dashboard.py --store /tmp/dash.sqlite   # the store kept (filled once; its entries recorded again)

The last line is one JSON object: {"probes", "requests", "overview_cold_ms", "overview_p50_ms", "overview_p95_ms",
"overview_max_ms", "overview_client_p95_ms", "overview_recheck_ms", "qa_cold_ms", "qa_p95_ms", "qa_search_cold_ms", "qa_search_p95_ms",
"runs_p95_ms", "company_p95_ms", "server_rss_mb"}.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RUN = "bench-dashboard"


def _fill(db: Path, probes: int, *, again: bool = False) -> None:
    """The run written and recorded as the engine records it; `again`: a kept store's entries recorded anew (an entry
    holds for the code that made it: a store filled before a change of mysteryshop would be scored from its rows)."""
    from mysteryshop.history import stored_summary
    from mysteryshop.journey import load_journey
    from mysteryshop.scorecard.build import build_scorecard
    from mysteryshop.scorecard.synthetic import record_as_the_engine_does, write_synthetic_run
    from mysteryshop.store import Store
    from mysteryshop.target import load_target

    journeys = {"email_question": load_journey(ROOT / "journeys" / "email_question.yaml")}
    targets = {"demo": load_target(ROOT / "journeys" / "targets" / "demo.yaml")}
    if not again:
        write_synthetic_run(db, RUN, probes=probes, seed=7)
    record_as_the_engine_does(db, RUN, journeys, targets)
    store = Store(db)
    try:
        store.finish_run(RUN, "failed", stored_summary(build_scorecard(store, RUN, journeys, targets)))
    finally:
        store.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[float, float, int]:
    """(server ms from Server-Timing, client round-trip ms, body bytes) of one GET."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        body = response.read()
        timing = response.headers.get("server-timing", "")
    client = (time.perf_counter() - started) * 1000
    found = re.search(r"dur=([0-9.]+)", timing)
    if response.status != 200 or not found:
        raise SystemExit(f"GET {url}: status {response.status}, Server-Timing {timing!r}")
    return float(found.group(1)), client, len(body)


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _series(url: str, count: int) -> dict[str, float]:
    cold = _get(url)
    server, client = [], []
    for _ in range(count):
        s, c, _size = _get(url)
        server.append(s)
        client.append(c)
    return {"cold_ms": round(cold[0], 1), "p50_ms": round(statistics.median(server), 2), "p95_ms": round(_p(server, 0.95), 2),
            "max_ms": round(max(server), 2), "client_p95_ms": round(_p(client, 0.95), 2), "bytes": cold[2]}


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100, help="requests of the overview after the cold one (default 100)")
    parser.add_argument("--store", default=None, help="keep the store here (filled once; reused when it holds the run)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    db = Path(args.store) if args.store else tmp / "store.sqlite"
    started = time.perf_counter()
    again = db.exists()
    _fill(db, args.probes, again=again)
    print(f"{'recorded the entries of' if again else 'filled'} {db} ({args.probes} probes) in {time.perf_counter() - started:.1f} s (untimed)",
          flush=True)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "mysteryshop.cli", "serve", "--root", str(ROOT), "--store", str(db),
                               "--reports", str(tmp / "reports"), "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/companies", timeout=5).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"mysteryshop serve did not start on {base}: {server.stdout.read() if server.stdout else ''}") from None
                time.sleep(0.1)
        overview = _series(f"{base}/runs/{RUN}/", args.requests)
        print(f"overview  cold {overview['cold_ms']:8.1f} ms · then {args.requests}: p50 {overview['p50_ms']} ms, p95 {overview['p95_ms']} ms, "
              f"max {overview['max_ms']} ms (server); client p95 {overview['client_p95_ms']} ms; {overview['bytes']} bytes", flush=True)
        from mysteryshop.dashboard.cards import RECHECK_S

        time.sleep(RECHECK_S + 0.5)  # the kept card is trusted this long; the next request reads the run's version again
        recheck = _get(f"{base}/runs/{RUN}/")[0]
        print(f"overview  after {RECHECK_S:g} s: {recheck:.1f} ms (the run's version read from the store again, the page kept)", flush=True)
        qa = _series(f"{base}/runs/{RUN}/scorecard.html", 20)
        print(f"QA page   cold {qa['cold_ms']:8.1f} ms · then 20: p50 {qa['p50_ms']} ms, p95 {qa['p95_ms']} ms; {qa['bytes']} bytes", flush=True)
        search = _series(f"{base}/runs/{RUN}/scorecard.html?q=Synthetic1&status=failed", 20)
        print(f"QA search cold {search['cold_ms']:8.1f} ms · then 20: p50 {search['p50_ms']} ms, p95 {search['p95_ms']} ms; {search['bytes']} bytes", flush=True)
        runs = _series(f"{base}/", 20)
        company = _series(f"{base}/companies/demo", 20)
        print(f"run list  p95 {runs['p95_ms']} ms · company history p95 {company['p95_ms']} ms", flush=True)
        rss = _rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    verdict = "under" if overview["p95_ms"] < 300 else "OVER"
    print(f"target: overview p95 < 300 ms: {overview['p95_ms']} ms, {verdict}; server RSS {rss} MB")
    print(json.dumps({"probes": args.probes, "requests": args.requests, "overview_cold_ms": overview["cold_ms"],
                      "overview_p50_ms": overview["p50_ms"], "overview_p95_ms": overview["p95_ms"], "overview_max_ms": overview["max_ms"],
                      "overview_client_p95_ms": overview["client_p95_ms"], "overview_recheck_ms": round(recheck, 1), "qa_cold_ms": qa["cold_ms"], "qa_p95_ms": qa["p95_ms"],
                      "qa_search_cold_ms": search["cold_ms"], "qa_search_p95_ms": search["p95_ms"], "runs_p95_ms": runs["p95_ms"],
                      "company_p95_ms": company["p95_ms"], "server_rss_mb": rss}))


if __name__ == "__main__":
    main()
