"""What the dashboard's own pages show, as data for their templates: pure functions over stored rows and scorecards."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from mysteryshop import gate
from mysteryshop.scorecard.headline import HEADLINE, headline_values
from mysteryshop.scorecard.samples import card_samples
from mysteryshop.scorecard.trends import trend_axis, trend_chart
from mysteryshop.store_reads import RunRow

#: The headline metrics a company's history charts first (the rest follow when measured).
FIRST_METRICS = ("score", "email.acknowledged.rate", "email.answered.rate", "email.answered.median_s", "email.answered_in_first_reply.rate",
                 "webform.confirmation_shown.rate", "chat.first_response.rate", "chat.reached_person.rate")


def company_points(runs: Sequence[RunRow], company: str, journey: str | None = None) -> list[dict[str, Any]]:
    """A company's trend points over `runs` (oldest first): each finished run's stored figures of that company (of its
    `journey` alone, when given), as history.stored_summary keeps them; a run stored before companies were counts
    when it probed this company alone."""
    points = []
    for run in runs:
        summary = run.summary or {}
        stored = (summary.get("companies") or {}).get(company) if isinstance(summary.get("companies"), dict) else None
        grade: str | None
        if isinstance(stored, dict):
            if journey is not None:
                part = (stored.get("journeys") or {}).get(journey)
                if not isinstance(part, dict):
                    continue
                grade, values = part.get("grade"), part.get("values") or {}
            else:
                grade, values = stored.get("grade"), stored.get("values") or {}
        elif "metrics" in summary and summary.get("targets") in (None, [company]) and journey is None:
            grade, values = (summary.get("grade") or {}).get("grade"), headline_values(summary)
        else:
            continue
        points.append({"run_id": run.id, "started_utc": run.started_utc, "grade": grade, "values": dict(values),
                       "probes": run.targets.get(company, 0), "journeys": sorted(run.journeys), "status": run.status})
    return points


def history_rows(points: Sequence[Mapping[str, Any]], tz: str | None = None, width: int = 180, height: int = 36) -> list[dict[str, Any]]:
    """One row per headline metric measured in any point: its label, which way is better, and its chart over the points."""
    measured = [k for k in HEADLINE if any(isinstance((p.get("values") or {}).get(k), int | float) for p in points)]
    ordered = [k for k in FIRST_METRICS if k in measured] + [k for k in measured if k not in FIRST_METRICS]
    return [{"key": k, "label": HEADLINE[k][0], "better": HEADLINE[k][1], "chart": trend_chart(points, k, tz=tz, width=width, height=height)}
            for k in ordered]


def history_axis(points: Sequence[Mapping[str, Any]], tz: str | None = None) -> dict[str, Any] | None:
    return trend_axis(points, tz=tz)


def side(card: Mapping[str, Any], label: str) -> dict[str, Any]:
    """One side of a comparison: headline values, samples (for significance) and speed-ups of a scorecard (a run's or a
    company's view of one)."""
    return {"label": label, "values": headline_values(card["summary"]), "samples": card_samples(card),
            "speedups": [float((t or {}).get("speedup") or 1.0) for t in (card.get("targets") or {}).values()],
            "grade": dict(card["summary"].get("grade") or {}), "probes": card["summary"].get("probes")}


def compared(before: Mapping[str, Any], after: Mapping[str, Any], tolerance: Callable[[str], float | str], alpha: float) -> dict[str, Any]:
    """`after` against `before`, metric by metric, as `mysteryshop compare` judges two runs (tolerance and significance:
    mysteryshop/gate.py)."""
    floor = gate.time_floor_s([*before["speedups"], *after["speedups"]])
    changes = gate.gate(before["values"], after["values"], tolerance, before=before["samples"], after=after["samples"], alpha=alpha,
                        time_floor=floor)
    result = gate.report(changes, baseline_run=before["label"], current_run=after["label"], alpha=alpha, tested=True)
    result["how"] = gate.describe(alpha, True)
    return result


def matches(probe: Mapping[str, Any], *, status: str = "", journey: str = "", channel: str = "", company: str = "", text: str = "") -> bool:
    """Does a probe of the card pass the QA page's server-side filters? status 'failed' means did not pass; `text` is
    looked for, case-folded, in everything the probe holds (names, addresses, subjects, replies, reasons)."""
    if status == "failed" and probe.get("status") == "passed":
        return False
    if status and status != "failed" and probe.get("status") != status:
        return False
    if journey and probe.get("journey") != journey:
        return False
    if channel and probe.get("channel") != channel:
        return False
    if company and probe.get("target") != company:
        return False
    return not text or text.casefold() in orjson.dumps(probe, default=str).decode().casefold()


def finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
