"""Absolute requirements a run must meet, whatever the baseline: 'grade>=C', 'email.acknowledged.rate>=0.8',
'email.answered.p90<8bh'.

One requirement is METRIC OPERATOR VALUE:

- METRIC: `grade`, `score`, or a headline metric of the scorecard (`email.answered.rate`, `email.answered.median_s`,
  `chat.first_response.p90_s`, `email.score`); a time may drop its `_s` (`email.answered.p90`).
- OPERATOR: >=, >, <=, <, ==.
- VALUE: a grade letter A-F (A is best: `grade>=C` passes A, B and C); a score 0-100; a rate as 0.8 or 80%; a time
  as elapsed time (90s, 30m, 8h, 1d12h; a bare number is seconds) or business time (8bh, '8 business hours'), which
  is elapsed time for a target open around the clock.

A metric the run did not measure does not meet its requirement: nothing answered has no answer time, and a run
that reached nobody has no grade. Pure functions; the gate (gate.py) applies them.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mysteryshop.durations import format_duration, looks_like_business, parse_business, parse_duration
from mysteryshop.errors import ConfigError, suggest

GRADES = "ABCDEF"
_OPS: dict[str, Callable[[float, float], bool]] = {">=": operator.ge, "<=": operator.le, "==": operator.eq, ">": operator.gt, "<": operator.lt}
_FORM = re.compile(r"^\s*(?P<metric>[A-Za-z_][\w.]*)\s*(?P<op>>=|<=|==|>|<)\s*(?P<value>\S.*?)\s*$")
HELP = ("write METRIC OPERATOR VALUE, e.g. 'grade>=C', 'email.acknowledged.rate>=0.8' (or 80%), 'email.answered.p90<8bh', "
        "'email.answered.median<4h', 'score>=70'")


@dataclass(frozen=True, slots=True)
class Requirement:
    """One requirement, parsed: `metric` is 'grade', 'score' or a headline key; `value` is a number (a grade's rank,
    a rate 0..1, seconds) to compare the run's value with."""

    text: str
    metric: str
    op: str
    value: float
    unit: str  # grade | score | rate | seconds
    business: bool = False

    def value_text(self) -> str:
        if self.unit == "grade":
            return GRADES[int(self.value)]
        if self.unit == "rate":
            return f"{self.value * 100:g}%"
        if self.unit == "seconds":
            return format_duration(self.value * 1e9) + (" (business time)" if self.business else "")
        return f"{self.value:g}"


@dataclass(frozen=True, slots=True)
class Check:
    """A requirement held against a run."""

    requirement: Requirement
    actual: float | str | None
    met: bool
    reason: str

    def as_dict(self) -> dict[str, Any]:
        r = self.requirement
        return {"requirement": r.text, "metric": r.metric, "op": r.op, "value": r.value, "value_text": r.value_text(),
                "actual": self.actual, "met": self.met, "reason": self.reason}


def parse_requirement(text: str, metrics: Iterable[str], where: str = "--require") -> Requirement:
    """`text` parsed against the headline metric keys `metrics`; ConfigError naming `where` and the fix."""
    keys = list(metrics)
    match = _FORM.match(str(text))
    if match is None:
        raise ConfigError(f"{where} '{text}': not a requirement; {HELP}")
    name, op, raw = match["metric"], match["op"], match["value"].strip().strip("'\"")
    if name.lower() == "grade":
        letter = raw.upper()
        if len(letter) != 1 or letter not in GRADES:
            raise ConfigError(f"{where} '{text}': a grade is one letter A-F (A is best), got '{raw}'")
        return Requirement(text, "grade", op, float(GRADES.index(letter)), "grade")
    candidates = {key: key for key in keys} | {key[:-2]: key for key in keys if key.endswith("_s")}
    if name not in candidates:
        valid = ["grade", *sorted(candidates)]
        raise ConfigError(f"{where} '{text}': unknown metric '{name}'.{suggest(name, valid)} Valid: {', '.join(valid)}")
    key = candidates[name]
    if key == "score":
        return Requirement(text, key, op, _number(raw, text, where, low=0, high=100, what="a score 0-100"), "score")
    if key.endswith(".rate"):
        percent = raw.endswith("%")
        value = _number(raw[:-1] if percent else raw, text, where, low=0, high=100 if percent else 1, what="a rate as 0.8 or 80%")
        return Requirement(text, key, op, value / 100 if percent else value, "rate")
    if looks_like_business(raw):
        try:
            ns, _unit = parse_business(raw)
        except ValueError as exc:
            raise ConfigError(f"{where} '{text}': {exc}") from None
        return Requirement(text, key, op, ns / 1e9, "seconds", business=True)
    try:
        ns = parse_duration(float(raw) if _is_number(raw) else raw)
    except ValueError as exc:
        raise ConfigError(f"{where} '{text}': {exc}") from None
    return Requirement(text, key, op, ns / 1e9, "seconds")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _number(raw: str, text: str, where: str, *, low: float, high: float, what: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{where} '{text}': '{raw}' is not {what}") from None
    if not low <= value <= high:
        raise ConfigError(f"{where} '{text}': {raw} is outside {low:g}..{high:g} ({what})")
    return value


def check(requirement: Requirement, values: Mapping[str, float | None], grade: str | None, *, business_clock: bool = False) -> Check:
    """Does the run (its headline `values` and its `grade`) meet `requirement`? `business_clock`: one of the run's
    targets keeps business hours, so a business-time requirement cannot be read off elapsed times."""
    r = requirement
    compare = _OPS[r.op]
    if r.unit == "grade":
        if not grade or grade not in GRADES:
            return Check(r, grade, False, "the run has no grade (nothing was measured)")
        rank = GRADES.index(grade)
        # better grades have smaller indexes: compare the reversed ranks so that '>=' means 'at least as good'
        met = compare(len(GRADES) - 1 - rank, len(GRADES) - 1 - r.value)
        return Check(r, grade, met, f"grade {grade} {'meets' if met else 'does not meet'} {r.op} {r.value_text()}")
    if r.business and business_clock:
        return Check(r, None, False, "business time of a target with business hours cannot be read off elapsed times yet: "
                     "write the requirement in elapsed time (e.g. 8h) or against a target open around the clock")
    actual = values.get(r.metric)
    if actual is None:
        return Check(r, None, False, f"{r.metric} was not measured in this run")
    met = compare(actual, r.value)
    shown = f"{actual * 100:.1f}%" if r.unit == "rate" else format_duration(actual * 1e9) if r.unit == "seconds" else f"{actual:g}"
    return Check(r, actual, met, f"{shown} {'meets' if met else 'does not meet'} {r.op} {r.value_text()}")
