"""Safety rails for probing real companies: who may be probed, how often, and no real personal data.

- **Allowlist.** Only targets named in the allowlist file (or the embedded demo desk) may be
  probed; anything else is refused with a message that says where to add it.
- **Rate limits and daily caps.** Per target, counted from the store, so they hold across
  processes and restarts.
- **No real personal data in journeys.** Text that looks like a payment card number (passes the
  Luhn check), a US social security number, a UK national insurance number or an IBAN (passes
  its checksum) is refused: personas are always fake, and so must be what they write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ruamel.yaml import YAML

from mysteryshop.errors import ConfigError
from mysteryshop.store import Store

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

    def check(self, target: object) -> None:
        """Raise ConfigError unless `target` (a Target) may be probed."""
        spec = target.spec  # type: ignore[attr-defined]
        if spec.embedded == "demo":
            return
        if spec.name in self.targets:
            return
        address = spec.email.support_address if spec.email else ""
        domain = address.rpartition("@")[2].lower()
        if domain and domain in self.domains:
            return
        raise ConfigError(
            f"target '{spec.name}' ({address or 'no email address'}) is not on the allowlist {self.path}. "
            f"Probe only companies you may probe: add '{spec.name}' under 'targets:' (or its domain under 'domains:') in {self.path}"
        )


# -- personal data ---------------------------------------------------------------------------

_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_SSN = re.compile(r"(?<!\d)(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?!\d)")
_NINO = re.compile(r"\b(?![DFIQUV])[A-Z](?![DFIOQUV])[A-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _iban_ok(text: str) -> bool:
    compact = text.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def personal_data(text: str) -> list[str]:
    """What in `text` looks like real personal data, each as 'kind: value'."""
    found = []
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and _luhn(digits):
            found.append(f"payment card number: {match.group()}")
    found += [f"US social security number: {m.group()}" for m in _SSN.finditer(text)]
    found += [f"UK national insurance number: {m.group()}" for m in _NINO.finditer(text)]
    found += [f"IBAN: {m.group()}" for m in _IBAN.finditer(text) if _iban_ok(m.group())]
    return found


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
