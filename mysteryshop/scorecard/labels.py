"""The names people read for the headline metrics, and the published industry figures beside them: shared by every
scorecard writer (HTML, Markdown, the terminal)."""

from __future__ import annotations

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
