"""End to end against a real third-party help desk: Roundup on loopback (tests/helpdesk/roundup_desk.py).

The shipped target file journeys/targets/roundup.yaml is pointed at a desk started on free ports (only its port
numbers change), the email and web-form journeys run through `mysteryshop run` (pytest underneath) and through
a campaign (`run --campaign`, `listen`, `tick`, `score`), and each scorecard is checked against what Roundup
really did: every issue has its probe, the probe, acknowledgement and answer times match the desk's records
within 1 s, the issues left unanswered show as not answered, and every mail the desk delivered is in the card.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpdesk.compare import Comparison, compare
from tests.helpdesk.project import PROBES, write_project
from tests.helpdesk.roundup_desk import free_port, running_desk

pytestmark = [pytest.mark.helpdesk, pytest.mark.timeout(420)]

ROOT = Path(__file__).resolve().parents[1]
PROBE_DOMAIN = "probe.mysteryshop.test"
UNANSWERED = 0.25  # of 4 issues, issue4 is left unanswered
DEADLINE_S = 15  # the journeys' `within:`


def mysteryshop(project: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mysteryshop.cli", *args, "--root", str(project)], capture_output=True, text=True, check=False,
                          timeout=timeout, cwd=project, env={**os.environ, "PYTHONPATH": str(ROOT)})


def check(comparison: Comparison, issues: int) -> None:
    assert comparison.problems == [], "\n".join(comparison.problems)
    kinds = {(t.what) for t in comparison.timings}
    assert kinds == {"probe", "acknowledgement", "answer"}
    assert sum(t.what == "probe" for t in comparison.timings) == issues
    assert sum(t.what == "acknowledgement" for t in comparison.timings) == issues
    assert sum(t.what == "answer" for t in comparison.timings) == issues - 1
    assert comparison.unanswered == ["issue4"]
    assert comparison.replies_delivered == comparison.replies_in_card == 2 * issues - 1


def test_a_run_against_roundup_matches_what_the_desk_did(tmp_path: Path) -> None:
    reply_port = free_port()
    with running_desk(tmp_path / "desk", ("127.0.0.1", reply_port), answer_delay_s=1.0, unanswered=UNANSWERED) as desk:
        project = write_project(tmp_path / "project", desk, reply_port)
        result = mysteryshop(project, "run", "--target", "roundup", "--personas", "2", "--run-id", "roundup")
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"127.0.0.1:{reply_port}" in result.stdout, result.stdout  # "replies are expected at ..."
        card = json.loads((project / "reports/roundup/scorecard.json").read_text())
        truth = desk.truth()
    assert len(truth["issues"]) == card["summary"]["probes"] == 4
    assert {i["via"] for i in truth["issues"]} == {"email", "web"}
    assert card["unmatched_messages"] == []
    check(compare(card, truth), issues=4)


def test_a_campaign_against_roundup_matches_what_the_desk_did(tmp_path: Path) -> None:
    reply_port = free_port()
    with running_desk(tmp_path / "desk", ("127.0.0.1", reply_port), answer_delay_s=1.0, unanswered=UNANSWERED) as desk:
        project = write_project(tmp_path / "project", desk, reply_port)
        listener = subprocess.Popen([sys.executable, "-m", "mysteryshop.cli", "listen", "--port", str(reply_port), "--domain", PROBE_DOMAIN,
                                     "--tick-every", "0", "--root", str(project)], cwd=project, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            _wait_for_port(reply_port, listener)
            started = mysteryshop(project, "run", "--campaign", "rd", "--target", "roundup", "--journey", "roundup_email",
                                  "--journey", "roundup_webform", "--personas", "2")
            assert started.returncode == 0, started.stdout + started.stderr
            first = mysteryshop(project, "tick", "rd")  # a tick while replies are still coming in
            assert first.returncode == 0, first.stdout + first.stderr
            until = time.monotonic() + DEADLINE_S + 60
            while time.monotonic() < until:  # every issue filed, and the last deadline past
                truth = desk.truth()
                newest = max((i["created_epoch"] for i in truth["issues"]), default=time.time())
                if len(truth["issues"]) == 4 and time.time() > newest + DEADLINE_S + 2:
                    break
                time.sleep(1)
            last = mysteryshop(project, "tick", "rd")
            assert last.returncode == 0, last.stdout + last.stderr
            scored = mysteryshop(project, "score", "rd")
            assert scored.returncode == 0, scored.stdout + scored.stderr
            assert "0 probe(s) still waiting" in scored.stdout, scored.stdout
        finally:
            listener.terminate()
            listener.wait(20)
        card = json.loads((project / "reports/campaign-rd/scorecard.json").read_text())
        truth = desk.truth()
    assert len(truth["issues"]) == card["summary"]["probes"] == 4
    assert {i["via"] for i in truth["issues"]} == {"email", "web"}
    check(compare(card, truth), issues=4)


def test_an_acknowledgement_sent_before_the_desk_s_250_still_counts(tmp_path: Path) -> None:
    reply_port = free_port()
    with running_desk(tmp_path / "desk", ("127.0.0.1", reply_port), answer_delay_s=1.0, accept="gateway") as desk:
        project = write_project(tmp_path / "project", desk, reply_port)
        (project / "probes/test_roundup.py").write_text(PROBES.split("\n\n\n@pytest.mark.journey(\"roundup_webform\")")[0] + "\n")
        result = mysteryshop(project, "run", "--target", "roundup", "--personas", "1", "--run-id", "gateway")
        assert result.returncode == 0, result.stdout + result.stderr
        card = json.loads((project / "reports/gateway/scorecard.json").read_text())
        truth = desk.truth()
    issue = truth["issues"][0]
    ack = issue["messages"][0]["deliveries"][0]["delivered_epoch"]
    assert ack < truth["intake"][0]["accepted_epoch"]  # the acknowledgement left before the intake's 250
    assert compare(card, truth).problems == []


def _wait_for_port(port: int, process: subprocess.Popen[str], timeout: float = 30) -> None:
    import socket

    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if process.poll() is not None:
            raise AssertionError(f"mysteryshop listen exited {process.returncode}: {process.stdout.read() if process.stdout else ''}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"mysteryshop listen did not open 127.0.0.1:{port} within {timeout} s")
