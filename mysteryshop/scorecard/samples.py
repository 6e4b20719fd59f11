"""What each headline metric of a scorecard rests on: a rate's count of its total, a time's every value.

The regression gate tests a difference between two runs on these (see scoring/significance.py),
not on the headline numbers alone: 3 of 5 against 2 of 5 is not 60% against 40% of a thousand.

The samples are the scorecard's own (scoring.metrics.metric_samples, under the thresholds of the
rubric the card was graded with): each rate's count and denominator, each timed metric's every
time, so a metric the scorecard adds or renames is sampled the same way, with no list of metrics
kept here. A sample whose rate does not give back the card's headline rate is left out, and the
gate judges that metric by its tolerance alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mysteryshop.scorecard.build import HEADLINE, headline_values
from mysteryshop.scoring.metrics import (
    CHANNELS,
    MetricSettings,
    ProbeMetrics,
    metric_samples,
)

_FIELDS = frozenset(ProbeMetrics.__dataclass_fields__)


def is_rate(key: str) -> bool:
    return key.endswith(".rate")


def is_time(key: str) -> bool:
    return key.endswith("_s")


def settings_of(card: Mapping[str, Any]) -> MetricSettings:
    """The thresholds the card was aggregated with (its rubric's, as `grading` states them)."""
    grading = card.get("grading") or {}
    default = MetricSettings()
    return MetricSettings(
        min_sample=int(grading.get("min_sample", default.min_sample)),
        acknowledgement_within_ns=round(grading.get("acknowledgement_within_s", default.acknowledgement_within_ns / 1e9) * 1e9),
        status_update_after_ns=round(grading.get("status_update_after_s", default.status_update_after_ns / 1e9) * 1e9),
    )


def card_samples(card: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{key: {"k": count, "n": total}} for rates and {key: {"values": [seconds, ...]}} for times, from the card's probes."""
    graded = [p for p in card.get("probes") or [] if p.get("status") != "undeliverable" and p.get("metrics")]
    probes = [ProbeMetrics(**{k: v for k, v in p["metrics"].items() if k in _FIELDS}) for p in graded]
    found = metric_samples(probes, settings_of(card), CHANNELS)
    headline = headline_values(card.get("summary") or {})
    samples: dict[str, dict[str, Any]] = {}
    for key in HEADLINE:
        metric = key.rpartition(".")[0]
        sample = found.get(metric)
        if sample is None:
            continue
        if is_rate(key):
            rate = headline.get(key)
            if (rate is None) != (sample.of == 0) or (rate is not None and abs(sample.count / sample.of - rate) > 1e-9):
                continue  # the card's rate is not this share of its probes (another rubric's thresholds): no sample
            samples[key] = {"k": sample.count, "n": sample.of}
        elif is_time(key) and sample.times is not None:
            samples[key] = {"values": sorted(sample.times)}
    return samples
