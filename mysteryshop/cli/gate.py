"""`mysteryshop gate` and `mysteryshop compare`, and the gate that `run` and `report` apply: a run against the
accepted baseline (significance-tested, see mysteryshop/gate.py) and against absolute requirements."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mysteryshop.cli.common import add_common_options, load_cli_settings, open_store

GATE_EXAMPLES = """examples:
  mysteryshop gate                                  the latest run against the baseline (and the configured requirements)
  mysteryshop gate latest --require 'grade>=C' --require 'email.acknowledged.rate>=80%'
  mysteryshop gate latest --require 'email.answered.p90<8bh' --no-baseline      requirements only
  mysteryshop gate 20261123-070722-a389 --against previous --significance 0.01
  mysteryshop gate --json                           the verdict as JSON

A metric regressed when it is worse than its tolerance AND the difference is significant at the level
(default 0.05; rates: two-proportion z-test, Fisher's exact test for small counts; times: Mann-Whitney U).
A requirement is METRIC OPERATOR VALUE: grade>=C, score>=70, email.acknowledged.rate>=0.8 (or 80%),
email.answered.median<4h, email.answered.p90<8bh (business hours; elapsed for a target open around the clock).
Exit codes: 0 pass, 1 a regression or a requirement not met, 2 usage or configuration error.
"""


def requirements(settings: Any, args: argparse.Namespace | None = None) -> list[Any]:
    """The configured requirements, parsed (ConfigError naming where each came from)."""
    from mysteryshop.scorecard.build import HEADLINE
    from mysteryshop.thresholds import parse_requirement

    where = "--require" if args is not None and getattr(args, "require", None) else \
        f"{settings.root / 'pyproject.toml'} [tool.mysteryshop] require (or MYSTERYSHOP_REQUIRE)"
    return [parse_requirement(text, HEADLINE, where) for text in settings.require]


def stored_card(settings: Any, store: Any, run_id: str) -> dict[str, Any]:
    """The scorecard of a stored run, as `report` builds it (from the entries the run recorded, where they hold)."""
    from mysteryshop.journey import find_journey
    from mysteryshop.scorecard.build import build_scorecard
    from mysteryshop.scorecard.rubric import load_rubric
    from mysteryshop.target import find_target

    rows = store.query("SELECT DISTINCT journey, target FROM probes WHERE run_id = ?", (run_id,))
    journeys_dir = settings.path(settings.journeys)
    journeys = {r["journey"]: find_journey(r["journey"], journeys_dir) for r in rows}
    targets = {r["target"]: find_target(r["target"], journeys_dir / "targets") for r in rows}
    return build_scorecard(store, run_id, journeys, targets, keep=True, rubric=load_rubric(settings.rubric_file))


def speedups(card: Mapping[str, Any]) -> list[float]:
    """How much faster than real time each target of the run plays (1 for a real company)."""
    return [float((t or {}).get("speedup") or 1.0) for t in (card.get("targets") or {}).values()]


def _business_clock(card: Mapping[str, Any]) -> bool:
    return any((t or {}).get("clock") for t in (card.get("targets") or {}).values())


def company_sides(card: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each company of the run with its own headline values, samples and speed: {name: {"values", "samples", "speedups"}}.

    A run of one company is that company; a run over several gives each its own figures (its probes alone, as its
    section of the scorecard grades it), so that the gate compares a company with the same company, never a blend."""
    from mysteryshop.scorecard.build import headline_values
    from mysteryshop.scorecard.samples import card_samples

    targets = card.get("targets") or {}
    sections = card.get("companies") or {}
    if len(sections) < 2:
        names = list(sections) or list((card.get("summary") or {}).get("targets") or targets)
        if len(names) != 1:
            return {}
        return {names[0]: {"values": headline_values(card["summary"]), "samples": card_samples(card), "speedups": speedups(card)}}
    sides = {}
    for name, section in sections.items():
        own = {"probes": [p for p in card.get("probes") or [] if p.get("target") == name], "summary": section["summary"],
               "grading": card.get("grading")}
        sides[name] = {"values": headline_values(section["summary"]), "samples": card_samples(own),
                       "speedups": [float((targets.get(name) or {}).get("speedup") or 1.0)]}
    return sides


def _companies_of(side: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The companies of a baseline or run side; a baseline from before companies were kept is its one target, if one."""
    if side.get("companies"):
        return dict(side["companies"])
    names = side.get("targets") or []
    if len(names) == 1:
        return {names[0]: {"values": side["values"], "samples": side.get("samples"), "speedups": side.get("speedups", [])}}
    return {}


def evaluate(
    settings: Any, card: Mapping[str, Any], *, before: Mapping[str, Any] | None, reqs: list[Any],
) -> dict[str, Any]:
    """The gate's report for `card`: against `before` ({"run_id", "values", "samples" or None}) when given, and `reqs`.

    When either run probed several companies, each company is judged against the same company of `before`, and
    each finding names its company; a company only one of the two probed is said, not judged."""
    now = company_sides(card)
    earlier = _companies_of(before) if before is not None else {}
    if len(now) > 1 or len(earlier) > 1:
        return _evaluate_companies(settings, card, now, before, earlier, reqs)
    from mysteryshop import gate
    from mysteryshop.scorecard.build import headline_values
    from mysteryshop.scorecard.samples import card_samples
    from mysteryshop.thresholds import check

    values = headline_values(card["summary"])
    changes: list[Any] = []
    tested = False
    if before is not None:
        tested = before.get("samples") is not None
        floor = gate.time_floor_s([*speedups(card), *before.get("speedups", [])])
        changes = gate.gate(before["values"], values, settings.tolerance, before=before.get("samples"),
                            after=card_samples(card) if tested else None, alpha=settings.significance, time_floor=floor)
    grade = ((card["summary"].get("grade") or {}).get("grade"))
    checks = [check(r, values, grade, business_clock=_business_clock(card)) for r in reqs]
    result = gate.report(changes, baseline_run=before["run_id"] if before else None, current_run=card["run"]["id"], checks=checks,
                         alpha=settings.significance, tested=tested)
    result["how"] = gate.describe(settings.significance, tested) if before is not None else "requirements only (no baseline)"
    result["_lines"] = gate.table(changes, checks)
    return result


def _evaluate_companies(
    settings: Any, card: Mapping[str, Any], now: Mapping[str, Mapping[str, Any]], before: Mapping[str, Any] | None,
    earlier: Mapping[str, Mapping[str, Any]], reqs: list[Any],
) -> dict[str, Any]:
    """`evaluate` company by company: each against the same company in `before`, the requirements held by each."""
    from dataclasses import replace

    from mysteryshop import gate
    from mysteryshop.thresholds import check

    targets = card.get("targets") or {}
    sections = card.get("companies") or {}
    changes: list[Any] = []
    checks: list[Any] = []
    whose: list[str] = []
    verdicts: dict[str, str] = {}
    notes: list[str] = []
    tested = before is not None
    for name, mine in now.items():
        found: list[Any] = []
        theirs = earlier.get(name)
        if before is not None and theirs is None:
            notes.append(f"{name}: not in the baseline (run {before['run_id']}), nothing to compare it with; accept a run that probed it "
                         "(mysteryshop baseline accept RUN) to gate it")
        elif theirs is not None:
            tested = tested and theirs.get("samples") is not None
            floor = gate.time_floor_s([*mine["speedups"], *theirs.get("speedups", [])])
            found = [replace(c, company=name) for c in gate.gate(
                theirs["values"], mine["values"], settings.tolerance, before=theirs.get("samples"),
                after=mine["samples"] if theirs.get("samples") is not None else None, alpha=settings.significance, time_floor=floor)]
        summary = (sections.get(name) or {}).get("summary") or card["summary"]
        grade = (summary.get("grade") or {}).get("grade")
        clock = bool((targets.get(name) or {}).get("clock"))
        own_checks = [check(r, mine["values"], grade, business_clock=clock) for r in reqs]
        changes += found
        checks += own_checks
        whose += [name] * len(own_checks)
        verdicts[name] = gate.verdict(found, own_checks) if theirs is not None or before is None else "no baseline"
    for name in earlier:
        if name not in now:
            notes.append(f"{name}: in the baseline (run {before['run_id'] if before else '?'}) but not probed in this run")
    result = gate.report(changes, baseline_run=before["run_id"] if before else None, current_run=card["run"]["id"], checks=checks,
                         alpha=settings.significance, tested=tested)
    for entry, name in zip(result["requirements"], whose, strict=True):
        entry["company"] = name
    result["companies"] = verdicts
    result["notes"] = notes
    how = gate.describe(settings.significance, tested) if before is not None else "requirements only (no baseline)"
    result["how"] = f"each company against the same company in the baseline; {how}" if before is not None else how
    result["_lines"] = [*gate.table(changes, checks, whose), *(f"  note: {n}" for n in notes)]
    return result


def print_result(result: Mapping[str, Any], title: str) -> None:
    print(f"{title}: {result['verdict'].upper()}")
    print(f"  ({result['how']})")
    for line in result["_lines"]:
        print(line)


def public(result: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if not k.startswith("_")}


def baseline_side(settings: Any) -> dict[str, Any]:
    from mysteryshop.history import load_baseline

    data = load_baseline(settings.baseline_file)
    return {"run_id": data["run_id"], "values": data["values"], "samples": data.get("samples"), "speedups": data.get("speedups", []),
            "targets": data.get("targets") or [], "companies": data.get("companies") or {}}


def run_side(settings: Any, store: Any, run_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """({"run_id", "values", "samples"}, the card) of a stored run."""
    from mysteryshop.history import run_summary
    from mysteryshop.scorecard.build import headline_values
    from mysteryshop.scorecard.samples import card_samples

    run_summary(store, run_id)  # a run that never finished has no summary: said plainly, before scoring it
    card = stored_card(settings, store, run_id)
    return {"run_id": run_id, "values": headline_values(card["summary"]), "samples": card_samples(card), "speedups": speedups(card),
            "targets": card["summary"].get("targets") or [], "companies": company_sides(card)}, card


def compare_command(args: argparse.Namespace) -> int:
    from mysteryshop import gate
    from mysteryshop.history import resolve_run

    settings = load_cli_settings(args)
    reqs = requirements(settings, args)
    store = open_store(settings)
    try:
        a = resolve_run(store, args.run_a, baseline_file=settings.baseline_file)
        b = resolve_run(store, args.run_b, baseline_file=settings.baseline_file)
        before = baseline_side(settings) if args.run_a == "baseline" else run_side(settings, store, a)[0]
        after_card = run_side(settings, store, b)[1]
    finally:
        store.close()
    result = evaluate(settings, after_card, before={**before, "run_id": a}, reqs=reqs)
    if args.json:
        print(json.dumps(public(result), indent=2))
    else:
        print_result(result, f"{a} → {b}")
    return gate.EXIT_REGRESSION if settings.fail_on_regression and gate.failed(result) else gate.EXIT_PASS


def gate_command(args: argparse.Namespace) -> int:
    from mysteryshop import gate
    from mysteryshop.errors import ConfigError
    from mysteryshop.history import resolve_run

    settings = load_cli_settings(args)
    reqs = requirements(settings, args)
    use_baseline = not args.no_baseline and (args.against != "baseline" or settings.baseline_file.is_file() or not reqs)
    if not use_baseline and not reqs:
        raise ConfigError("nothing to gate on: no baseline and no requirement. Accept a baseline (mysteryshop baseline accept RUN) "
                          "or give requirements (--require 'grade>=C', or require = [...] in [tool.mysteryshop])")
    store = open_store(settings)
    try:
        run_id = resolve_run(store, args.run, baseline_file=settings.baseline_file)
        before = None
        if use_baseline and args.against == "baseline":
            before = baseline_side(settings)
        elif use_baseline:
            before = run_side(settings, store, resolve_run(store, args.against, baseline_file=settings.baseline_file))[0]
        card = stored_card(settings, store, run_id)
    finally:
        store.close()
    result = evaluate(settings, card, before=before, reqs=reqs)
    if args.json:
        print(json.dumps(public(result), indent=2))
    else:
        against = f" against {'baseline ' if args.against == 'baseline' else ''}{before['run_id']}" if before else ""
        print_result(result, f"gate: run {run_id}{against}")
    run_dir = settings.path(settings.reports) / run_id
    if run_dir.is_dir():
        write_gate(run_dir, result)
    return gate.EXIT_REGRESSION if gate.failed(result) else gate.EXIT_PASS


def add_commands(commands: Any) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = commands.add_parser("gate", help="pass or fail a stored run: against the baseline (beyond chance) and requirements",
                                 description="Gate RUN against the accepted baseline (or --against another run) and the requirements; "
                                             "exit 1 when a metric regressed significantly or a requirement is not met.",
                                 epilog=GATE_EXAMPLES, formatter_class=raw)
    parser.add_argument("run", nargs="?", default="latest", metavar="RUN", help="run id, or latest (default) / previous")
    parser.add_argument("--against", default="baseline", metavar="RUN", help="what to compare with: baseline (default) or a run")
    parser.add_argument("--no-baseline", action="store_true", help="check the requirements only")
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    add_common_options(parser)
    parser.set_defaults(func=gate_command)


def write_gate(run_dir: Path, result: Mapping[str, Any]) -> Path:
    from mysteryshop import atomic

    path = run_dir / "gate.json"
    atomic.write_text(path, json.dumps(public(result), indent=2) + "\n")
    return path
