"""The names people read for the headline metrics, and the published industry figures beside them: shared by every
scorecard writer (HTML, Markdown, the terminal)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from ruamel.yaml import YAML

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
