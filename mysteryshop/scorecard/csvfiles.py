"""The scorecard as two spreadsheets: probes.csv (one row per probe) and expectations.csv (one row per expectation).

UTF-8 with a byte-order mark, so that Excel reads accents right; every probe of the run, not only
those the page shows. Text that came from a company can start with '=', '+', '-' or '@', which a
spreadsheet would run as a formula: such a cell is written with a leading apostrophe (OWASP's
advice against CSV injection): the spreadsheet shows it as text.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

from mysteryshop.atomic import atomic_path
from mysteryshop.durations import format_duration

PROBE_COLUMNS = ("probe", "journey", "company", "channel", "status", "persona", "email", "order_id", "expectations", "passed",
                 "failed", "pending", "messages_received", "problem", "error", "link")
EXPECTATION_COLUMNS = ("probe", "journey", "company", "channel", "probe_status", "step", "expectation", "within", "status",
                       "reason", "latency_s", "evidence_utc", "evidence", "link")
_FORMULA_FIRST = frozenset("=+-@\t\r")


def cell(value: Any) -> Any:
    """A value as a spreadsheet cell: numbers as they are, None empty, text that a spreadsheet would run made inert."""
    if type(value) is str:  # the common case first: ten thousand probes are half a million cells
        return "'" + value if value[:1] in _FORMULA_FIRST else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    return cell(str(value))


def _link(probe_id: str, linked: Collection[str] | None, page: str) -> str:
    return f"{page}#probe-{probe_id}" if linked is None or probe_id in linked else ""


def _within(outcome: Mapping[str, Any]) -> str:
    if outcome.get("within"):
        return str(outcome["within"])
    deadline = outcome.get("deadline_ns")
    if deadline:
        return format_duration(deadline)
    return ""


def probe_rows(card: Mapping[str, Any], linked: Collection[str] | None = None, page: str = "scorecard.html") -> Iterator[list[Any]]:
    """One row per probe (PROBE_COLUMNS); `link` to its anchor on `page` when the page shows it (`linked`; None: all)."""
    for p in card["probes"]:
        outcomes = p["outcomes"]
        persona = p.get("persona") or {}
        yield [cell(v) for v in (
            p["id"], p["journey"], p["target"], p.get("channel"), p["status"], persona.get("full_name"), persona.get("email"),
            persona.get("order_id"), len(outcomes), sum(o["status"] == "passed" for o in outcomes),
            sum(o["status"] == "failed" for o in outcomes), sum(o["status"] == "pending" for o in outcomes),
            len(p.get("messages") or ()), p.get("problem"), p.get("error"), _link(p["id"], linked, page))]


def expectation_rows(card: Mapping[str, Any], linked: Collection[str] | None = None, page: str = "scorecard.html") -> Iterator[list[Any]]:
    """One row per expectation of every probe (EXPECTATION_COLUMNS)."""
    for p in card["probes"]:
        link = _link(p["id"], linked, page)
        # the probe's own columns, made cells once (forty thousand rows: the cells are most of the time)
        head = [cell(v) for v in (p["id"], p["journey"], p["target"], p.get("channel"), p["status"])]
        for o in p["outcomes"]:
            evidence = o.get("evidence") or {}
            latency = o.get("latency_ns")
            yield [*head, cell(o["step"]), cell(o["expect"]), _within(o), cell(o["status"]), cell(o.get("reason")),
                   round(latency / 1e9, 3) if latency is not None else "", cell(evidence.get("utc")),
                   cell(" ".join(str(evidence.get("quote") or "").split())), link]


def write_csv(path: Path, columns: tuple[str, ...], rows: Iterator[list[Any]]) -> Path:
    """Write a CSV file whole or not at all."""
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def table_paths(directory: Path) -> dict[str, Path]:
    return {"probes_csv": directory / "probes.csv", "expectations_csv": directory / "expectations.csv"}


def write_tables(card: Mapping[str, Any], directory: Path, linked: Collection[str] | None = None) -> dict[str, Path]:
    """probes.csv and expectations.csv of `card` in `directory`."""
    paths = table_paths(directory)
    write_csv(paths["probes_csv"], PROBE_COLUMNS, probe_rows(card, linked))
    write_csv(paths["expectations_csv"], EXPECTATION_COLUMNS, expectation_rows(card, linked))
    return paths
