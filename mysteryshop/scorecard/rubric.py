"""Reading a rubric file (weights, thresholds, critical failures, bands): the shipped default or a programme's own.

The shape is that of mysteryshop/scorecard/rubric.yaml, where every default says where it comes
from. Every problem of a file is reported at once, each as file:line:column with what to write
instead: an unknown channel or metric (with the closest valid name), a threshold of the wrong
kind (a rate is 0..1 or "95%", a time a duration like 15m), weights that do not add up to 100.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mysteryshop.durations import parse_duration
from mysteryshop.errors import JourneyError, suggest
from mysteryshop.scorecard.grades import ChannelRules, Critical, Rubric, Rule
from mysteryshop.scoring.metrics import (
    CHANNELS,
    METRIC_BY_KEY,
    METRICS,
    MetricSettings,
    metric_fields,
)
from mysteryshop.yamlsource import load_model, position

GRADES = ("A", "B", "C", "D", "E", "F")
#: weights are compared with this slack (0.1 + 0.2 is not 0.3)
_SLACK = 1e-6


class RubricError(JourneyError):
    """A rubric file does not validate; carries every problem found in it (file:line:column each)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Setting(_Strict):
    value: int | float | str
    source: str = Field(min_length=1, description="where the value comes from")


class _RuleSpec(_Strict):
    weight: float = Field(gt=0)
    full: float | str
    zero: float | str
    source: str = Field(min_length=1)


class _ChannelSpec(_Strict):
    weight: float = Field(gt=0)
    source: str = Field(min_length=1)
    metrics: dict[str, _RuleSpec]


class _CriticalSpec(_Strict):
    metric: str
    below: float | str | None = None
    above: float | str | None = None
    cap: str
    why: str = Field(min_length=1)
    source: str = Field(min_length=1)


class RubricSpec(_Strict):
    """A rubric file as written (see mysteryshop/scorecard/rubric.yaml)."""

    title: str = "rubric"
    min_sample: _Setting
    acknowledgement_within: _Setting
    status_update_after: _Setting
    bands: dict[str, float]
    channels: dict[str, _ChannelSpec]
    critical: list[_CriticalSpec] = []


def _rate(value: float | str) -> float:
    if isinstance(value, str):
        text = value.strip()
        if not text.endswith("%"):
            raise ValueError(f"'{value}' is not a rate: write a number from 0 to 1 (0.95) or a percentage (\"95%\")")
        number = float(text[:-1]) / 100
    else:
        number = float(value)
    if not 0 <= number <= 1:
        raise ValueError(f"{value!r} is not a rate: write a number from 0 to 1 (0.95) or a percentage (\"95%\")")
    return number


def _seconds(value: float | str) -> float:
    return parse_duration(value) / 1e9


def load_rubric(path: Path | str | None = None) -> Rubric:
    """The rubric in `path`, or the shipped default (None). Raises RubricError listing every problem as file:line:column."""
    if path is None:
        return default_rubric()
    return _load(Path(path), str(path))


@cache
def default_rubric() -> Rubric:
    """The shipped rubric (mysteryshop/scorecard/rubric.yaml)."""
    with resources.as_file(resources.files("mysteryshop.scorecard").joinpath("rubric.yaml")) as shipped:
        return _load(Path(shipped), None)


def _load(path: Path, shown: str | None) -> Rubric:
    try:
        spec, doc = load_model(path, RubricSpec)
    except RubricError:
        raise
    except JourneyError as exc:
        raise RubricError(exc.problems) from None
    problems: list[str] = []

    def problem(loc: list[str | int], message: str) -> None:
        line, col = position(doc, loc)
        problems.append(f"{path}:{line}:{col}: {message}")

    def convert(loc: list[str | int], convert_to: Any, value: Any) -> float:
        try:
            return float(convert_to(value))
        except ValueError as exc:
            problem(loc, str(exc))
            return 0.0

    settings = _settings(spec, problem)
    bands = _bands(spec, problem)
    channels = []
    total = 0.0
    for channel, cspec in spec.channels.items():
        if channel not in CHANNELS:
            problem(["channels", channel], f"unknown channel '{channel}'.{suggest(channel, CHANNELS)} Valid channels: {', '.join(CHANNELS)}")
            continue
        total += cspec.weight
        rules = []
        for key, rspec in cspec.metrics.items():
            loc: list[str | int] = ["channels", channel, "metrics", key]
            name, _, fld = key.partition(".")
            metric = METRIC_BY_KEY.get(f"{channel}.{name}")
            if metric is None:
                names = [m.name for m in METRICS if m.channel == channel]
                problem(loc, f"unknown metric '{name}' of {channel}.{suggest(name, names)} Valid metrics of {channel}: {', '.join(names)}")
                continue
            if fld not in metric_fields(metric):
                valid = ", ".join(f"{name}.{f}" for f in metric_fields(metric))
                problem(loc, f"'{key}': {name} has no field '{fld or '(none)'}'. Write one of: {valid}")
                continue
            kind = _rate if fld == "rate" else _seconds
            full = convert([*loc, "full"], kind, rspec.full)
            zero = convert([*loc, "zero"], kind, rspec.zero)
            if full == zero:
                problem([*loc, "full"], f"'{key}': full and zero are equal ({rspec.full}); full points need a better value than none")
            label = metric.label if fld == "rate" else f"{metric.time_label} ({'median' if fld == 'median_s' else 'p90'})"
            rules.append(Rule(key, label, rspec.weight, full, zero, "rate" if fld == "rate" else "seconds", rspec.source))
        weights = sum(r.weight for r in rules)
        if rules and abs(weights - 100) > _SLACK and len(rules) == len(cspec.metrics):
            listed = " + ".join(f"{r.metric} {r.weight:g}" for r in rules)
            problem(["channels", channel, "metrics"], f"the weights of {channel}'s metrics add up to {weights:.10g}, not 100 ({listed})")
        channels.append(ChannelRules(channel, cspec.weight, tuple(rules), cspec.source))
    if spec.channels and abs(total - 100) > _SLACK and len(channels) == len(spec.channels):
        listed = " + ".join(f"{c.channel} {c.weight:g}" for c in channels)
        problem(["channels"], f"the channels' weights add up to {total:.10g}, not 100 ({listed})")
    if not spec.channels:
        problem(["channels"], "no channel has rules: give at least one of " + ", ".join(CHANNELS))
    critical = _critical(spec, problem, convert)
    if problems:
        raise RubricError(problems)
    sources = {"min_sample": spec.min_sample.source, "acknowledgement_within": spec.acknowledgement_within.source,
               "status_update_after": spec.status_update_after.source}
    return Rubric(spec.title, tuple(channels), settings, bands, critical, shown, sources)


def _settings(spec: RubricSpec, problem: Any) -> MetricSettings:
    min_sample = spec.min_sample.value
    if isinstance(min_sample, bool) or not isinstance(min_sample, int) or min_sample < 1:
        problem(["min_sample", "value"], f"min_sample must be a whole number of contacts, 1 or more; got {min_sample!r}")
        min_sample = 1
    durations = {}
    for name in ("acknowledgement_within", "status_update_after"):
        try:
            durations[name] = parse_duration(getattr(spec, name).value)
        except ValueError as exc:
            problem([name, "value"], str(exc))
            durations[name] = 0
    return MetricSettings(min_sample=int(min_sample), acknowledgement_within_ns=durations["acknowledgement_within"],
                          status_update_after_ns=durations["status_update_after"])


def _bands(spec: RubricSpec, problem: Any) -> tuple[tuple[float, str], ...]:
    for grade in spec.bands:
        if grade not in GRADES[:-1]:
            problem(["bands", grade], f"unknown grade '{grade}' in bands. Give the lowest score of each of {', '.join(GRADES[:-1])} "
                                      "(F is what is left)")
    floors = [(spec.bands[g], g) for g in GRADES[:-1] if g in spec.bands]
    if [f for f, _ in floors] != sorted((f for f, _ in floors), reverse=True) or any(not 0 < f <= 100 for f, _ in floors):
        problem(["bands"], "bands must fall from A to E, each between 0 and 100 (e.g. A: 90, B: 80, C: 70, D: 60, E: 50)")
    return (*floors, (0.0, "F"))


def _critical(spec: RubricSpec, problem: Any, convert: Any) -> tuple[Critical, ...]:
    found = []
    for index, item in enumerate(spec.critical):
        loc: list[str | int] = ["critical", index]
        channel, _, rest = item.metric.partition(".")
        name, _, fld = rest.partition(".")
        metric = METRIC_BY_KEY.get(f"{channel}.{name}")
        if metric is None or fld not in metric_fields(metric):
            valid = [f"{m.key}.{f}" for m in METRICS for f in metric_fields(m)]
            problem([*loc, "metric"], f"unknown metric '{item.metric}'.{suggest(item.metric, valid)} Write channel.metric.field, "
                                      "e.g. email.answered.rate or chat.first_response.median_s")
            continue
        if (item.below is None) == (item.above is None):
            problem(loc, f"critical '{item.metric}': give exactly one of below: or above:")
            continue
        if item.cap not in GRADES:
            problem([*loc, "cap"], f"cap must be a grade ({', '.join(GRADES)}); got '{item.cap}'")
            continue
        kind = _rate if fld == "rate" else _seconds
        below = convert([*loc, "below"], kind, item.below) if item.below is not None else None
        above = convert([*loc, "above"], kind, item.above) if item.above is not None else None
        found.append(Critical(item.metric, item.cap, item.why, below, above, item.source))
    return tuple(found)
