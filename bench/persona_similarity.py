"""How alike the messages one company receives are: a 50-persona campaign of each shipped journey against
50 real customer messages, on the same measure (mysteryshop/similarity.py: word 3-shingle Jaccard, every pair).

For each journey in journeys/ and each language it is written in, 50 personas (seed 1, the locale of that
language) write every action step's text as they would send it (subject, body, typing slips, mail client);
the messages of one step are compared with each other (what the company receives from that step) and the
journey's figure is its most alike step. Steps that send no text (opening a chat) are left out.

The real corpus: consumer complaint narratives from the CFPB Consumer Complaint Database (US public domain),
one product, cut to their first `--words` words (60: about as long as our emails), `--count` (50) of them.
It is not shipped (public data stays out of this repository): give it with `--corpus FILE.csv` (a CSV with a
`--column` of texts, e.g. any export of the database's "Consumer complaint narrative" for one product), or
set MYSTERYSHOP_REAL_CORPUS. Without one, the figures measured on 2026-12-04 are printed, marked `recorded`.

    .venv/bin/python bench/persona_similarity.py [--corpus complaints.csv] [--personas 50]

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mysteryshop.journey import Journey, load_journey  # noqa: E402
from mysteryshop.persona import make_persona  # noqa: E402
from mysteryshop.similarity import DIFFERENT_MEAN, NEAR_DUPLICATE, SHORT_WORDS, Alike, alike  # noqa: E402

#: the real corpus as measured when the thresholds were set (first 50 narratives of a public 100-row subset of
#: "Credit card or prepaid card" complaints, first 60 words each); printed when no corpus is given
RECORDED = {"messages": 50, "pairs": 1225, "mean": 0.0023, "p95": 0.0169, "max": 0.0413, "max_long": 0.0413, "verdict": "different authors",
            "source": "CFPB Consumer Complaint Database, 'Credit card or prepaid card' narratives (50, first 60 words)"}
LOCALES = {"en": "en_US", "de": "de_DE", "fr": "fr_FR", "es": "es_ES"}


def journey_alike(journey: Journey, locale: str, personas: int, seed: int) -> tuple[str, Alike] | None:
    """The most alike step of `journey` for `personas` personas of `locale`: (step id, its figures)."""
    people = [make_persona(seed, i, locale=locale, run_tag=f"bench:{journey.name}") for i in range(personas)]
    worst: tuple[str, Alike] | None = None
    for step in journey.steps:
        if not step.is_action or step.body is None:
            continue
        texts = []
        for persona in people:
            body = journey.write(step.id, "body", persona, email=step.do == "send_email").text
            subject = journey.write(step.id, "subject", persona).text if step.subject is not None else ""
            texts.append(f"{subject}\n{body}".strip())
        found = alike(texts)
        if worst is None or found.mean > worst[1].mean:
            worst = (step.id, found)
    return worst


def real_corpus(path: Path, column: str, words: int, count: int) -> dict[str, object]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row[column] for row in csv.DictReader(handle) if row.get(column, "").strip()]
    texts = [" ".join(text.split()[:words]) for text in rows[:count]]
    return {**alike(texts).as_dict(), "source": f"{path.name}, column '{column}' ({len(texts)}, first {words} words)"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--journeys", type=Path, default=ROOT / "journeys")
    parser.add_argument("--personas", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=Path(os.environ["MYSTERYSHOP_REAL_CORPUS"]) if os.environ.get("MYSTERYSHOP_REAL_CORPUS") else None)
    parser.add_argument("--column", default="Consumer complaint narrative")
    parser.add_argument("--words", type=int, default=60)
    parser.add_argument("--count", type=int, default=50)
    args = parser.parse_args()

    if args.corpus is not None:
        real = {**real_corpus(args.corpus, args.column, args.words, args.count), "measured": "now"}
    else:
        real = {**RECORDED, "measured": "recorded"}
    print(f"real customers: {real['source']}: mean {real['mean']:.4f}, p95 {real['p95']:.4f}, max {real['max']:.4f} "
          f"({real['measured']})")
    print(f"verdict 'different authors': mean <= {DIFFERENT_MEAN} and no pair of {SHORT_WORDS}+ words >= {NEAR_DUPLICATE}")
    ours: dict[str, dict[str, object]] = {}
    for path in sorted(args.journeys.glob("*.yaml")):
        journey = load_journey(path)
        for language in sorted(journey.writer.languages & set(LOCALES)):
            found = journey_alike(journey, LOCALES[language], args.personas, args.seed)
            if found is None:
                continue
            step, result = found
            key = f"{journey.name}:{language}"
            ours[key] = {**result.as_dict(), "step": step}
            print(f"{key:34} most alike step {step:16} mean {result.mean:.4f}  p95 {result.p95:.4f}  max {result.max:.4f} ({SHORT_WORDS}+ words {result.max_long:.4f})  "
                  f"{result.mean / real['mean'] if real['mean'] else 0:5.1f}x real mean  {result.verdict}")
    english = [v for k, v in ours.items() if k.endswith(":en")]
    summary = {
        "personas": args.personas, "real": real, "ours": ours,
        "journeys_different_authors_en": sum(v["verdict"] == "different authors" for v in english), "journeys_en": len(english),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
