"""Scorecard at scale: HTML scorecard, JSON and JUnit for 10,000 stored probes.

The store is filled first (in a child process, untimed) with synthetic probes written as the
engine writes them: raw outgoing and incoming mail, `sent` / `probe_finished` events. Then the
timed part reads the run back from the store, scores every probe again, and writes
scorecard.html, onepager.html, scorecard.json, junit.xml and summary.md.
Target on this machine: under 3 s and under 300 MB peak RSS.

    .venv/bin/python bench/report_scale.py            # 10,000 probes
    .venv/bin/python bench/report_scale.py --probes 1000
    .venv/bin/python bench/report_scale.py --repeat 5 --store /tmp/scale.sqlite   # best and median of 5; the store kept

The scorecard reads each message's parsed fields as the engine stored them; --reparse parses
every raw message again instead (the path for a run scored again with a better mail parser).

The last line is one JSON object: {"probes", "seconds" (best run), "peak_rss_mb", "median_seconds", "cpu_seconds", ...}.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _fill(db: str, probes: int) -> None:
    from mysteryshop.scorecard.synthetic import write_synthetic_run

    write_synthetic_run(db, "bench", probes=probes, seed=7)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", type=int, default=10_000)
    parser.add_argument("--no-quality", action="store_true", help="leave out reply-quality scoring of each first answer")
    parser.add_argument("--repeat", type=int, default=1, help="time the scorecard this many times (same store); seconds is the best, median_seconds the median")
    parser.add_argument("--store", default=None, help="keep the filled store here and reuse it when it already holds the run (filling is slow)")
    parser.add_argument("--reparse", action="store_true", help="parse every raw message again instead of reading the stored fields")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes for scoring and writing (default: the cores available); cpu_seconds counts them all")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.store or str(Path(tmp) / "store.sqlite")
        if not _filled(db, args.probes):
            Path(db).unlink(missing_ok=True)
            started = time.perf_counter()
            child = multiprocessing.get_context("spawn").Process(target=_fill, args=(db, args.probes))
            child.start()
            child.join()
            print(f"filled the store with {args.probes} probes in {time.perf_counter() - started:.1f}s (untimed)")

        from mysteryshop.journey import load_journey
        from mysteryshop.scorecard.build import build_scorecard
        from mysteryshop.scorecard.shares import available_cores
        from mysteryshop.scorecard.write import write_scorecard
        from mysteryshop.store import Store
        from mysteryshop.target import load_target

        journeys = {"email_question": load_journey(ROOT / "journeys" / "email_question.yaml")}
        targets = {"demo": load_target(ROOT / "journeys" / "targets" / "demo.yaml")}
        workers = args.workers or available_cores()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        runs = []
        for _ in range(max(1, args.repeat)):
            c0, t0 = _cpu(), time.perf_counter()
            store = Store(db)
            card = build_scorecard(store, "bench", journeys, targets, quality=not args.no_quality, reparse=args.reparse, workers=workers)
            t1 = time.perf_counter()
            paths = write_scorecard(card, Path(tmp) / "out", journeys=journeys, workers=workers)
            t2 = time.perf_counter()
            store.close()
            del card
            runs.append((t2 - t0, t1 - t0, t2 - t1, _cpu() - c0))
            print(f"build (read store, score): {t1 - t0:.2f}s · write (HTML, JSON, JUnit, Markdown): {t2 - t1:.2f}s · "
                  f"CPU {runs[-1][3]:.2f}s (all {workers} processes)")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 if workers > 1 else 0.0
        sizes = {name: round(path.stat().st_size / 1e6, 1) for name, path in paths.items()}
        best = min(runs)
        median = statistics.median(r[0] for r in runs)
        print(f"peak RSS {peak:.0f} MB (before the timed part: {rss_before:.0f} MB; largest child process: {child_peak:.0f} MB, the store filler included if it ran) · output sizes MB: {sizes} · load average {os.getloadavg()[0]:.1f}")
        print(f"target: < 3 s and < 300 MB → {'met' if best[0] < 3 and peak < 300 else 'NOT met'}")
        print(json.dumps({"probes": args.probes, "seconds": round(best[0], 2), "peak_rss_mb": round(peak, 1),
                          "build_seconds": round(best[1], 2), "write_seconds": round(best[2], 2), "cpu_seconds": round(best[3], 2),
                          "median_seconds": round(median, 2), "repeat": len(runs), "quality": not args.no_quality,
                          "workers": workers, "child_peak_rss_mb": round(child_peak, 1)}))


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the scoring and writing shares)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _filled(db: str, probes: int) -> bool:
    """Whether the store at `db` already holds the benchmark run with `probes` probes."""
    import sqlite3

    if not Path(db).exists():
        return False
    try:
        conn = sqlite3.connect(db)
        count = conn.execute("SELECT count(*) FROM probes WHERE run_id = 'bench'").fetchone()[0]
        conn.close()
    except sqlite3.Error:
        return False
    return count == probes


if __name__ == "__main__":
    main()
