"""The names people read for the headline metrics, and the published industry figures beside them: shared by every
scorecard writer (HTML, Markdown, the terminal)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

from mysteryshop.durations import spoken_duration
from mysteryshop.scoring.metrics import CHANNEL_TITLES, METRICS

#: metric key (channel.metric) → the label people read
LABELS = {m.key: m.label for m in METRICS}


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def _unit(unit: str, count: int) -> str:
    """'emails' of 1 is 'email'; 'chats unanswered after …' of 1 is 'chat unanswered after …'."""
    if count != 1:
        return unit
    first, _, rest = unit.partition(" ")
    return first.removesuffix("s") + (f" {rest}" if rest else "")


def _secs(value: float) -> str:
    """'4 h 12 min': durations as people write them, on the page, in summary.md and in the terminal."""
    return spoken_duration(value * 1e9)


def rate_parts(figure: Mapping[str, Any] | None) -> tuple[str, str]:
    """('12 of 15 emails · 80%', '95%: 55–93%') for a table cell of two lines; ('not measured', '') when nothing was."""
    if not figure or not figure.get("measured"):
        return "not measured", ""
    head = f"{figure['count']} of {figure['of']} {_unit(figure.get('unit', ''), figure['of'])}".rstrip()
    if figure.get("too_few"):
        return head, "too few to judge"
    interval = figure.get("rate_ci95")
    note = f"95%: {interval[0] * 100:.0f}–{_pct(interval[1])}" if interval else ""
    return f"{head} · {_pct(figure['rate'])}", note


def median_parts(figure: Mapping[str, Any] | None) -> tuple[str, str]:
    """('2 h 6 min', '95%: 1 h 30 min – 3 h · n=12') for a table cell of two lines."""
    if not figure or "times" not in figure or not figure.get("measured"):
        return "—", ""
    if not figure["times"]:
        return "none arrived", ""
    n = f"n={figure['times']}"
    if figure.get("times_too_few"):
        return _secs(figure["median_s"]), f"{n}, too few to judge"
    interval = figure.get("median_ci95_s")
    return _secs(figure["median_s"]), (f"95%: {_secs(interval[0])} – {_secs(interval[1])} · {n}" if interval else n)


def rate_text(figure: Mapping[str, Any] | None) -> str:
    """'12 of 15 emails · 80% (95%: 55–93%)', '3 of 4 chats (too few to judge)', or 'not measured'."""
    head, note = rate_parts(figure)
    return f"{head} ({note})" if note else head


def median_text(figure: Mapping[str, Any] | None) -> str:
    """'2 h 6 min (95%: 1 h 30 min – 3 h · n=12)', '—' when the metric has no times, 'none arrived' when nothing came."""
    head, note = median_parts(figure)
    return f"{head} ({note})" if note else head


def metric_rows(card: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The headline table, channel by channel (those in the card), one row per metric with its figures as text."""
    rows = []
    industry = industry_figures()
    for channel, data in (card.get("channels") or {}).items():
        figures = data.get("metrics") or {}
        first = True
        for metric in METRICS:
            if metric.channel != channel:
                continue
            figure = figures.get(metric.name)
            rows.append({"key": metric.key, "channel": channel, "channel_title": CHANNEL_TITLES.get(channel, channel), "first": first,
                         "contacts": data.get("contacts", data.get("probes", 0)), "grade": data.get("grade") or {},
                         "label": metric.label, "better": metric.better, "figure": figure or {}, "measured": rate_text(figure),
                         "median": median_text(figure), "measured_parts": rate_parts(figure), "median_parts": median_parts(figure),
                         "p90": _secs(figure["p90_s"]) if figure and figure.get("p90_s") is not None else "—",
                         "industry": industry.get(metric.key)})
            first = False
    return rows


@cache
def industry_figures() -> dict[str, Any]:
    """Published industry figures with their sources (mysteryshop/scorecard/industry.yaml)."""
    text = resources.files("mysteryshop.scorecard").joinpath("industry.yaml").read_text(encoding="utf-8")
    return YAML(typ="safe").load(text)


def interruption_line(card: Mapping[str, Any]) -> str | None:
    """'Run interrupted (SIGINT): 2 probe(s) cut short, their open expectations not decided; scored as measured.'"""
    run = card.get("run") or {}
    if run.get("status") != "interrupted":
        return None
    cut = (card.get("summary") or {}).get("interrupted", 0)
    return (f"Run interrupted ({run.get('interrupted') or 'stopped'}): {cut} probe(s) cut short, their open expectations not decided; "
            f"what was measured is scored")


#: how each problem that stopped probes is told (see mysteryshop.errors); undeliverable decides no exit code
PROBLEM_WORDS = {"unreachable": "could not reach their target (exit code 3)",
                 "misconfigured": "stopped by their target file or journey: a selector, field or widget not found (exit code 4)",
                 "setup": "could not run on this machine (exit code 2)",
                 "undeliverable": "undeliverable: a mail server returned the message (a bounce), so the company is not graded on them; "
                                  "check the target's address"}


def problem_line(summary: Mapping[str, Any]) -> str | None:
    """'1 probe(s) could not reach their target (exit code 3); ...' for the problems that decide an exit code, and bounces."""
    problems = summary.get("problems") or {}
    parts = [f"{problems[key]} probe(s) {words}" for key, words in PROBLEM_WORDS.items() if problems.get(key)]
    return "; ".join(parts) or None
