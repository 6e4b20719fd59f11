"""Message kinds for people: each .eml file's kind, language and evidence (`mysteryshop quality classify`), and how well
the kinds agree with a labelled set of raw messages (`mysteryshop quality eval`: precision and recall per kind, per split).

A labelled set is a folder of .eml files and a labels.yaml beside them, mapping each file to its kind, language and
split (train or heldout), either as a mapping (`file.eml: {kind: bounce, language: en, split: train}`) or as a list
of entries with a `file` key. The held-out split is never tuned on; its figures are reported apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mysteryshop.collect.parse import parse_mail
from mysteryshop.scoring.classify import KINDS, Reading, read_kind

#: where `quality eval` looks for the labelled raw messages (run from the repository root)
DEFAULT_KINDS_SET = Path("tests/quality/kinds")
#: a message file larger than this is read only this far (a 30 MB attachment tells nothing more about the kind)
READ_LIMIT = 32 * 1024 * 1024


class KindsSetError(ValueError):
    """A labelled set of messages that cannot be used, with the file (and line) at fault."""


@dataclass(frozen=True, slots=True)
class Classified:
    """One message file read: its kind with the evidence, and the language of its own words (None: unknown)."""

    file: str
    reading: Reading
    language: str | None
    subject: str = ""
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"file": self.file, "kind": self.reading.kind, "language": self.language,
                                "evidence": list(self.reading.evidence), "automatic": self.reading.automatic,
                                "deferral": self.reading.deferral, "substance": self.reading.substance, "subject": self.subject}
        if self.reading.promise is not None:
            promise = self.reading.promise
            data["promise"] = {"said": promise.said, "amount": promise.amount, "unit": promise.unit, "quote": promise.quote}
        if self.error:
            data["error"] = self.error
        return data


def classify_file(path: Path | str) -> Classified:
    """Read, parse and classify one message file; a file that cannot be read is `other`, with why."""
    from mysteryshop.language import detect
    from mysteryshop.quality.clean import clean_reply

    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(READ_LIMIT)
    except OSError as exc:
        reading = Reading("other", (f"{path}: could not be read: {exc.strerror or exc}",))
        return Classified(str(path), reading, None, error=f"{path}: {exc.strerror or exc}")
    mail = parse_mail(raw)
    reading = read_kind(mail)
    language = None
    try:
        language = detect(clean_reply(mail.text or mail.full_text).body[:4000]) or reading.language
    except Exception:  # noqa: BLE001 - the language is shown, never needed: unknown rather than no answer
        language = reading.language
    return Classified(str(path), reading, language, mail.subject)


@dataclass(frozen=True, slots=True)
class LabelledMessage:
    file: Path
    kind: str
    language: str | None
    split: str


def load_kinds_set(folder: Path | str = DEFAULT_KINDS_SET) -> list[LabelledMessage]:
    """The labelled messages of `folder` (its labels.yaml); mistakes are reported as `file:line: what is wrong`."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    folder = Path(folder)
    labels = folder / "labels.yaml"
    if not labels.is_file():
        raise KindsSetError(f"{labels}: no such file. Pass --kinds FOLDER (a folder of .eml files with a labels.yaml), "
                            f"or run from the repository root (default {DEFAULT_KINDS_SET}).")
    try:
        data = YAML(typ="rt").load(labels.read_text(encoding="utf-8"))
    except (YAMLError, UnicodeDecodeError) as exc:
        raise KindsSetError(f"{labels}: not valid YAML: {exc}") from exc
    entries: Iterable[tuple[str, Any]]
    if isinstance(data, Mapping):
        entries = [(str(k), v) for k, v in data.items()]
    elif isinstance(data, list):
        entries = [(str(e.get("file", "")) if isinstance(e, Mapping) else "", e) for e in data]
    else:
        raise KindsSetError(f"{labels}: expected a mapping of file → labels, or a list of entries with 'file'")
    items = []
    for name, entry in entries:
        where = _where(labels, entry)
        if not isinstance(entry, Mapping) or not name:
            raise KindsSetError(f"{where}: each entry needs a file name and a mapping with kind, language and split")
        kind = str(entry.get("kind", ""))
        if kind not in KINDS:
            raise KindsSetError(f"{where}: {name}: kind {kind!r} is not one of {', '.join(KINDS)}")
        path = folder / name
        if not path.is_file():
            raise KindsSetError(f"{where}: {name}: no such file in {folder}")
        language = entry.get("language")
        items.append(LabelledMessage(path, kind, None if language in (None, "", "null") else str(language),
                                     str(entry.get("split") or "train")))
    return items


def _where(path: Path, node: Any) -> str:
    line = getattr(getattr(node, "lc", None), "line", None)
    return f"{path}:{line + 1}" if line is not None else str(path)


@dataclass(slots=True)
class KindTally:
    """Counts for one kind in one split."""

    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0

    @property
    def labelled(self) -> int:
        return self.true_pos + self.false_neg

    @property
    def precision(self) -> float | None:
        said = self.true_pos + self.false_pos
        return self.true_pos / said if said else None

    @property
    def recall(self) -> float | None:
        return self.true_pos / self.labelled if self.labelled else None


@dataclass(slots=True)
class SplitReport:
    messages: int = 0
    correct: int = 0
    kinds: dict[str, KindTally] = field(default_factory=lambda: {k: KindTally() for k in KINDS})
    languages_labelled: int = 0
    languages_correct: int = 0
    misses: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages, "accuracy": self.correct / self.messages if self.messages else None,
            "kinds": {k: {"n": t.labelled, "precision": t.precision, "recall": t.recall} for k, t in self.kinds.items()},
            "language_accuracy": self.languages_correct / self.languages_labelled if self.languages_labelled else None,
        }


def evaluate_kinds(items: Iterable[LabelledMessage]) -> dict[str, SplitReport]:
    """Classify every labelled message; per split, per kind: true and false positives, false negatives."""
    reports: dict[str, SplitReport] = {}
    for item in items:
        report = reports.setdefault(item.split, SplitReport())
        found = classify_file(item.file)
        report.messages += 1
        kind = found.reading.kind
        if kind == item.kind:
            report.correct += 1
            report.kinds[kind].true_pos += 1
        else:
            report.kinds[kind].false_pos += 1
            report.kinds[item.kind].false_neg += 1
            report.misses.append(f"{item.file.name}: said {kind}, label {item.kind}: {'; '.join(found.reading.evidence)[:300]}")
        if item.language is not None:
            report.languages_labelled += 1
            report.languages_correct += found.language == item.language
    return dict(sorted(reports.items(), key=lambda kv: (kv[0] != "train", kv[0])))


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{value * 100:5.1f}%"


def format_kinds_table(split: str, report: SplitReport) -> str:
    lines = [f"kinds, {split} split: {report.messages} messages, {_pct(report.correct / report.messages if report.messages else None)} right"
             + (f", language {_pct(report.languages_correct / report.languages_labelled)} of {report.languages_labelled}"
                if report.languages_labelled else ""),
             f"  {'kind':<16} {'n':>4} {'prec':>7} {'recall':>7}"]
    for kind, tally in report.kinds.items():
        if tally.labelled or tally.false_pos:
            lines.append(f"  {kind:<16} {tally.labelled:>4} {_pct(tally.precision):>7} {_pct(tally.recall):>7}")
    return "\n".join(lines)
