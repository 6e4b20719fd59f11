"""Benchmark: the run store on PostgreSQL against SQLite, at 10,000 probes: ingest and scoring, side by side.

For each engine, on a fresh store (SQLite: a file in a temporary folder; PostgreSQL: a database on a server started
here from Debian's binaries, on 127.0.0.1, fsync on as in production):

- ingest: 10,000 received messages stored as the probe mailbox stores them (`Store.amessage`, awaited before the
  250; at most --in-flight at once on one event loop), then annotated as the mailbox does once parsed
  (`post`ed annotations): messages per second, counting only the commits of the stores;
- scoring: a synthetic 10,000-probe run (scorecard/synthetic.py), its verdicts and entries recorded as the engine
  does (untimed), then its scorecard built from the store as `mysteryshop report` does (`build_scorecard`):
  seconds, the best of --repeat.

    .venv/bin/python bench/store_engines.py
    .venv/bin/python bench/store_engines.py --probes 2000 --repeat 1

Target: PostgreSQL within 2x of SQLite on both. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mysteryshop.store import Store  # noqa: E402

RAW = (b"From: Northwind Support <support@northwind.demo>\r\nTo: p{n}@probe.mysteryshop.test\r\nSubject: Re: your order\r\n"
       b"Message-ID: <{n}@northwind.demo>\r\n\r\n" + b"Thanks for writing to us. We will refund the item within 5 days. " * 12)


def ingest(location: Path | str, messages: int, in_flight: int) -> float:
    """Messages per second stored and annotated through the store's write path."""
    store = Store(location)
    try:
        store.create_run("ingest", {})

        async def receive() -> None:
            gate = asyncio.Semaphore(in_flight)

            async def one(n: int) -> None:
                async with gate:
                    rowid = await store.amessage("ingest", "in", "support@northwind.demo", [f"p{n}@probe.mysteryshop.test"],
                                                 time.monotonic_ns(), RAW.replace(b"{n}", str(n).encode()))
                    store.post(*store.annotation(rowid, probe_id=f"p{n}", matched_by="recipient", subject="Re: your order",
                                                 text="Thanks for writing to us.", malformed=0))

            await asyncio.gather(*(one(n) for n in range(messages)))
            await store.aflush()

        started = time.perf_counter()
        asyncio.run(receive())
        seconds = time.perf_counter() - started
        assert store.rows("SELECT count(*) FROM messages WHERE probe_id IS NOT NULL") == [(messages,)]
        return messages / seconds
    finally:
        store.close()


def scoring(location: Path | str, probes: int, repeat: int) -> tuple[float, float]:
    """(seconds to fill the store, untimed in the figure; best seconds to build the scorecard)."""
    from mysteryshop.journey import load_journey
    from mysteryshop.scorecard.build import build_scorecard
    from mysteryshop.scorecard.synthetic import record_as_the_engine_does, write_synthetic_run
    from mysteryshop.target import load_target

    journeys = {"email_question": load_journey(ROOT / "journeys" / "email_question.yaml")}
    targets = {"demo": load_target(ROOT / "journeys" / "targets" / "demo.yaml")}
    started = time.perf_counter()
    write_synthetic_run(location, "bench", probes=probes, seed=7)
    record_as_the_engine_does(location, "bench", journeys, targets)
    filled = time.perf_counter() - started
    best = float("inf")
    for _ in range(repeat):
        store = Store(location)
        try:
            started = time.perf_counter()
            card = build_scorecard(store, "bench", journeys, targets)
            best = min(best, time.perf_counter() - started)
            assert len(card["probes"]) == probes
        finally:
            store.close()
    return filled, best


def measure(engine: str, fresh: Callable[[str], Path | str], args: argparse.Namespace) -> dict[str, float]:
    rate = ingest(fresh("ingest"), args.probes, args.in_flight)
    print(f"{engine}: ingest {rate:,.0f} messages/s", flush=True)
    filled, seconds = scoring(fresh("score"), args.probes, args.repeat)
    print(f"{engine}: scorecard of {args.probes} probes in {seconds:.2f}s (store filled in {filled:.1f}s, untimed)", flush=True)
    return {"messages_per_s": rate, "scorecard_s": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2, help="build the scorecard this many times; the best counts")
    parser.add_argument("--in-flight", type=int, default=500, help="messages being stored at once (as many SMTP sessions)")
    args = parser.parse_args()
    from mysteryshop.storage.pgserver import running_server

    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        figures["sqlite"] = measure("sqlite", lambda name: Path(tmp) / f"{name}.sqlite", args)
    with running_server(fsync=True) as server:
        figures["postgresql"] = measure("postgresql", server.create_database, args)
    sqlite, pg = figures["sqlite"], figures["postgresql"]
    ingest_ratio = sqlite["messages_per_s"] / pg["messages_per_s"]
    scoring_ratio = pg["scorecard_s"] / sqlite["scorecard_s"]
    print()
    print(f"{'':24}{'SQLite':>12}{'PostgreSQL':>14}{'PostgreSQL slower by':>24}")
    print(f"{'ingest (messages/s)':24}{sqlite['messages_per_s']:>12,.0f}{pg['messages_per_s']:>14,.0f}{ingest_ratio:>23.2f}x")
    print(f"{'scorecard (seconds)':24}{sqlite['scorecard_s']:>12.2f}{pg['scorecard_s']:>14.2f}{scoring_ratio:>23.2f}x")
    within = ingest_ratio <= 2 and scoring_ratio <= 2
    print(f"target: PostgreSQL within 2x of SQLite: {'met' if within else 'NOT met'}")
    result: dict[str, Any] = {"probes": args.probes, "sqlite": {k: round(v, 2) for k, v in sqlite.items()},
                              "postgresql": {k: round(v, 2) for k, v in pg.items()},
                              "ingest_ratio": round(ingest_ratio, 2), "scorecard_ratio": round(scoring_ratio, 2), "within_2x": within}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
