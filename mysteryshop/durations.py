"""Durations as people write them in journeys: 90s, 15m, 24h, 3d, 500ms."""

from __future__ import annotations

import re

_UNITS_NS = {
    "ns": 1,
    "us": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
    "d": 86400 * 1_000_000_000,
}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ns|us|ms|s|m|h|d)")
_MAX_NS = 100 * 365 * 86400 * 1_000_000_000  # a century: longer is a typo, and would not format
DURATION_HELP = "write a number with a unit, e.g. 500ms, 90s, 15m, 24h, 3d (or combined: 1h30m)"


def parse_duration(text: str | int | float) -> int:
    """Nanoseconds in `text`. A bare number means seconds.

    Example:
        >>> parse_duration("1h30m") == 90 * 60 * 10**9
        True
    """
    if isinstance(text, bool):
        raise ValueError(f"'{text}' is not a duration: {DURATION_HELP}")
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError(f"'{text}' is negative: {DURATION_HELP}")
        if not text * 1_000_000_000 <= _MAX_NS:  # also NaN
            raise ValueError(f"'{text}' is not a duration of at most a century: {DURATION_HELP}")
        return int(text * 1_000_000_000)
    if not isinstance(text, str):
        raise ValueError(f"{'a list' if isinstance(text, list) else 'a mapping' if isinstance(text, dict) else repr(text)} is not a duration: {DURATION_HELP}")
    compact = text.strip().lower().replace(" ", "")
    pos, total = 0, 0
    for match in _PART.finditer(compact):
        if match.start() != pos:
            break
        total += int(min(float(match.group(1)) * _UNITS_NS[match.group(2)], 2 * _MAX_NS))
        pos = match.end()
    if not compact or pos != len(compact) or total > _MAX_NS:
        raise ValueError(f"'{text}' is not a duration{' of at most a century' if total > _MAX_NS else ''}: {DURATION_HELP}")
    return total


def format_duration(ns: int | float | None) -> str:
    """Short human form: 850ms, 12.4s, 14m, 3h 20m, 2d 4h."""
    if ns is None:
        return "—"
    seconds = ns / 1e9
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes = seconds / 60
    if minutes < 60:
        return f"{minutes:.0f}m"
    hours, mins = divmod(int(minutes), 60)
    if hours < 24:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    days, hrs = divmod(hours, 24)
    return f"{days}d {hrs}h" if hrs else f"{days}d"


def exact_duration(ns: int) -> str:
    """A duration written back without loss (1d1m, 90s, 500ms): what a journey file saved again must say."""
    if ns == 0:
        return "0s"
    parts = []
    for unit in ("d", "h", "m", "s", "ms", "us", "ns"):
        count, ns = divmod(ns, _UNITS_NS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
