"""Scheduled waves: cron in a company's time zone (croniter; DST), schedules kept in a real store, due waves claimed by
exactly one of several processes, missed fire times collapsed into one wave, and a due wave started by `mysteryshop
tick` as a real campaign against the demo desk (its emails counted in the desk's ground truth)."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mysteryshop.cli import main as cli
from mysteryshop.demo.process import DemoDeskProcess
from mysteryshop.errors import ConfigError
from mysteryshop.store import Store
from mysteryshop.waves import Wave, add_wave, claim_due, crontab_line, next_fire, waves

from .conftest import free_port, profile, store_at

TARGET = """
name: northwind
title: Northwind (a demo desk started by the test)
speedup: 14400
probe_domain: probe.mysteryshop.test
clock: {{timezone: Europe/Berlin, hours: "Mon-Fri 09:00-17:00"}}
email:
  support_address: support@northwind.demo
  smtp_host: 127.0.0.1
  smtp_port: {port}
"""
JOURNEY = """
id: ask
title: Ask once
steps:
  - id: ask
    do: send_email
    subject: "Question about order {persona.order_id}"
    body: "Hello, can I return my jacket? {persona.full_name}"
  - id: answered
    expect: answer
    within: 3d
"""


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_cron_is_read_in_the_wave_s_time_zone_across_dst() -> None:
    friday_noon = _utc(2026, 12, 4, 11, 0)
    assert next_fire("0 9 * * 1-5", "Europe/Berlin", friday_noon) == _utc(2026, 12, 7, 8, 0)  # Monday 09:00 CET
    assert next_fire("0 9 * * 1-5", "Europe/Berlin", _utc(2026, 6, 5, 11, 0)) == _utc(2026, 6, 8, 7, 0)  # 09:00 CEST
    assert next_fire("0 9 * * *", "America/New_York", _utc(2026, 3, 8, 20, 0)) == _utc(2026, 3, 9, 13, 0)  # after DST began
    with pytest.raises(ConfigError, match="five fields"):
        next_fire("every monday", "UTC", friday_noon)
    with pytest.raises(ConfigError, match="IANA"):
        next_fire("0 9 * * 1", "Mars/Olympus", friday_noon)


def _wave(name: str = "weekly") -> Wave:
    return Wave(name, "0 9 * * 1", "Europe/Berlin", ("northwind",), ("ask",), 2, 7)


def test_a_due_wave_is_claimed_once_and_missed_fire_times_collapse(store_location: Path | str) -> None:
    store = Store(store_location)
    try:
        add_wave(store, _wave(), now=_utc(2026, 11, 1, 0, 0))
        assert waves(store)[0].next_utc == "2026-11-02T08:00:00Z"
        assert claim_due(store, _utc(2026, 11, 2, 7, 59)) == []
        three_weeks_on = _utc(2026, 11, 16, 8, 30)
        [due] = claim_due(store, three_weeks_on)
        assert (due.fire_utc, due.missed, due.campaign) == (_utc(2026, 11, 16, 8, 0), 2, "weekly-20261116-0900")
        assert claim_due(store, three_weeks_on) == []
        assert waves(store)[0].next_utc == "2026-11-23T08:00:00Z"
        [later] = claim_due(store, _utc(2026, 11, 23, 8, 0))
        assert later.seed != due.seed  # each wave its own personas
    finally:
        store.close()


def _claim_in_process(path: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    store = Store(path)
    try:
        queue.put([d.campaign for d in claim_due(store, _utc(2026, 11, 30, 9, 0))])
    finally:
        store.close()


def test_four_processes_claim_a_due_wave_exactly_once(store_location: Path | str) -> None:
    path = store_location
    store = Store(path)
    add_wave(store, _wave("a"), now=_utc(2026, 11, 1))
    add_wave(store, _wave("b"), now=_utc(2026, 11, 1))
    store.close()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_claim_in_process, args=(str(path), queue)) for _ in range(4)]
    for worker in workers:
        worker.start()
    claimed = [name for _ in workers for name in queue.get(timeout=60)]
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(claimed) == ["a-20261130-0900", "b-20261130-0900"]


def test_the_crontab_line_starts_the_same_campaign() -> None:
    line = crontab_line(_wave(), root="/srv/qa")
    assert line.splitlines()[0] == "CRON_TZ=Europe/Berlin"
    assert line.splitlines()[1].startswith("0 9 * * 1 cd /srv/qa && mysteryshop run --campaign weekly-$(date +\\%Y\\%m\\%d-\\%H\\%M) ")
    assert "--target northwind --journey ask --personas 2" in line
    done = subprocess.run(["bash", "-n", "-c", line.splitlines()[1].split(" ", 5)[5]], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "journeys/targets").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("[tool.mysteryshop]\n")
    (tmp_path / "allowlist.yaml").write_text("targets: [northwind]\n")
    (tmp_path / "journeys/ask.yaml").write_text(JOURNEY)
    return tmp_path


def test_tick_starts_a_due_wave_as_a_campaign_against_the_demo_desk(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    desk = DemoDeskProcess(profile(), deliver_to=("127.0.0.1", free_port()), speedup=14400, workdir=project).start()
    try:
        (project / "journeys/targets/northwind.yaml").write_text(TARGET.format(port=desk.port))
        assert cli(["campaign", "schedule", "weekly", "--cron", "0 9 * * 1", "--target", "northwind", "--journey", "ask",
                    "--personas", "2", "--root", str(project)]) == 0
        said = capsys.readouterr().out
        assert "in Europe/Berlin" in said and "first wave: Mon" in said  # the target's clock gave the zone
        store = Store(store_at(project))
        try:  # a week later: the schedule's fire time has passed
            store.write("UPDATE waves SET next_utc = ?", ((datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),))
        finally:
            store.close()
        assert cli(["tick", "--root", str(project)]) == 0
        out = capsys.readouterr().out
        assert "wave 'weekly' due: starting campaign 'weekly-" in out and "2 probe(s) started" in out, out
        assert cli(["tick", "--root", str(project)]) == 0
        assert "due: starting" not in capsys.readouterr().out
        assert cli(["campaign", "waves", "--root", str(project)]) == 0
        assert "last wave weekly-" in capsys.readouterr().out
        assert len(desk.truth.received) == 2  # the company got the wave's two emails, once each
    finally:
        desk.stop()
    store = Store(store_at(project))
    try:
        runs = [r["id"] for r in store.runs()]
        probes = store.query("SELECT COUNT(*) AS n FROM probes WHERE run_id LIKE 'campaign-weekly-%'")[0]["n"]
    finally:
        store.close()
    assert len([r for r in runs if r.startswith("campaign-weekly-")]) == 1 and probes == 2


def test_unscheduling_an_unknown_wave_says_so(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["campaign", "unschedule", "nope", "--root", str(project)]) == 2
    assert "no wave named 'nope'" in capsys.readouterr().err
