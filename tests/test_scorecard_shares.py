"""Scoring and writing in forked shares: the same scorecard, the same files, and a failure in a child is not lost."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mysteryshop.journey import load_journey
from mysteryshop.scorecard import build, shares, write
from mysteryshop.scorecard.build import build_scorecard
from mysteryshop.scorecard.shares import beside, can_fork, run_shares
from mysteryshop.scorecard.synthetic import write_synthetic_run
from mysteryshop.scorecard.write import write_scorecard
from mysteryshop.store import Store
from mysteryshop.target import load_target

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not can_fork(), reason="shares run in forked processes")

from .conftest import fresh_store


def _pids(share: tuple[int, int]) -> tuple[tuple[int, int], int]:
    return share, os.getpid()


def test_each_share_runs_once_in_order_share_0_here_the_others_in_children() -> None:
    results = run_shares(_pids, 3)
    assert [share for share, _ in results] == [(0, 3), (1, 3), (2, 3)]
    pids = [pid for _, pid in results]
    assert pids[0] == os.getpid() and len(set(pids)) == 3


def _fails_in_child(share: tuple[int, int]) -> int:
    if share[0] == 1:
        raise ValueError("share one is broken")
    return share[0]


def test_a_share_that_fails_in_a_child_raises_here_with_its_traceback() -> None:
    with pytest.raises(RuntimeError, match="share one is broken"):
        run_shares(_fails_in_child, 2)


def test_a_task_beside_runs_in_a_child_and_its_failure_is_raised(tmp_path: Path) -> None:
    marker = tmp_path / "pid"
    with beside(lambda: marker.write_text(str(os.getpid()))):
        pass
    assert int(marker.read_text()) != os.getpid()

    def broken() -> None:
        raise OSError("disk full")

    with pytest.raises(RuntimeError, match="disk full"), beside(broken):
        pass


@pytest.fixture
def run(tmp_path: Path) -> tuple[Store, dict, dict]:
    db = fresh_store(tmp_path)
    write_synthetic_run(db, "r", probes=60, seed=5)
    journeys = {"email_question": load_journey(ROOT / "journeys" / "email_question.yaml")}
    targets = {"demo": load_target(ROOT / "journeys" / "targets" / "demo.yaml")}
    store = Store(db)
    yield store, journeys, targets
    store.close()


def test_a_card_scored_in_shares_is_the_card_scored_in_one(run: tuple[Store, dict, dict], monkeypatch: pytest.MonkeyPatch) -> None:
    store, journeys, targets = run
    one = build_scorecard(store, "r", journeys, targets)
    monkeypatch.setattr(build, "MIN_SHARE", 7)
    shared = build_scorecard(store, "r", journeys, targets, workers=3)
    assert shared == one
    assert [p["id"] for p in shared["probes"]] == [f"email_question-demo-p{i}" for i in range(60)]
    assert any(p["quality"] for p in shared["probes"])


def test_files_written_with_a_forked_json_writer_are_the_same(
    run: tuple[Store, dict, dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, journeys, targets = run
    card = build_scorecard(store, "r", journeys, targets)
    one = write_scorecard(card, tmp_path / "one", journeys=journeys)
    forks = []
    monkeypatch.setattr(write, "FORKED_JSON_FROM", 10)
    monkeypatch.setattr(shares, "can_fork", lambda: forks.append(1) or True)
    two = write_scorecard(card, tmp_path / "two", journeys=journeys, workers=2)
    assert forks
    assert {k: p.name for k, p in one.items()} == {k: p.name for k, p in two.items()}
    for key, path in one.items():
        assert path.read_bytes() == two[key].read_bytes(), key
