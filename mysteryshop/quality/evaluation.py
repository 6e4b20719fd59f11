"""How well an engine agrees with the labelled set: agreement, precision and recall per criterion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mysteryshop.quality.exchange import CriterionResult
from mysteryshop.quality.labelled import LabelledExchange


@dataclass(slots=True)
class CriterionTally:
    """Counts for one criterion; "positive" means the reply shows the trait."""

    true_pos: int = 0
    true_neg: int = 0
    false_pos: int = 0
    false_neg: int = 0
    unscored: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def labelled(self) -> int:
        return self.true_pos + self.true_neg + self.false_pos + self.false_neg + self.unscored

    @property
    def agreement(self) -> float | None:
        """Share of labelled exchanges where the engine gave the label; unscored counts as disagreement."""
        return (self.true_pos + self.true_neg) / self.labelled if self.labelled else None

    @property
    def precision(self) -> float | None:
        flagged = self.true_pos + self.false_pos
        return self.true_pos / flagged if flagged else None

    @property
    def recall(self) -> float | None:
        actual = self.true_pos + self.false_neg
        return self.true_pos / actual if actual else None


def tally(items: Sequence[LabelledExchange], results: Sequence[dict[str, CriterionResult]], criteria: Sequence[str]) -> dict[str, CriterionTally]:
    """Compare each result with its label; exchanges labelled null for a criterion are left out."""
    tallies = {name: CriterionTally() for name in criteria}
    for item, scored in zip(items, results):
        for name in criteria:
            label = item.labels.get(name)
            if label is None:
                continue
            t = tallies[name]
            verdict = scored[name].passed
            if verdict is None:
                t.unscored += 1
                t.misses.append(f"{item.id}: unscored ({scored[name].reason})")
            elif verdict and label:
                t.true_pos += 1
            elif not verdict and not label:
                t.true_neg += 1
            elif verdict:
                t.false_pos += 1
                t.misses.append(f"{item.id}: said yes, label no: {scored[name].reason}")
            else:
                t.false_neg += 1
                t.misses.append(f"{item.id}: said no, label yes: {scored[name].reason}")
    return tallies


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{value * 100:5.1f}%"


def format_table(engine: str, tallies: dict[str, CriterionTally]) -> str:
    """A fixed-width table, one row per criterion."""
    lines = [f"engine: {engine}", f"  {'criterion':<20} {'n':>3} {'agree':>7} {'prec':>7} {'recall':>7} {'unscored':>8}"]
    for name, t in tallies.items():
        lines.append(f"  {name:<20} {t.labelled:>3} {_pct(t.agreement):>7} {_pct(t.precision):>7} {_pct(t.recall):>7} {t.unscored:>8}")
    return "\n".join(lines)


def item_language(item: LabelledExchange, detected: str | None) -> str:
    """The language an exchange is reported under: its `language:` label, else the reply's detected language."""
    return item.language or detected or "unknown"


def tally_by(
    items: Sequence[LabelledExchange], results: Sequence[dict[str, CriterionResult]], criteria: Sequence[str], languages: Sequence[str]
) -> dict[str, dict[str, dict[str, CriterionTally]]]:
    """`tally` per split (train, heldout) and per language: {split: {language: {criterion: tally}}}."""
    groups: dict[tuple[str, str], list[int]] = {}
    for index, (item, language) in enumerate(zip(items, languages)):
        groups.setdefault((item.split, language), []).append(index)
    found: dict[str, dict[str, dict[str, CriterionTally]]] = {}
    for (split, language), indexes in sorted(groups.items()):
        found.setdefault(split, {})[language] = tally([items[i] for i in indexes], [results[i] for i in indexes], criteria)
    return found


def heldout_by_source(
    items: Sequence[LabelledExchange], results: Sequence[dict[str, CriterionResult]], criteria: Sequence[str],
    languages: Sequence[str], sources: Sequence[str],
) -> dict[str, dict[str, dict[str, CriterionTally]]]:
    """The held-out exchanges file by file, {source: {language: {criterion: tally}}}: each blind batch, written by a
    different labeller, can then be read alone as well as pooled with the rest of the held-out data."""
    groups: dict[str, list[int]] = {}
    for index, (item, source) in enumerate(zip(items, sources)):
        if item.split == "heldout":
            groups.setdefault(source, []).append(index)
    return {source: tally_by([items[i] for i in indexes], [results[i] for i in indexes], criteria,
                             [languages[i] for i in indexes]).get("heldout", {})
            for source, indexes in groups.items()}


def format_languages(split: str, by_language: dict[str, dict[str, CriterionTally]], counts: dict[str, int]) -> str:
    """Agreement per criterion (rows) and language (columns) for one split; n is the exchanges labelled on that criterion."""
    languages = sorted(by_language, key=lambda code: (code != "en", code))
    header = "  " + f"{'criterion':<20}" + "".join(f"{code + ' (' + str(counts.get(code, 0)) + ')':>16}" for code in languages)
    lines = [f"{split}: agreement per criterion and language (exchanges per language in brackets; n labelled in each cell)", header]
    criteria = next(iter(by_language.values())).keys() if by_language else ()
    for name in criteria:
        cells = []
        for code in languages:
            t = by_language[code][name]
            cells.append(f"{'-':>16}" if not t.labelled else f"{_pct(t.agreement).strip() + ' n=' + str(t.labelled):>16}")
        lines.append(f"  {name:<20}" + "".join(cells))
    return "\n".join(lines)
