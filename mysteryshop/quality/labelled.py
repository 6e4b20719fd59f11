"""Load a labelled set of exchanges (YAML), each with a human verdict per criterion."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mysteryshop.quality.criteria import CRITERIA
from mysteryshop.quality.exchange import Exchange

DEFAULT_LABELLED = Path("tests/quality/labelled.yaml")
#: the sets `quality eval` reads when none is named: the labelled set, the held-out set, and every exchanges_*.yaml beside them
DEFAULT_SETS = (DEFAULT_LABELLED, Path("tests/quality/heldout.yaml"), Path("tests/quality/exchanges_*.yaml"))
SPLITS = ("train", "heldout")


class LabelledSetError(ValueError):
    """A labelled set that cannot be used, with the file and line at fault."""


@dataclass(frozen=True, slots=True)
class LabelledExchange:
    """An exchange and what a reviewer decided for each criterion (None: not applicable)."""

    id: str
    exchange: Exchange
    labels: Mapping[str, bool | None]
    industry: str = ""
    quality: str = ""
    note: str = ""
    split: str = "train"
    language: str = ""
    source: str = ""


def default_sets(root: Path | str = ".") -> list[Path]:
    """The labelled sets that exist under `root`, in `DEFAULT_SETS` order."""
    found: list[Path] = []
    for pattern in DEFAULT_SETS:
        found.extend(sorted(Path(root).glob(str(pattern))) if "*" in str(pattern) else [Path(root) / pattern])
    return [p for p in dict.fromkeys(found) if p.is_file()]


def load_labelled(path: Path | str = DEFAULT_LABELLED) -> list[LabelledExchange]:
    """Read a labelled set; mistakes are reported as `file:line: what is wrong`.

    Each exchange may say `split: train` or `split: heldout` (a file named heldout.yaml is held out
    as a whole), `language:` (the ISO 639-1 code it is written in) and `expected_facts:` as a list
    (they count in any language) or per language (`{en: [["30 days"]], de: [["30 Tage"]]}`).
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    path = Path(path)
    if not path.is_file():
        raise LabelledSetError(f"{path}: no such file. Pass --labelled PATH, or run from the repository root (default {DEFAULT_LABELLED}).")
    try:
        entries = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        raise LabelledSetError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(entries, list):
        raise LabelledSetError(f"{path}: expected a list of exchanges at the top level")
    seen: set[str] = set()
    default_split = "heldout" if path.stem == "heldout" else "train"
    return [_entry(path, entry, seen, default_split) for entry in entries]


def _where(path: Path, node: Any) -> str:
    line = getattr(getattr(node, "lc", None), "line", None)
    return f"{path}:{line + 1}" if line is not None else str(path)


def _entry(path: Path, entry: Any, seen: set[str], default_split: str = "train") -> LabelledExchange:
    where = _where(path, entry)
    if not isinstance(entry, Mapping):
        raise LabelledSetError(f"{where}: each exchange must be a mapping with id, customer, reply and labels")
    for key in ("id", "customer", "labels"):
        if key not in entry:
            raise LabelledSetError(f"{where}: exchange {entry.get('id', '?')!r} has no {key!r}")
    ident = str(entry["id"])
    if ident in seen:
        raise LabelledSetError(f"{where}: id {ident!r} is used twice; ids must be unique")
    seen.add(ident)
    if not (entry.get("reply") or entry.get("reply_html")):
        raise LabelledSetError(f"{where}: exchange {ident!r} has neither 'reply' nor 'reply_html'")
    labels = dict(entry["labels"])
    unknown = set(labels) - set(CRITERIA)
    if unknown:
        raise LabelledSetError(f"{where}: exchange {ident!r} labels unknown criteria {sorted(unknown)}; valid: {', '.join(CRITERIA)}")
    for name, value in labels.items():
        if value is not None and not isinstance(value, bool):
            raise LabelledSetError(f"{where}: exchange {ident!r} label {name}={value!r}; use true, false or null")
    split = str(entry.get("split", default_split))
    if split not in SPLITS:
        raise LabelledSetError(f"{where}: exchange {ident!r} has split {split!r}; use train or heldout")
    facts = entry.get("expected_facts") or ()
    by_language: dict[str, tuple[tuple[str, ...], ...]] = {}
    if isinstance(facts, Mapping):
        by_language = {str(code): _facts(where, ident, value) for code, value in facts.items()}
        facts = ()
    persona = {str(k): str(v) for k, v in (entry.get("persona") or {}).items()}
    if "full_name" not in persona and persona.get("first_name"):
        persona["full_name"] = f"{persona['first_name']} {persona.get('last_name', '')}".strip()
    exchange = Exchange(
        customer_text=str(entry["customer"]),
        reply_text=str(entry.get("reply") or ""),
        reply_html=entry.get("reply_html"),
        persona=persona,
        expected_facts=_facts(where, ident, facts),
        channel=str(entry.get("channel", "email")),
        earlier_context=tuple(str(c) for c in entry.get("earlier_context") or ()),
        facts_by_language=by_language,
    )
    return LabelledExchange(
        ident, exchange, labels, str(entry.get("industry", "")), str(entry.get("quality", "")), str(entry.get("note", "")),
        split, str(entry.get("language") or ""), str(path),
    )


def _facts(where: str, ident: str, value: Any) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, (list, tuple)):
        raise LabelledSetError(f"{where}: exchange {ident!r} expected_facts must be a list of facts (each a list of phrasings)")
    return tuple((str(fact),) if isinstance(fact, str) else tuple(str(p) for p in fact) for fact in value)
