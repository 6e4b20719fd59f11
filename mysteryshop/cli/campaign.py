"""`mysteryshop run --campaign`, `listen`, `tick` and `score`: campaigns that take days."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from mysteryshop.cli.common import add_common_options, load_cli_settings, load_study_of
from mysteryshop.interrupt import run_async  # Ctrl-C / SIGTERM: the command's task is cancelled, its finally blocks run
from mysteryshop.errors import ConfigError
from mysteryshop.storage import absolute

CAMPAIGN_EXAMPLES = """campaign examples:
  mysteryshop run --campaign acme-q4 --target acme --journey email_question --dry-run
  mysteryshop run --campaign acme-q4 --target acme --journey email_question
  mysteryshop run --campaign acme-q4 --target acme --journey email_question     again: resumes it, sends nothing twice
  mysteryshop listen --port 2525 --domain probe.example.com --tick-every 300
  mysteryshop tick acme-q4
  mysteryshop score acme-q4
"""


def _store(settings: Any) -> Any:
    from mysteryshop.store import Store

    return Store(settings.store_file)


def campaign_names(store: Any) -> list[str]:
    return [r["id"].removeprefix("campaign-") for r in store.query("SELECT id FROM runs WHERE id LIKE 'campaign-%' ORDER BY started_utc")]


def start(args: argparse.Namespace) -> int:
    from mysteryshop.campaign import Campaign, dry_run, load_targets_and_journeys
    from mysteryshop.safety import Allowlist
    from mysteryshop.plan import plan_probes
    from mysteryshop.session import RunConfig

    settings = load_cli_settings(args)
    study = load_study_of(settings, args)
    journeys_dir = settings.path(settings.journeys)
    journeys, targets = load_targets_and_journeys(journeys_dir, args.journey or (study.journeys if study else None))
    if not journeys:
        raise ConfigError(f"no journeys to run in {journeys_dir}" + (f" named {', '.join(args.journey)}" if args.journey else ""))
    missing = [t for t in settings.targets if t not in targets]
    if missing:
        raise ConfigError(f"no target file for {', '.join(missing)} in {journeys_dir / 'targets'}")
    config = RunConfig(seed=settings.seed, personas=settings.personas, locales=settings.locales, run_id=f"campaign-{args.campaign}",
                       personas_file=str(settings.path(settings.personas_file)) if settings.personas_file else None)
    personas = study.personas(settings.personas) if study else None
    specs = [s for j in journeys.values() for s in plan_probes(config, j, [targets[t] for t in settings.targets], personas)]
    schedule = None
    if study is not None and study.spread:
        from mysteryshop.campaign import CLOCK
        from mysteryshop.study import first_sends

        by_target: dict[str, list[str]] = {}
        for spec in specs:
            by_target.setdefault(spec.target.name, []).append(spec.probe_id)
        schedule = first_sends(study, by_target, CLOCK())
    if args.dry_run:
        dry_run(specs)
        if schedule:
            _print_spread(schedule, specs)
        return 0
    allowlist = Allowlist.load(settings.path(settings.allowlist))
    store = _store(settings)
    try:
        campaign = Campaign(store, args.campaign, lease_s=_lease(args))
        config_kept = {"seed": settings.seed, "journeys": sorted(journeys), **({"study": str(study.path)} if study else {})}
        report = run_async(campaign.start(specs, allowlist=allowlist, config=config_kept, first_sends=schedule))
    finally:
        store.close()
    already = len(specs) - report.started
    print(f"campaign '{args.campaign}'" + (f" resumed ({already} of its probe(s) were in it already)" if report.resumed else "")
          + f": {report.started} probe(s) started, {len(report.sent)} email(s) sent, {report.waiting} waiting "
          f"({len(report.deferred)} of them deferred), {report.finished} finished"
          + (f", {report.busy} being moved on by another process" if report.busy else "")
          + (f", {len(report.errors)} error(s): " + "; ".join(report.errors) if report.errors else ""))
    print(f"next: keep `mysteryshop listen` running, then `mysteryshop tick {args.campaign}` and `mysteryshop score {args.campaign}`")
    if any("unreachable" in e for e in report.errors):
        return 3
    return 2 if report.errors else 0


def _print_spread(schedule: dict[str, int], specs: list[Any]) -> None:
    """Per company: how its first messages are spread (a study's days), for --dry-run."""
    from mysteryshop.campaign import utc_of

    times: dict[str, list[int]] = {}
    for spec in specs:
        if spec.probe_id in schedule:
            times.setdefault(spec.target.name, []).append(schedule[spec.probe_id])
    for target, when in times.items():
        print(f"{target}: {len(when)} first message(s) from {utc_of(min(when))} to {utc_of(max(when))} (UTC; a target's send window moves each into it)")


def tick_line(name: str, report: Any) -> str:
    """What a tick did, for people: one line, then a line per deferral and per error."""
    line = (f"campaign '{name}': {report.routed} repl(ies) matched, {report.unmatched} unmatched in the inbox, "
            f"{len(report.sent)} email(s) sent, {report.finished} probe(s) finished, {report.waiting} waiting "
            f"({len(report.deferred)} of them deferred)")
    if report.busy:
        line += f", {report.busy} being moved on by another process"
    return line + "".join(f"\n  {d.line()}" for d in report.deferred) + "".join(f"\n  {e}" for e in report.errors)


def tick(args: argparse.Namespace) -> int:
    from mysteryshop.campaign import Campaign, load_targets_and_journeys

    settings = load_cli_settings(args)
    if not args.names:
        from mysteryshop.cli.waves import start_due_waves

        start_due_waves(args, settings, start)
    journeys, targets = load_targets_and_journeys(settings.path(settings.journeys))
    store = _store(settings)
    try:
        names = args.names or campaign_names(store)
        for name in names:
            report = run_async(Campaign(store, name, lease_s=_lease(args)).tick(journeys, targets))
            print(tick_line(name, report), flush=True)
    finally:
        store.close()
    return 0


def score(args: argparse.Namespace) -> int:
    from mysteryshop.campaign import load_targets_and_journeys, run_id_of
    from mysteryshop.scorecard.build import build_scorecard
    from mysteryshop.scorecard.rubric import load_rubric
    from mysteryshop.scorecard.write import summary_lines, write_scorecard

    settings = load_cli_settings(args)
    rubric = load_rubric(settings.rubric_file)
    journeys, targets = load_targets_and_journeys(settings.path(settings.journeys))
    store = _store(settings)
    run_dir = settings.path(settings.reports) / run_id_of(args.name)
    out = Path(args.out) if args.out else run_dir
    try:
        try:
            card = build_scorecard(store, run_id_of(args.name), journeys, targets, keep=True, rubric=rubric)
        except KeyError as exc:
            raise ConfigError(str(exc).strip("'\"")) from None
        paths = write_scorecard(card, out, journeys=journeys, store=store, evidence_root=run_dir)
    finally:
        store.close()
    if settings.pdf:
        from mysteryshop.scorecard.pdf import write_pdf

        paths["pdf"] = write_pdf(paths["onepager"], out / "onepager.pdf")
    for line in summary_lines(card):
        print(line)
    from mysteryshop.cli.alerting import notify

    notify(settings, card, None, run_dir)
    waiting = sum(p["status"] == "waiting" for p in card["probes"])
    print(f"{waiting} probe(s) still waiting on open deadlines")
    for kind, path in paths.items():
        print(f"  {kind.upper():<5} {path}")
    return 0


def tick_command(args: argparse.Namespace, settings: Any) -> list[str]:
    """`mysteryshop tick` as its own process, on the listener's store, journeys and campaigns."""
    command = [sys.executable, "-m", "mysteryshop.cli", "tick", *(args.campaign or []), "--root", str(settings.root.resolve()),
               "--store", str(absolute(settings.store_file)), "--journeys", str(settings.path(settings.journeys).resolve()),
               "--reports", str(settings.path(settings.reports).resolve())]
    if args.lease is not None:
        command += ["--lease", repr(_lease(args))]
    return command


def listen_command(args: argparse.Namespace) -> int:
    from mysteryshop.collect.imap import ImapAccount
    from mysteryshop.collect.listen import ListenerConfig, listen

    settings = load_cli_settings(args)
    imap = None
    if args.imap_host:
        user, password = os.environ.get(args.imap_user_env or ""), os.environ.get(args.imap_password_env or "")
        if not user or password is None:
            raise ConfigError(f"--imap-host needs the user name and password in environment variables ({args.imap_user_env}, {args.imap_password_env})")
        imap = ImapAccount(args.imap_host, args.imap_port, user, password, args.imap_mailbox, args.imap_ssl)
    if not args.domain and imap is None:
        raise ConfigError("listen: give --domain (receive SMTP for a probe domain) and/or --imap-host (collect a mailbox)")
    if args.tick_timeout <= 0:
        raise ConfigError(f"listen: --tick-timeout must be more than 0 seconds, got {args.tick_timeout}")
    store = _store(settings)
    config = ListenerConfig(host=args.host, port=args.port, domains=set(args.domain or []), imap=imap,
                            tick_every_s=args.tick_every or None, tick_timeout_s=args.tick_timeout)
    try:
        # each tick is a process of its own: it may parse thousands of messages and send for minutes, never on the SMTP loop
        run_async(listen(store, config, tick=tick_command(args, settings) if args.tick_every else None))
    finally:
        store.close()
    return 0


def _lease_option(parser: Any) -> None:
    parser.add_argument("--lease", type=float, default=None, metavar="S",
                        help="seconds a claim on a probe's walk holds if this process dies before giving it up; another "
                             "process moves the walk on after that (default: 120; a live process renews its claims)")


def _lease(args: argparse.Namespace) -> float:
    from mysteryshop.campaign import LEASE_S

    if args.lease is None:
        return LEASE_S
    if args.lease <= 0:
        raise ConfigError(f"--lease must be more than 0 seconds, got {args.lease}")
    return float(args.lease)


def add_commands(commands: argparse._SubParsersAction, run_parser: argparse.ArgumentParser) -> None:
    """`--campaign` on `run`, and the listen / tick / score commands."""
    group = run_parser.add_argument_group("campaigns (replies that take days)")
    group.add_argument("--campaign", metavar="NAME", help="send the first steps of the journeys and exit; `listen`, `tick` and `score` do the rest")
    group.add_argument("--journey", action="append", help="with --campaign: only these journeys (repeatable; default: all)")
    group.add_argument("--dry-run", action="store_true", help="print what would be sent; send nothing, store nothing (runs and campaigns)")
    group.add_argument("--allowlist", help="targets you may probe (default: allowlist.yaml in the project folder; the demo and desks on "
                                           "loopback need no entry)")
    _lease_option(group)
    plain_run = run_parser.get_default("func")
    run_parser.set_defaults(func=lambda args: start(args) if args.campaign else plain_run(args))
    run_parser.epilog = (run_parser.epilog or "") + "\n" + CAMPAIGN_EXAMPLES

    raw = argparse.RawDescriptionHelpFormatter
    listen = commands.add_parser("listen", help="collect campaign replies for days: SMTP for a probe domain and/or a mailbox over IMAP",
                                 description="Store every reply before answering 250 (or by its IMAP UID); restarts lose nothing.",
                                 epilog=CAMPAIGN_EXAMPLES, formatter_class=raw)
    listen.add_argument("--host", default="127.0.0.1", help="interface for the SMTP server (default: 127.0.0.1)")
    listen.add_argument("--port", type=int, default=2525, help="SMTP port (default: 2525)")
    listen.add_argument("--domain", action="append", help="probe domain whose mail is accepted (repeatable)")
    listen.add_argument("--imap-host", help="collect this IMAP server's mailbox too")
    listen.add_argument("--imap-port", type=int, default=993)
    listen.add_argument("--imap-ssl", action="store_true", help="IMAP over TLS")
    listen.add_argument("--imap-mailbox", default="INBOX")
    listen.add_argument("--imap-user-env", default="MYSTERYSHOP_IMAP_USER", help="variable holding the IMAP user (default: MYSTERYSHOP_IMAP_USER)")
    listen.add_argument("--imap-password-env", default="MYSTERYSHOP_IMAP_PASSWORD", help="variable holding the IMAP password")
    listen.add_argument("--tick-every", type=float, default=60.0,
                        help="seconds between ticks, each run as its own `mysteryshop tick` process; 0: never (default: 60)")
    listen.add_argument("--tick-timeout", type=float, default=600.0,
                        help="seconds a tick may take before the listener stops it (it is logged; the listener goes on; default: 600)")
    _lease_option(listen)
    listen.add_argument("--campaign", action="append", help="tick only these campaigns (default: all)")
    add_common_options(listen)
    listen.set_defaults(func=listen_command)

    t = commands.add_parser("tick", help="match stored replies to campaign probes and send what has fallen due",
                            epilog=CAMPAIGN_EXAMPLES, formatter_class=raw)
    t.add_argument("names", nargs="*", help="campaigns (default: all)")
    _lease_option(t)
    add_common_options(t)
    t.set_defaults(func=tick)

    s = commands.add_parser("score", help="score a campaign from the store now; open deadlines are marked pending",
                            epilog=CAMPAIGN_EXAMPLES, formatter_class=raw)
    s.add_argument("name", help="the campaign")
    s.add_argument("--out", help="folder for the scorecard (default: <reports>/campaign-NAME)")
    add_common_options(s)
    s.set_defaults(func=score)
