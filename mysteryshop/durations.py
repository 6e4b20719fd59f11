"""Durations as people write them in journeys: 90s, 15m, 24h, 3d, 500ms; and business time: 8 business hours, 1 business day."""

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
#: How finely a run tells two moments apart, in wall seconds, on a 2-core machine shared with Chromium and other
#: work (replies went out up to 0.8 s late at load average 12 while Chromium started, mostly under 0.1 s after:
#: see demo/desk.py). Times the target's speedup, it is the company time below which two runs' times cannot be
#: told apart: two hours at the demo desk's 14,400x.
TIMING_RESOLUTION_WALL_S = 0.5
DURATION_HELP = "write a number with a unit, e.g. 500ms, 90s, 15m, 24h, 3d (or combined: 1h30m)"
_BUSINESS = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(?:business\s*(?P<long>minutes?|mins?|hours?|days?)|(?P<short>bm|bh|bd))\s*$", re.IGNORECASE
)
_BUSINESS_UNIT_NS = {"m": 60 * 1_000_000_000, "h": 3600 * 1_000_000_000, "d": 86400 * 1_000_000_000}
BUSINESS_HELP = (
    "write elapsed time (15m, 24h, 3d) or business time of the target's clock: '8 business hours', '30 business minutes', "
    "'1 business day' (short: 8bh, 30bm, 1bd)"
)


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


def spoken_duration(ns: int | float | None) -> str:
    """A duration as a page says it: "850 ms", "4.2 s", "12 s", "14 min", "4 h 12 min", "2 d 4 h" ("—" for None).

    Whole units are truncated, never rounded up: 4 h 59 min 59 s is "4 h 59 min", not "5 h".
    """
    if ns is None:
        return "—"
    seconds = max(0.0, float(ns) / 1e9)
    if seconds < 1:
        return f"{int(seconds * 1000)} ms"
    if seconds < 10:
        return f"{int(seconds * 10) / 10:g} s"
    if seconds < 60:
        return f"{int(seconds)} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, mins = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    days, hrs = divmod(hours, 24)
    return f"{days} d {hrs} h" if hrs else f"{days} d"


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


def looks_like_business(text: object) -> bool:
    """Whether `text` was meant as business time (mentions 'business', or a bh/bm/bd unit)."""
    return isinstance(text, str) and bool(re.search(r"business|\d\s*b[hmd]\b", text, re.IGNORECASE))


def parse_business(text: str) -> tuple[int, str]:
    """(nanoseconds, unit) of business time in `text`: unit 'hours' (hours and minutes) or 'days' (whole days).

    Example:
        >>> parse_business("8 business hours") == (8 * 3600 * 10**9, "hours")
        True
    """
    match = _BUSINESS.match(text)
    if match is None:
        raise ValueError(f"'{text}' is not a deadline: {BUSINESS_HELP}")
    amount = float(match.group(1))
    letter = (match["long"] or match["short"][1]).lower()[0]
    if letter == "d":
        if amount != int(amount) or amount < 1:
            raise ValueError(f"'{text}': business days are whole days (1 business day, 2 business days); for less, write business hours")
        return int(amount) * _BUSINESS_UNIT_NS["d"], "days"
    return int(amount * _BUSINESS_UNIT_NS[letter]), "hours"


def format_business(ns: int, unit: str) -> str:
    """'8 business hours', '1 business day', '90 business minutes'."""
    if unit == "days":
        days = round(ns / _BUSINESS_UNIT_NS["d"])
        return f"{days} business day{'s' if days != 1 else ''}"
    minutes = ns / _BUSINESS_UNIT_NS["m"]
    if minutes % 60 == 0:
        hours = int(minutes // 60)
        return f"{hours} business hour{'s' if hours != 1 else ''}"
    if minutes < 60 or minutes != int(minutes):
        return f"{minutes:g} business minute{'s' if minutes != 1 else ''}"
    return f"{minutes / 60:g} business hours"
