"""Safety rails for probing real companies: who may be probed, how often, and no real personal data.

- **Allowlist.** Only targets named in the allowlist file (or the embedded demo desk) may be
  probed; anything else is refused with a message that says where to add it.
- **Rate limits and daily caps.** Per target, counted from the store, so they hold across
  processes and restarts.
- **No real personal data in journeys**: see mysteryshop.personal_data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ruamel.yaml import YAML

from mysteryshop.errors import ConfigError
from mysteryshop.personal_data import personal_data  # noqa: F401 - part of the safety rails' interface
from mysteryshop.store import Store
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

@dataclass(frozen=True, slots=True)
class Limits:
    per_minute: int | None = None
    per_day: int | None = None


class RateLimiter:
    """Per-target send limits, counted from the 'sent' events in the store (all runs, all processes)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def sent_since(self, target: str, since: datetime) -> int:
        row = self.store.query(
            "SELECT count(*) AS n FROM events e JOIN probes p ON p.run_id = e.run_id AND p.id = e.probe_id "
            "WHERE e.kind = 'sent' AND p.target = ? AND e.utc >= ?",
            (target, since.isoformat(timespec="milliseconds").replace("+00:00", "Z")),
        )
        return int(row[0]["n"])

    def wait_s(self, target: str, limits: Limits, *, now: datetime | None = None) -> float:
        """Seconds to wait before the next send to `target`; raises ConfigError when today's cap is used up."""
        now = now or datetime.now(UTC)
        if limits.per_day is not None and self.sent_since(target, now - timedelta(days=1)) >= limits.per_day:
            raise ConfigError(
                f"target '{target}' has had its {limits.per_day} emails for the last 24 hours (its daily cap); "
                f"nothing more is sent until some are older than a day. Raise limits.per_day in its target file to send more"
            )
        if limits.per_minute is not None and self.sent_since(target, now - timedelta(minutes=1)) >= limits.per_minute:
            return 60.0 / limits.per_minute
        return 0.0
