"""The regression gate from the outside: the real CLI, the real demo desk, a real store, in a scratch project.

The scratch project's journey is email_question without the three-day follow-up, so a run
against the demo desk (14,400x clock) takes about two seconds, and with an hour (250 ms of wall
time) to acknowledge, so a busy machine's scheduling cannot fail the excellent desk by a few ms.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mysteryshop import gate
from mysteryshop.config import load_settings, parse_tolerance
from mysteryshop.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent

JOURNEY = """
id: email_question
title: Ask a product question by email (short)
believed: {acknowledgement: 5m, answer: 4h}
steps:
  - id: ask
    do: send_email
    subject: "Returning an opened item from order {persona.order_id}"
    body: |
      Hello, I bought a rain jacket with order {persona.order_id} and opened it, but it does not fit.
      Can I still return it, and how long do I have? Do I have to pay for the return shipping?
      {persona.full_name}
  - id: acknowledged
    expect: acknowledgement
    within: 1h
  - id: answered
    expect: answer
    within: 6h
    facts:
      - ["30 days", "thirty days"]
      - ["free return shipping", "return shipping is free", "free returns", "prepaid return label"]
  - id: no_marketing
    expect: no_marketing
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch project: pyproject.toml with [tool.mysteryshop], a short journey, the demo target, the repo's probes."""
    (tmp_path / "journeys" / "targets").mkdir(parents=True)
    (tmp_path / "journeys" / "email_question.yaml").write_text(JOURNEY, encoding="utf-8")
    (tmp_path / "journeys" / "targets" / "demo.yaml").write_text((ROOT / "journeys" / "targets" / "demo.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "journeys" / "targets" / "deadend.yaml").write_text(
        "name: deadend\ntitle: Nobody listens here\nspeedup: 14400\nprobe_domain: probe.mysteryshop.test\n"
        f"collect: {{port: {free_port()}}}\n"
        f"email:\n  support_address: support@deadend.test\n  smtp_host: 127.0.0.1\n  smtp_port: {free_port()}\n  timeout: 2\n",
        encoding="utf-8",
    )
    (tmp_path / "probes").mkdir()
    (tmp_path / "probes" / "test_email_question.py").write_text((ROOT / "probes" / "test_email_question.py").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mysteryshop]\npersonas = 4\nseed = 3\nbaseline = "baseline.json"\n\n'
        '[tool.mysteryshop.tolerances]\n"email.answered.rate" = 0.10\n"email.acknowledged.median_s" = 900\n',
        encoding="utf-8",
    )
    return tmp_path


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYSTERYSHOP_") and k != "GITHUB_STEP_SUMMARY"}
    return subprocess.run([sys.executable, "-m", "mysteryshop.cli", *args], cwd=project, env=env, capture_output=True, text=True, timeout=120)


def test_gate_passes_when_nothing_changed_and_fails_when_the_desk_turns_poor(project: Path) -> None:
    # Given an excellent run accepted as the baseline
    first = cli(project, "run", "--profile", "excellent", "--run-id", "base")
    assert first.returncode == 0, first.stdout + first.stderr
    accept = cli(project, "baseline", "accept", "base")
    assert accept.returncode == 0, accept.stderr
    assert json.loads((project / "baseline.json").read_text())["run_id"] == "base"

    # When the same desk runs again, the gate passes
    same = cli(project, "run", "--profile", "excellent", "--run-id", "same", "--fail-on-regression")
    assert same.returncode == gate.EXIT_PASS, same.stdout + same.stderr
    assert "Regression gate against baseline base" in same.stdout and "PASS" in same.stdout

    # When the desk is switched to poor, the gate fails with exit code 1 and says which metrics regressed
    poor = cli(project, "run", "--profile", "poor", "--run-id", "worse", "--fail-on-regression")
    assert poor.returncode == gate.EXIT_REGRESSION, poor.stdout + poor.stderr
    assert "REGRESSED" in poor.stdout
    verdict = json.loads((project / "reports" / "worse" / "gate.json").read_text())
    assert verdict["verdict"] == "regression"
    assert any(c["key"] == "email.answered.rate" and c["regressed"] for c in verdict["changes"])
    assert "Regression gate: regression" in (project / "reports" / "worse" / "summary.md").read_text()

    # And compare shows the same between the stored runs, failing only when asked to
    compared = cli(project, "compare", "baseline", "latest")
    assert compared.returncode == 0 and "base → worse: REGRESSION" in compared.stdout
    assert cli(project, "compare", "base", "same", "--fail-on-regression").returncode == 0
    assert cli(project, "compare", "base", "worse", "--fail-on-regression").returncode == 1


def test_an_unreachable_target_exits_3(project: Path) -> None:
    result = cli(project, "run", "--target", "deadend", "--personas", "1")
    assert result.returncode == gate.EXIT_UNREACHABLE, result.stdout + result.stderr
    assert "could not reach their target" in result.stderr and "target unreachable" in result.stderr


def test_usage_and_configuration_errors_exit_2(project: Path) -> None:
    # No baseline yet, but the gate is asked for: said before anything runs
    result = cli(project, "run", "--fail-on-regression")
    assert result.returncode == 2 and "no baseline at" in result.stderr and "baseline accept" in result.stderr
    assert cli(project, "compare", "nope", "latest").returncode == 2  # no store yet
    assert cli(project, "run", "--personas", "lots").returncode == 2  # argparse
    # A rubric that does not validate: one line naming file:line, before anything is sent
    (project / "rubric.yaml").write_text("title: mine\nmin_sample: {value: 5, source: me}\n", encoding="utf-8")
    rubric = cli(project, "run", "--rubric", "rubric.yaml")
    assert rubric.returncode == 2 and f"{project / 'rubric.yaml'}:1:1: acknowledgement_within: required field is missing" in rubric.stderr
    assert not (project / "reports").exists()
    # A tolerance named as before metrics had channels: said, with the name it has now
    (project / "pyproject.toml").write_text('[tool.mysteryshop]\n\n[tool.mysteryshop.tolerances]\n"answered.rate" = 0.1\n', encoding="utf-8")
    old = cli(project, "run")
    assert old.returncode == 2 and "unknown metric 'answered.rate'. Did you mean 'email.answered.rate'?" in old.stderr
    (project / "pyproject.toml").write_text("[tool.mysteryshop]\npersona = 3\n", encoding="utf-8")
    typo = cli(project, "run")
    assert typo.returncode == 2 and "unknown setting 'persona'. Did you mean 'personas'?" in typo.stderr


def test_settings_layer_pyproject_then_environment_then_flags(project: Path) -> None:
    settings = load_settings(project, environ={"MYSTERYSHOP_SEED": "9", "MYSTERYSHOP_TARGETS": "demo,acme"}, flags={"seed": 11, "personas": None})
    assert settings.personas == 4  # pyproject
    assert settings.targets == ["demo", "acme"]  # environment
    assert settings.seed == 11  # flag beats environment
    assert settings.baseline_file == project / "baseline.json"
    assert settings.tolerance("email.answered.rate") == 0.10 and settings.tolerance("email.followed_up.rate") == 0.10
    assert settings.tolerance("email.acknowledged.median_s") == 900 and settings.tolerance("email.answered.median_s") == "25%"
    with pytest.raises(ConfigError, match="must be true or false"):
        load_settings(project, environ={"MYSTERYSHOP_FAIL_ON_REGRESSION": "maybe"})


def test_tolerances_absolute_relative_and_direction() -> None:
    assert parse_tolerance(0.05) == ("abs", 0.05) and parse_tolerance("25%") == ("rel", 0.25)
    with pytest.raises(ConfigError):
        parse_tolerance("a lot")
    # a rate that should be high drops by more than its tolerance: regression
    assert gate.judge("email.answered.rate", 0.9, 0.75, 0.10).regressed
    assert not gate.judge("email.answered.rate", 0.9, 0.85, 0.10).regressed
    # marketing should be low: rising is the regression
    assert gate.judge("email.marketing_while_open.rate", 0.0, 0.2, 0.10).regressed
    assert gate.judge("email.marketing_while_open.rate", 0.3, 0.0, 0.10).improved
    # times: relative, with a floor of ten minutes; a time that vanished is a regression
    assert gate.judge("email.answered.median_s", 4 * 3600, 6 * 3600, "25%").regressed
    assert not gate.judge("email.acknowledged.median_s", 60, 120, "25%").regressed  # +1 minute: within the floor
    assert gate.judge("email.answered.median_s", 3600, None, "25%").regressed


def test_metrics_neither_run_measured_are_left_out_of_the_gate() -> None:
    baseline = {"score": 80.0, "email.answered.rate": 0.9, "chat.first_response.rate": None}
    current = {"score": 78.0, "email.answered.rate": 0.7, "chat.first_response.rate": None}
    changes = gate.gate(baseline, current, lambda key: 5.0 if key == "score" else 0.10)
    assert [c.key for c in changes] == ["score", "email.answered.rate"]
    assert gate.verdict(changes) == "regression" and not changes[0].regressed
