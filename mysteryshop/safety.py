"""Safety rails for probing real companies: who may be probed, how often, and no real personal data.

- **Allowlist.** Only targets named in the allowlist file (or the embedded demo desk) may be
  probed; anything else is refused with a message that says where to add it.
- **Rate limits and daily caps.** Per target, counted in the store's ledger of sends and reserved
  atomically, so they hold across campaigns, processes and restarts.
- **No real personal data in journeys**: see mysteryshop.personal_data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from mysteryshop.errors import ConfigError
from mysteryshop.personal_data import personal_data  # noqa: F401 - part of the safety rails' interface
from mysteryshop.store import Store, ns_at, placeholders, utc_at
from mysteryshop.target import Target

DEFAULT_ALLOWLIST = Path("allowlist.yaml")


@dataclass(frozen=True, slots=True)
class Allowlist:
    """Targets (by name) and support domains the user may probe."""

    path: Path
    targets: frozenset[str]
    domains: frozenset[str]

    @classmethod
    def load(cls, path: Path | None = None) -> Allowlist:
        path = path or DEFAULT_ALLOWLIST
        if not path.exists():
            return cls(path, frozenset(), frozenset())
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: expected 'targets:' and/or 'domains:' lists")
        return cls(path, frozenset(data.get("targets") or []), frozenset(d.lower() for d in data.get("domains") or []))

    def check(self, target: Target) -> None:
        """Raise ConfigError unless `target` may be probed: the embedded demo, a desk on loopback, or listed."""
        spec = target.spec
        if spec.embedded == "demo" or target.is_loopback:
            return
        if spec.name in self.targets:
            return
        address = spec.email.support_address if spec.email else ""
        domain = address.rpartition("@")[2].lower()
        if domain and domain in self.domains:
            return
        raise ConfigError(
            f"target '{spec.name}' ({target.path}; {address or 'no email address'}) is not on the allowlist {self.path}, so "
            f"nothing was sent. Probe only companies you may probe; to allow this one, add the line\n"
            f"    - {spec.name}\n"
            f"under 'targets:' in {self.path} (or its domain '{domain or '?'}' under 'domains:')"
        )


def check_targets(targets: Iterable[Target], allowlist: Allowlist) -> None:
    """The allowlist check of every target a run or campaign would send to, before anything is sent."""
    for target in targets:
        allowlist.check(target)


def open_probes(store: Store, target: str) -> int:
    """Probes against `target` still open (waiting for replies) in any run or campaign of the store."""
    row = store.query("SELECT count(*) AS n FROM probes WHERE target = ? AND status = 'running'", (target,))
    return int(row[0]["n"])


def check_open_probes(store: Store, targets: Iterable[Target], adding: Mapping[str, int]) -> None:
    """Refuse a run that would leave more probes open against a target than its `limits.open_probes` allows."""
    for target in targets:
        limits = target.spec.email.limits if target.spec.email else {}
        cap = limits.get("open_probes")
        if cap is None:
            continue
        now, more = open_probes(store, target.name), adding.get(target.name, 0)
        if now + more > cap:
            raise ConfigError(
                f"target '{target.name}' allows {cap} open probes at a time (email.limits.open_probes in {target.path}); "
                f"{now} are open and this would add {more}. Wait for open ones to finish, send fewer personas, or raise the cap"
            )


# -- rate limits -----------------------------------------------------------------------------

MINUTE_NS = 60 * 1_000_000_000
DAY_NS = 24 * 60 * MINUTE_NS


@dataclass(frozen=True, slots=True)
class Window:
    """At most `cap` emails to a target within any `ns` nanoseconds (wall clock)."""

    name: str  # per_minute | per_day
    cap: int
    ns: int


@dataclass(frozen=True, slots=True)
class Limits:
    per_minute: int | None = None
    per_day: int | None = None

    @classmethod
    def of(cls, limits: Mapping[str, Any], where: str = "the target file") -> Limits:
        """`email.limits` of a target file, checked: per_minute and per_day, whole numbers of at least 1."""
        unknown = sorted(set(limits) - {"per_minute", "per_day", "open_probes"})
        if unknown:
            raise ConfigError(f"{where}: email.limits has {', '.join(unknown)}; the limits are per_minute, per_day and open_probes")
        for key, value in limits.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{where}: email.limits.{key} is {value!r}; give a whole number of emails, at least 1 "
                                  f"(remove the target from the campaign to send nothing)")
        return cls(per_minute=limits.get("per_minute"), per_day=limits.get("per_day"))

    def windows(self, speedup: float = 1.0) -> list[Window]:
        """The caps that are set, their windows in wall-clock time. A target whose clock runs `speedup` times
        faster (a simulated desk) has its minute and day shortened alike, as its deadlines are."""
        found = []
        for name, cap, ns in (("per_minute", self.per_minute, MINUTE_NS), ("per_day", self.per_day, DAY_NS)):
            if cap is not None:
                found.append(Window(name, cap, max(1, int(ns / speedup))))
        return found


def due_ns(reserved_ns: list[int], window: Window) -> int:
    """When a full window has room again: the send that must leave it for one more to fit, plus the window.

    `reserved_ns` are the sends within the window, oldest first (at least `window.cap` of them)."""
    return reserved_ns[len(reserved_ns) - window.cap] + window.ns


@dataclass(frozen=True, slots=True)
class Capped:
    """A send that did not fit: the window that is full and when it has room again (wall-clock ns)."""

    window: Window
    due_ns: int

    def reason(self, target: str) -> str:
        span = "minute" if self.window.name == "per_minute" else "24 hours"
        return (f"target '{target}' has had its {self.window.cap} emails in the last {span} (email.limits.{self.window.name} "
                f"in its target file)")


class RateLimiter:
    """Per-target email limits, counted atomically: the store's `sends` ledger (campaigns) and the emails runs sent, across
    every campaign, run and process.

    A send slot is reserved by the same statement that counts the slots already taken, so two
    processes cannot both take the last one (counting first and sending after lets four
    campaigns send four emails against a cap of three).
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def _count(target: str, since_ns: int) -> tuple[str, list[Any]]:
        """SQL counting the emails sent to `target` after `since_ns`: the ledger's, and those of runs that keep none (a run
        records each email as a 'sent' event)."""
        sql = ("((SELECT count(*) FROM sends WHERE target = ? AND channel = 'email' AND reserved_ns > ?) + "
               "(SELECT count(*) FROM events e JOIN probes p ON p.run_id = e.run_id AND p.id = e.probe_id WHERE e.kind = 'sent' "
               "AND e.utc > ? AND p.target = ? AND NOT EXISTS (SELECT 1 FROM sends s WHERE s.run_id = e.run_id)))")
        return sql, [target, since_ns, utc_at(since_ns), target]

    def reserve_sql(
        self, row: Mapping[str, Any], target: str, windows: list[Window], now_ns: int, *, only_if: tuple[str, tuple[Any, ...]] | None = None,
    ) -> tuple[str, tuple[Any, ...]]:
        """One statement inserting `row` into `sends` if every window has room (and `only_if`, an SQL condition, holds)."""
        columns = list(row)
        conditions, params = [], [*row.values()]
        for window in windows:
            count, count_params = self._count(target, now_ns - window.ns)
            conditions.append(f"{count} < ?")
            params += [*count_params, window.cap]
        if only_if is not None:
            conditions.append(only_if[0])
            params += only_if[1]
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        sql = f"INSERT OR IGNORE INTO sends ({', '.join(columns)}) SELECT {placeholders(len(columns))}{where}"
        return sql, tuple(params)

    async def reserve(
        self, row: Mapping[str, Any], target: str, windows: list[Window], now_ns: int, *, only_if: tuple[str, tuple[Any, ...]] | None = None,
    ) -> bool:
        """Insert `row` (a send, keyed) if the target's windows have room: True when it took a slot."""
        # the count and the insert hold only if no other process counts the same target meanwhile: SQLite writes one
        # transaction at a time; PostgreSQL takes a lock on the target's name first
        return await self.store.achanges_serialized(f"sends:{target}", *self.reserve_sql(row, target, windows, now_ns, only_if=only_if)) == 1

    def sent_since(self, target: str, since_ns: int) -> list[int]:
        """When each email to `target` after `since_ns` was sent (or its slot reserved), oldest first."""
        ledger = [r[0] for r in self.store.rows(
            "SELECT reserved_ns FROM sends WHERE target = ? AND channel = 'email' AND reserved_ns > ?", (target, since_ns))]
        runs = [ns_at(r[0]) for r in self.store.rows(
            "SELECT e.utc FROM events e JOIN probes p ON p.run_id = e.run_id AND p.id = e.probe_id WHERE e.kind = 'sent' AND e.utc > ? "
            "AND p.target = ? AND NOT EXISTS (SELECT 1 FROM sends s WHERE s.run_id = e.run_id)", (utc_at(since_ns), target))]
        return sorted(ledger + runs)

    def capped(self, target: str, windows: list[Window], now_ns: int) -> Capped | None:
        """The full window that is free again last, or None when every window has room."""
        found: Capped | None = None
        for window in windows:
            times = self.sent_since(target, now_ns - window.ns)
            if len(times) >= window.cap:
                due = due_ns(times, window)
                if found is None or due > found.due_ns:
                    found = Capped(window, due)
        return found
