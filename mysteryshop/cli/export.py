"""`mysteryshop export RUN`: the evidence pack of a run (see mysteryshop/export.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mysteryshop.cli.common import add_common_options, load_cli_settings, open_store

EXPORT_EXAMPLES = """examples:
  mysteryshop export latest                          reports/<run-id>/evidence-<run-id>.zip: every probe's evidence
  mysteryshop export latest --target acme            only what concerns acme: the pack to show acme
  mysteryshop export 20261123-070722-a389 --probe email_question-acme-p3 --out /tmp/dispute.zip

The zip holds every message as .eml, chat transcripts, screenshots, traces and HAR files, the stored events,
each probe's verdicts, the journey and target files, and manifest.json: the run's settings and the SHA-256
of every file. The pack's own SHA-256 is printed: write it down apart from the pack.
"""


def export(args: argparse.Namespace) -> int:
    from mysteryshop.export import file_digest, write_pack
    from mysteryshop.history import resolve_run
    from mysteryshop.purge import refuse_purged

    settings = load_cli_settings(args)
    store = open_store(settings)
    try:
        run_id = resolve_run(store, args.run, baseline_file=settings.baseline_file)
        refuse_purged(store, run_id)
        run_dir = settings.path(settings.reports) / run_id
        scope = "-".join(args.target or [])
        out = Path(args.out) if args.out else run_dir / f"evidence-{run_id}{'-' + scope if scope else ''}.zip"
        manifest = write_pack(store, run_id, out, evidence_root=run_dir, journeys_dir=settings.path(settings.journeys),
                              targets=args.target or (), probe_ids=args.probe or ())
    finally:
        store.close()
    files = manifest["files"]
    messages, shots = sum(f["kind"].startswith("message") for f in files), sum(f["kind"] == "screenshot" for f in files)
    print(f"evidence pack of run {run_id}: {len(manifest['probes'])} probe(s), {len(files)} file(s) "
          f"({messages} message(s), {shots} screenshot(s))")
    print(f"written: {out.resolve()}")
    print(f"sha256:  {file_digest(out)}")
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("export", help="write a run's evidence pack (zip: messages, transcripts, screenshots, events, manifest)",
                                 description="Write the evidence pack of a stored run: what a company can be shown when it disputes a finding.",
                                 epilog=EXPORT_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="run id, or latest / previous / baseline / a campaign's name")
    parser.add_argument("--out", default=None, help="the zip to write (default: <reports>/<run id>/evidence-<run id>.zip)")
    parser.add_argument("--target", action="append", default=None, help="only this company's probes (repeatable)")
    parser.add_argument("--probe", action="append", default=None, help="only this probe (repeatable; ids as in probes.csv)")
    add_common_options(parser)
    parser.set_defaults(func=export)
