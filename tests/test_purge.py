"""Retention: `mysteryshop purge` on a real store of two real runs against the demo desk (email journeys, pytest): the
older run loses every message body, name and address (in the SQLite file itself, free pages included) and its report
folder; the newer run's trend still shows the older run's grade; a dry run changes nothing."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mysteryshop.purge import scrub_event_data

from .conftest import ROOT

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
OLD_UTC = "2026-01-05T09:00:00.000Z"


def _cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mysteryshop.cli", *args, "--root", str(project)], cwd=project, env=ENV,
                          capture_output=True, text=True, timeout=300, check=False)


def _probe_run(project: Path, run_id: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "probes/test_email_question.py", "-q", "-p", "no:cacheprovider", "--rootdir", str(project),
         "--run-id", run_id, "--target", "demo", "--personas", "2", "--reports", str(project / "reports"),
         "--journeys", str(project / "journeys"), "--allowlist", str(ROOT / "allowlist.yaml")],
        cwd=project, env=ENV, capture_output=True, text=True, timeout=300, check=False)
    assert (project / "reports" / run_id / "scorecard.json").exists(), done.stdout[-3000:] + done.stderr[-3000:]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two runs; the first made 'old' by moving its start back (what a store looks like months later)."""
    project = tmp_path_factory.mktemp("purge")
    shutil.copytree(ROOT / "probes", project / "probes")
    shutil.copytree(ROOT / "journeys", project / "journeys")
    shutil.copy(ROOT / "conftest.py", project / "conftest.py")
    (project / "pyproject.toml").write_text("[tool.mysteryshop]\n")
    _probe_run(project, "old")
    with contextlib.closing(sqlite3.connect(project / "reports" / "mysteryshop.sqlite")) as conn, conn:
        conn.execute("UPDATE runs SET started_utc = ? WHERE id = 'old'", (OLD_UTC,))
    _probe_run(project, "new")
    return project


def _store(project: Path) -> Path:
    return project / "reports" / "mysteryshop.sqlite"


def _digest(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _personal(project: Path, run_id: str) -> tuple[set[str], set[str]]:
    """(persona names and addresses, distinctive reply lines) of a run, read before the purge."""
    with contextlib.closing(sqlite3.connect(_store(project))) as conn:
        people = set()
        for persona, address in conn.execute("SELECT persona, address FROM probes WHERE run_id = ?", (run_id,)):
            people |= {json.loads(persona)["full_name"], json.loads(persona)["phone"], address}
        lines = {line.strip() for (text,) in conn.execute("SELECT text FROM messages WHERE run_id = ? AND direction = 'in'", (run_id,))
                 for line in (text or "").splitlines() if len(line.strip()) > 25}
    return people, lines


def test_a_dry_run_says_what_would_go_and_changes_nothing(project: Path) -> None:
    before = _digest(_store(project))
    done = _cli(project, "purge", "--older-than", "180d", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "would purge old " in done.stdout and "new" not in done.stdout.split("would purge", 1)[1], done.stdout
    assert "dry run: nothing was changed" in done.stdout
    assert _digest(_store(project)) == before
    assert (project / "reports" / "old" / "scorecard.html").exists()


def test_purge_removes_the_old_run_s_personal_data_and_keeps_its_trend_point(project: Path) -> None:
    people, lines = _personal(project, "old")
    assert people and lines
    new_people, _ = _personal(project, "new")
    done = _cli(project, "purge", "--older-than", "180d")
    assert done.returncode == 0, done.stderr
    assert "purging old " in done.stdout
    raw = _store(project).read_bytes()
    for secret in people - new_people:
        assert secret.encode() not in raw, f"{secret!r} is still in the store file"
    left = [line for line in lines if line.encode() in raw]
    # a reply line the newer run also received is the desk's wording, not the old run's
    with contextlib.closing(sqlite3.connect(_store(project))) as conn:
        newer = "\n".join(t or "" for (t,) in conn.execute("SELECT text FROM messages WHERE run_id = 'new'"))
        assert conn.execute("SELECT COUNT(*) FROM messages WHERE run_id = 'old' AND length(raw) > 0").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM verdicts WHERE run_id = 'old'").fetchone()[0] == 0
        assert conn.execute("SELECT summary FROM runs WHERE id = 'old'").fetchone()[0]
        assert conn.execute("SELECT COUNT(*) FROM messages WHERE run_id = 'new' AND length(raw) > 0").fetchone()[0] > 0
    assert [line for line in left if line not in newer] == []
    assert not (project / "reports" / "old").exists()
    assert (project / "reports" / "new" / "scorecard.html").exists()

    again = _cli(project, "report", "new")
    assert again.returncode in (0, 1), again.stderr
    card = json.loads((project / "reports" / "new" / "scorecard.json").read_text())
    assert [p["run_id"] for p in card["trend"]] == ["old", "new"]
    assert card["trend"][0]["grade"]

    refused = _cli(project, "report", "old")
    assert refused.returncode == 2
    assert "run old was purged on" in refused.stderr and "trends" in refused.stderr

    twice = _cli(project, "purge", "--older-than", "180d")
    assert "0 finished run(s)" in twice.stdout


def test_an_age_that_does_not_parse_is_a_clear_error(project: Path) -> None:
    done = _cli(project, "purge", "--older-than", "half a year")
    assert done.returncode == 2
    assert "--older-than: 'half a year' is not a duration" in done.stderr


def test_event_data_keeps_numbers_and_names_of_things_only() -> None:
    data = {"channel": "chat", "after_ns": 12, "ok": True, "text": "Hi Anna, your order 4411 ...", "from": "agent@acme.test",
            "kind": "answer", "quote": "x" * 20}
    assert scrub_event_data(data) == {"channel": "chat", "after_ns": 12, "ok": True, "kind": "answer"}
