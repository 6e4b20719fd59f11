"""Grades A–F from each channel's metrics, and the overall grade, under a rubric. Pure functions; the rubric is data
(mysteryshop/scorecard/rubric.yaml, or a programme's own file: scorecard/rubric.py loads it) and is printed on the
scorecard.

Each rule turns one metric of a channel into points: full points at or beyond `full`, none at or
beyond `zero`, linear in between. A metric not measured (no contact could produce it), or measured on
fewer contacts than the rubric's `min_sample` ("too few to judge"), is left out and the remaining
weights of the channel are scaled up to 100. A time that does not exist because nothing arrived
scores zero: silence is the worst answer time there is. The overall score is the mean of the
channels' scores weighted by the rubric, over the channels graded; a critical failure caps the
grade of its channel and the overall grade. Nothing graded means no grade ("—"), with the reason.

Example:
    >>> from mysteryshop.scorecard.rubric import default_rubric
    >>> from mysteryshop.scoring.metrics import ProbeMetrics, aggregate
    >>> desk = [ProbeMetrics(email=True, acknowledged_ns=60 * 10**9, answered_ns=7200 * 10**9, first_reply_answers=True,
    ...                      followed_up=True)] * 6
    >>> channels = aggregate(desk, default_rubric().settings, ["email"])
    >>> grade_channel(channels["email"], default_rubric(), "email").grade
    'A'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from mysteryshop.durations import format_duration
from mysteryshop.scoring.metrics import CHANNEL_TITLES, METRIC_BY_KEY, MetricSettings

#: (lowest score, grade), best first: the bands when a rubric names none.
BANDS: tuple[tuple[float, str], ...] = ((90, "A"), (80, "B"), (70, "C"), (60, "D"), (50, "E"), (0, "F"))
NO_GRADE = "—"


@dataclass(frozen=True, slots=True)
class Rule:
    """Points for one metric of a channel. `metric` is 'name.field' in the channel's metrics ('answered.rate')."""

    metric: str
    label: str
    weight: float
    full: float
    zero: float
    unit: str  # "rate" (0..1) or "seconds"
    source: str = ""

    def describe(self) -> str:
        fmt = _fmt_rate if self.unit == "rate" else _fmt_seconds
        better, worse = ("≥", "≤") if self.full > self.zero else ("≤", "≥")
        return f"{self.label}: {self.weight:g} points at {better} {fmt(self.full)}, none at {worse} {fmt(self.zero)}, linear between"

    def brief(self) -> str:
        """'Answered at all 20 (95%→50%)': weight, then the value for full points → the value for none."""
        fmt = _fmt_rate if self.unit == "rate" else _fmt_seconds
        return f"{self.label} {self.weight:g} ({fmt(self.full)}→{fmt(self.zero)})"


@dataclass(frozen=True, slots=True)
class ChannelRules:
    channel: str
    weight: float
    rules: tuple[Rule, ...]
    source: str = ""


@dataclass(frozen=True, slots=True)
class Critical:
    """A failure bad enough to cap a grade whatever the score: `metric` ('email.answered.rate') below or above a value."""

    metric: str
    cap: str
    why: str
    below: float | None = None
    above: float | None = None
    source: str = ""

    def describe(self) -> str:
        channel, name, fld = self.metric.split(".")
        label = METRIC_BY_KEY[f"{channel}.{name}"].label
        fmt = _fmt_rate if fld == "rate" else _fmt_seconds
        limit = f"below {fmt(self.below)}" if self.below is not None else f"above {fmt(self.above or 0)}"
        return f"{CHANNEL_TITLES[channel]} · {label} {limit} ({self.why}): at most {self.cap}"


@dataclass(frozen=True, slots=True)
class Rubric:
    """Everything a grade depends on. `path` None: the shipped default."""

    title: str
    channels: tuple[ChannelRules, ...]
    settings: MetricSettings = field(default_factory=MetricSettings)
    bands: tuple[tuple[float, str], ...] = BANDS
    critical: tuple[Critical, ...] = ()
    path: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict)

    def channel(self, name: str) -> ChannelRules | None:
        return next((c for c in self.channels if c.channel == name), None)


def _fmt_rate(value: float) -> str:
    return f"{value * 100:.0f}%"


def _fmt_seconds(value: float) -> str:
    return format_duration(value * 1e9)


@dataclass(frozen=True, slots=True)
class Points:
    metric: str
    label: str
    value: float | None
    points: float
    max: float


@dataclass(frozen=True, slots=True)
class LeftOut:
    metric: str
    label: str
    why: str


@dataclass(frozen=True, slots=True)
class Cap:
    metric: str
    value: float
    cap: str
    why: str


@dataclass(frozen=True, slots=True)
class Grade:
    grade: str
    score: float | None
    points: tuple[Points, ...]
    left_out: tuple[LeftOut, ...] = ()
    capped_by: tuple[Cap, ...] = ()
    reason: str | None = None  # why there is no grade, when there is none

    def as_dict(self) -> dict[str, Any]:
        return {"grade": self.grade, "score": self.score, "points": [asdict(p) for p in self.points],
                "left_out": [asdict(x) for x in self.left_out], "capped_by": [asdict(c) for c in self.capped_by], "reason": self.reason}


def rule_points(rule: Rule, value: float | None) -> float:
    """Points for `value` under `rule`: full at `full`, zero at `zero`, linear between (None scores 0)."""
    if value is None:
        return 0.0
    share = (value - rule.zero) / (rule.full - rule.zero)
    return rule.weight * min(1.0, max(0.0, share))


def letter(score: float | None, bands: tuple[tuple[float, str], ...] = BANDS) -> str:
    """The grade for a 0..100 score; '—' when nothing could be graded."""
    if score is None:
        return NO_GRADE
    return next((grade for floor, grade in bands if score >= floor - 1e-9), bands[-1][1])


def capped(grade: str, cap: str, bands: tuple[tuple[float, str], ...] = BANDS) -> str:
    """The worse of `grade` and `cap`."""
    order = [g for _, g in bands]
    if grade not in order or cap not in order:
        return grade
    return order[max(order.index(grade), order.index(cap))]


def _figure(figures: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    found = (figures.get("metrics") or {}).get(name)
    return found if isinstance(found, Mapping) else None


def _judged_value(fig: Mapping[str, Any] | None, fld: str, min_sample: int) -> tuple[bool, float | None, str]:
    """(graded, value, why left out) of one field of a metric's aggregate."""
    if fig is None or not fig.get("measured"):
        return False, None, "not measured"
    if fig.get("too_few"):
        return False, None, f"too few to judge ({fig.get('of', 0)} {fig.get('unit', 'contacts')}; at least {min_sample} needed)"
    if fld == "rate":
        return True, fig.get("rate"), ""
    if not fig.get("times"):
        return True, None, ""  # nothing arrived: a time of nothing scores zero
    if fig.get("times_too_few"):
        return False, None, f"too few times to judge ({fig.get('times')}; at least {min_sample} needed)"
    value = fig.get(fld)
    return True, float(value) if isinstance(value, int | float) else None, ""


def critical_caps(channel: str, figures: Mapping[str, Any], rubric: Rubric) -> tuple[Cap, ...]:
    """The critical failures of `rubric` that `channel`'s figures trigger (metrics not measured or too few never do)."""
    caps = []
    for rule in rubric.critical:
        rule_channel, name, fld = rule.metric.split(".")
        if rule_channel != channel:
            continue
        graded, value, _ = _judged_value(_figure(figures, name), fld, rubric.settings.min_sample)
        if not graded or value is None:
            continue
        if (rule.below is not None and value < rule.below) or (rule.above is not None and value > rule.above):
            caps.append(Cap(rule.metric, value, rule.cap, rule.why))
    return tuple(caps)


def grade_channel(figures: Mapping[str, Any], rubric: Rubric, channel: str) -> Grade:
    """The grade of one channel from its aggregate (`scoring.metrics.aggregate`: contacts and metrics)."""
    rules = rubric.channel(channel)
    if not figures.get("contacts"):
        return Grade(NO_GRADE, None, (), reason=f"not measured: no probe reached the company by {CHANNEL_TITLES.get(channel, channel).lower()}")
    if rules is None:
        return Grade(NO_GRADE, None, (), reason=f"the rubric{f' ({rubric.path})' if rubric.path else ''} has no rules for {channel}")
    scored: list[Points] = []
    left: list[LeftOut] = []
    for rule in rules.rules:
        name, _, fld = rule.metric.partition(".")
        graded, value, why = _judged_value(_figure(figures, name), fld, rubric.settings.min_sample)
        if not graded:
            left.append(LeftOut(f"{channel}.{rule.metric}", rule.label, why))
            continue
        scored.append(Points(f"{channel}.{rule.metric}", rule.label, value, rule_points(rule, value), rule.weight))
    total = sum(p.max for p in scored)
    if total == 0:
        reasons = sorted({x.why for x in left})
        return Grade(NO_GRADE, None, (), tuple(left), reason="; ".join(reasons) or "nothing to grade")
    score = round(100 * sum(p.points for p in scored) / total, 1)
    caps = critical_caps(channel, figures, rubric)
    grade = letter(score, rubric.bands)
    for cap in caps:
        grade = capped(grade, cap.cap, rubric.bands)
    return Grade(grade, score, tuple(scored), tuple(left), caps)


def grade_overall(channels: Mapping[str, Grade], rubric: Rubric) -> Grade:
    """The overall grade: the channels' scores weighted by the rubric, over those graded; critical failures cap it."""
    scored = []
    for channel, grade in channels.items():
        rules = rubric.channel(channel)
        if grade.score is None or rules is None:
            continue
        scored.append(Points(channel, CHANNEL_TITLES.get(channel, channel), grade.score, rules.weight * grade.score / 100, rules.weight))
    total = sum(p.max for p in scored)
    if total == 0:
        reasons = sorted({f"{CHANNEL_TITLES.get(c, c)}: {g.reason}" for c, g in channels.items() if g.reason})
        return Grade(NO_GRADE, None, (), reason="; ".join(reasons) or "not measured: no probe reached the company")
    score = round(100 * sum(p.points for p in scored) / total, 1)
    caps = tuple(cap for grade in channels.values() for cap in grade.capped_by)
    grade = letter(score, rubric.bands)
    for cap in caps:
        grade = capped(grade, cap.cap, rubric.bands)
    return Grade(grade, score, tuple(scored), capped_by=caps)


def grading_rules(rubric: Rubric, shown: Iterable[str] | None = None) -> dict[str, Any]:
    """The rubric as data and as sentences, for the scorecard page and JSON. `shown`: the channels whose rules are
    stated on the page (`rules`: one line per channel the card has, all by default); `channels` holds every rule."""
    stated = set(shown) if shown is not None else {c.channel for c in rubric.channels}
    bands = [(f, g) for f, g in rubric.bands if f > 0]
    lowest = rubric.bands[-1][1]
    channels = {
        c.channel: {"weight": c.weight, "source": c.source,
                    "rules": [{**asdict(rule), "metric": f"{c.channel}.{rule.metric}", "text": rule.describe()} for rule in c.rules]}
        for c in rubric.channels
    }
    return {
        "rubric": rubric.path or "default",
        "title": rubric.title,
        "min_sample": rubric.settings.min_sample,
        "acknowledgement_within_s": rubric.settings.acknowledgement_within_ns / 1e9,
        "status_update_after_s": rubric.settings.status_update_after_ns / 1e9,
        "sources": dict(rubric.sources),
        "channels": channels,
        "critical": [{**asdict(c), "text": c.describe()} for c in rubric.critical],
        "rules": [{"channel": c.channel, "text": f"{CHANNEL_TITLES.get(c.channel, c.channel)} (weight {c.weight:g}): "
                   + "; ".join(rule.brief() for rule in c.rules)} for c in rubric.channels if c.channel in stated]
                 + [{"metric": c.metric, "text": f"Critical: {c.describe()}"} for c in rubric.critical if c.metric.split(".")[0] in stated],
        "bands": [{"grade": grade, "min_score": floor} for floor, grade in rubric.bands],
        "text": "Each metric earns its points (full → none, linear between); a channel's score is points earned ÷ "
                "points available × 100; metrics not measured or measured on fewer than "
                f"{rubric.settings.min_sample} contacts are left out. Overall: the channels' scores weighted "
                + ", ".join(f"{CHANNEL_TITLES.get(c.channel, c.channel)} {c.weight:g}" for c in rubric.channels)
                + " (over the channels graded). " + ", ".join(f"{g} ≥ {f:g}" for f, g in bands) + f", {lowest} below.",
    }
