"""Figures as the scorecard's pages print them: times of day in the company's time zone, and how a measured rate
stands against the published industry figure. Pure functions; scorecard.json keeps ISO times and raw rates.

Example:
    >>> when("2026-12-03T13:05:09.123Z", "Europe/Berlin")
    'Thu 3 Dec, 14:05 CET'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # English whatever the machine's locale
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@cache
def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _parse(utc: str | datetime | None) -> datetime | None:
    if isinstance(utc, datetime):
        return utc if utc.tzinfo else utc.replace(tzinfo=UTC)
    if not isinstance(utc, str) or not utc.strip():
        return None
    try:
        moment = datetime.fromisoformat(utc.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _local(utc: str | datetime | None, tz: str | None) -> datetime | None:
    moment = _parse(utc)
    if moment is None:
        return None
    return moment.astimezone(_zone(tz) or UTC)


def when(utc: str | datetime | None, tz: str | None = None, seconds: bool = False) -> str:
    """'Tue 3 Dec, 14:05 CET': a moment to the minute (with `seconds`, '14:05:09': evidence), in time zone `tz` (IANA
    name) or UTC when it is unknown.

    Text that is not an ISO time is returned as it is; None is '—'.
    """
    local = _local(utc, tz)
    if local is None:
        return "—" if utc is None else str(utc)
    clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    return f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}, {clock} {local.tzname() or 'UTC'}"


def day(utc: str | datetime | None, tz: str | None = None) -> str:
    """'3 Dec': the date of a moment in `tz` (UTC when unknown); '—' when there is none."""
    local = _local(utc, tz)
    return "—" if local is None else f"{local.day} {_MONTHS[local.month - 1]}"


def zone_of(card: Mapping[str, Any], target: str | None = None) -> str | None:
    """The IANA time zone of `target` (its company clock), or, without `target`, the one zone all the run's targets share.

    None when it is not known (no clock) or the targets are in different zones: times are then shown in UTC.
    """
    targets = card.get("targets") or {}
    names: Sequence[str] = [target] if target else list(targets)
    zones = {((targets.get(name) or {}).get("clock") or {}).get("timezone") for name in names}
    if len(zones) != 1:
        return None
    zone = zones.pop()
    return zone if _zone(zone) is not None else None


#: The text cue beside the colour, so that the verdict reads without colour too (short, and in words).
CUES = {"better": "▲ better", "worse": "▼ worse", "level": "● level"}
SAYS = {"better": "better than the industry figure", "worse": "worse than the industry figure",
        "level": "level with the industry figure (the difference could be chance)"}


def versus_industry(
    rate: float | None, industry: float | None, better: str = "higher", interval: Sequence[float] | None = None,
    too_few: bool = False,
) -> dict[str, str] | None:
    """How a measured `rate` stands against the published `industry` rate: better, worse or level (None: not comparable).

    `better` is "higher" or "lower" (for the metrics where less is better, such as marketing while the issue is open).
    With a 95% `interval` the verdict is better or worse only when the whole interval is on one side of the industry
    figure (else "level": the difference could be chance); without one the point figure decides. A rate resting on
    too few probes (`too_few`) is not compared.
    """
    if too_few or not isinstance(rate, int | float) or not isinstance(industry, int | float):
        return None
    low, high = (interval[0], interval[1]) if interval and len(interval) == 2 else (rate, rate)
    if low > industry:
        side = "above"
    elif high < industry:
        side = "below"
    else:
        side = "level"
    verdict = "level" if side == "level" else ("better" if (side == "above") == (better != "lower") else "worse")
    return {"verdict": verdict, "cue": CUES[verdict], "says": SAYS[verdict], "class": f"vs-{verdict}"}
