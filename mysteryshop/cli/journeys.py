"""`mysteryshop journeys ...`: check, draw and describe journey files."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

CHECK_EXAMPLES = """examples:
  mysteryshop journeys check                      every file in journeys/ and journeys/targets/
  mysteryshop journeys check journeys/email_question.yaml --target demo
"""
DRAW_EXAMPLES = """examples:
  mysteryshop journeys draw                       an SVG map per journey into reports/maps/
  mysteryshop journeys draw --run 20261123-070722-a389 --format png
"""


def _files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files += sorted(path.glob("*.yaml"))
            files += sorted((path / "targets").glob("*.yaml"))
        else:
            files.append(path)
    return files


def target_problems(journey: Any, target: Any) -> list[str]:
    """What a journey asks of a target that its file lacks: a channel section, a form field, a clock for business deadlines."""
    from mysteryshop.errors import suggest
    from mysteryshop.plan import clock_problems
    from mysteryshop.yamlsource import position, read_yaml

    doc = read_yaml(journey.path)
    problems = clock_problems(journey, target)  # business deadlines need the target's clock

    def where(index: int, *loc: str) -> str:
        line, col = position(doc, ["steps", index, *loc])
        return f"{journey.path}:{line}:{col}"

    for index, step in enumerate(journey.steps):
        if not step.is_action:
            continue
        channel = getattr(target.spec, step.channel or "", None)
        if channel is None:
            problems.append(
                f"{where(index, 'do')}: steps[{index}] ('{step.id}') uses channel '{step.channel}', but target file {target.path} "
                f"has no '{step.channel}:' section. Add one, or run this journey against another target"
            )
            continue
        known = list(getattr(channel, "fields", None) or {})
        for name in getattr(step, "fields", None) or {}:
            if name not in known:
                problems.append(
                    f"{where(index, 'fields', name)}: steps[{index}].fields.{name}: target file {target.path} has no form field '{name}'."
                    f"{suggest(name, known)} Its fields: {', '.join(known) or '(none)'}"
                )
    return problems


def check(args: argparse.Namespace) -> int:
    from mysteryshop.errors import JourneyError
    from mysteryshop.journey import load_journey
    from mysteryshop.target import load_target

    files = _files(args.paths)
    if not files:
        print("error: no journey files found in " + ", ".join(args.paths), file=sys.stderr)
        return 2
    problems = 0
    journeys, targets = [], []
    for path in files:
        try:
            if path.parent.name == "targets":
                targets.append(load_target(path))
            else:
                journeys.append(load_journey(path))
            print(f"ok    {path}")
        except JourneyError as exc:
            problems += exc.total
            for line in exc.problems:
                print(line)
    wanted = [t for t in targets if t.name in (args.target or ["demo"])]
    for journey in journeys:
        for target in wanted:
            for line in target_problems(journey, target):
                problems += 1
                print(line)
    print(f"{len(files)} file(s), {problems} problem(s)")
    return 1 if problems else 0


def draw(args: argparse.Namespace) -> int:
    from mysteryshop.errors import JourneyError
    from mysteryshop.journey import load_journey
    from mysteryshop.journeymap import journey_stats, render

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    probes: list[dict[str, Any]] = []
    if args.run:
        card_path = Path(args.reports) / args.run / "scorecard.json"
        if not card_path.exists():
            print(f"error: no scorecard at {card_path}; run the probes first or name an existing run", file=sys.stderr)
            return 2
        probes = json.loads(card_path.read_text(encoding="utf-8"))["probes"]
    code = 0
    for path in [p for p in _files(args.paths) if p.parent.name != "targets"]:
        try:
            journey = load_journey(path)
        except JourneyError as exc:
            print("\n".join(exc.problems), file=sys.stderr)
            code = 2
            continue
        steps, edges = journey_stats(journey, probes) if args.run else (None, None)
        target = out / f"{journey.name}.{args.format}"
        target.write_bytes(render(journey, args.format, steps, edges))
        print(target)
    return code


def schema(args: argparse.Namespace) -> int:
    from mysteryshop.journey import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        print(args.out)
    return 0


def add_commands(journeys: argparse.ArgumentParser) -> None:
    """Add check / draw / schema under `mysteryshop journeys`."""
    sub = journeys.add_subparsers(dest="journeys_command", metavar="SUBCOMMAND")
    fmt = argparse.RawDescriptionHelpFormatter
    c = sub.add_parser("check", help="validate journey and target files", epilog=CHECK_EXAMPLES, formatter_class=fmt)
    c.add_argument("paths", nargs="*", default=["journeys"], help="files or folders (default: journeys)")
    c.add_argument("--target", action="append", help="check that these targets have every channel the journeys use (repeatable; default: demo)")
    c.set_defaults(func=check)
    d = sub.add_parser("draw", help="draw journey maps with graphviz", epilog=DRAW_EXAMPLES, formatter_class=fmt)
    d.add_argument("paths", nargs="*", default=["journeys"], help="files or folders (default: journeys)")
    d.add_argument("--run", help="colour the map by this run's outcomes (its scorecard.json)")
    d.add_argument("--reports", default="reports", help="reports folder (default: reports)")
    d.add_argument("--format", default="svg", choices=["svg", "png", "pdf"], help="output format (default: svg)")
    d.add_argument("--out", default="reports/maps", help="output folder (default: reports/maps)")
    d.set_defaults(func=draw)
    s = sub.add_parser("schema", help="print the JSON Schema of journey files (for editors)")
    s.add_argument("--out", default="-", help="file to write (default: standard output)")
    s.set_defaults(func=schema)
