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

Then several companies side by side: one run of 100 companies × 100 probes (filled the same way, untimed),
reported with its league table, a journey map per company and a page per company
(companies/<name>.html). Target: under 6 s and under 400 MB peak RSS. `--companies 0` leaves it out.

    .venv/bin/python bench/report_scale.py            # 10,000 probes
    .venv/bin/python bench/report_scale.py --probes 1000
    .venv/bin/python bench/report_scale.py --repeat 5 --store /tmp/scale.sqlite   # best and median of 5; the store kept
    .venv/bin/python bench/report_scale.py --companies 10 --company-probes 50      # a smaller league

The scorecard reads each message's parsed fields as the engine stored them; --reparse parses
every raw message again instead (the path for a run scored again with a better mail parser).

The last line is one JSON object: {"probes", "seconds" (best run), "peak_rss_mb", "median_seconds", "cpu_seconds", ...,
"companies", "league_seconds", "league_peak_rss_mb", "league_pages"}.
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


def _record(db: str, run_id: str = "bench", companies: int = 0) -> None:
    """What a run records as it judges its probes (runner.Engine), for this code: reply-quality verdicts, scorecard entries."""
    from mysteryshop.scorecard.synthetic import record_as_the_engine_does

    journeys, targets = _journeys_and_targets(companies)
    record_as_the_engine_does(db, run_id, journeys, targets)


def _journeys_and_targets(companies: int = 0) -> tuple[dict, dict]:
    """The benchmark's journey and its target: the demo, or (`companies`) that many companies made of it."""
    from mysteryshop.journey import load_journey
    from mysteryshop.target import Target, load_target

    demo = load_target(ROOT / "journeys" / "targets" / "demo.yaml")
    journeys = {"email_question": load_journey(ROOT / "journeys" / "email_question.yaml")}
    if not companies:
        return journeys, {"demo": demo}
    return journeys, {name: Target(spec=demo.spec.model_copy(update={"name": name, "title": f"Company {i:03d} Ltd"}), path=demo.path)
                      for i, name in enumerate(_company_names(companies))}


def _company_names(companies: int) -> list[str]:
    return [f"co{i:03d}" for i in range(companies)]


LEAGUE_RUN = "league"


def _fill_league(db: str, companies: int, probes: int) -> None:
    """One run of `companies` companies, `probes` probes each, behaving from excellent to poor; recorded as the engine does."""
    from mysteryshop.scorecard.synthetic import (
        EXCELLENT,
        POOR,
        Behaviour,
        write_synthetic_run,
    )

    behaviours = (EXCELLENT, Behaviour(), POOR)
    for i, name in enumerate(_company_names(companies)):
        write_synthetic_run(db, LEAGUE_RUN, target=name, probes=probes, behaviour=behaviours[i % 3], seed=100 + i)
    _record(db, LEAGUE_RUN, companies)


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
    parser.add_argument("--companies", type=int, default=100, help="companies in the league run (0: no league run; default: 100)")
    parser.add_argument("--company-probes", type=int, default=100, help="probes per company in the league run (default: 100)")
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
            figures = _in_fresh_process(db, out, {**options, "rescore": rescore, "entries": entries}, "bench", 0)
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
        league = _league(args, Path(tmp), options) if args.companies > 0 else None
        print(json.dumps({"probes": args.probes, "seconds": round(best["seconds"], 2), "peak_rss_mb": round(peak, 1),
                          "build_seconds": round(best["build"], 2), "write_seconds": round(best["write"], 2), "cpu_seconds": round(best["cpu"], 2),
                          "median_seconds": round(median, 2), "repeat": len(runs), "quality": not args.no_quality,
                          "workers": workers, "child_peak_rss_mb": round(child_peak, 1), "rescore": args.rescore,
                          "no_entries": args.no_entries, "rows_seconds": round(from_rows["seconds"], 2) if from_rows else None,
                          "rescore_seconds": round(rescored["seconds"], 2) if rescored else None,
                          "companies": args.companies, "company_probes": args.company_probes if league else None,
                          "league_seconds": round(league["seconds"], 2) if league else None,
                          "league_build_seconds": round(league["build"], 2) if league else None,
                          "league_write_seconds": round(league["write"], 2) if league else None,
                          "league_peak_rss_mb": round(league["peak"], 1) if league else None,
                          "league_cpu_seconds": round(league["cpu"], 2) if league else None,
                          "league_pages": league["pages"] if league else None}))


def _league(args: argparse.Namespace, tmp: Path, options: dict) -> dict[str, float]:  # type: ignore[type-arg]
    """The league run: filled once (untimed; kept beside --store), then reported in a fresh process."""
    db = f"{args.store}.league-{args.companies}x{args.company_probes}" if args.store else str(tmp / "league.sqlite")
    if not _filled(db, args.companies * args.company_probes, LEAGUE_RUN):
        Path(db).unlink(missing_ok=True)
        started = time.perf_counter()
        _in_child(_fill_league, db, args.companies, args.company_probes)
        print(f"filled the league store: {args.companies} companies × {args.company_probes} probes, verdicts and entries in "
              f"{time.perf_counter() - started:.1f}s (untimed)")
    elif not _has_records(db, LEAGUE_RUN):
        started = time.perf_counter()
        _in_child(_record, db, LEAGUE_RUN, args.companies)
        print(f"recorded this code's verdicts and entries in the kept league store in {time.perf_counter() - started:.1f}s (untimed)")
    out = tmp / "league-out"
    figures = _in_fresh_process(db, out, {**options, "rescore": False, "entries": True}, LEAGUE_RUN, args.companies)
    figures["pages"] = len(list((out / "companies").glob("*.html")))
    print(f"league of {args.companies} companies × {args.company_probes} probes: build (read store, score, a grade per company, "
          f"trends): {figures['build']:.2f}s · write (league table, {figures['pages']} company pages with their maps, HTML, JSON, "
          f"JUnit, Markdown): {figures['write']:.2f}s · total {figures['seconds']:.2f}s · CPU {figures['cpu']:.2f}s (all processes) · "
          f"peak RSS {figures['peak']:.0f} MB · load average {os.getloadavg()[0]:.1f}")
    ok = figures["seconds"] < 6 and figures["peak"] < 400
    print(f"target: < 6 s and < 400 MB → {'met' if ok else 'NOT met'}")
    return figures


def _report(db: str, out: Path, options: dict, run_id: str, companies: int, send) -> None:  # type: ignore[no-untyped-def, type-arg]
    """One timed report (`mysteryshop report` does the same), in a process of its own: its figures sent back."""
    from mysteryshop.scorecard.build import build_scorecard
    from mysteryshop.scorecard.write import write_scorecard
    from mysteryshop.store import Store

    journeys, targets = _journeys_and_targets(companies)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    c0, t0 = _cpu(), time.perf_counter()
    store = Store(db)
    card = build_scorecard(store, run_id, journeys, targets, **options)
    t1 = time.perf_counter()
    write_scorecard(card, out, journeys=journeys, workers=options["workers"], store=store)  # .eml files of the probes shown, as `report` writes them
    t2 = time.perf_counter()
    store.close()
    send.send({"seconds": t2 - t0, "build": t1 - t0, "write": t2 - t1, "cpu": _cpu() - c0, "before": before,
               "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               "child_peak": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024})
    send.close()


def _in_fresh_process(db: str, out: Path, options: dict, run_id: str, companies: int) -> dict[str, float]:  # type: ignore[type-arg]
    """`_report` in a new process: each run's peak RSS is its own, not the high-water mark of the runs before it."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_report, args=(db, out, options, run_id, companies, send))
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


def _has_records(db: str, run_id: str = "bench") -> bool:
    """Whether the kept store holds verdicts of this scorer and entries of this code for the benchmark run (`run_id`)."""
    from mysteryshop.scorecard.entries import entry_scorer
    from mysteryshop.scoring.shared_scores import scorer_id
    from mysteryshop.store import Store

    journeys, targets = _journeys_and_targets()
    store = Store(db)
    try:
        entries = store.query("SELECT COUNT(*) AS n FROM entries WHERE run_id = ? AND scorer = ?",
                              (run_id, entry_scorer(journeys["email_question"], targets["demo"].spec.speedup, True)))
        return bool(store.verdicts(run_id, scorer_id())) and entries[0]["n"] > 0
    finally:
        store.close()


def _filled(db: str, probes: int, run_id: str = "bench") -> bool:
    """Whether the store at `db` already holds the benchmark run (`run_id`) with `probes` probes."""
    import sqlite3

    if not Path(db).exists():
        return False
    try:
        conn = sqlite3.connect(db)
        count = conn.execute("SELECT count(*) FROM probes WHERE run_id = ?", (run_id,)).fetchone()[0]
        conn.close()
    except sqlite3.Error:
        return False
    return count == probes


if __name__ == "__main__":
    main()
