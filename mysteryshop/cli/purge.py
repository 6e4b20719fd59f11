"""`mysteryshop purge --older-than 180d`: take the personal data out of old runs (see mysteryshop/purge.py)."""

from __future__ import annotations

import argparse
import time

from mysteryshop.cli.common import add_common_options, load_cli_settings, open_store

PURGE_EXAMPLES = """examples:
  mysteryshop purge --older-than 180d --dry-run     say what would go, change nothing
  mysteryshop purge --older-than 180d               remove it: message bodies, names, addresses, report folders

Grades and headline figures of purged runs stay (trends, compare and the gate keep working); a purged run's
scorecard can no longer be written again. On SQLite the store file is rewritten (VACUUM) so that nothing removed
stays in its free pages; on PostgreSQL the purged tables are (VACUUM FULL), so no old row version keeps it.
"""


def purge(args: argparse.Namespace) -> int:
    from mysteryshop.durations import parse_duration
    from mysteryshop.errors import ConfigError
    from mysteryshop.purge import compact, compact_postgres, plan_purge, purge_run
    from mysteryshop.storage import is_url

    try:
        age_ns = parse_duration(args.older_than)
    except ValueError as exc:
        raise ConfigError(f"--older-than: {exc}") from None
    settings = load_cli_settings(args)
    reports_dir = settings.path(settings.reports)
    store = open_store(settings)
    try:
        plans = plan_purge(store, reports_dir, time.time_ns() - age_ns)
        verb = "would purge" if args.dry_run else "purging"
        print(f"mysteryshop purge: {len(plans)} finished run(s) started more than {args.older_than} ago {'would be' if args.dry_run else 'are'} purged")
        for plan in plans:
            print(f"  {verb} {plan.line()}", flush=True)
            if not args.dry_run:
                purge_run(store, plan, args.older_than, reports_dir)
        store_path = getattr(store, "path", None)
    finally:
        store.close()
    if plans and not args.dry_run and is_url(settings.store_file):
        compact_postgres(str(settings.store_file))
    elif plans and not args.dry_run and store_path is not None and str(store_path).endswith((".sqlite", ".db", ".sqlite3")):
        compact(store_path)
    if args.dry_run:
        print("dry run: nothing was changed")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("purge", help="remove message bodies, names and addresses of old runs; keep grades and trends",
                                 description="Retention (GDPR): remove the personal data of finished runs older than a given age.",
                                 epilog=PURGE_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--older-than", required=True, metavar="AGE", help="runs started longer ago than this, e.g. 180d, 26w")
    parser.add_argument("--dry-run", action="store_true", help="say what would be removed; change nothing")
    add_common_options(parser)
    parser.set_defaults(func=purge)
