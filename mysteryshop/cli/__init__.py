"""The `mysteryshop` command."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from mysteryshop.cli.common import add_common_options, fail, load_cli_settings, load_study_of, open_store
from mysteryshop.exitcodes import EXIT_INTERRUPTED, EXIT_USAGE, TABLE
from mysteryshop.storage import exists

EXAMPLES = """examples:
  mysteryshop demo                                  probes/ against the embedded demo desk, scorecard in reports/
  mysteryshop run --target demo --personas 5        the probe suite, with live progress; scorecard, JSON, JUnit, Markdown
  mysteryshop run --fail-on-regression              ... and exit 1 if a headline metric regressed against the baseline
  mysteryshop baseline accept latest                accept the latest run as the baseline (writes mysteryshop-baseline.json)
  mysteryshop compare baseline latest               what changed between two runs, and whether it is more than chance
  mysteryshop gate --require 'grade>=C'             pass or fail the latest run: the baseline, and absolute requirements
  mysteryshop report latest --pdf                   write a run's scorecard again from the store, with a PDF one-pager
  mysteryshop export latest --target acme           the evidence pack to show acme: messages (.eml), transcripts, screenshots, manifest
  mysteryshop journeys check journeys/              validate journey files, every problem with file:line:column
  mysteryshop doctor --target acme                  before a campaign: relay, collector, DNS, DKIM, allowlist, journeys
  mysteryshop serve                                 the dashboard on http://127.0.0.1:8765/: runs, companies, comparisons

configuration: [tool.mysteryshop] in pyproject.toml, then MYSTERYSHOP_* environment variables, then flags
Ctrl-C or SIGTERM stops a run gracefully (scorecard of what was measured); a second Ctrl-C stops it at once.

""" + TABLE + "\n"

RUN_EXAMPLES = """examples:
  mysteryshop run                                   every probe in probes/ against the configured targets
  mysteryshop run --target demo --profile poor --personas 10 --seed 7
  mysteryshop run --fail-on-regression --pdf        CI: gate against the baseline, print the one-pager to PDF
  mysteryshop run --resume latest                   go on with an interrupted run (nothing is sent twice)
  mysteryshop run --target demo --target rival      two companies side by side: a grade each, a league table
  mysteryshop run --study study.yaml                a benchmark study: its companies, personas each (YAML or CSV)

Ctrl-C or SIGTERM: the probes still waiting are cut short (their open expectations not decided), the run is
marked interrupted and the scorecard of what was measured is written; a second Ctrl-C stops at once (exit 130).

""" + TABLE + "\n"

REPORT_EXAMPLES = """examples:
  mysteryshop report latest                         rebuild the latest run's scorecard from the store
  mysteryshop report 20261123-070722-a389 --out /tmp/card --pdf
  mysteryshop report latest --reparse               score again from the raw messages, parsed anew
  mysteryshop report latest --rescore               score every probe and reply again, ignoring the entries and verdicts the run stored
  mysteryshop report campaign-acme-q4 --pdf         a campaign's scorecard as it stands (or: mysteryshop report acme-q4)

Any stored run can be reported: an interrupted one (scored as measured), a campaign, a run whose process is gone
(marked interrupted). The exit code is that of the run reported (see `mysteryshop --help`).
"""

COMPARE_EXAMPLES = """examples:
  mysteryshop compare previous latest               the last two runs, metric by metric
  mysteryshop compare baseline latest --fail-on-regression
  mysteryshop compare RUN_A RUN_B --json            the comparison as JSON

A metric regressed when it is worse than its tolerance AND the difference is significant at the
level (--significance, default 0.05; rates: two-proportion z-test or Fisher's exact test; times:
Mann-Whitney U over every probe's time); "not significant" is a difference chance explains.
Tolerances come from [tool.mysteryshop.tolerances]: a number is absolute (0.05 = five points
of a rate, 3600 = an hour of a time), a string like "25%" is relative to RUN_A's value.
Defaults: rates 0.10, times 25%, score 5. --require RULE checks RUN_B against a requirement too.
"""

BASELINE_EXAMPLES = """examples:
  mysteryshop baseline accept latest                the latest run becomes the baseline
  mysteryshop baseline accept 20261123-070722-a389
  mysteryshop baseline show                         the accepted baseline and every earlier acceptance
"""

DEMO_EXAMPLES = """examples:
  mysteryshop demo
  mysteryshop demo --profile poor --personas 20
  mysteryshop demo --profile excellent --pdf

""" + TABLE + "\n"


def _execute(settings: Any, run_id: str, *, quiet: bool = False, dry_run: bool = False, resume: bool = False, study: Any = None) -> tuple[int, Path]:
    """Run the probe suite in-process through pytest and the mysteryshop plugin (the one code path for probes)."""
    import pytest

    from mysteryshop.progress import Progress

    probes = settings.path(settings.probes)
    if not probes.exists():
        from mysteryshop.errors import ConfigError

        raise ConfigError(f"no probe folder at {probes}; run from the project root, pass --probes DIR or set probes in [tool.mysteryshop]")
    reports = settings.path(settings.reports)
    pytest_args = [
        str(probes), "-qq", "-p", "no:cacheprovider", "--no-header", "-rN", "--tb=no", "-s",
        "-p", "no:hypothesispytest",  # probes never use it, and its summary hook imports hypothesis: seconds at the end of every run
        "--rootdir", str(settings.root),
        "--personas", str(settings.personas), "--seed", str(settings.seed), "--run-id", run_id, "--reports", str(reports),
        "--journeys", str(settings.path(settings.journeys)), "--store", str(settings.store_file),
    ]
    if study is not None:  # the plugin reads the companies and their personas from it
        pytest_args += ["--study", str(study.path)]
    else:
        for target in settings.targets:
            pytest_args += ["--target", target]
    for locale in settings.locales:
        pytest_args += ["--locale", locale]
    if settings.profile:
        pytest_args += ["--demo-profile", settings.profile]
    for key, option in (("via", "--collect"), ("host", "--mailbox-host"), ("port", "--mailbox-port"), ("advertise", "--mailbox-advertise")):
        if settings.collect.get(key) is not None:
            pytest_args += [option, str(settings.collect[key])]
    if settings.probe_domain:
        pytest_args += ["--probe-domain", settings.probe_domain]
    if settings.personas_file:
        pytest_args += ["--personas-file", str(settings.path(settings.personas_file))]
    pytest_args += ["--allowlist", str(settings.path(settings.allowlist))]
    if settings.rubric_file is not None:
        pytest_args += ["--rubric", str(settings.rubric_file)]
    if dry_run:
        pytest_args.append("--dry-run")
    if resume:
        pytest_args.append("--resume")
    progress = Progress()
    code = pytest.main(pytest_args, plugins=[progress])
    if progress.start_error:
        from mysteryshop.errors import ConfigError

        raise ConfigError(progress.start_error)
    return int(code), reports / run_id


def _finish(settings: Any, card: dict[str, Any], run_dir: Path, *, gate_on: bool, pdf: bool, just_ran: bool = False) -> int:
    """Print the summary (unless the run `just_ran` in this process: the pytest plugin did), write the PDF, apply the
    gate; the exit code (mysteryshop/exitcodes.py)."""
    from mysteryshop import atomic, gate
    from mysteryshop.cli import gate as cli_gate
    from mysteryshop.exitcodes import run_exit_code
    from mysteryshop.scorecard.markdown import markdown_summary
    from mysteryshop.scorecard.write import summary_lines

    if not just_ran:
        for line in summary_lines(card):
            print(line)
    interrupted = card["run"].get("status") == "interrupted"
    outputs = {"HTML": run_dir / "scorecard.html", "JSON": run_dir / "scorecard.json", "JUnit": run_dir / "junit.xml",
               "Markdown": run_dir / "summary.md", "Probes": run_dir / "probes.csv",
               "Verdicts": run_dir / "expectations.csv"}
    if len(card.get("league") or ()) > 1 and (run_dir / "companies").is_dir():
        outputs["Companies"] = run_dir / "companies"  # a page per company, linked from the league table
    notes = []
    if pdf and interrupted and just_ran:  # stopping stays quick: the PDF is a report away
        notes.append(f"PDF not printed (the run was interrupted): `mysteryshop report {card['run']['id']} --pdf` prints it")
    elif pdf:
        from mysteryshop.scorecard.pdf import write_pdf

        outputs["PDF"] = write_pdf(run_dir / "onepager.html", run_dir / "onepager.pdf")
    regression = False
    gate_report = None
    reqs = cli_gate.requirements(settings)
    if (gate_on or reqs) and interrupted:
        notes.append("regression gate not applied: the run was interrupted, so its metrics are incomplete")
    elif gate_on or reqs:
        before = cli_gate.baseline_side(settings) if gate_on else None
        gate_report = cli_gate.evaluate(settings, card, before=before, reqs=reqs)
        against = f" against baseline {before['run_id']} ({settings.baseline_file})" if before else ""
        print()
        cli_gate.print_result(gate_report, f"Regression gate{against}")
        outputs["Gate"] = cli_gate.write_gate(run_dir, gate_report)
        regression = gate.failed(gate_report)
        atomic.write_text(run_dir / "summary.md", markdown_summary(card, gate=cli_gate.public(gate_report)))
    from mysteryshop.cli.alerting import notify

    notify(settings, card, gate_report, run_dir)
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as fh:
            fh.write((run_dir / "summary.md").read_text(encoding="utf-8"))
    print()
    for name, path in outputs.items():
        print(f"{name + ':':<10} {path.resolve()}")
    for note in notes:
        print(f"note: {note}")
    for problem, words in PROBLEMS.items():
        stopped = [p for p in card["probes"] if p.get("problem") == problem or (problem == "unreachable" and p.get("unreachable"))]
        if stopped:
            print(f"error: {len(stopped)} probe(s) {words}: {stopped[0]['error']}", file=sys.stderr)
    findings = [p for p in card["probes"] if p.get("error") and p.get("problem") in FINDINGS]
    if findings:  # findings in the scorecard, with no exit code of their own: said all the same
        print(f"note: {len(findings)} probe(s) ended before their journey did ({FINDINGS[findings[0]['problem']]}): {findings[0]['error']}")
    if interrupted:
        print(f"error: run {card['run']['id']} was interrupted ({card['run'].get('interrupted') or 'stopped'}): "
              f"{card['summary'].get('interrupted', 0)} probe(s) cut short; the scorecard shows what was measured", file=sys.stderr)
    return run_exit_code(card, regression=regression)


#: problems that are findings about the company (no exit code of their own), as the note at the end calls them
FINDINGS = {"refused": "the company's side refused", "blocked": "blocked by a CAPTCHA", "error": "an error",
            "no_way_in": "no way to contact support found from the home page", "no_way_to_chat": "no way to chat found from the home page"}

#: what each problem that decides an exit code is called in the error line (see mysteryshop/exitcodes.py)
PROBLEMS = {
    "setup": "could not run on this machine (exit code 2)",
    "misconfigured": "found the target file or journey wrong, not the company (exit code 4)",
    "unreachable": "could not reach their target (exit code 3)",
}


def _run(args: argparse.Namespace, **extra: Any) -> int:
    from mysteryshop.store import new_run_id

    resume = getattr(args, "resume", None)
    resumed_id = None
    if resume:
        stored = _stored_run_settings(args, resume)
        resumed_id = stored.pop("run_id")
        extra = {**stored, **extra}
    settings = load_cli_settings(args, **extra)
    study = load_study_of(settings, args)
    run_id = resumed_id or getattr(args, "run_id", None) or new_run_id()
    if settings.fail_on_regression:
        from mysteryshop.history import load_baseline

        load_baseline(settings.baseline_file)  # no baseline is a configuration error: say so before running
    from mysteryshop.scorecard.rubric import load_rubric

    load_rubric(settings.rubric_file)  # a bad rubric is too: said before anything is sent
    from mysteryshop.cli.gate import requirements

    requirements(settings, args)  # a requirement that does not parse is said before anything runs
    if study is None:
        sample = f"targets {', '.join(settings.targets)}, {settings.personas} persona(s) per journey"
    else:
        sample = (f"study {study.path.name}: " + ", ".join(f"{t} ({n} persona(s) per journey)" for t, n in study.personas(settings.personas).items()))
    print(f"mysteryshop run {run_id}: {sample}, seed {settings.seed}" + (f", demo profile '{settings.profile}'" if settings.profile else ""), flush=True)
    if study is not None and study.spread:
        print(f"mysteryshop: note: {study.path.name} spreads first messages over days (days:, start:); a run sends at once: "
              "spreading needs a campaign (mysteryshop run --campaign NAME --study FILE)", flush=True)
    dry_run = bool(getattr(args, "dry_run", False))
    code, run_dir = _execute(settings, run_id, dry_run=dry_run, resume=bool(resume), study=study)
    if dry_run:
        return 0
    card_path = run_dir / "scorecard.json"
    if not card_path.exists():
        from mysteryshop import interrupt

        if interrupt.received():
            print(f"mysteryshop: interrupted ({interrupt.received()}) before any probe started: nothing was sent", file=sys.stderr)
            return EXIT_INTERRUPTED
        return fail(f"the probe run ended with pytest exit code {code} and wrote no scorecard (is {settings.path(settings.probes)} a probe folder?)")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    return _finish(settings, card, run_dir, gate_on=settings.fail_on_regression, pdf=settings.pdf, just_ran=True)


def _stored_run_settings(args: argparse.Namespace, wanted: str) -> dict[str, Any]:
    """What a resumed run must repeat of the run it goes on with (seed, personas, locales, targets), unless given again."""
    from mysteryshop.resume import resolve_unfinished

    settings = load_cli_settings(args)
    store = open_store(settings)
    try:
        run_id = resolve_unfinished(store, wanted)
        row = store.query("SELECT config FROM runs WHERE id = ?", (run_id,))
        stored = json.loads(row[0]["config"] or "{}") if row else {}
        targets = [r["target"] for r in store.query("SELECT DISTINCT target FROM probes WHERE run_id = ?", (run_id,))]
    finally:
        store.close()
    repeated: dict[str, Any] = {"run_id": run_id}
    for key, flag in (("seed", "seed"), ("personas", "personas"), ("locales", "locale"), ("study", "study")):
        if getattr(args, flag, None) is None and stored.get(key) is not None:
            repeated[key] = stored[key]
    if getattr(args, "target", None) is None and targets and not repeated.get("study"):
        repeated["targets"] = targets
    return repeated


def _demo(args: argparse.Namespace) -> int:
    args.target = None if getattr(args, "study", None) else ["demo"]
    args.personas = args.personas or 5
    return _run(args)


def _report(args: argparse.Namespace) -> int:
    from mysteryshop.history import resolve_run, settle_abandoned
    from mysteryshop.journey import find_journey
    from mysteryshop.purge import refuse_purged
    from mysteryshop.scorecard.build import build_scorecard
    from mysteryshop.scorecard.rubric import load_rubric
    from mysteryshop.scorecard.shares import available_cores
    from mysteryshop.scorecard.write import write_scorecard
    from mysteryshop.target import find_target

    settings = load_cli_settings(args)
    rubric = load_rubric(settings.rubric_file)
    store = open_store(settings)
    try:
        run_id = resolve_run(store, args.run, baseline_file=settings.baseline_file)
        refuse_purged(store, run_id)
        note = settle_abandoned(store, run_id)
        if note:
            print(f"note: {note}")
        rows = store.query("SELECT DISTINCT journey, target FROM probes WHERE run_id = ?", (run_id,))
        journeys_dir = settings.path(settings.journeys)
        journeys = {r["journey"]: find_journey(r["journey"], journeys_dir) for r in rows}
        targets = {r["target"]: find_target(r["target"], journeys_dir / "targets") for r in rows}
        workers = available_cores()
        card = build_scorecard(store, run_id, journeys, targets, reparse=args.reparse, rescore=args.rescore, keep=True, workers=workers,
                               rubric=rubric)
        run_dir = settings.path(settings.reports) / run_id
        out = Path(args.out) if args.out else run_dir
        write_scorecard(card, out, journeys=journeys, workers=workers, store=store, evidence_root=run_dir)
    finally:
        store.close()
    return _finish(settings, card, out, gate_on=settings.fail_on_regression, pdf=settings.pdf)


def _compare(args: argparse.Namespace) -> int:
    from mysteryshop.cli.gate import compare_command

    return compare_command(args)


def _finished(store: Any, run_id: str) -> bool:
    rows = store.query("SELECT status FROM runs WHERE id = ?", (run_id,))
    return bool(rows) and rows[0]["status"] != "interrupted"


def _baseline_accept(args: argparse.Namespace) -> int:
    from mysteryshop.history import accept_baseline, resolve_run, run_summary

    settings = load_cli_settings(args)
    store = open_store(settings)
    try:
        run_id = resolve_run(store, args.run, baseline_file=settings.baseline_file)
        from mysteryshop.cli.gate import run_side

        run_summary(store, run_id)  # a run that never finished cannot be a baseline: said before scoring it
        side = run_side(settings, store, run_id)[0] if _finished(store, run_id) else {}
        baseline = accept_baseline(store, run_id, settings.baseline_file, samples=side.get("samples"), speedups=side.get("speedups"),
                                   companies=side.get("companies"))
    finally:
        store.close()
    print(f"baseline: run {run_id} (grade {baseline['grade']}) accepted; written to {settings.baseline_file}")
    print("commit that file so CI gates against it: git add " + str(settings.baseline_file.relative_to(settings.root))
          if settings.baseline_file.is_relative_to(settings.root) else "")
    return 0


def _baseline_show(args: argparse.Namespace) -> int:
    from mysteryshop.history import accepted, load_baseline

    settings = load_cli_settings(args)
    baseline = load_baseline(settings.baseline_file)
    print(f"baseline: run {baseline['run_id']} (grade {baseline['grade']}), accepted {baseline['accepted_utc']}, file {settings.baseline_file}")
    for key, value in baseline["values"].items():
        print(f"  {key:<30} {value if value is not None else '—'}")
    if baseline.get("samples"):
        print("  samples kept: the gate tests each difference for significance")
    else:
        print("  no samples in this file: the gate judges by tolerance alone until a run is accepted again")
    if exists(settings.store_file):
        store = open_store(settings)
        try:
            for row in accepted(store):
                print(f"  accepted {row['run_id']} at {row['accepted_utc']}")
        finally:
            store.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mysteryshop",
        description="Mystery-shopping and journey-mapping test harness for customer support.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    raw = argparse.RawDescriptionHelpFormatter
    demo = commands.add_parser("demo", help="run the probe suite against the embedded demo desk and write a scorecard",
                               description="Run probes/ against the embedded demo desk (a simulated company).", epilog=DEMO_EXAMPLES, formatter_class=raw)
    add_common_options(demo, run=True)
    demo.set_defaults(func=_demo)

    run = commands.add_parser("run", help="run the probe suite with live progress; scorecard, JSON, JUnit, Markdown; optional gate",
                              description="Run every probe (pytest, the mysteryshop plugin) and write the scorecard.", epilog=RUN_EXAMPLES, formatter_class=raw)
    add_common_options(run, run=True)
    run.set_defaults(func=_run)

    report = commands.add_parser("report", help="write a stored run's scorecard again (HTML, PDF, JSON, JUnit, Markdown)",
                                 description="Score a stored run again from its events and raw messages.", epilog=REPORT_EXAMPLES, formatter_class=raw)
    report.add_argument("run", help="run id, or latest / previous / baseline")
    report.add_argument("--out", default=None, help="folder to write into (default: <reports>/<run id>)")
    report.add_argument("--reparse", action="store_true",
                        help="parse every stored raw message again instead of reading the fields parsed when it arrived "
                             "(slower; after the mail parser has improved)")
    report.add_argument("--rescore", action="store_true",
                        help="score every probe and every reply's quality again instead of taking the scorecard entries and "
                             "verdicts the run recorded (another version of mysteryshop or a changed journey never takes them anyway)")
    add_common_options(report)
    report.set_defaults(func=_report)

    compare = commands.add_parser("compare", help="compare the headline metrics of two runs",
                                  description="Compare RUN_A (before) with RUN_B (after), metric by metric: difference, p-value and "
                                              "the gate's verdict (a regression is worse than its tolerance and significant).",
                                  epilog=COMPARE_EXAMPLES, formatter_class=raw)
    compare.add_argument("run_a", metavar="RUN_A", help="run id, or latest / previous / baseline")
    compare.add_argument("run_b", metavar="RUN_B", help="run id, or latest / previous / baseline")
    compare.add_argument("--json", action="store_true", help="print the comparison as JSON")
    add_common_options(compare)
    compare.set_defaults(func=_compare)

    baseline = commands.add_parser("baseline", help="accept a run as the baseline the gate compares against, or show it",
                                   description="The baseline is a file you commit; the store logs every acceptance.", epilog=BASELINE_EXAMPLES, formatter_class=raw)
    baseline_commands = baseline.add_subparsers(dest="baseline_command", metavar="SUBCOMMAND")
    accept = baseline_commands.add_parser("accept", help="make a run the baseline", epilog=BASELINE_EXAMPLES, formatter_class=raw)
    accept.add_argument("run", help="run id, or latest / previous")
    add_common_options(accept)
    accept.set_defaults(func=_baseline_accept)
    show = baseline_commands.add_parser("show", help="show the baseline", epilog=BASELINE_EXAMPLES, formatter_class=raw)
    add_common_options(show)
    show.set_defaults(func=_baseline_show)

    from mysteryshop.cli.campaign import add_commands as add_campaign_commands
    from mysteryshop.cli.gate import add_commands as add_gate_commands

    add_gate_commands(commands)
    from mysteryshop.cli.doctor import add_commands as add_doctor_commands
    from mysteryshop.cli.export import add_commands as add_export_commands
    from mysteryshop.cli.journeys import add_commands as add_journey_commands
    from mysteryshop.cli.purge import add_commands as add_purge_commands
    from mysteryshop.cli.waves import add_commands as add_wave_commands

    add_campaign_commands(commands, run)
    add_doctor_commands(commands)
    add_export_commands(commands)
    add_purge_commands(commands)
    add_wave_commands(commands)
    from mysteryshop.cli.serve import add_commands as add_serve_commands

    add_serve_commands(commands)

    add_journey_commands(commands.add_parser("journeys", help="check, draw and describe journey files"))

    try:
        from mysteryshop.quality.cli import add_commands
    except ImportError:
        pass
    else:
        add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    from mysteryshop.errors import MysteryShopError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    from mysteryshop import interrupt

    with interrupt.handled():  # Ctrl-C / SIGTERM: the command stops gracefully; a second one stops it at once
        try:
            return int(args.func(args))
        except MysteryShopError as exc:
            return fail(str(exc), exc.exit_code if exc.exit_code is not None else EXIT_USAGE)
        except KeyboardInterrupt as exc:
            print(f"mysteryshop: interrupted ({interrupt.reason(exc)})", file=sys.stderr)
            return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
