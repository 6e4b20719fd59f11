"""Benchmark: 4 shards (`--shard i/4 --run-id R`) of N/4 probes each against the demo desk give the figures of one
run of N (default 1,000): grades, rates, counts, each persona's result. tests/test_shards.py checks the same at 16
probes and, marked slow, at 1,000 (the size issue 18 names); this prints the figures side by side.

    .venv/bin/python bench/shard_figures.py                    # N = 1000, SQLite stores
    .venv/bin/python bench/shard_figures.py --n 200 --store postgresql://user@127.0.0.1:5432/db

Prints both runs' figures side by side and the wall time of each; the last line is one JSON object.
With --store the sharded run goes there (the single run keeps a SQLite file of its own).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_shards import _figures, _items_run, _project, _pytest  # noqa: E402  the test's project (journey, probe, desk) and figures

SHARDS = 4


def _done(process: subprocess.Popen[str], timeout: float) -> str:
    out, _ = process.communicate(timeout=timeout)
    if process.returncode not in (0, 1):
        raise SystemExit(f"pytest ended with {process.returncode}:\n{out[-3000:]}")
    return out


def _card(project: Path, run_id: str) -> dict[str, Any]:
    return json.loads((project / "reports" / run_id / "scorecard.json").read_text())


def _headline(figures: dict[str, Any]) -> dict[str, Any]:
    return {"grades": figures["grades"], **{f"summary.{key}": value for key, value in figures["summary"].items()},
            **{f"{channel}.{name}": f"{m[0]}/{m[1]} rate {m[2]}" for channel, metrics in figures["metrics"].items() for name, m in metrics.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="probes in all (a multiple of 4)")
    parser.add_argument("--store", default=None, help="the sharded run's store (a postgresql:// URL); default a SQLite file")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds each pytest may take at most")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="shard-figures-") as folder:
        one, sharded = _project(Path(folder) / "one"), _project(Path(folder) / "sharded")
        started = time.perf_counter()
        _done(_pytest(one, "--run-id", "one", personas=args.n), args.timeout)
        one_s = time.perf_counter() - started
        store = ["--store", args.store] if args.store else []
        started = time.perf_counter()
        shards = [_pytest(sharded, "--run-id", "R", "--shard", f"{i}/{SHARDS}", *store, personas=args.n) for i in range(1, SHARDS + 1)]
        sizes = [_items_run(_done(shard, args.timeout)) for shard in shards]
        sharded_s = time.perf_counter() - started
        a, b = _figures(_card(one, "one")), _figures(_card(sharded, "R"))
    left, right = _headline(a), _headline(b)
    print(f"{'figure':32} {'one run of ' + str(args.n):40} {f'{SHARDS} shards of {args.n // SHARDS}':40}")
    for key in left:
        print(f"{key:32} {str(left[key])[:40]:40} {str(right.get(key))[:40]:40}")
    print(f"{'probes each process walked':32} {args.n:<40} {' + '.join(map(str, sizes)):40}")
    print(f"{'wall seconds':32} {one_s:<40.1f} {sharded_s:<40.1f}")
    same = a == b
    print("same figures, persona by persona" if same else "THE FIGURES DIFFER")
    print(json.dumps({"bench": "shard_figures", "n": args.n, "shards": SHARDS, "shard_sizes": sizes, "same": same, "one_run_s": round(one_s, 1),
                      "sharded_s": round(sharded_s, 1), "engine": "postgresql" if args.store else "sqlite"}))
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
