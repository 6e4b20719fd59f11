"""How long `mysteryshop journeys check` takes as journeys grow: it should grow linearly.

Two families of generated journeys (tests/journeygen.py), each checked in-process through the CLI
(`main(["journeys", "check", FILE])`: reading, YAML, schema, references, reachability, loops and
deadlines):

- long: 100, 1,000 and 10,000 steps (an email, then three expectations, repeated);
- branching: 10, 30 and 60 expectations in a row, each branching on pass and fail and meeting again
  at the next, so 2^k paths (the checker used to walk every one of them and never finished at 30).

Prints, per size, the best wall and CPU seconds of `--repeat` checks (the least disturbed by other
work on the machine), microseconds of CPU per step and the growth against the previous size:
(CPU ratio) / (size ratio), about 1 when the check is linear. CPU time is the figure to read on a
shared machine. The last line is one JSON object.

    .venv/bin/python bench/journey_check.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mysteryshop.cli import main  # noqa: E402
from mysteryshop.yamlparse import MAX_VALUES  # noqa: E402
from mysteryshop.yamlsource import MAX_BYTES  # noqa: E402
from tests.journeygen import branching_journey, long_journey  # noqa: E402


def check_once(path: Path) -> tuple[float, float]:
    out = io.StringIO()
    wall, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(out):
        code = main(["journeys", "check", str(path)])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if code != 0:
        raise SystemExit(f"{path} did not check clean:\n{out.getvalue()}")
    return wall, cpu


def measure(folder: Path, name: str, text: str, steps: int, repeat: int) -> dict[str, float | int]:
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    runs = [check_once(path) for _ in range(repeat)]
    wall = min(r[0] for r in runs)
    cpu = min(r[1] for r in runs)
    return {"steps": steps, "bytes": path.stat().st_size, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
            "cpu_us_per_step": round(cpu / steps * 1e6, 1)}


def family(title: str, rows: list[dict[str, float | int]], size_key: str) -> None:
    print(f"\n{title}")
    print(f"  {size_key:>12} {'steps':>7} {'KB':>7} {'wall s':>8} {'CPU s':>8} {'CPU µs/step':>12} {'growth':>7}")
    previous = None
    for row in rows:
        growth = ""
        if previous is not None:
            row["growth"] = round((row["cpu_s"] / previous["cpu_s"]) / (row[size_key] / previous[size_key]), 2)
            growth = f"{row['growth']:.2f}"
        print(f"  {row[size_key]:>12,} {row['steps']:>7,} {row['bytes'] / 1e3:>7.0f} {row['wall_s']:>8.3f} {row['cpu_s']:>8.3f} "
              f"{row['cpu_us_per_step']:>12.1f} {growth:>7}")
        previous = row


def run(repeat: int) -> dict[str, object]:
    check_once(ROOT / "journeys/email_question.yaml")  # imports and first-use costs out of the figures
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        long_rows = [measure(folder, f"long{n}", long_journey(n), n, repeat) for n in (100, 1000, 10_000)]
        branching_rows = []
        for k in (10, 30, 60):
            row = measure(folder, f"branching{k}", branching_journey(k), 3 * k + 1, repeat)
            branching_rows.append({"expectations": k, "paths": 2**k, **row})
    family("long journeys (an email and three expectations, repeated)", long_rows, "steps")
    family("branching journeys (each expectation splits on pass/fail; 2^k paths)", branching_rows, "expectations")
    print(f"\nload average during the bench: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU(s)")
    print(f"limits: files over {MAX_BYTES / 1e6:g} MB or with more than {MAX_VALUES:,} YAML values are refused before checking")
    return {
        "bench": "journey_check",
        "repeat": repeat,
        "long": long_rows,
        "branching": branching_rows,
        "growth_1k_to_10k": long_rows[-1]["growth"],
        "max_bytes": MAX_BYTES,
        "max_values": MAX_VALUES,
        "load_average": round(os.getloadavg()[0], 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="checks per size; the best is reported (default: 5)")
    result = run(parser.parse_args().repeat)
    print(json.dumps(result))
