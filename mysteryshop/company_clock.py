"""A company's clock: its time zone, business hours and holidays, and time counted by them.

Pure: instants are epoch nanoseconds (UTC), as the store keeps them; local days, hours and
daylight-saving changes come from `zoneinfo` (the `tzdata` package when the system has no zone
files), holidays from the `holidays` package. Nothing here reads the clock.

Business time is the time a company is open: "8 business hours" from Friday 16:00 with hours
Mon-Fri 09:00-17:00 is Monday 15:00. It is counted in real (absolute) time inside each open
interval, so an interval that spans a daylight-saving change is as long as it really was.

Hand-written rather than taken from a library: the one on PyPI that does this
(businesstimedelta) is unmaintained since 2019 and built on pytz; what is needed here is a
few dozen lines over zoneinfo and `holidays`, tested against hand-worked cases.
"""

from __future__ import annotations

import random
import re
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from mysteryshop.errors import suggest

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_INDEX = {d.lower(): i for i, d in enumerate(DAYS)}
_DAY_NAMES = {name: i for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
HOURS_HELP = ("write days then times, e.g. 'Mon-Fri 09:00-17:00', 'weekdays 09:00-17:00', 'Mon-Thu 09:00-17:00; Fri 09:00-15:00' "
              "or 'Mon-Fri 09:00-12:00, 13:00-17:00'")
#: The longest stretch searched for open hours (ten years): a calendar with none in it is a mistake, not a wait.
MAX_DAYS = 3660
_NS = 1_000_000_000
_MINUTE_NS = 60 * _NS
_DAY_NS = 86400 * _NS
_ENTRY = re.compile(r"^\s*(?P<days>[A-Za-z][A-Za-z\s,\-]*?)\s+(?P<times>\d.*?)\s*$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RANGE = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")


# -- weekly hours ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class WeeklyHours:
    """Open hours per weekday (Monday first): (start, end) minutes after local midnight, sorted and disjoint."""

    days: tuple[tuple[tuple[int, int], ...], ...]

    def describe(self) -> str:
        """'Mon-Fri 09:00-17:00' (days with the same hours grouped)."""
        groups: list[tuple[list[int], tuple[tuple[int, int], ...]]] = []
        for index, spans in enumerate(self.days):
            if not spans:
                continue
            if groups and groups[-1][1] == spans and groups[-1][0][-1] == index - 1:
                groups[-1][0].append(index)
            else:
                groups.append(([index], spans))
        parts = []
        for days, spans in groups:
            names = DAYS[days[0]] if len(days) == 1 else f"{DAYS[days[0]]}-{DAYS[days[-1]]}"
            parts.append(f"{names} " + ", ".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in spans))
        return "; ".join(parts)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


_GROUPS = {"weekdays": [0, 1, 2, 3, 4], "weekends": [5, 6], "daily": list(range(7))}


def _day(name: str, entry: str) -> int:
    key = name.strip().lower()
    if key in _DAY_INDEX:
        return _DAY_INDEX[key]
    if key in _DAY_NAMES:
        return _DAY_NAMES[key]
    import difflib

    names = {**{d.lower(): d for d in DAYS}, **{full: DAYS[i] for full, i in _DAY_NAMES.items()}, **{g: g for g in _GROUPS}}
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    hint = f" Did you mean '{names[close[0]]}'?" if close else ""
    raise ValueError(f"hours '{entry}': unknown day '{name.strip()}'.{hint} Days: {', '.join(DAYS)} (or weekdays, weekends, daily)")


def _days(text: str, entry: str) -> list[int]:
    found: list[int] = []
    for item in text.replace(" ", "").split(","):
        if not item:
            continue
        if item.lower() in _GROUPS:
            found += _GROUPS[item.lower()]
            continue
        first, dash, last = item.partition("-")
        if not dash:
            found.append(_day(first, entry))
            continue
        start, end = _day(first, entry), _day(last, entry)
        found += [(start + i) % 7 for i in range((end - start) % 7 + 1)]  # Fri-Mon wraps over the weekend
    return found


def _minutes(hours: str, minutes: str, entry: str) -> int:
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and m):
        raise ValueError(f"hours '{entry}': {hours}:{minutes} is not a time of day (00:00 to 24:00)")
    return h * 60 + m


def parse_hours(spec: str | Sequence[str]) -> WeeklyHours:
    """Weekly open hours from 'Mon-Fri 09:00-17:00' (entries separated by ';' or given as a list).

    Raises ValueError with one line saying what is wrong and how to write it.
    """
    entries = [spec] if isinstance(spec, str) else list(spec)
    pieces = [piece.strip() for entry in entries for piece in str(entry).split(";") if piece.strip()]
    if not pieces:
        raise ValueError(f"hours are empty: {HOURS_HELP}")
    week: list[list[tuple[int, int]]] = [[] for _ in DAYS]
    for entry in pieces:
        match = _ENTRY.match(entry)
        if match is None:
            raise ValueError(f"hours '{entry}': {HOURS_HELP}")
        days = _days(match["days"], entry)
        times = match["times"]
        spans = []
        for found in _RANGE.finditer(times):
            start, end = _minutes(found[1], found[2], entry), _minutes(found[3], found[4], entry)
            if end <= start:
                raise ValueError(
                    f"hours '{entry}': {found[0]} ends before it starts. For hours past midnight write two entries, "
                    f"e.g. 'Mon 22:00-24:00; Tue 00:00-06:00'"
                )
            spans.append((start, end))
        if not spans or _RANGE.sub("", times).replace(",", "").strip():
            raise ValueError(f"hours '{entry}': times are written HH:MM-HH:MM; {HOURS_HELP}")
        for day in days:
            week[day] += spans
    merged: list[tuple[tuple[int, int], ...]] = []
    for spans in week:
        out: list[tuple[int, int]] = []
        for start, end in sorted(spans):
            if out and start <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], end))
            else:
                out.append((start, end))
        merged.append(tuple(out))
    return WeeklyHours(tuple(merged))


# -- time zones and instants -------------------------------------------------------------------

def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`, or ValueError naming the closest known ones."""
    import zoneinfo

    try:
        if not name or name != name.strip() or name.startswith(("/", ".")) or ".." in name:
            raise ValueError
        return ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        known = sorted(zoneinfo.available_timezones())
        import difflib

        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"unknown time zone '{name}'.{hint} Write an IANA name such as Europe/Berlin, America/New_York or UTC") from None


def epoch_ns(moment: datetime) -> int:
    """Epoch nanoseconds of an aware datetime."""
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * _NS + delta.microseconds * 1000


def from_epoch_ns(ns: int, tz: ZoneInfo | timezone = UTC) -> datetime:
    """The aware datetime of epoch ns `ns` in `tz` (to the microsecond)."""
    return (_EPOCH + timedelta(microseconds=ns // 1000)).astimezone(tz)


def parse_utc(text: str) -> int:
    """Epoch ns of a stored UTC time ('2026-11-23T20:05:01.123Z')."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return epoch_ns(moment)


# -- the calendar ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """When a company is open: weekly `hours` in time zone `tz`, except on `closed` days (holidays)."""

    tz: ZoneInfo
    hours: WeeklyHours
    closed: Container[date] = frozenset()
    _intervals: dict[date, tuple[tuple[int, int], ...]] = field(default_factory=dict, compare=False, repr=False)

    def intervals(self, day: date) -> tuple[tuple[int, int], ...]:
        """The open intervals of local date `day` as epoch ns [start, end)."""
        found = self._intervals.get(day)
        if found is not None:
            return found
        spans: list[tuple[int, int]] = []
        if day not in self.closed:
            for start, end in self.hours.days[day.weekday()]:
                a = epoch_ns(self._local(day, start))
                b = epoch_ns(self._local(day, end))
                if b > a:  # an interval lost to a daylight-saving gap has no length
                    spans.append((a, b))
        found = tuple(spans)
        if len(self._intervals) > 4096:
            self._intervals.clear()
        self._intervals[day] = found
        return found

    def _local(self, day: date, minutes: int) -> datetime:
        if minutes >= 1440:
            return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=self.tz)
        return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=self.tz)

    def local_date(self, ns: int) -> date:
        return from_epoch_ns(ns, self.tz).date()

    def _days_from(self, ns: int) -> Iterator[date]:
        day = self.local_date(ns) - timedelta(days=1)  # an interval ending at 24:00 of the day before may still hold `ns`
        for _ in range(MAX_DAYS):
            yield day
            day += timedelta(days=1)
        raise ValueError(f"no business hours within {MAX_DAYS} days after {self.format(ns)}; check the hours and holidays")

    def is_open(self, ns: int) -> bool:
        return any(a <= ns < b for day in (self.local_date(ns) - timedelta(days=1), self.local_date(ns)) for a, b in self.intervals(day))

    def next_open(self, ns: int) -> int:
        """`ns` if the company is open then, else when it next opens."""
        return self.add(ns, 0)

    def add(self, start_ns: int, business_ns: int) -> int:
        """The instant by which `business_ns` of open time has passed after `start_ns`.

        With 0, the first open instant at or after `start_ns`. Ending exactly at a closing time
        gives that closing time (Friday 09:00 + 8 business hours = Friday 17:00, not Monday).
        """
        remaining = max(0, business_ns)
        for day in self._days_from(start_ns):
            for a, b in self.intervals(day):
                if b <= start_ns:
                    continue
                a = max(a, start_ns)
                if remaining <= b - a:
                    return a + remaining
                remaining -= b - a
        raise AssertionError("unreachable")  # _days_from raises first

    def add_days(self, start_ns: int, days: int) -> int:
        """`days` business days after `start_ns`: the same local time of day on the `days`-th next open day.

        Counted from when the company next opens if it is closed at `start_ns` (a Saturday message
        counts from Monday's opening). A time before that day's opening or after its closing is
        moved to the opening or closing.
        """
        start = self.next_open(start_ns)
        local = from_epoch_ns(start, self.tz)
        day, of_day = local.date(), local.time().replace(tzinfo=None)
        count = 0
        for _ in range(MAX_DAYS):
            if count == days:
                break
            day += timedelta(days=1)
            count += bool(self.intervals(day))
        else:
            raise ValueError(f"no {days} business days within {MAX_DAYS} days after {self.format(start_ns)}")
        spans = self.intervals(day)
        target = epoch_ns(datetime.combine(day, of_day, tzinfo=self.tz))
        return min(max(target, spans[0][0]), spans[-1][1]) if spans else target

    def between(self, a_ns: int, b_ns: int) -> int:
        """Open time between two instants (0 when `b_ns` is not after `a_ns`)."""
        if b_ns <= a_ns:
            return 0
        total = 0
        days = (b_ns - a_ns) // _DAY_NS + 3
        day = self.local_date(a_ns) - timedelta(days=1)
        for _ in range(days):
            for a, b in self.intervals(day):
                total += max(0, min(b, b_ns) - max(a, a_ns))
            day += timedelta(days=1)
        return total

    def format(self, ns: int) -> str:
        """'Mon 2025-06-09 15:00 CEST': an instant as the company's local time."""
        return from_epoch_ns(ns, self.tz).strftime("%a %Y-%m-%d %H:%M %Z")


# -- holidays ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ClosedDays:
    """Days a company is closed: public holidays of a country (and subdivision), and extra dates."""

    holidays: Container[date] = frozenset()
    extra: frozenset[date] = frozenset()

    def __contains__(self, day: object) -> bool:
        return day in self.extra or day in self.holidays


def holiday_calendar(country: str, subdivision: str | None = None) -> Container[date]:
    """The `holidays` package's public holidays of `country` / `subdivision`, or ValueError naming the valid ones."""
    import holidays

    supported = holidays.list_supported_countries(include_aliases=False)
    code = str(country).upper()
    if code not in supported:
        raise ValueError(
            f"unknown holiday country '{country}'.{_closest_country(str(country), supported)} Write an ISO 3166-1 alpha-2 code "
            f"such as DE, FR, GB or US ({len(supported)} countries are supported; list them with: "
            f"python -c \"import holidays; print(sorted(holidays.list_supported_countries()))\")"
        )
    subdivisions = supported[code]
    if subdivision is not None:
        aliases = getattr(holidays.country_holidays(code), "subdivisions_aliases", {}) or {}
        sub = aliases.get(subdivision, subdivision)
        valid = {str(s).upper(): s for s in subdivisions}
        if str(sub).upper() not in valid:
            listed = ", ".join(str(s) for s in subdivisions) or "(none: leave 'subdivision' out)"
            raise ValueError(f"unknown subdivision '{subdivision}' of holiday country {code}.{suggest(str(subdivision), [str(s) for s in subdivisions])} "
                             f"Valid subdivisions: {listed}")
        subdivision = valid[str(sub).upper()]
    return holidays.country_holidays(code, subdiv=subdivision)


def _closest_country(value: str, supported: Container[str]) -> str:
    """' Did you mean 'DE' (Germany)?' for a country's name, alpha-3 code or a near miss of its code."""
    import difflib

    from holidays.registry import COUNTRIES

    known = [codes for codes in COUNTRIES.values() if codes[1] in supported]
    by_alpha3 = {codes[2]: codes for codes in known if len(codes) > 2}
    by_name = {codes[0].lower(): codes for codes in known}
    found = by_alpha3.get(value.upper())
    if found is None:
        match = difflib.get_close_matches(re.sub("[^a-z]", "", value.lower()), by_name, n=1, cutoff=0.6)
        found = by_name[match[0]] if match else None
    if found is not None:
        return f" Did you mean '{found[1]}' ({re.sub(r'(?<=[a-z])(?=[A-Z])', ' ', found[0])})?"
    return suggest(value.upper(), [codes[1] for codes in known])


# -- company time and send windows -------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CompanyTime:
    """Where a probe's timeline meets the company's clock.

    A timeline's times (`t_ns`: monotonic in a run, wall clock in a campaign) map to the company's
    instants (epoch ns): at `origin_t_ns` the company's clock shows `origin_ns`, and it runs
    `speedup` times faster than the timeline's (the demo desk plays a day in six seconds).
    """

    origin_t_ns: int
    origin_ns: int
    speedup: float = 1.0

    def at(self, t_ns: int) -> int:
        """The company's instant at timeline time `t_ns`."""
        return self.origin_ns + int((t_ns - self.origin_t_ns) * self.speedup)

    def t_of(self, company_ns: int) -> int:
        """The timeline time at which the company's clock shows `company_ns`."""
        return self.origin_t_ns + int((company_ns - self.origin_ns) / self.speedup)


@dataclass(frozen=True, slots=True)
class SendWindow:
    """When probes may be sent: open times of `calendar`, each probe at a seeded offset up to `jitter_ns` into them."""

    calendar: BusinessCalendar
    jitter_ns: int = 0

    def send_at(self, now_ns: int, key: str) -> int:
        """When a probe keyed `key` is sent, asked at `now_ns`: inside the window, spread by the jitter.

        The offset is window time after the window's next open instant (or `now_ns` inside it), so a
        probe never lands where the window is closed. The same key gives the same offset in every
        process (random.Random seeded with a string hashes it with SHA-512).
        """
        opening = self.calendar.next_open(now_ns)
        offset = int(random.Random(f"send-window:{key}").random() * self.jitter_ns) if self.jitter_ns > 0 else 0
        at = self.calendar.add(opening, offset)
        return at if self.calendar.is_open(at) else self.calendar.next_open(at)


@dataclass(frozen=True, slots=True)
class CompanyClock:
    """A target's clock: its calendar, its send window, and (a simulated desk only) the time its clock starts at."""

    calendar: BusinessCalendar
    key: str  # what it was built from: a scorecard entry made with another clock is scored again
    window: SendWindow | None = None
    simulated_start_ns: int | None = None

    def company_time(self, origin_t_ns: int, origin_utc: str, speedup: float = 1.0) -> CompanyTime:
        """The company's clock for a probe that started at timeline time `origin_t_ns`, wall clock `origin_utc`."""
        start = self.simulated_start_ns if self.simulated_start_ns is not None else parse_utc(origin_utc)
        return CompanyTime(origin_t_ns, start, speedup)

    def deadline(self, start_ns: int, amount_ns: int, unit: str) -> int:
        """The company instant `amount_ns` of business time after `start_ns` (`unit`: hours, or days counted as whole days)."""
        if unit == "days":
            return self.calendar.add_days(start_ns, round(amount_ns / _DAY_NS))
        return self.calendar.add(start_ns, amount_ns)


def build_calendar(timezone_name: str, hours: str | Sequence[str], closed: Container[date] = frozenset()) -> BusinessCalendar:
    return BusinessCalendar(zone(timezone_name), parse_hours(hours), closed)


__all__ = [
    "BusinessCalendar", "ClosedDays", "CompanyClock", "CompanyTime", "SendWindow", "WeeklyHours", "build_calendar", "epoch_ns",
    "from_epoch_ns", "holiday_calendar", "parse_hours", "parse_utc", "zone",
]
