"""The open-probe cap holds on every path that sends: a run, plain pytest and a campaign."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from mysteryshop.store import Store

from .conftest import free_port, store_at
from .test_collect_modes import answering_desk, mysteryshop, target_yaml, write_project


def capped_target(desk_port: int, cap: int) -> str:
    return target_yaml(desk_port, f"{{port: {free_port()}}}").replace("timeout: 5}", f"timeout: 5, limits: {{open_probes: {cap}}}}}")


def test_a_run_that_would_open_more_probes_than_the_target_allows_sends_nothing(tmp_path: Path) -> None:
    desk = answering_desk(("127.0.0.1", free_port()), tmp_path)
    try:
        project = write_project(tmp_path / "p", capped_target(desk.port, 2))
        result = mysteryshop(project, "run", "--target", "desk", "--personas", "3")
        assert result.returncode == 2, result.stdout + result.stderr
        assert "target 'desk' allows 2 open probes at a time" in result.stderr and "this would add 3" in result.stderr
        plain = subprocess.run([sys.executable, "-m", "pytest", "probes", "-p", "no:cacheprovider", "--target", "desk", "--personas", "3",
                                "--rootdir", str(project)], cwd=project, capture_output=True, text=True, timeout=120)
        assert plain.returncode == 1 and "allows 2 open probes" in plain.stdout
        time.sleep(0.3)
        assert desk.truth.received == []
    finally:
        desk.stop()


def test_a_campaign_counts_the_probes_still_open_in_the_store(tmp_path: Path) -> None:
    desk = answering_desk(("127.0.0.1", free_port()), tmp_path, answer=False)
    try:
        project = write_project(tmp_path / "p", capped_target(desk.port, 3).replace("collect: {port", "collect: {via: listener, port"))
        # two probes still waiting in one campaign; a second campaign of two would make four against a cap of three
        assert mysteryshop(project, "run", "--campaign", "first", "--target", "desk", "--personas", "2").returncode == 0
        second = mysteryshop(project, "run", "--campaign", "second", "--target", "desk", "--personas", "2", "--seed", "9")
        assert second.returncode == 2, second.stdout + second.stderr
        assert "2 are open and this would add 2" in second.stderr
        store = Store(store_at(project))
        try:
            assert store.query("SELECT count(*) AS n FROM probes WHERE run_id = 'campaign-second'")[0]["n"] == 0
        finally:
            store.close()
        assert len(desk.truth.received) == 2
    finally:
        desk.stop()
