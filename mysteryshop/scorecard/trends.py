"""Trend charts for the one-pager: a small line over a run history with its first and last values printed at its
ends, under a date axis that every chart of the table shares (the runs are the same for every metric), so that a
reader sees where a figure came from, where it is now and over which dates, not just a shape.

Pure: the chart is data (SVG coordinates and label text) that the template draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mysteryshop.durations import spoken_duration
from mysteryshop.scorecard.readable import day, when

WIDTH, HEIGHT = 40, 14


def _rate(value: float) -> str:
    return f"{value * 100:.0f}%"


def _score(value: float) -> str:
    return f"{value:.0f}"


def _seconds(value: float) -> str:
    return spoken_duration(value * 1e9)


#: How a charted value is printed, by unit.
FORMATS: dict[str, Callable[[float], str]] = {"rate": _rate, "score": _score, "seconds": _seconds}


def unit_of(metric: str) -> str:
    """The unit of a trend value by its name: 'answered.rate' → rate, 'score' → score, '….median_s' → seconds."""
    if metric == "score" or metric.endswith(".score"):
        return "score"
    if metric.endswith("_s"):
        return "seconds"
    return "rate"


def trend_chart(
    points: Sequence[Mapping[str, Any]], metric: str, *, tz: str | None = None, width: int = WIDTH, height: int = HEIGHT,
) -> dict[str, Any]:
    """The chart of `metric` over trend `points` (each with `started_utc` and `values`), oldest first.

    Runs without the value are skipped (the line starts or ends where the values do, on the shared axis: see
    `trend_axis`). `first` and `last` carry the printed value and the run's date and time (in `tz`); `label` says it
    all in words, for screen readers and the tooltip.
    """
    fmt = FORMATS[unit_of(metric)]
    known = [(i, p, float(v)) for i, p in enumerate(points)
             if isinstance(v := (p.get("values") or {}).get(metric), int | float) and math.isfinite(v)]
    chart: dict[str, Any] = {"count": len(known), "width": width, "height": height, "points": "", "first": None, "last": None, "label": ""}
    if not known:
        return chart
    low, high = min(v for *_, v in known), max(v for *_, v in known)
    span = (high - low) or 1.0
    step = (width - 4) / max(1, len(points) - 1)
    xy = [(round(2 + i * step, 1) if len(points) > 1 else width / 2, round(height - 2 - (v - low) / span * (height - 4), 1))
          for i, _, v in known]
    (_, first, first_v), (_, last, last_v) = known[0], known[-1]

    def end(point: Mapping[str, Any], value: float, at: tuple[float, float]) -> dict[str, Any]:
        return {"value": fmt(value), "date": day(point.get("started_utc"), tz), "when": when(point.get("started_utc"), tz),
                "x": at[0], "y": at[1]}

    chart.update(points=" ".join(f"{x},{y}" for x, y in xy), first=end(first, first_v, xy[0]), last=end(last, last_v, xy[-1]))
    chart["label"] = (f"{fmt(first_v)} on {chart['first']['when']}, {fmt(last_v)} on {chart['last']['when']}, "
                      f"over {len(known)} runs (lowest {fmt(low)}, highest {fmt(high)})")
    return chart


def trend_axis(points: Sequence[Mapping[str, Any]], *, tz: str | None = None) -> dict[str, Any] | None:
    """The date axis shared by a table's trend charts: the first and last run's date ('23 Nov', or '4 Dec 07:17' and
    '07:18' when both fall on one day) and the number of runs; None with fewer than two runs."""
    if len(points) < 2:
        return None
    first, last = points[0].get("started_utc"), points[-1].get("started_utc")
    start, end = day(first, tz), day(last, tz)
    if start == end and start != "—":
        start, end = f"{start} {_clock(first, tz)}", _clock(last, tz)
    return {"first": start, "last": end, "runs": len(points), "from": when(first, tz), "to": when(last, tz)}


def _clock(utc: str | None, tz: str | None) -> str:
    stamp = when(utc, tz)  # 'Tue 3 Dec, 14:05 CET'
    return stamp.split(", ")[1].split(" ")[0] if ", " in stamp else stamp
