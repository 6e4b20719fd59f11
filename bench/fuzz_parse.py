"""Benchmark: parse_mail on hostile messages: how many were tried, how many raised (goal 0), the slowest parse
(goal < 1 s for any message up to 30 MB), and each ~30 MB shape's parse time.

Messages come from tests/hostile_mail.py (the kinds the fuzz test draws: random bytes, mutated headers, junk and
lying charsets, 50-3,000-deep multiparts, bad base64 and quoted-printable, 8-bit headers, odd boundaries, huge
header lines, hostile HTML, thousands of parts), one kind after another, each from its own seeded Random, until
--count messages or --seconds have gone by. Then one message of each ~30 MB shape (tests/hostile_mail.LARGE) is
parsed, with the customer's text given (so quoted text is cut as in a run).

    .venv/bin/python bench/fuzz_parse.py                  # 2,000 messages or 120 s, then the 30 MB shapes
    .venv/bin/python bench/fuzz_parse.py --count 200      # quicker

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mysteryshop.collect.parse import parse_mail  # noqa: E402
from tests import hostile_mail  # noqa: E402

CUSTOMER = "Hello, can I return my order after 30 days? It arrived broken and I would like a refund please."


def _timed(raw: bytes) -> tuple[float, str | None]:
    start = time.perf_counter()
    try:
        parse_mail(raw, customer_text=CUSTOMER)
        error = None
    except Exception:  # noqa: BLE001 - what the benchmark counts
        error = traceback.format_exc(limit=3)
    return time.perf_counter() - start, error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="hostile messages to try at most (default 2000)")
    parser.add_argument("--seconds", type=float, default=120.0, help="stop trying new ones after this long (default 120)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--large-mb", type=int, default=30, help="size of the large shapes in MB (default 30)")
    args = parser.parse_args()

    kinds = sorted(hostile_mail.KINDS)
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    failures: list[tuple[str, int, str]] = []
    slowest = (0.0, "", 0)
    started = time.monotonic()
    tried = 0
    while tried < args.count and time.monotonic() - started < args.seconds:
        kind = kinds[tried % len(kinds)]
        raw = hostile_mail.make(kind, random.Random(args.seed * 1_000_003 + tried))
        elapsed, error = _timed(raw)
        tried += 1
        times[kind].append(elapsed)
        if error:
            failures.append((kind, tried, error))
        if elapsed > slowest[0]:
            slowest = (elapsed, kind, len(raw))
    fuzz_s = time.monotonic() - started

    print(f"hostile messages: {tried} in {fuzz_s:.1f} s, {len(failures)} parse failure(s)")
    for kind in kinds:
        if times[kind]:
            print(f"  {kind:<32} n={len(times[kind]):>5}  median {statistics.median(times[kind]) * 1e3:7.2f} ms  "
                  f"max {max(times[kind]) * 1e3:7.1f} ms")
    for kind, n, error in failures[:5]:
        print(f"FAILED: {kind} (message {n}):\n{error}")
    print(f"slowest: {slowest[0] * 1e3:.1f} ms ({slowest[1]}, {slowest[2]:,} bytes)")

    large: dict[str, float] = {}
    size = args.large_mb * hostile_mail.MB
    for kind in hostile_mail.LARGE:
        raw = hostile_mail.large(kind, size)
        elapsed, error = _timed(raw)
        large[kind] = round(elapsed, 3)
        if error:
            failures.append((f"large {kind}", 0, error))
        if elapsed > slowest[0]:
            slowest = (elapsed, f"large {kind}", len(raw))
        print(f"{args.large_mb} MB {kind:<15} {len(raw) / hostile_mail.MB:5.1f} MB  parsed in {elapsed:.3f} s" + ("  FAILED" if error else ""))
        del raw
    worst_large = max(large, key=large.__getitem__)
    print(json.dumps({
        "messages": tried, "fuzz_seconds": round(fuzz_s, 1), "parse_failures": len(failures),
        "slowest_parse_s": round(slowest[0], 3), "slowest_kind": slowest[1], "slowest_bytes": slowest[2],
        "large_mb": args.large_mb, "large_slowest_s": large[worst_large], "large_slowest_kind": worst_large, "large_s": large,
        "goal_parse_failures": 0, "goal_slowest_s": 1.0,
    }))


if __name__ == "__main__":
    main()
