"""The gate over several companies: each company against the same company in the baseline, never a blend.

The real CLI, two embedded demo desks (the demo target and the rival, journeys/targets/rival.yaml), a real store,
in a scratch project with a short email journey. The baseline run has a poor demo desk and an excellent rival; the
next run swaps them. Blended, the two runs look alike; company by company the rival regressed and the demo
improved, and the gate says so, naming the company in each finding.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mysteryshop import gate

ROOT = Path(__file__).resolve().parent.parent

JOURNEY = """
id: email_question
title: Ask a product question by email (short)
steps:
  - id: ask
    do: send_email
    subject: "Returning an opened item from order {persona.order_id}"
    body: |
      Hello, I bought a rain jacket with order {persona.order_id} and opened it, but it does not fit.
      Can I still return it, and how long do I have? Do I have to pay for the return shipping?
      {persona.full_name}
  - id: answered
    expect: answer
    within: 3d
    facts:
      - ["30 days", "thirty days"]
      - ["free return shipping", "return shipping is free", "free returns", "prepaid return label"]
  - id: no_marketing
    expect: no_marketing
"""


def target(name: str, profile: str) -> str:
    text = (ROOT / "journeys" / "targets" / f"{name}.yaml").read_text(encoding="utf-8")
    lines = [f"profile: {profile}" if line.startswith("profile:") else line for line in text.splitlines()]
    assert any(line == f"profile: {profile}" for line in lines)
    return "\n".join(lines) + "\n"


def profiles(project: Path, demo: str, rival: str) -> None:
    (project / "journeys" / "targets" / "demo.yaml").write_text(target("demo", demo), encoding="utf-8")
    (project / "journeys" / "targets" / "rival.yaml").write_text(target("rival", rival), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "journeys" / "targets").mkdir(parents=True)
    (tmp_path / "journeys" / "email_question.yaml").write_text(JOURNEY, encoding="utf-8")
    (tmp_path / "probes").mkdir()
    (tmp_path / "probes" / "test_email_question.py").write_text((ROOT / "probes" / "test_email_question.py").read_text(encoding="utf-8"),
                                                                 encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.mysteryshop]\npersonas = 8\nseed = 5\nbaseline = "baseline.json"\n', encoding="utf-8")
    return tmp_path


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYSTERYSHOP_") and k != "GITHUB_STEP_SUMMARY"}
    return subprocess.run([sys.executable, "-m", "mysteryshop.cli", *args], cwd=project, env=env, capture_output=True, text=True,
                          timeout=240, check=False)


@pytest.mark.timeout(600)
def test_each_company_is_gated_against_itself_and_named(project: Path) -> None:
    # Given a baseline over two companies: the demo desk poor, the rival excellent
    profiles(project, demo="poor", rival="excellent")
    base = cli(project, "run", "--target", "demo", "--target", "rival", "--run-id", "base")
    assert base.returncode == 0, base.stdout[-3000:] + base.stderr[-3000:]
    assert cli(project, "baseline", "accept", "base").returncode == 0
    kept = json.loads((project / "baseline.json").read_text(encoding="utf-8"))
    assert set(kept["companies"]) == {"demo", "rival"}
    assert kept["companies"]["rival"]["samples"]["email.answered.rate"]["n"] == 8

    # When the next run swaps them: the demo desk excellent, the rival poor
    profiles(project, demo="excellent", rival="poor")
    swapped = cli(project, "run", "--target", "demo", "--target", "rival", "--run-id", "swapped")
    assert swapped.returncode == 0, swapped.stdout[-3000:] + swapped.stderr[-3000:]
    result = cli(project, "gate", "swapped", "--json")
    assert result.returncode == gate.EXIT_REGRESSION, result.stdout + result.stderr
    verdict = json.loads(result.stdout)

    # Then the rival regressed and the demo desk did not: each judged against itself, every finding named
    assert verdict["companies"] == {"demo": "pass", "rival": "regression"}
    assert verdict["changes"] and all(c["company"] in ("demo", "rival") for c in verdict["changes"])
    regressed = {(c["company"], c["key"]) for c in verdict["changes"] if c["regressed"]}
    assert ("rival", "email.answered.rate") in regressed and not any(company == "demo" for company, _ in regressed)
    improved = {(c["company"], c["key"]) for c in verdict["changes"] if c["improved"]}
    assert ("demo", "email.answered.rate") in improved
    answered = next(c for c in verdict["changes"] if c["company"] == "rival" and c["key"] == "email.answered.rate")
    assert answered["n_before"] == answered["n_after"] == 8  # the rival's own probes, not both companies'

    # the terminal says whose metric regressed, and requirements are held by each company
    text = cli(project, "gate", "swapped", "--require", "email.answered.rate>=90%")
    assert text.returncode == gate.EXIT_REGRESSION
    assert "REGRESSED (rival)" in text.stdout and "REGRESSED (demo)" not in text.stdout, text.stdout
    assert "  rival:" in text.stdout and "  demo:" in text.stdout
    assert "NOT MET (rival)" in text.stdout and "NOT MET (demo)" not in text.stdout, text.stdout

    # A company the baseline never probed is said, not judged
    profiles(project, demo="excellent", rival="excellent")
    (project / "journeys" / "targets" / "third.yaml").write_text(target("rival", "excellent").replace("name: rival", "name: third"),
                                                                 encoding="utf-8")
    third = cli(project, "run", "--target", "demo", "--target", "third", "--run-id", "third", "--personas", "2")
    assert third.returncode == 0, third.stdout[-3000:] + third.stderr[-3000:]
    gated = json.loads(cli(project, "gate", "third", "--json").stdout)
    assert gated["companies"]["third"] == "no baseline" and not any(c["company"] == "third" for c in gated["changes"])
    assert any(note.startswith("third: not in the baseline") for note in gated["notes"])
    assert any(note.startswith("rival: in the baseline") for note in gated["notes"])
