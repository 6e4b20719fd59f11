"""The `mysteryshop` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXAMPLES = """examples:
  mysteryshop demo                          run probes/ against the embedded demo desk, write a scorecard
  mysteryshop demo --profile poor --personas 20
  mysteryshop journeys check journeys/      validate journey files, every problem with file:line:column
"""


def _demo(args: argparse.Namespace) -> int:
    import pytest

    from mysteryshop.store import new_run_id

    probes = Path(args.probes)
    if not probes.exists():
        print(f"error: no probe folder at {probes.resolve()}; run from the project root or pass --probes DIR", file=sys.stderr)
        return 2
    run_id = args.run_id or new_run_id()
    reports = Path(args.reports)
    pytest_args = [
        str(probes), "-q", "-p", "no:cacheprovider", "--no-header", "-rN", "--tb=no",
        "--target", "demo", "--demo-profile", args.profile, "--personas", str(args.personas),
        "--seed", str(args.seed), "--run-id", run_id, "--reports", str(reports),
    ]
    print(f"mysteryshop demo: {args.personas} personas against the embedded demo desk (profile '{args.profile}', seed {args.seed})")
    code = pytest.main(pytest_args)
    card = reports / run_id / "scorecard.html"
    if not card.exists():
        print(f"error: the probe run ended with pytest exit code {int(code)} and wrote no scorecard", file=sys.stderr)
        return 2
    print(f"\nScorecard: {card.resolve()}\nJSON:      {(reports / run_id / 'scorecard.json').resolve()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mysteryshop",
        description="Mystery-shopping and journey-mapping test harness for customer support.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the probe suite against the embedded demo desk and write a scorecard")
    demo.add_argument("--profile", default="typical", choices=["excellent", "typical", "poor"], help="how the demo company behaves (default: typical)")
    demo.add_argument("--personas", type=int, default=5, help="personas per journey (default: 5)")
    demo.add_argument("--seed", type=int, default=1, help="seed: the same seed gives the same run (default: 1)")
    demo.add_argument("--probes", default="probes", help="folder of probe tests (default: probes)")
    demo.add_argument("--reports", default="reports", help="where scorecards are written (default: reports)")
    demo.add_argument("--run-id", default=None, help="name of the run folder (default: time-based)")
    demo.set_defaults(func=_demo)

    from mysteryshop.journeys_cli import add_commands as add_journey_commands

    add_journey_commands(commands.add_parser("journeys", help="check, draw and describe journey files"))

    try:
        from mysteryshop.quality.cli import add_commands
    except ImportError:
        pass
    else:
        add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
