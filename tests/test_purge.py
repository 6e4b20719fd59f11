"""Retention: `mysteryshop purge` on a real store of two real runs against the demo desk (email journeys, pytest): the
older run loses every message body, name and address (in the SQLite file itself, free pages included; on the
PostgreSQL pass in the database's table files, old row versions included) and its report folder; the newer run's
trend still shows the older run's grade; a dry run changes nothing."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mysteryshop.purge import scrub_event_data
from mysteryshop.store import Store

from .conftest import (
    ROOT,
    _pg_server,
    configured_store,
    env_without_store,
    shared_project_store,
)

ENV = env_without_store(PYTHONPATH=str(ROOT))  # the project's config names its store
OLD_UTC = "2026-01-05T09:00:00.000Z"


def _cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mysteryshop.cli", *args, "--root", str(project)], cwd=project, env=ENV,
                          capture_output=True, text=True, timeout=300, check=False)


def _probe_run(project: Path, run_id: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "probes/test_email_question.py", "-q", "-p", "no:cacheprovider", "--rootdir", str(project),
         "--run-id", run_id, "--target", "demo", "--personas", "2", "--reports", str(project / "reports"), "--store", str(_store(project)),
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
    location = shared_project_store(project)
    _probe_run(project, "old")
    with contextlib.closing(Store(location)) as store:
        store.write("UPDATE runs SET started_utc = ? WHERE id = 'old'", (OLD_UTC,))
    _probe_run(project, "new")
    return project


def _store(project: Path) -> Path | str:
    return configured_store(project)


def _query(project: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with contextlib.closing(Store(_store(project))) as store:
        return [tuple(row) for row in store.query(sql, params)]


def _digest(location: Path | str) -> str:
    """The SQLite file's bytes (after a checkpoint), or every row of every table of the PostgreSQL database."""
    if isinstance(location, Path):
        import sqlite3

        with contextlib.closing(sqlite3.connect(location)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return hashlib.sha256(location.read_bytes()).hexdigest()
    import psycopg

    with psycopg.connect(location, autocommit=True) as conn:
        tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        rows = [conn.execute(f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {t} t").fetchone()[0] for t in tables]
    return hashlib.sha256("\n".join(f"{t} {r}" for t, r in zip(tables, rows, strict=True)).encode()).hexdigest()


def _stored_bytes(location: Path | str) -> bytes:
    """What is on disk for the store: the SQLite file, or on PostgreSQL the database's table files after a checkpoint
    (dead row versions and TOAST chunks included; the server's write-ahead log is not the store's to clean)."""
    if isinstance(location, Path):
        return location.read_bytes()
    import psycopg

    with psycopg.connect(location, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        oid = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
    folder = _pg_server().folder / "data" / "base" / str(oid)  # type: ignore[attr-defined]
    return b"".join(f.read_bytes() for f in sorted(folder.iterdir()) if f.is_file())


def _personal(project: Path, run_id: str) -> tuple[set[str], set[str]]:
    """(persona names and addresses, distinctive reply lines) of a run, read before the purge."""
    people = set()
    for persona, address in _query(project, "SELECT persona, address FROM probes WHERE run_id = ?", (run_id,)):
        people |= {json.loads(persona)["full_name"], json.loads(persona)["phone"], address}
    lines = {line.strip() for (text,) in _query(project, "SELECT text FROM messages WHERE run_id = ? AND direction = 'in'", (run_id,))
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
    raw = _stored_bytes(_store(project))
    for secret in people - new_people:
        assert secret.encode() not in raw, f"{secret!r} is still in the store's files"
    left = [line for line in lines if line.encode() in raw]
    # a reply line the newer run also received is the desk's wording, not the old run's
    newer = "\n".join(str(t or "") for (t,) in _query(project, "SELECT text FROM messages WHERE run_id = 'new'"))
    assert _query(project, "SELECT COUNT(*) FROM messages WHERE run_id = 'old' AND length(raw) > 0")[0][0] == 0
    assert _query(project, "SELECT COUNT(*) FROM verdicts WHERE run_id = 'old'")[0][0] == 0
    assert _query(project, "SELECT summary FROM runs WHERE id = 'old'")[0][0]
    assert _query(project, "SELECT COUNT(*) FROM messages WHERE run_id = 'new' AND length(raw) > 0")[0][0] > 0
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
