"""Scheduled waves: a campaign started again and again on a cron schedule, in the companies' time zone.

A wave schedule lives in the store (`waves` table), so a listener that restarts loses none. Whoever ticks (`mysteryshop
tick`, and so a running `mysteryshop listen`) starts the waves that have fallen due: each due schedule is claimed by
moving its next fire time on in one UPDATE that only one process can win, so two listeners never start one wave twice.
Fire times that passed while nothing ran are not made up one by one: the latest is started and the others are said.
Cron expressions are read by croniter (standard five fields, in the wave's time zone, DST handled).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mysteryshop.errors import ConfigError
from mysteryshop.store import Store, utc_now


@dataclass(frozen=True, slots=True)
class Wave:
    name: str
    cron: str
    tz: str
    targets: tuple[str, ...]
    journeys: tuple[str, ...]  # empty: every journey
    personas: int
    seed: int
    next_utc: str = ""
    last_utc: str | None = None
    last_campaign: str | None = None


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"--tz '{tz}' is not an IANA time zone (e.g. Europe/Berlin, America/New_York)") from None


def check_cron(cron: str) -> None:
    from croniter import croniter

    if len(cron.split()) != 5 or not croniter.is_valid(cron):
        raise ConfigError(f"--cron '{cron}' is not a cron expression; write five fields: minute hour day-of-month month "
                          "day-of-week, e.g. '0 9 * * 1-5' (09:00 on weekdays)")


def next_fire(cron: str, tz: str, after: datetime) -> datetime:
    """The first fire time of `cron`, read in time zone `tz`, strictly after `after` (aware); in UTC."""
    from croniter import croniter

    check_cron(cron)
    return croniter(cron, after.astimezone(_zone(tz))).get_next(datetime).astimezone(UTC)


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def add_wave(store: Store, wave: Wave, *, now: datetime | None = None) -> Wave:
    """Store `wave` (replacing one of the same name); its first fire time after `now`."""
    first = next_fire(wave.cron, wave.tz, now or datetime.now(UTC))
    store.write("INSERT INTO waves (name, cron, tz, targets, journeys, personas, seed, created_utc, next_utc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, tz = excluded.tz, targets = excluded.targets, "
                "journeys = excluded.journeys, personas = excluded.personas, seed = excluded.seed, next_utc = excluded.next_utc",
                (wave.name, wave.cron, wave.tz, json.dumps(list(wave.targets)), json.dumps(list(wave.journeys)), wave.personas, wave.seed,
                 utc_now(), _utc_text(first)))
    return waves(store, [wave.name])[0]


def waves(store: Store, names: Sequence[str] = ()) -> list[Wave]:
    rows = store.query("SELECT * FROM waves ORDER BY name")
    return [Wave(r["name"], r["cron"], r["tz"], tuple(json.loads(r["targets"])), tuple(json.loads(r["journeys"])), r["personas"],
                 r["seed"], r["next_utc"], r["last_utc"], r["last_campaign"]) for r in rows if not names or r["name"] in names]


def remove_wave(store: Store, name: str) -> bool:
    return store.changes("DELETE FROM waves WHERE name = ?", (name,)) > 0


@dataclass(frozen=True, slots=True)
class DueWave:
    wave: Wave
    fire_utc: datetime
    missed: int  # fire times before this one that passed while nothing ticked

    @property
    def campaign(self) -> str:
        """The campaign of this wave: its name and the fire time in the wave's zone, e.g. acme-weekly-20261207-0900."""
        return f"{self.wave.name}-{self.fire_utc.astimezone(ZoneInfo(self.wave.tz)):%Y%m%d-%H%M}"

    @property
    def seed(self) -> int:
        """Each wave its own personas: the schedule's seed moved on by the fire time (in minutes)."""
        return self.wave.seed + int(self.fire_utc.timestamp()) // 60


def claim_due(store: Store, now: datetime | None = None) -> list[DueWave]:
    """The waves due at `now` that this process claimed (their next fire time moved on past `now`)."""
    now = now or datetime.now(UTC)
    due = []
    for wave in waves(store):
        fire = _parse_utc(wave.next_utc)
        if fire > now:
            continue
        latest, missed = fire, 0
        following = next_fire(wave.cron, wave.tz, fire)
        while following <= now and missed < 100_000:
            latest, missed = following, missed + 1
            following = next_fire(wave.cron, wave.tz, following)
        claimed = store.changes("UPDATE waves SET next_utc = ?, last_utc = ? WHERE name = ? AND next_utc = ?",
                                (_utc_text(following), _utc_text(latest), wave.name, wave.next_utc))
        if claimed:
            due.append(DueWave(wave, latest, missed))
    return due


def record_started(store: Store, due: DueWave) -> None:
    store.write("UPDATE waves SET last_campaign = ? WHERE name = ?", (due.campaign, due.wave.name))


def crontab_line(wave: Wave, *, root: str, executable: str = "mysteryshop") -> str:
    """A crontab entry (cronie's CRON_TZ) that starts the same waves, for users who prefer cron to a listener."""
    flags = " ".join(f"--target {shlex.quote(t)}" for t in wave.targets) + "".join(f" --journey {shlex.quote(j)}" for j in wave.journeys)
    command = (f"cd {shlex.quote(root)} && {executable} run --campaign {shlex.quote(wave.name)}-$(date +\\%Y\\%m\\%d-\\%H\\%M) "
               f"{flags} --personas {wave.personas} --seed $(( {wave.seed} + $(date +\\%s) / 60 ))")
    return f"CRON_TZ={wave.tz}\n{wave.cron} {command}"
