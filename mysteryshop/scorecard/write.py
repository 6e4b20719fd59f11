"""Writing a scorecard: JSON for machines, self-contained HTML for people."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from ruamel.yaml import YAML

from mysteryshop.durations import format_duration

LABELS = {
    "acknowledged": "Acknowledged the email",
    "answered": "Answered at all",
    "answered_in_first_reply": "Answered the question in the first reply",
    "followed_up": "Asked whether the customer was satisfied",
    "marketing_while_open": "Sent marketing while the issue was open",
    "stalling_autoreply": "Sent a stalling auto-reply",
}


@cache
def industry_figures() -> dict[str, Any]:
    text = resources.files("mysteryshop.scorecard").joinpath("industry.yaml").read_text(encoding="utf-8")
    return YAML(typ="safe").load(text)


def _pct(value: float | None) -> str:
    return "—" if value is None or not isinstance(value, int | float) else f"{value * 100:.0f}%"


def _seconds(value: float | None) -> str:
    return "—" if value is None or not isinstance(value, int | float) else format_duration(value * 1e9)


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("mysteryshop.scorecard", "templates"), autoescape=select_autoescape(["html"]))
    env.filters["pct"] = _pct
    env.filters["secs"] = _seconds
    env.filters["dur"] = format_duration
    return env


def write_scorecard(card: dict[str, Any], directory: Path) -> dict[str, Path]:
    """Write scorecard.json and scorecard.html into `directory`; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / "scorecard.json"
    json_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    html_path = directory / "scorecard.html"
    html = _environment().get_template("scorecard.html").render(card=card, labels=LABELS, industry=industry_figures())
    html_path.write_text(html, encoding="utf-8")
    return {"json": json_path, "html": html_path}


def summary_lines(card: dict[str, Any]) -> list[str]:
    """A few plain lines for a terminal."""
    summary = card["summary"]
    metrics = summary["metrics"]
    lines = [f"{summary['probes']} probes: {summary['passed']} passed, {summary['failed']} failed, {summary['error']} errors"]
    for key, label in LABELS.items():
        metric = metrics.get(key, {})
        extra = f" (median {_seconds(metric['median_s'])})" if metric.get("median_s") is not None else ""
        lines.append(f"  {label:<44} {_pct(metric.get('rate')):>5}{extra}")
    if card["unmatched_messages"]:
        lines.append(f"  {len(card['unmatched_messages'])} message(s) matched no probe (kept in the store, listed in the scorecard)")
    if card["malformed_messages"]:
        lines.append(f"  {len(card['malformed_messages'])} malformed message(s) stored raw and flagged")
    return lines
