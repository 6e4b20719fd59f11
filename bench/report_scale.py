"""Scorecard at scale: HTML scorecard, JSON and JUnit for 10,000 stored probes.

The store is filled first (in a child process, untimed) with synthetic probes written as the
engine writes them: raw outgoing and incoming mail, `sent` / `probe_finished` events, the
reply-quality verdicts the engine records as it judges each probe, and the scorecard entry it
records for each probe once it has finished (scorecard/entries.py). Then the timed part builds
the scorecard from the store as `mysteryshop report` does (each probe's recorded entry, checked
against the probe's rows and the code, journey and speed-up it was made with) and writes
scorecard.html, onepager.html, scorecard.json, junit.xml, summary.md, probes.csv, expectations.csv and the
.eml file of every message of the probes the QA page shows. Two more runs are
timed: one scoring every probe from its rows (the verdicts reused; a run that recorded no
entries, e.g. a campaign), printed as rows_seconds, and one scoring every probe and reply again
(`report --rescore`, or another version of mysteryshop), printed as rescore_seconds.
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
    _record(db)


def _record(db: str) -> None:
    """What a run records as it judges its probes (runner.Engine), for this code: reply-quality verdicts, scorecard entries."""
    from mysteryshop.scorecard.synthetic import record_as_the_engine_does

    journeys, targets = _journeys_and_targets()
    record_as_the_engine_does(db, "bench", journeys, targets)


def _journeys_and_targets() -> tuple[dict, dict]:
    from mysteryshop.journey import load_journey
    from mysteryshop.target import load_target

    return ({"email_question": load_journey(ROOT / "journeys" / "email_question.yaml")},
            {"demo": load_target(ROOT / "journeys" / "targets" / "demo.yaml")})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", type=int, default=10_000)
    parser.add_argument("--no-quality", action="store_true", help="leave out reply-quality scoring of each first answer")
    parser.add_argument("--repeat", type=int, default=1, help="time the scorecard this many times (same store); seconds is the best, median_seconds the median")
    parser.add_argument("--store", default=None, help="keep the filled store here and reuse it when it already holds the run (filling is slow)")
    parser.add_argument("--reparse", action="store_true", help="parse every raw message again instead of reading the stored fields")
    parser.add_argument("--no-entries", action="store_true",
                        help="score every probe from its rows in every timed run instead of taking the entries the run recorded "
                             "(by default one extra run does this, reported as rows_seconds)")
    parser.add_argument("--rescore", action="store_true",
                        help="score every reply again in every timed run instead of reusing the verdicts the run stored "
                             "(by default one extra run does this, reported as rescore_seconds)")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes for scoring and writing (default: the cores available); cpu_seconds counts them all")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.store or str(Path(tmp) / "store.sqlite")
        if not _filled(db, args.probes):
            Path(db).unlink(missing_ok=True)
            started = time.perf_counter()
            _in_child(_fill, db, args.probes)
            print(f"filled the store with {args.probes} probes, their verdicts and entries in {time.perf_counter() - started:.1f}s (untimed)")
        elif not _has_records(db):
            started = time.perf_counter()
            _in_child(_record, db)
            print(f"recorded this code's verdicts and entries in the kept store in {time.perf_counter() - started:.1f}s (untimed)")

        from mysteryshop.scorecard.shares import available_cores

        workers = args.workers or available_cores()
        out = Path(tmp) / "out"
        options = {"quality": not args.no_quality, "reparse": args.reparse, "workers": workers}

        def timed(rescore: bool, entries: bool = not args.no_entries) -> dict[str, float]:
            figures = _in_fresh_process(db, out, {**options, "rescore": rescore, "entries": entries})
            how = "scoring every probe and reply again: " if rescore else "" if entries else "scoring every probe from its rows: "
            print(f"{how}build (read store, score): {figures['build']:.2f}s · write (HTML, JSON, JUnit, Markdown): {figures['write']:.2f}s"
                  f" · CPU {figures['cpu']:.2f}s (all {workers} processes) · peak RSS {figures['peak']:.0f} MB"
                  f" (before: {figures['before']:.0f} MB; largest forked share: {figures['child_peak']:.0f} MB)", flush=True)
            return figures

        runs = [timed(args.rescore) for _ in range(max(1, args.repeat))]
        from_rows = None if args.rescore or args.no_entries else timed(False, entries=False)
        rescored = None if args.rescore or args.no_quality else timed(True)
        paths = {name: out / file for name, file in (("json", "scorecard.json"), ("html", "scorecard.html"), ("onepager", "onepager.html"),
                                                     ("junit", "junit.xml"), ("markdown", "summary.md"))}
        peak = max(r["peak"] for r in runs)
        child_peak = max(r["child_peak"] for r in runs)
        sizes = {name: round(path.stat().st_size / 1e6, 1) for name, path in paths.items()}
        best = min(runs, key=lambda r: r["seconds"])
        median = statistics.median(r["seconds"] for r in runs)
        print(f"peak RSS {peak:.0f} MB (of the report's own process, each run in a fresh one; largest forked share: {child_peak:.0f} MB)"
              f" · output sizes MB: {sizes} · load average {os.getloadavg()[0]:.1f}")
        print(f"target: < 3 s and < 300 MB → {'met' if best['seconds'] < 3 and peak < 300 else 'NOT met'}")
        print(json.dumps({"probes": args.probes, "seconds": round(best["seconds"], 2), "peak_rss_mb": round(peak, 1),
                          "build_seconds": round(best["build"], 2), "write_seconds": round(best["write"], 2), "cpu_seconds": round(best["cpu"], 2),
                          "median_seconds": round(median, 2), "repeat": len(runs), "quality": not args.no_quality,
                          "workers": workers, "child_peak_rss_mb": round(child_peak, 1), "rescore": args.rescore,
                          "no_entries": args.no_entries, "rows_seconds": round(from_rows["seconds"], 2) if from_rows else None,
                          "rescore_seconds": round(rescored["seconds"], 2) if rescored else None}))


def _report(db: str, out: Path, options: dict, send) -> None:  # type: ignore[no-untyped-def, type-arg]
    """One timed report (`mysteryshop report` does the same), in a process of its own: its figures sent back."""
    from mysteryshop.scorecard.build import build_scorecard
    from mysteryshop.scorecard.write import write_scorecard
    from mysteryshop.store import Store

    journeys, targets = _journeys_and_targets()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    c0, t0 = _cpu(), time.perf_counter()
    store = Store(db)
    card = build_scorecard(store, "bench", journeys, targets, **options)
    t1 = time.perf_counter()
    write_scorecard(card, out, journeys=journeys, workers=options["workers"], store=store)  # .eml files of the probes shown, as `report` writes them
    t2 = time.perf_counter()
    store.close()
    send.send({"seconds": t2 - t0, "build": t1 - t0, "write": t2 - t1, "cpu": _cpu() - c0, "before": before,
               "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               "child_peak": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024})
    send.close()


def _in_fresh_process(db: str, out: Path, options: dict) -> dict[str, float]:  # type: ignore[type-arg]
    """`_report` in a new process: each run's peak RSS is its own, not the high-water mark of the runs before it."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_report, args=(db, out, options, send))
    child.start()
    send.close()
    try:
        figures = receive.recv()
    except EOFError:
        figures = None
    child.join()
    if figures is None or child.exitcode:
        sys.exit(f"the timed report failed (exit code {child.exitcode})")
    return figures


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the scoring and writing shares)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _in_child(work, *args) -> None:  # type: ignore[no-untyped-def]
    """Untimed set-up in a process of its own, so its memory does not count in this one's peak."""
    child = multiprocessing.get_context("spawn").Process(target=work, args=args)
    child.start()
    child.join()
    if child.exitcode:
        sys.exit(f"setting up the store failed (exit code {child.exitcode})")


def _has_records(db: str) -> bool:
    """Whether the kept store holds verdicts of this scorer and entries of this code for the benchmark run."""
    from mysteryshop.scorecard.entries import entry_scorer
    from mysteryshop.scoring.shared_scores import scorer_id
    from mysteryshop.store import Store

    journeys, targets = _journeys_and_targets()
    store = Store(db)
    try:
        entries = store.query("SELECT COUNT(*) AS n FROM entries WHERE run_id = 'bench' AND scorer = ?",
                              (entry_scorer(journeys["email_question"], targets["demo"].spec.speedup, True),))
        return bool(store.verdicts("bench", scorer_id())) and entries[0]["n"] > 0
    finally:
        store.close()


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
