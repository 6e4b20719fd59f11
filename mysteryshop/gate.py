"""The regression gate: this run against an accepted baseline (chance told from change), and absolute requirements.

A headline metric has regressed when it got worse by more than its tolerance (how much matters; for a time never
less than what the runs' timing resolves, see `time_floor_s`) and the difference is significant at the gate's level (it is not chance): rates by the two-proportion z-test, or
Fisher's exact test for small counts; times by the Mann-Whitney U test over every probe's time (see
scoring/significance.py). The overall score is a sum of the others: it regressed when it dropped by more
than its tolerance and at least one metric it is made of regressed. A baseline written before samples were
kept (no "samples" in its file) is judged by tolerance alone, as it was, and the report says so.

Requirements ('grade>=C', 'email.acknowledged.rate>=0.8', 'email.answered.p90<8bh': see thresholds.py) are checked on
this run alone. Exit codes (mysteryshop/exitcodes.py): 0 pass, 1 a regression or a requirement not met
(`mysteryshop run/report` with --fail-on-regression or requirements, `compare --fail-on-regression`,
`gate`), the others for usage, unreachable, misconfigured and interrupted runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from mysteryshop.config import parse_tolerance
from mysteryshop.durations import TIMING_RESOLUTION_WALL_S, format_duration
from mysteryshop.exitcodes import EXIT_PASS, EXIT_REGRESSION, EXIT_UNREACHABLE, EXIT_USAGE  # noqa: F401 - gate.EXIT_* as before
from mysteryshop.scorecard.build import HEADLINE
from mysteryshop.scoring.significance import ALPHA, TestResult, mann_whitney, two_proportions
from mysteryshop.thresholds import Check

#: A tolerance on a time never allows less than this (company seconds): short times jitter.
TIME_FLOOR_S = 600.0


def time_floor_s(speedups: Iterable[float]) -> float:
    """The least difference in a time the gate can take as one (company seconds): ten minutes, or what the runs'
    timing resolves at their targets' speed (half a second of wall time is two hours at the demo's 14,400x)."""
    return max([TIME_FLOOR_S, *(TIMING_RESOLUTION_WALL_S * s for s in speedups)])

Samples = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Change:
    """One headline metric, baseline against current, with the test that says whether the difference is chance."""

    key: str
    label: str
    better: str  # "higher" or "lower"
    baseline: float | None
    current: float | None
    tolerance: float | str
    regressed: bool
    improved: bool
    p_value: float | None = None
    test: str | None = None
    n_before: int | None = None
    n_after: int | None = None
    verdict: str = "ok"  # regressed | improved | chance (beyond tolerance, not significant) | ok | not measured
    company: str | None = None  # in a run over several companies: whose metric this is (compared with the same company)

    def _text(self, value: float | None) -> str:
        if value is None:
            return "—"
        if self.key.endswith(".rate"):
            return f"{value * 100:.0f}%"
        if self.key.endswith("_s"):
            return format_duration(value * 1e9)
        return f"{value:g}"

    @property
    def difference(self) -> float | None:
        return None if self.baseline is None or self.current is None else self.current - self.baseline

    @property
    def baseline_text(self) -> str:
        return self._text(self.baseline)

    @property
    def current_text(self) -> str:
        return self._text(self.current)

    @property
    def difference_text(self) -> str:
        d = self.difference
        if d is None:
            return "—"
        sign = "+" if d > 0 else "−" if d < 0 else "±"
        if self.key.endswith(".rate"):
            return f"{sign}{abs(d) * 100:.0f} pts"
        if self.key.endswith("_s"):
            return f"{sign}{format_duration(abs(d) * 1e9)}"
        return f"{sign}{abs(d):g}"

    @property
    def p_text(self) -> str:
        if self.p_value is None:
            return "—"
        return "<0.001" if self.p_value < 0.001 else f"{self.p_value:.3f}"

    @property
    def tolerance_text(self) -> str:
        kind, amount = parse_tolerance(self.tolerance)
        if kind == "rel":
            return f"{amount * 100:g}%"
        if self.key.endswith(".rate"):
            return f"{amount * 100:g} points"
        if self.key.endswith("_s"):
            return format_duration(amount * 1e9)
        return f"{amount:g}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "difference": self.difference, "baseline_text": self.baseline_text, "current_text": self.current_text,
                "difference_text": self.difference_text, "p_text": self.p_text, "tolerance_text": self.tolerance_text}


def significance_of(key: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> tuple[TestResult, int, int] | None:
    """The two-sample test of one metric's samples (rates: k of n; times: every value), with both sample sizes."""
    if before is None or after is None:
        return None
    if "n" in before and "n" in after:
        k1, n1, k2, n2 = int(before["k"]), int(before["n"]), int(after["k"]), int(after["n"])
        return two_proportions(k1, n1, k2, n2), n1, n2
    if "values" in before and "values" in after:
        a, b = list(before["values"]), list(after["values"])
        return mann_whitney(a, b), len(a), len(b)
    return None


def judge(
    key: str, baseline: float | None, current: float | None, tolerance: float | str, *,
    before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None, alpha: float = ALPHA,
    tested: bool = False, time_floor: float = TIME_FLOOR_S,
) -> Change:
    """Did `key` get worse than `tolerance` allows, beyond chance at level `alpha`?

    With the samples (`before`, `after`: see scorecard/samples.py) a difference beyond the tolerance counts only
    when its test's p-value is below `alpha`. Without them (`tested` False: a baseline from before samples were
    kept) the tolerance alone decides, and a time that vanished (nothing arrived any more) is worse.
    """
    label, better = HEADLINE[key]
    kind, amount = parse_tolerance(tolerance, f"tolerance of '{key}'")
    result = significance_of(key, before, after) if tested else None
    p_value, test, n1, n2 = (result[0].p_value, result[0].test, result[1], result[2]) if result else (None, None, None, None)
    if baseline is None or current is None:
        vanished = not tested and baseline is not None and current is None and key.endswith("_s")
        appeared = not tested and baseline is None and current is not None and key.endswith("_s")
        verdict = "regressed" if vanished else "improved" if appeared else "not measured"
        return Change(key, label, better, baseline, current, tolerance, vanished, appeared, p_value, test, n1, n2, verdict)
    allowed = amount * abs(baseline) if kind == "rel" else amount
    if key.endswith("_s") and (kind == "rel" or time_floor > TIME_FLOOR_S):
        allowed = max(allowed, time_floor)
    delta = current - baseline if better == "higher" else baseline - current  # > 0: better
    worse, improved = delta < -allowed - 1e-12, delta > allowed + 1e-12
    if tested and key != "score":
        significant = p_value is not None and p_value < alpha
        verdict = ("regressed" if worse else "improved") if (worse or improved) and significant else "chance" if worse or improved else "ok"
        return Change(key, label, better, baseline, current, tolerance, worse and significant, improved and significant,
                      p_value, test, n1, n2, verdict)
    verdict = "regressed" if worse else "improved" if improved else "ok"
    return Change(key, label, better, baseline, current, tolerance, worse, improved, p_value, test, n1, n2, verdict)


def gate(
    baseline: Mapping[str, float | None], current: Mapping[str, float | None], tolerance_of: Callable[[str], float | str], *,
    before: Samples | None = None, after: Samples | None = None, alpha: float = ALPHA, time_floor: float = TIME_FLOOR_S,
) -> list[Change]:
    """Every headline metric measured in either run judged (see `judge`; one neither measured, e.g. a channel neither
    used, is left out); tested for significance when both runs' samples are given. `time_floor`: no time changes by
    less than this (company seconds; see `time_floor_s`)."""
    tested = before is not None and after is not None

    def measured(key: str) -> bool:
        return baseline.get(key) is not None or current.get(key) is not None

    def made_of_parts(key: str) -> bool:  # the overall score and each channel's ('email.score')
        return key == "score" or key.endswith(".score")

    changes = [
        judge(key, baseline.get(key), current.get(key), tolerance_of(key), before=(before or {}).get(key), after=(after or {}).get(key),
              alpha=alpha, tested=tested, time_floor=time_floor)
        for key in HEADLINE if not made_of_parts(key) and measured(key)
    ]
    scores = []
    for key in (k for k in HEADLINE if made_of_parts(k) and measured(k)):
        score = judge(key, baseline.get(key), current.get(key), tolerance_of(key))
        if tested:  # a score is made of its metrics: it regressed only when one of them did, beyond chance
            prefix = "" if key == "score" else key.removesuffix("score")
            parts = [c for c in changes if c.regressed and c.key.startswith(prefix)]
            gained = [c for c in changes if c.improved and c.key.startswith(prefix)]
            verdict = ("regressed" if parts else "chance") if score.regressed else ("improved" if gained else "chance") if score.improved else score.verdict
            score = Change(score.key, score.label, score.better, score.baseline, score.current, score.tolerance,
                           score.regressed and bool(parts), score.improved and bool(gained), min((c.p_value for c in parts), default=None),
                           "its parts" if score.regressed or score.improved else None, None, None, verdict)
        scores.append(score)
    return scores + changes


def verdict(changes: Sequence[Change], checks: Sequence[Check] = ()) -> str:
    """'regression' when a metric regressed, 'requirement not met' when only a requirement failed, else 'pass'."""
    if any(c.regressed for c in changes):
        return "regression"
    if any(not c.met for c in checks):
        return "requirement not met"
    return "pass"


def failed(result: Mapping[str, Any]) -> bool:
    return result["verdict"] != "pass"


def report(
    changes: Sequence[Change], *, baseline_run: str | None, current_run: str | None, checks: Sequence[Check] = (),
    alpha: float = ALPHA, tested: bool | None = None,
) -> dict[str, Any]:
    """The gate's result as data (for JSON, Markdown and the terminal)."""
    tested = any(c.test for c in changes) if tested is None else tested
    return {
        "verdict": verdict(changes, checks), "baseline_run": baseline_run, "current_run": current_run, "level": alpha,
        "significance_tested": tested, "changes": [c.as_dict() for c in changes], "requirements": [c.as_dict() for c in checks],
    }


def table(changes: Sequence[Change], checks: Sequence[Check] = (), check_companies: Sequence[str | None] | None = None) -> list[str]:
    """Plain-text lines: one per metric (before, after, difference, p-value, verdict), then one per requirement.

    In a run over several companies each company's metrics come under its name, and a regression or a requirement
    not met names the company (`Change.company`; `check_companies`: whose each check is)."""
    lines: list[str] = []
    if changes:
        company = None
        lines.append(f"  {'metric':<30} {'before':>10} {'after':>10} {'difference':>11} {'n before→after':>15} {'p-value':>8}  verdict")
        for c in changes:
            if c.company is not None and c.company != company:
                company = c.company
                lines.append(f"  {company}:")
            sizes = f"{c.n_before}→{c.n_after}" if c.n_before is not None else "—"
            mark = {"regressed": "REGRESSED", "chance": "not significant"}.get(c.verdict, c.verdict)
            if c.company is not None and c.verdict == "regressed":
                mark = f"REGRESSED ({c.company})"
            lines.append(f"  {c.label:<30} {c.baseline_text:>10} {c.current_text:>10} {c.difference_text:>11} {sizes:>15} {c.p_text:>8}  {mark}")
    for check, company in zip(checks, check_companies or [None] * len(checks), strict=True):
        whose = f" ({company})" if company else ""
        lines.append(f"  requirement {check.requirement.text:<28} {'met' if check.met else 'NOT MET'}{whose}: {check.reason}")
    return lines


def describe(alpha: float, tested: bool) -> str:
    """One line saying how the gate decided."""
    if not tested:
        return "judged by tolerance alone: the baseline file has no samples (accept a run again to test significance)"
    return (f"a regression is worse than its tolerance and significant at the {alpha:g} level (two-sided; rates: two-proportion "
            "z-test, Fisher's exact test for small counts; times: Mann-Whitney U)")
