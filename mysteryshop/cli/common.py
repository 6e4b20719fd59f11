"""What every `mysteryshop` sub-command shares: settings from configuration and flags, the common options, errors."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mysteryshop.storage import exists


def fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def load_cli_settings(args: argparse.Namespace, **extra: Any) -> Any:
    from mysteryshop.config import load_settings

    flags = {key: getattr(args, key, None) for key in ("probes", "journeys", "reports", "store", "personas", "seed", "profile",
                                                        "baseline", "pdf", "fail_on_regression", "significance", "require", "rubric")}
    flags["targets"] = getattr(args, "target", None)
    flags["locales"] = getattr(args, "locale", None)
    flags["personas_file"] = getattr(args, "personas_file", None)
    tolerances = {}
    for item in getattr(args, "tolerance", None) or []:
        key, sep, value = item.partition("=")
        if not sep:
            from mysteryshop.errors import ConfigError

            raise ConfigError(f"--tolerance '{item}': write METRIC=VALUE, e.g. email.answered.rate=0.05 or email.answered.median_s=25%")
        tolerances[key.strip()] = value.strip()
    flags["tolerances"] = tolerances or None
    collect = {key: getattr(args, attr, None) for key, attr in (("via", "collect"), ("host", "mailbox_host"), ("port", "mailbox_port"),
                                                                 ("advertise", "mailbox_advertise"))}
    flags["collect"] = {k: v for k, v in collect.items() if v is not None} or None
    flags["probe_domain"] = getattr(args, "probe_domain", None)
    flags["allowlist"] = getattr(args, "allowlist", None)
    flags["study"] = getattr(args, "study", None)
    flags["alerts"] = getattr(args, "alerts", None)
    flags.update(extra)
    settings = load_settings(Path(args.root) if getattr(args, "root", None) else None, flags=flags)
    check_tolerance_keys(settings.tolerances)
    return settings


def check_tolerance_keys(tolerances: dict[str, Any]) -> None:
    """Every gate tolerance names a headline metric (a name from before metrics had channels would silently not apply)."""
    from mysteryshop.errors import ConfigError, suggest
    from mysteryshop.scorecard.build import HEADLINE

    for key in tolerances:
        if key not in HEADLINE:
            hint = suggest(key, HEADLINE) or suggest(f"email.{key}", HEADLINE)
            raise ConfigError(f"tolerance for unknown metric '{key}'.{hint} Metrics are channel.metric.field, e.g. email.answered.rate, "
                              "chat.first_response.median_s, or score; `mysteryshop compare` lists them")


def load_study_of(settings: Any, args: argparse.Namespace) -> Any:
    """The benchmark study of this command (--study, or `study` in the configuration), or None. Its companies become the
    targets; --target on the command line overrides a study from the configuration, and with --study is refused."""
    from mysteryshop.errors import ConfigError
    from mysteryshop.study import load_study

    if getattr(args, "study", None) and getattr(args, "target", None):
        raise ConfigError("--study names the companies to probe: leave out --target (or leave out --study)")
    if not settings.study or getattr(args, "target", None):
        return None
    path = settings.path(settings.study)
    if not path.is_file():
        raise ConfigError(f"no study file at {path}; write one (see `mysteryshop run --help` and the README) or fix the path")
    study = load_study(path, settings.path(settings.journeys) / "targets")
    settings.targets = study.targets
    return study


def open_store(settings: Any) -> Any:
    from mysteryshop.errors import ConfigError
    from mysteryshop.store import Store

    if not exists(settings.store_file):
        raise ConfigError(f"no run store at {settings.store_file}; run `mysteryshop run` first or pass --store FILE (or a postgresql:// URL)")
    return Store(settings.store_file)


def add_common_options(parser: argparse.ArgumentParser, *, run: bool = False) -> None:
    """Options every command shares; defaults come from configuration (None = not given here)."""
    group = parser.add_argument_group("configuration (overrides [tool.mysteryshop] and MYSTERYSHOP_*)")
    group.add_argument("--root", default=None, help="project folder with pyproject.toml (default: nearest upwards)")
    group.add_argument("--reports", default=None, help="scorecards folder (default: reports)")
    group.add_argument("--store", default=None, help="run store: a SQLite file (default: <reports>/mysteryshop.sqlite) or a "
                                                     "postgresql://user@host:5432/db URL; also MYSTERYSHOP_STORE or the config key store")
    group.add_argument("--journeys", default=None, help="journey folder (default: journeys)")
    group.add_argument("--baseline", default=None, help="baseline file (default: mysteryshop-baseline.json)")
    group.add_argument("--tolerance", action="append", metavar="METRIC=VALUE", help="gate tolerance, e.g. email.answered.rate=0.05 (repeatable)")
    group.add_argument("--fail-on-regression", action="store_true", default=None,
                       help="exit 1 when a headline metric regressed against the baseline: beyond its tolerance and significant")
    group.add_argument("--significance", type=float, default=None, metavar="LEVEL",
                       help="the gate's level: a difference beyond its tolerance is a regression only when p < LEVEL (default 0.05)")
    group.add_argument("--require", action="append", default=None, metavar="RULE",
                       help="an absolute requirement the run must meet (exit 1 if not), e.g. 'grade>=C', 'email.acknowledged.rate>=0.8', "
                            "'email.answered.p90<8bh' (repeatable; replaces require = [...] of [tool.mysteryshop])")
    group.add_argument("--pdf", action="store_true", default=None, help="also print the one-pager to PDF (Debian's chromium)")
    group.add_argument("--rubric", default=None, metavar="FILE",
                       help="rubric grading each channel and the whole: weights, thresholds, critical failures "
                            "(default: the shipped mysteryshop/scorecard/rubric.yaml)")
    group.add_argument("--alerts", default=None, metavar="FILE",
                       help="alerts file: post to webhooks / send email when the gate fails, a grade drops, a probe bounces")
    if run:
        group.add_argument("--probes", default=None, help="folder of probe tests (default: probes)")
        group.add_argument("--target", action="append", default=None, help="target name in journeys/targets/ (repeatable; default: demo)")
        group.add_argument("--study", default=None, metavar="FILE",
                           help="a benchmark study (YAML or CSV): which companies, how many personas each, spread over how many days "
                                "(campaigns); instead of --target")
        group.add_argument("--personas", type=int, default=None, help="personas per journey and target (default: 3)")
        group.add_argument("--seed", type=int, default=None, help="the same seed gives the same run (default: 1)")
        replies = parser.add_argument_group("replies (how the company's answers reach mysteryshop; overrides the targets' collect:)")
        replies.add_argument("--collect", default=None, choices=["smtp", "imap", "listener"],
                             help="smtp: our own mailbox on --mailbox-host:--mailbox-port; imap: the target's collect.imap mailbox; "
                                  "listener: a `mysteryshop listen` running on the same store")
        replies.add_argument("--mailbox-host", default=None, help="interface the reply mailbox binds (default 127.0.0.1; 0.0.0.0 for all)")
        replies.add_argument("--mailbox-port", type=int, default=None, help="port the reply mailbox binds (the port the desk delivers replies to)")
        replies.add_argument("--mailbox-advertise", default=None, help="host:port the desk reaches the mailbox at, when not the bound one")
        replies.add_argument("--probe-domain", default=None, help="domain of the personas' addresses (its MX must point at the mailbox)")
        group.add_argument("--locale", action="append", default=None, help="Faker locale of personas (repeatable)")
        group.add_argument("--personas-file", default=None, metavar="FILE",
                           help="personas from a CSV or YAML file (real test accounts) instead of Faker; see README")
        from mysteryshop.demo.profile import builtin_profiles

        group.add_argument("--profile", default=None, choices=list(builtin_profiles()),
                           help="behaviour of the embedded demo desk (asks_back: asks for the order number or a photo before it answers)")
        group.add_argument("--run-id", default=None, help="the run's folder name (default: time-based)")
        group.add_argument("--resume", default=None, metavar="RUN",
                           help="go on with an interrupted run (its id, or latest): finished probes keep their results, open ones "
                                "walk on from where they stood; nothing is sent twice")
