"""What each headline metric of a scorecard rests on: a rate's count of its total, a time's every value.

The regression gate tests a difference between two runs on these (see scoring/significance.py),
not on the headline numbers alone: 3 of 5 against 2 of 5 is not 60% against 40% of a thousand.

Each probe is aggregated on its own with the scorecard's own `aggregate`, and its headline
values read with the scorecard's own key lookup (`headline_values`): a rate of one probe is 1, 0
or nothing (the metric does not apply to it), a time is its value or nothing. So a metric the
scorecard adds or renames is sampled the same way, with no list of metrics kept here. A sample
whose rate does not give back the headline rate (a metric that is not a share of probes) is
left out, and the gate judges that metric by its tolerance alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mysteryshop.scorecard.build import HEADLINE, headline_values
from mysteryshop.scoring.metrics import ProbeMetrics, aggregate


def is_rate(key: str) -> bool:
    return key.endswith(".rate")


def is_time(key: str) -> bool:
    return key.endswith("_s")


def _single(entry: Mapping[str, Any]) -> dict[str, float | None]:
    metrics = aggregate([ProbeMetrics(**entry["metrics"])])
    return headline_values({"metrics": metrics, "grade": {}})


def card_samples(card: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{key: {"k": count, "n": total}} for rates and {key: {"values": [seconds, ...]}} for times, from the card's probes."""
    graded = [p for p in card.get("probes") or [] if p.get("status") != "undeliverable" and p.get("metrics")]
    singles = [_single(p) for p in graded]
    headline = headline_values(card.get("summary") or {})
    samples: dict[str, dict[str, Any]] = {}
    for key in HEADLINE:
        values = [v for v in (s.get(key) for s in singles) if v is not None]
        if is_rate(key):
            k, n = round(sum(values)), len(values)
            rate = headline.get(key)
            if (rate is None) != (n == 0) or (rate is not None and abs(k / n - rate) > 1e-9):
                continue  # not a share of probes: no sample
            samples[key] = {"k": k, "n": n}
        elif is_time(key):
            samples[key] = {"values": sorted(values)}
    return samples
