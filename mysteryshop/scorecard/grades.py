"""Grades A–F from the headline metrics. Pure functions; the rules are data, printed on the scorecard.

Each rule turns one headline metric into points: full points at or beyond `full`, none at or
beyond `zero`, linear in between. A metric that does not apply (no probe could produce it) is
left out and the remaining weights are scaled up to 100. A time that does not exist because
nothing arrived scores zero: silence is the worst answer time there is.

Example:
    >>> metrics = {"acknowledged": {"rate": 1.0, "median_s": 60.0}, "answered": {"rate": 1.0, "median_s": 7200.0},
    ...            "answered_in_first_reply": {"rate": 1.0}, "followed_up": {"rate": 1.0},
    ...            "marketing_while_open": {"rate": 0.0}, "stalling_autoreply": {"rate": 0.0}}
    >>> grade_metrics(metrics).grade
    'A'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from mysteryshop.durations import format_duration


@dataclass(frozen=True, slots=True)
class Rule:
    """Points for one headline metric. `metric` is 'name.field' in the scorecard's summary metrics."""

    metric: str
    label: str
    weight: float
    full: float
    zero: float
    unit: str  # "rate" (0..1) or "seconds"
    needs: str | None = None  # the rate that must be > 0 for a time to exist (a time of nothing scores 0)

    def describe(self) -> str:
        fmt = _fmt_rate if self.unit == "rate" else _fmt_seconds
        better, worse = ("≥", "≤") if self.full > self.zero else ("≤", "≥")
        return f"{self.label}: {self.weight:g} points at {better} {fmt(self.full)}, none at {worse} {fmt(self.zero)}, linear between"


def _fmt_rate(value: float) -> str:
    return f"{value * 100:.0f}%"


def _fmt_seconds(value: float) -> str:
    return format_duration(value * 1e9)


RULES: tuple[Rule, ...] = (
    Rule("acknowledged.rate", "Acknowledged", 15, 0.95, 0.50, "rate"),
    Rule("acknowledged.median_s", "Median time to acknowledge", 10, 15 * 60, 4 * 3600, "seconds", needs="acknowledged.rate"),
    Rule("answered.rate", "Answered at all", 20, 0.95, 0.50, "rate"),
    Rule("answered.median_s", "Median time to answer", 15, 4 * 3600, 24 * 3600, "seconds", needs="answered.rate"),
    Rule("answered_in_first_reply.rate", "Answered in the first reply", 15, 0.90, 0.40, "rate"),
    Rule("followed_up.rate", "Asked whether the customer was satisfied", 10, 0.80, 0.10, "rate"),
    Rule("marketing_while_open.rate", "Marketing while the issue was open", 10, 0.0, 0.30, "rate"),
    Rule("stalling_autoreply.rate", "Stalling auto-replies", 5, 0.0, 0.30, "rate"),
)

#: (lowest score, grade), best first.
BANDS: tuple[tuple[float, str], ...] = ((90, "A"), (80, "B"), (70, "C"), (60, "D"), (50, "E"), (0, "F"))


@dataclass(frozen=True, slots=True)
class Points:
    metric: str
    label: str
    value: float | None
    points: float
    max: float


@dataclass(frozen=True, slots=True)
class Grade:
    grade: str
    score: float | None
    points: tuple[Points, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"grade": self.grade, "score": self.score, "points": [asdict(p) for p in self.points]}


def metric_value(metrics: Mapping[str, Any], key: str) -> float | None:
    """`metrics['answered']['median_s']` for key 'answered.median_s'; None when absent."""
    name, _, fld = key.partition(".")
    value = (metrics.get(name) or {}).get(fld)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def rule_points(rule: Rule, value: float | None) -> float:
    """Points for `value` under `rule`: full at `full`, zero at `zero`, linear between (None scores 0)."""
    if value is None:
        return 0.0
    share = (value - rule.zero) / (rule.full - rule.zero)
    return rule.weight * min(1.0, max(0.0, share))


def letter(score: float | None) -> str:
    """The grade for a 0..100 score; '—' when nothing could be graded."""
    if score is None:
        return "—"
    return next(grade for floor, grade in BANDS if score >= floor - 1e-9)


def grade_metrics(metrics: Mapping[str, Any], rules: tuple[Rule, ...] = RULES) -> Grade:
    """Grade one set of headline metrics (overall, or one channel's)."""
    scored: list[Points] = []
    for rule in rules:
        value = metric_value(metrics, rule.metric)
        if rule.needs is not None:
            gate = metric_value(metrics, rule.needs)
            if gate is None:
                continue  # the rate it depends on does not apply either
            if gate == 0:
                value = None
        elif value is None:
            continue  # the metric does not apply to these probes
        scored.append(Points(rule.metric, rule.label, value, rule_points(rule, value), rule.weight))
    total = sum(p.max for p in scored)
    if total == 0:
        return Grade("—", None, tuple(scored))
    score = round(100 * sum(p.points for p in scored) / total, 1)
    return Grade(letter(score), score, tuple(scored))


def grading_rules(rules: tuple[Rule, ...] = RULES) -> dict[str, Any]:
    """The rules as data and as sentences, for the scorecard page and JSON."""
    return {
        "rules": [{**asdict(rule), "text": rule.describe()} for rule in rules],
        "bands": [{"grade": grade, "min_score": floor} for floor, grade in BANDS],
        "text": "Score = points earned ÷ points available × 100; metrics that do not apply are left out. "
        + ", ".join(f"{g} ≥ {f}" for f, g in BANDS if f > 0) + ", F below.",
    }
