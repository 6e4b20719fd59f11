"""The headline numbers compared across runs and companies (trends, `compare`, the regression gate, the league).

Kept apart from `build` so that history (which reads stored summaries) and the scorecard (which shows their
trends) both use it without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mysteryshop.scoring.metrics import CHANNEL_TITLES, CHANNELS, METRICS, metric_fields

#: Headline metrics compared across runs (trend, compare, the regression gate): key → (label, better).
#: Keys are 'channel.metric.field' (email.answered.rate, chat.first_response.median_s), 'channel.score' and 'score'.
HEADLINE: dict[str, tuple[str, str]] = {"score": ("Overall score (0–100)", "higher")}
HEADLINE.update({f"{channel}.score": (f"{CHANNEL_TITLES[channel]} score (0–100)", "higher") for channel in CHANNELS})
for _metric in METRICS:
    for _field in metric_fields(_metric):
        HEADLINE[f"{_metric.key}.{_field}"] = (
            f"{CHANNEL_TITLES[_metric.channel]}: {_metric.label}" if _field == "rate"
            else f"{CHANNEL_TITLES[_metric.channel]}: {_metric.time_label.lower()} ({'median' if _field == 'median_s' else 'p90'})",
            _metric.better if _field == "rate" else "lower")


def headline_values(summary: Mapping[str, Any]) -> dict[str, float | None]:
    """The flat headline numbers of a scorecard summary (as stored with each run); None for what was not measured."""
    metrics = summary.get("metrics") or {}
    values: dict[str, float | None] = {"score": (summary.get("grade") or {}).get("score")}
    for key in HEADLINE:
        if key == "score":
            continue
        parts = key.split(".")
        if len(parts) == 2:
            value = ((summary.get("channels") or {}).get(parts[0]) or {}).get("score")
        else:
            figures = (metrics.get(parts[0]) or {}) if isinstance(metrics.get(parts[0]), Mapping) else {}
            value = (figures.get(parts[1]) or {}).get(parts[2]) if isinstance(figures.get(parts[1]), Mapping) else None
        values[key] = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    return values
