"""`mysteryshop quality eval`: agreement of each engine with the labelled set."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from mysteryshop.quality.criteria import CRITERIA
from mysteryshop.quality.engines import ENGINES
from mysteryshop.quality.labelled import DEFAULT_LABELLED, LabelledSetError, load_labelled


def add_commands(subparsers: Any) -> None:
    """Add `quality eval` to the main CLI's subparsers."""
    quality = subparsers.add_parser("quality", help="reply-quality tools")
    quality_sub = quality.add_subparsers(dest="quality_command", required=True)
    evaluate = quality_sub.add_parser("eval", help="agreement, precision and recall of each engine on a labelled set")
    evaluate.add_argument("--labelled", default=str(DEFAULT_LABELLED), help=f"labelled YAML (default: {DEFAULT_LABELLED})")
    evaluate.add_argument(
        "--engine", action="append", choices=list(ENGINES), dest="engines",
        help="engine to evaluate; repeat for several (default: rules, semantic if installed, llm if MYSTERYSHOP_LLM_URL is set)",
    )
    evaluate.add_argument("--criterion", action="append", choices=list(CRITERIA), dest="criteria", help="limit to these criteria")
    evaluate.add_argument("--misses", action="store_true", help="list each disagreement with the engine's reason")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    evaluate.set_defaults(func=run_eval)


def _default_engines() -> list[str]:
    from mysteryshop.quality.engines.semantic import semantic_available

    engines = ["rules"]
    if semantic_available():
        engines.append("semantic")
    if os.environ.get("MYSTERYSHOP_LLM_URL"):
        engines.append("llm")
    return engines


def run_eval(args: argparse.Namespace) -> int:
    """Score the labelled set with each engine and print the figures; 2 when the set or an engine is unusable."""
    from mysteryshop.quality.evaluation import format_table, tally
    from mysteryshop.quality.scoring import score_many

    try:
        items = load_labelled(args.labelled)
    except LabelledSetError as exc:
        print(f"mysteryshop quality eval: {exc}", file=sys.stderr)
        return 2
    criteria = tuple(args.criteria or CRITERIA)
    engines = args.engines or _default_engines()
    report: dict[str, Any] = {"labelled": args.labelled, "exchanges": len(items), "engines": {}}
    for engine in engines:
        try:
            results = score_many([i.exchange for i in items], criteria, engine)
        except (ImportError, RuntimeError, ValueError) as exc:
            print(f"mysteryshop quality eval: engine {engine!r} could not run: {exc}", file=sys.stderr)
            return 2
        tallies = tally(items, results, criteria)
        report["engines"][engine] = {
            name: {"n": t.labelled, "agreement": t.agreement, "precision": t.precision, "recall": t.recall, "unscored": t.unscored}
            for name, t in tallies.items()
        }
        if not args.json:
            print(format_table(engine, tallies))
            if args.misses:
                for name, t in tallies.items():
                    for miss in t.misses:
                        print(f"    {name}: {miss}")
            print()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{len(items)} labelled exchanges from {args.labelled}")
    return 0
