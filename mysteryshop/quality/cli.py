"""`mysteryshop quality eval`: agreement of each engine with the labelled set, and of the message kinds with theirs;
`mysteryshop quality classify FILE.eml...`: each message's kind, language and evidence (mysteryshop.scoring.kinds_eval)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from mysteryshop.quality.criteria import CRITERIA
from mysteryshop.quality.engines import ENGINES
from mysteryshop.quality.labelled import (
    DEFAULT_SETS,
    LabelledSetError,
    default_sets,
    load_labelled,
)

KINDS_SETS = "tests/quality/kinds*"
# The rule author's unit-test fixtures (split "dev"): what the rules were written on, so not an evaluation.
KINDS_DEV_FOLDER = "kinds_dev"
#: real mail from public test corpora, kept beside the repository (in shared/ or next to the clone), never in it
KINDS_REAL_SETS = ("../shared/kinds_real*", "../kinds_real*")


def default_kinds_folders(root: Path | str = ".") -> list[Path]:
    """Every labelled message folder that `quality eval` reads by default: those under `root` in name order, then the
    real-mail sets in the shared/ folder beside it, if there are any."""
    def labelled(found: Path) -> bool:
        return found.is_dir() and (found / "labels.yaml").is_file()

    own = sorted(p for p in Path(root).glob(KINDS_SETS) if p.name != KINDS_DEV_FOLDER and labelled(p))
    real = {p.resolve() for pattern in KINDS_REAL_SETS for p in Path(root).absolute().glob(pattern) if labelled(p)}
    return own + sorted(real)


def add_commands(subparsers: Any) -> None:
    """Add `quality eval` to the main CLI's subparsers."""
    quality = subparsers.add_parser("quality", help="reply-quality tools")
    quality_sub = quality.add_subparsers(dest="quality_command", required=True)
    evaluate = quality_sub.add_parser(
        "eval", help="agreement, precision and recall of each engine on labelled sets; agreement per language, train and held-out apart"
    )
    evaluate.add_argument(
        "--labelled", action="append", dest="labelled",
        help="labelled YAML; repeat for several (default: " + ", ".join(str(p) for p in DEFAULT_SETS) + ", those that exist)",
    )
    evaluate.add_argument(
        "--engine", action="append", choices=list(ENGINES), dest="engines",
        help="engine to evaluate; repeat for several (default: rules, semantic if installed, llm if MYSTERYSHOP_LLM_URL is set)",
    )
    evaluate.add_argument("--criterion", action="append", choices=list(CRITERIA), dest="criteria", help="limit to these criteria")
    evaluate.add_argument("--misses", action="store_true", help="list each disagreement with the engine's reason")
    evaluate.add_argument("--split", choices=["train", "heldout"], default=None,
                          help="only the exchanges of this split (e.g. --split train --misses while tuning rules, never looking at held-out ones)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    evaluate.add_argument("--kinds", metavar="FOLDER", action="append", default=None,
                          help="labelled raw messages for the message kinds: .eml files and a labels.yaml; repeat for "
                               "several (default: every tests/quality/kinds*/ folder with a labels.yaml, except the "
                               "unit-test fixtures in " + KINDS_DEV_FOLDER + ", and the real-mail sets "
                               + " or ".join(KINDS_REAL_SETS) + ")")
    evaluate.add_argument("--kinds-only", action="store_true", help="evaluate only the message kinds, not the reply-quality criteria")
    evaluate.set_defaults(func=run_eval)
    classify = quality_sub.add_parser("classify", help="each message's kind (bounce, out_of_office, acknowledgement, answer, survey, "
                                                       "marketing, other), language and evidence")
    classify.add_argument("files", nargs="+", metavar="FILE.eml", help="raw messages (RFC 5322), as saved by a mail client")
    classify.add_argument("--json", action="store_true", help="one JSON object per message (file, kind, language, evidence, ...)")
    classify.set_defaults(func=run_classify)


def run_classify(args: argparse.Namespace) -> int:
    """Print each file's kind; 2 when a file could not be read (the others are still printed)."""
    from mysteryshop.scoring.kinds_eval import classify_file

    status = 0
    for name in args.files:
        found = classify_file(name)
        if found.error:
            print(f"mysteryshop quality classify: {found.error}", file=sys.stderr)
            status = 2
        if args.json:
            print(json.dumps(found.as_dict(), ensure_ascii=False))
            continue
        print(f"{found.file}: {found.reading.kind} (language {found.language or 'unknown'})")
        for line in found.reading.evidence:
            print(f"    {line}")
        if found.reading.promise is not None:
            print(f"    promises an answer within {found.reading.promise.said!r}: \"{found.reading.promise.quote}\"")
    return status


def _eval_kinds(args: argparse.Namespace, report: dict[str, Any]) -> int:
    from mysteryshop.scoring.kinds_eval import (
        KindsSetError,
        evaluate_kinds,
        format_kinds_table,
        load_kinds_set,
    )

    folders = [str(f) for f in (args.kinds or default_kinds_folders())]
    if not folders:
        if args.kinds_only:
            print(f"mysteryshop quality eval: no {KINDS_SETS}/labels.yaml found; pass --kinds FOLDER "
                  "or run from the repository root", file=sys.stderr)
            return 2
        return 0
    items_by_folder = {}
    try:
        for folder in folders:
            items_by_folder[folder] = load_kinds_set(folder)
    except KindsSetError as exc:
        print(f"mysteryshop quality eval: {exc}", file=sys.stderr)
        return 2
    if args.split:
        items_by_folder = {folder: [i for i in items if i.split == args.split] for folder, items in items_by_folder.items()}
    runs = dict(items_by_folder)
    if len(folders) > 1:
        runs["all"] = [item for items in items_by_folder.values() for item in items]
    results = {name: evaluate_kinds(items) for name, items in runs.items()}
    as_dicts = {name: {split_name: split.as_dict() for split_name, split in splits.items()} for name, splits in results.items()}
    report["kinds"] = {"folder": ", ".join(folders), "splits": as_dicts["all" if len(folders) > 1 else folders[0]],
                       "by_folder": {folder: {"splits": as_dicts[folder]} for folder in folders}}
    if not args.json:
        for name, splits in results.items():
            if len(folders) > 1:
                print(f"== message kinds: {name if name != 'all' else 'all ' + str(len(folders)) + ' folders together'} ==")
            for split_name, split in splits.items():
                print(format_kinds_table(split_name, split))
                if args.misses:
                    for miss in split.misses:
                        print(f"    {miss}")
                print()
    return 0


def _default_engines() -> list[str]:
    from mysteryshop.quality.engines.semantic import semantic_available

    engines = ["rules"]
    if semantic_available():
        engines.append("semantic")
    if os.environ.get("MYSTERYSHOP_LLM_URL"):
        engines.append("llm")
    return engines


def run_eval(args: argparse.Namespace) -> int:
    """Score the labelled set with each engine and print the figures; 2 when the set or an engine is unusable."""
    from mysteryshop.quality.evaluation import (
        format_languages,
        format_table,
        heldout_by_source,
        item_language,
        tally,
        tally_by,
    )
    from mysteryshop.quality.scoring import clean, score_many

    if args.kinds_only:
        report: dict[str, Any] = {}
        status = _eval_kinds(args, report)
        if args.json and status == 0:
            print(json.dumps(report, indent=2))
        return status
    paths = args.labelled or [str(p) for p in default_sets()]
    if not paths:
        print(f"mysteryshop quality eval: no labelled set found (looked for {', '.join(str(p) for p in DEFAULT_SETS)}); "
              "pass --labelled PATH or run from the repository root", file=sys.stderr)
        return 2
    items, sources = [], []
    try:
        for path in paths:
            loaded = load_labelled(path)
            items.extend(loaded)
            sources.extend([str(path)] * len(loaded))
    except LabelledSetError as exc:
        print(f"mysteryshop quality eval: {exc}", file=sys.stderr)
        return 2
    if args.split:
        kept = [(item, source) for item, source in zip(items, sources) if item.split == args.split]
        items, sources = [item for item, _ in kept], [source for _, source in kept]
    criteria = tuple(args.criteria or CRITERIA)
    engines = args.engines or _default_engines()
    languages = [item_language(i, clean(i.exchange).language) for i in items]
    counts: dict[str, dict[str, int]] = {}
    for item, language in zip(items, languages):
        counts.setdefault(item.split, {}).setdefault(language, 0)
        counts[item.split][language] += 1
    report: dict[str, Any] = {"labelled": paths if len(paths) > 1 else paths[0], "exchanges": len(items), "splits": counts, "engines": {}}
    for engine in engines:
        try:
            results = score_many([i.exchange for i in items], criteria, engine)
        except (ImportError, RuntimeError, ValueError) as exc:
            print(f"mysteryshop quality eval: engine {engine!r} could not run: {exc}", file=sys.stderr)
            return 2
        tallies = tally(items, results, criteria)
        figures = lambda t: {"n": t.labelled, "agreement": t.agreement, "precision": t.precision, "recall": t.recall, "unscored": t.unscored}
        by_split = tally_by(items, results, criteria, languages)
        report["engines"][engine] = {name: figures(t) for name, t in tallies.items()}
        report["engines"][engine]["by_split"] = {
            split: {code: {name: figures(t) for name, t in by_criterion.items()} for code, by_criterion in by_language.items()}
            for split, by_language in by_split.items()
        }
        by_source = heldout_by_source(items, results, criteria, languages, sources)
        report["engines"][engine]["heldout_by_file"] = {
            source: {code: {name: figures(t) for name, t in by_criterion.items()} for code, by_criterion in by_language.items()}
            for source, by_language in by_source.items()
        }
        if not args.json:
            print(format_table(engine, tallies))
            for split in ("train", "heldout"):
                if split in by_split:
                    print(format_languages(split, by_split[split], counts[split]))
            if len(by_source) > 1:
                for source, by_language in by_source.items():
                    per_language = {code: 0 for code in by_language}
                    for item, language, origin in zip(items, languages, sources):
                        if origin == source and item.split == "heldout":
                            per_language[language] += 1
                    print(format_languages(f"heldout, {source} alone", by_language, per_language))
            if args.misses:
                for name, t in tallies.items():
                    for miss in t.misses:
                        print(f"    {name}: {miss}")
            print()
    status = _eval_kinds(args, report)
    if status:
        return status
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{len(items)} labelled exchanges from {', '.join(paths)}; held-out exchanges are never used to tune the rules")
    return 0
