"""`mysteryshop campaign schedule | waves | unschedule`: recurring campaign waves (see mysteryshop/waves.py)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from mysteryshop.cli.common import add_common_options, load_cli_settings
from mysteryshop.errors import ConfigError

WAVE_EXAMPLES = """examples:
  mysteryshop campaign schedule acme-weekly --cron '0 9 * * 1' --target acme --journey email_question --personas 5
  mysteryshop campaign schedule acme-weekly --cron '0 9 * * 1' --target acme --print-crontab   (cron instead of a listener)
  mysteryshop campaign waves
  mysteryshop campaign unschedule acme-weekly

A wave is a campaign named after its schedule and fire time (acme-weekly-20261207-0900), with its own personas.
`mysteryshop listen` (every --tick-every seconds) and `mysteryshop tick` start the waves that have fallen due;
the schedules are kept in the store, so a listener that restarts loses none.
"""


def _store(settings: Any) -> Any:
    from mysteryshop.store import Store

    return Store(settings.store_file)


def _zone_of(targets: list[str], journeys_dir: Any) -> str:
    """The time zone of the first target with a clock (a wave's default), else UTC."""
    from mysteryshop.campaign import load_targets_and_journeys

    _, known = load_targets_and_journeys(journeys_dir, names=())
    for name in targets:
        target = known.get(name)
        if target is None:
            raise ConfigError(f"no target file for '{name}' in {journeys_dir / 'targets'}")
        clock = getattr(target.spec, "clock", None)
        if clock is not None:
            return clock.timezone
    return "UTC"


def schedule(args: argparse.Namespace) -> int:
    from mysteryshop.waves import Wave, add_wave, check_cron, crontab_line, next_fire

    settings = load_cli_settings(args)
    if not args.target:
        raise ConfigError("--target: name the companies each wave probes (repeatable)")
    check_cron(args.cron)
    tz = args.tz or _zone_of(args.target, settings.path(settings.journeys))
    wave = Wave(args.name, args.cron, tz, tuple(args.target), tuple(args.journey or ()), settings.personas, settings.seed)
    if args.print_crontab:
        first = next_fire(wave.cron, wave.tz, datetime.now(UTC))
        print(f"# {wave.name}: first wave {first.astimezone(ZoneInfo(tz)):%a %d %b %Y %H:%M} {tz}; needs cronie (CRON_TZ) "
              "and a `mysteryshop listen` (or tick) for the replies")
        print(crontab_line(wave, root=str(settings.root.resolve())))
        return 0
    store = _store(settings)
    try:
        stored = add_wave(store, wave)
    finally:
        store.close()
    first = datetime.strptime(stored.next_utc, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    print(f"wave '{wave.name}' scheduled: '{wave.cron}' in {tz}, {', '.join(wave.targets)}, "
          f"{'journeys ' + ', '.join(wave.journeys) if wave.journeys else 'every journey'}, {wave.personas} persona(s) per journey")
    print(f"first wave: {first.astimezone(ZoneInfo(tz)):%a %d %b %Y %H:%M} {tz}; keep `mysteryshop listen` running (it starts due waves)")
    return 0


def list_waves(args: argparse.Namespace) -> int:
    from mysteryshop.waves import waves

    settings = load_cli_settings(args)
    store = _store(settings)
    try:
        found = waves(store)
    finally:
        store.close()
    if not found:
        print("no waves scheduled (mysteryshop campaign schedule NAME --cron ... --target ...)")
    for wave in found:
        nxt = datetime.strptime(wave.next_utc, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).astimezone(ZoneInfo(wave.tz))
        print(f"{wave.name}: '{wave.cron}' {wave.tz}, {', '.join(wave.targets)}; next {nxt:%a %d %b %Y %H:%M}"
              + (f"; last wave {wave.last_campaign}" if wave.last_campaign else ""))
    return 0


def unschedule(args: argparse.Namespace) -> int:
    from mysteryshop.waves import remove_wave

    settings = load_cli_settings(args)
    store = _store(settings)
    try:
        removed = remove_wave(store, args.name)
    finally:
        store.close()
    if not removed:
        raise ConfigError(f"no wave named '{args.name}' (mysteryshop campaign waves lists them)")
    print(f"wave '{args.name}' unscheduled; its past waves stay in the store")
    return 0


def start_due_waves(args: argparse.Namespace, settings: Any, start: Callable[[argparse.Namespace], int]) -> int:
    """Start the waves due now with `start` (`run --campaign`'s function; called by every tick); how many were due."""
    from mysteryshop.waves import claim_due, record_started

    store = _store(settings)
    try:
        due = claim_due(store)
    finally:
        store.close()
    for wave in due:
        print(f"wave '{wave.wave.name}' due: starting campaign '{wave.campaign}'"
              + (f" ({wave.missed} earlier fire time(s) passed while nothing ticked: only the latest is run)" if wave.missed else ""),
              flush=True)
        wave_args = argparse.Namespace(**{**vars(args), "campaign": wave.campaign, "target": list(wave.wave.targets),
                                          "journey": list(wave.wave.journeys) or None, "personas": wave.wave.personas,
                                          "seed": wave.seed, "dry_run": False, "study": None})
        try:
            code = start(wave_args)
        except ConfigError as exc:
            print(f"error: wave '{wave.wave.name}': {exc}", file=sys.stderr)
            continue
        if code == 0:
            store = _store(settings)
            try:
                record_started(store, wave)
            finally:
                store.close()
    return len(due)


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    raw = argparse.RawDescriptionHelpFormatter
    campaign = commands.add_parser("campaign", help="recurring campaign waves: schedule, list, unschedule", epilog=WAVE_EXAMPLES,
                                   formatter_class=raw)
    sub = campaign.add_subparsers(dest="campaign_command", metavar="SUBCOMMAND")
    s = sub.add_parser("schedule", help="add (or replace) a recurring wave", epilog=WAVE_EXAMPLES, formatter_class=raw)
    s.add_argument("name", help="the schedule's name; each wave's campaign is NAME-YYYYMMDD-HHMM")
    s.add_argument("--cron", required=True, help="five-field cron expression in --tz, e.g. '0 9 * * 1-5'")
    s.add_argument("--tz", default=None, help="IANA time zone of --cron (default: the first target's clock, else UTC)")
    s.add_argument("--target", action="append", help="a company each wave probes (repeatable)")
    s.add_argument("--journey", action="append", help="only these journeys (repeatable; default: all)")
    s.add_argument("--personas", type=int, default=None, help="personas per journey and company in each wave (default: 3)")
    s.add_argument("--seed", type=int, default=None, help="base seed; each wave moves it on by its fire time")
    s.add_argument("--print-crontab", action="store_true", help="print a crontab entry that does the same; store nothing")
    add_common_options(s)
    s.set_defaults(func=schedule)
    w = sub.add_parser("waves", help="list the scheduled waves and when each fires next", epilog=WAVE_EXAMPLES, formatter_class=raw)
    add_common_options(w)
    w.set_defaults(func=list_waves)
    u = sub.add_parser("unschedule", help="remove a schedule (its past waves stay)", epilog=WAVE_EXAMPLES, formatter_class=raw)
    u.add_argument("name")
    add_common_options(u)
    u.set_defaults(func=unschedule)
    campaign.set_defaults(func=lambda args: campaign.print_help() or 2)
