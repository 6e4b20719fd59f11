"""Scorecard at scale: HTML scorecard, JSON and JUnit for 10,000 stored probes.

The store is filled first (in a child process, untimed) with synthetic probes written as the
engine writes them: raw outgoing and incoming mail, `sent` / `probe_finished` events. Then the
timed part reads the run back from the store, scores every probe again, and writes
scorecard.html, onepager.html, scorecard.json, junit.xml and summary.md.
Target on this machine: under 3 s and under 300 MB peak RSS.

    .venv/bin/python bench/report_scale.py            # 10,000 probes
    .venv/bin/python bench/report_scale.py --probes 1000

The last line is one JSON object: {"probes", "seconds", "peak_rss_mb", ...}.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "store.sqlite")
        started = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(target=_fill, args=(db, args.probes))
        child.start()
        child.join()
        print(f"filled the store with {args.probes} probes in {time.perf_counter() - started:.1f}s (untimed)")

        from mysteryshop.journey import load_journey
        from mysteryshop.scorecard.build import build_scorecard
        from mysteryshop.scorecard.write import write_scorecard
        from mysteryshop.store import Store
        from mysteryshop.target import load_target

        journeys = {"email_question": load_journey(ROOT / "journeys" / "email_question.yaml")}
        targets = {"demo": load_target(ROOT / "journeys" / "targets" / "demo.yaml")}
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        store = Store(db)
        card = build_scorecard(store, "bench", journeys, targets, quality=not args.no_quality)
        t1 = time.perf_counter()
        paths = write_scorecard(card, Path(tmp) / "out", journeys=journeys)
        t2 = time.perf_counter()
        store.close()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        sizes = {name: round(path.stat().st_size / 1e6, 1) for name, path in paths.items()}
        print(f"build (read store, parse, score): {t1 - t0:.2f}s · write (HTML, JSON, JUnit, Markdown): {t2 - t1:.2f}s")
        print(f"peak RSS {peak:.0f} MB (before the timed part: {rss_before:.0f} MB) · output sizes MB: {sizes}")
        print(f"target: < 3 s and < 300 MB → {'met' if t2 - t0 < 3 and peak < 300 else 'NOT met'}")
        print(json.dumps({"probes": args.probes, "seconds": round(t2 - t0, 2), "peak_rss_mb": round(peak, 1),
                          "build_seconds": round(t1 - t0, 2), "write_seconds": round(t2 - t1, 2), "quality": not args.no_quality}))


if __name__ == "__main__":
    main()
