"""`mysteryshop doctor`: check a target before a campaign (see mysteryshop/doctor.py)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mysteryshop.cli.common import add_common_options, load_cli_settings

DOCTOR_EXAMPLES = """examples:
  mysteryshop doctor --target acme                   every check, one line each: OK, WARN, FAIL or SKIP, what, how to fix
  mysteryshop doctor --target acme --journey email_question   only the journeys the campaign will run must fit the target
  mysteryshop doctor --target acme --json            the checks as JSON: [{"name", "status", "detail"}, ...]
  mysteryshop doctor --target acme --nameserver 9.9.9.9        check DNS through this resolver

checks: the allowlist entry · the journeys against the target file · the relay (EHLO, STARTTLS and login as
configured, MAIL FROM the probe sender, RCPT TO the support address, then RSET: nothing is sent) · the DKIM key ·
the collector where replies will go (collect: smtp greeting, IMAP login, or a listener in the store) · the
probe domain's MX, SPF and DMARC records and the DKIM record, where DNS resolves (offline: SKIP)

exit codes: 0 nothing failed (WARN and SKIP do not fail)
            2 a check found the configuration wrong (a file, a variable or a record to fix)
            3 nothing is misconfigured, but the relay or the collector could not be reached
"""


def doctor(args: argparse.Namespace) -> int:
    from mysteryshop.doctor import FAIL, OK, Check, DoctorOptions, diagnose, exit_code
    from mysteryshop.errors import ConfigError, JourneyError
    from mysteryshop.target import Target, find_target, load_target

    settings = load_cli_settings(args)
    journeys_dir = settings.path(settings.journeys)
    name = args.doctor_target or (settings.targets[0] if len(settings.targets) == 1 else None)
    if name is None:
        raise ConfigError(f"doctor checks one target: give --target NAME (configured: {', '.join(settings.targets)})")
    try:
        path = Path(name)
        target = load_target(path) if path.suffix in (".yaml", ".yml") and path.exists() else find_target(name, journeys_dir / "targets")
    except JourneyError as exc:
        checks = [Check("target", FAIL, line) for line in exc.problems]
    except ConfigError as exc:
        checks = [Check("target", FAIL, str(exc))]
    else:
        if settings.probe_domain:  # as a run applies it (--probe-domain, probe_domain in [tool.mysteryshop])
            target = Target(spec=target.spec.model_copy(update={"probe_domain": settings.probe_domain}), path=target.path)
        options = DoctorOptions(
            journeys_dir=journeys_dir,
            allowlist=settings.path(settings.allowlist),
            store_file=settings.store_file,
            journeys=args.journey,
            timeout=args.timeout,
            nameservers=args.nameserver,
            collect=dict(settings.collect),
        )
        checks = [Check("target", OK, f"{target.path} loads ('{target.name}'{': ' + target.spec.title if target.spec.title else ''})"),
                  *diagnose(target, options)]
    if args.json:
        print(json.dumps([c.as_json() for c in checks], indent=2, ensure_ascii=False))
    else:
        for check in checks:
            print(check.line(), flush=True)
    return exit_code(checks)


def add_commands(commands: argparse._SubParsersAction) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    d = commands.add_parser("doctor", help="check a target before a campaign: relay, collector, DNS, DKIM, allowlist, journeys",
                            description="Check, before a campaign, what can be checked without sending anything.",
                            epilog=DOCTOR_EXAMPLES, formatter_class=raw)
    d.add_argument("--target", dest="doctor_target", metavar="TARGET", help="target name in journeys/targets/, or a target file (default: the one configured target)")
    d.add_argument("--journey", action="append", help="a journey the campaign runs (repeatable; default: every journey, and one that "
                                                      "does not fit the target is a warning)")
    d.add_argument("--json", action="store_true", help="print the checks as a JSON list of {name, status, detail}")
    d.add_argument("--allowlist", help="the allowlist file (default: allowlist.yaml in the project folder)")
    d.add_argument("--nameserver", action="append", metavar="IP[:PORT]", help="DNS server to ask (repeatable; default: the system's)")
    d.add_argument("--timeout", type=float, default=5.0, help="seconds each network step may take (default: 5; DNS: at most 3)")
    add_common_options(d)
    d.set_defaults(func=doctor)
