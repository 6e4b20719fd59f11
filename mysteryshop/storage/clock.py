"""Wall-clock stamps as the store keeps them: ISO 8601 UTC to the millisecond, sortable as text."""

from __future__ import annotations

import time
from datetime import datetime

_utc_second: tuple[int, str] = (-1, "")


def utc_now() -> str:
    """The wall-clock time to the millisecond, as ISO 8601 with a Z (2026-11-23T20:05:01.123Z)."""
    global _utc_second
    second, ms = divmod(time.time_ns() // 1_000_000, 1000)
    if second != _utc_second[0]:  # a busy loop stamps many events within one second
        _utc_second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{_utc_second[1]}.{ms:03d}Z"


def utc_at(ns: int) -> str:
    """Wall-clock nanoseconds in the form of `utc_now` (2026-11-23T20:05:01.123Z): sorts as the times do."""
    second, rest = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)) + f".{rest // 1_000_000:03d}Z"


def ns_at(utc: str) -> int:
    """`utc_at` backwards (to the millisecond)."""
    return int(datetime.fromisoformat(utc).timestamp() * 1000) * 1_000_000
