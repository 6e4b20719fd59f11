"""The headline numbers compared across runs and companies (trends, `compare`, the regression gate, the league).

Kept apart from `build` so that history (which reads stored summaries) and the scorecard (which shows their
trends) both use it without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Headline metrics compared across runs (trend, compare, the regression gate): key → (label, better).
HEADLINE: dict[str, tuple[str, str]] = {
    "score": ("Overall score (0–100)", "higher"),
    "acknowledged.rate": ("Acknowledged", "higher"),
    "acknowledged.median_s": ("Median time to acknowledge", "lower"),
    "answered.rate": ("Answered at all", "higher"),
    "answered.median_s": ("Median time to answer", "lower"),
    "answered.p90_s": ("p90 time to answer", "lower"),
    "answered_in_first_reply.rate": ("Answered in the first reply", "higher"),
    "followed_up.rate": ("Asked whether satisfied", "higher"),
    "marketing_while_open.rate": ("Marketing while open", "lower"),
    "stalling_autoreply.rate": ("Stalling auto-replies", "lower"),
}


def headline_values(summary: Mapping[str, Any]) -> dict[str, float | None]:
    """The flat headline numbers of a scorecard summary (as stored with each run)."""
    metrics = summary.get("metrics") or {}
    values: dict[str, float | None] = {"score": (summary.get("grade") or {}).get("score")}
    for key in HEADLINE:
        if key == "score":
            continue
        name, _, fld = key.partition(".")
        value = (metrics.get(name) or {}).get(fld)
        values[key] = float(value) if isinstance(value, int | float) else None
    return values
