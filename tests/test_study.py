"""Benchmark studies: the file (YAML, CSV) and its errors, the sample it plans, a run and a campaign driven by one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mysteryshop.cli import main as cli
from mysteryshop.errors import JourneyError
from mysteryshop.journey import load_journey
from mysteryshop.plan import plan_probes
from mysteryshop.session import RunConfig
from mysteryshop.store import Store
from mysteryshop.study import first_sends, load_study

from .conftest import store_at
from .test_gate import JOURNEY

ROOT = Path(__file__).resolve().parent.parent
DEMO = (ROOT / "journeys" / "targets" / "demo.yaml").read_text(encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch project: a short email journey, two embedded demo desks (demo, typical; rival, poor), the repo's probe."""
    targets = tmp_path / "journeys" / "targets"
    targets.mkdir(parents=True)
    (tmp_path / "journeys" / "email_question.yaml").write_text(JOURNEY, encoding="utf-8")
    (targets / "demo.yaml").write_text(DEMO, encoding="utf-8")
    (targets / "rival.yaml").write_text(DEMO.replace("name: demo", "name: rival").replace("title: Northwind Outfitters", "title: Rival Gear")
                                        .replace("profile: typical", "profile: poor"), encoding="utf-8")
    (tmp_path / "probes").mkdir()
    (tmp_path / "probes" / "test_email_question.py").write_text((ROOT / "probes" / "test_email_question.py").read_text(encoding="utf-8"),
                                                                  encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.mysteryshop]\npersonas = 1\nseed = 3\n", encoding="utf-8")
    return tmp_path


def problems_of(path: Path, targets: Path) -> list[str]:
    with pytest.raises(JourneyError) as caught:
        load_study(path, targets)
    return str(caught.value).splitlines()


def test_a_yaml_study_names_each_bad_company_at_its_line(project: Path) -> None:
    study = project / "study.yaml"
    study.write_text(
        "personas: 2\n"            # 1
        "companies:\n"             # 2
        "  - demo\n"               # 3
        "  - target: rival\n"      # 4
        "    personas: 0\n"        # 5
        "  - target: demo\n"       # 6  listed twice
        "  - target: acme\n"       # 7  unknown
        "  - personas: 3\n"        # 8  no company
        "  - target: rival\n"      # 9  twice
        "    colour: red\n",       # 10 unknown field
        encoding="utf-8")
    lines = problems_of(study, project / "journeys" / "targets")
    assert lines == [
        f"{study}:5: companies[1].personas must be a whole number from 1 to 10000, not 0",
        f"{study}:6: company 'demo' is listed twice (first on line 3); list each company once",
        f"{study}:7: unknown target 'acme': no {project}/journeys/targets/acme.yaml. Known targets: demo, rival",
        f"{study}:8: companies[4]: no company: add 'target: NAME' (a file in journeys/targets/)",
        f"{study}:9: company 'rival' is listed twice (first on line 4); list each company once",
        f"{study}:10: companies[5]: unknown field 'colour'. Valid fields: target, personas, days",
    ]


def test_a_csv_study_names_each_bad_company_at_its_line(project: Path) -> None:
    study = project / "study.csv"
    study.write_text("target,personas,days\ndemo,2,3\n\n# a comment\nrivall,1\ndemo,4\n,2\nrival,many\n", encoding="utf-8")
    lines = problems_of(study, project / "journeys" / "targets")
    assert lines == [
        f"{study}:5: unknown target 'rivall': no {project}/journeys/targets/rivall.yaml. Did you mean 'rival'? Known targets: demo, rival",
        f"{study}:6: company 'demo' is listed twice (first on line 2); list each company once",
        f"{study}:7: no company: the 'target' cell is empty",
        f"{study}:8: personas must be a whole number from 1 to 10000, not 'many'",
    ]
    study.write_text("company,personas\ndemo,2\n", encoding="utf-8")
    assert problems_of(study, project / "journeys" / "targets")[-1].startswith(f"{study}:1: the first line must name the columns")


def test_a_study_sets_the_personas_of_each_company_and_spreads_first_sends_over_its_days(project: Path) -> None:
    study_file = project / "study.yaml"
    study_file.write_text("personas: 2\ndays: 2\nstart: 2027-01-04\ncompanies:\n  - demo\n  - target: rival\n    personas: 4\n    days: 1\n",
                          encoding="utf-8")
    study = load_study(study_file, project / "journeys" / "targets")
    assert study.personas(default=9) == {"demo": 2, "rival": 4}
    journey = load_journey(project / "journeys" / "email_question.yaml")
    from mysteryshop.target import load_target

    targets = [load_target(project / "journeys" / "targets" / f"{n}.yaml") for n in study.targets]
    specs = plan_probes(RunConfig(personas=9, run_id="x"), journey, targets, study.personas(9))
    by_target = {t: [s.probe_id for s in specs if s.target.name == t] for t in study.targets}
    assert {t: len(ids) for t, ids in by_target.items()} == {"demo": 2, "rival": 4}
    # the persona a company gets is the one it gets in a run of its own
    alone = plan_probes(RunConfig(personas=4, run_id="x"), journey, targets[1:])
    assert [s.persona.full_name for s in specs if s.target.name == "rival"] == [s.persona.full_name for s in alone]
    plan = first_sends(study, by_target, started_ns=0)
    start = datetime(2027, 1, 4, tzinfo=UTC)
    hours = {pid: (datetime.fromtimestamp(ns / 1e9, UTC) - start) / timedelta(hours=1) for pid, ns in plan.items()}
    assert [hours[p] for p in by_target["demo"]] == [0, 24]
    assert [hours[p] for p in by_target["rival"]] == [0, 6, 12, 18]


def test_a_campaign_from_a_study_defers_each_first_message_to_its_day(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Given two companies whose mail servers nobody listens on, and a study that starts them tomorrow, over two days
    (project / "allowlist.yaml").write_text("targets: [north, south]\n", encoding="utf-8")
    remote = ("name: {n}\ntitle: {n}\nspeedup: 1\nprobe_domain: probe.mysteryshop.test\n"
              "email:\n  support_address: support@{n}.example\n  smtp_host: 127.0.0.1\n  smtp_port: 9\n")
    for name in ("north", "south"):
        (project / "journeys" / "targets" / f"{name}.yaml").write_text(remote.format(n=name), encoding="utf-8")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    (project / "study.yaml").write_text(f"start: {tomorrow}\ndays: 2\ncompanies:\n  - target: north\n    personas: 2\n  - south\n",
                                        encoding="utf-8")
    # When the campaign starts
    assert cli(["run", "--campaign", "bench", "--study", "study.yaml", "--personas", "3", "--root", str(project)]) == 0
    # Then nothing was sent; every walk waits for its day, the study's spread
    assert "0 email(s) sent" in capsys.readouterr().out
    store = Store(store_at(project))
    try:
        rows = store.query("SELECT p.target, w.not_before_ns FROM walks w JOIN probes p ON p.run_id = w.run_id AND p.id = w.probe_id "
                           "WHERE w.run_id = 'campaign-bench' ORDER BY p.target, w.not_before_ns")
        assert not store.query("SELECT 1 FROM messages WHERE run_id = 'campaign-bench'")
    finally:
        store.close()
    start = datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=UTC).timestamp()
    days = [(r["target"], round((r["not_before_ns"] / 1e9 - start) / 3600)) for r in rows]
    assert days == [("north", 0), ("north", 24), ("south", 0), ("south", 16), ("south", 32)]


def test_run_refuses_a_bad_study_before_anything_runs(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "study.yaml").write_text("companies:\n  - demo\n  - nowhere\n", encoding="utf-8")
    assert cli(["run", "--study", "study.yaml", "--root", str(project)]) == 2
    err = capsys.readouterr().err
    assert f"{project}/study.yaml:3: unknown target 'nowhere'" in err
    assert not (project / "reports").exists()
    assert cli(["run", "--study", "study.yaml", "--target", "demo", "--root", str(project)]) == 2
    assert "leave out --target" in capsys.readouterr().err


@pytest.mark.timeout(180)
def test_run_with_a_study_grades_each_company_with_its_sample(project: Path) -> None:
    # Given a study of the two demo desks: 2 personas for demo, 3 for rival
    (project / "study.yaml").write_text("companies:\n  - target: demo\n    personas: 2\n  - target: rival\n    personas: 3\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYSTERYSHOP_") and k != "GITHUB_STEP_SUMMARY"}
    # When it runs
    done = subprocess.run([sys.executable, "-m", "mysteryshop.cli", "run", "--study", "study.yaml", "--run-id", "s1"], cwd=project, env=env, check=False,
                          capture_output=True, text=True, timeout=150)
    assert "study study.yaml: demo (2 persona(s) per journey), rival (3 persona(s) per journey)" in done.stdout, done.stdout + done.stderr
    # Then each company has its grade, on its own sample, in a league with a page each
    card = json.loads((project / "reports" / "s1" / "scorecard.json").read_text(encoding="utf-8"))
    assert {row["target"]: row["probes"] for row in card["league"]} == {"demo": 2, "rival": 3}
    assert {p["target"] for p in card["probes"]} == {"demo", "rival"} and len(card["probes"]) == 5
    for name in ("demo", "rival"):
        assert (project / "reports" / "s1" / "companies" / f"{name}.html").is_file()
    assert "league of 2 companies" in done.stdout
    assert card["run"]["config"]["study"] == str(project / "study.yaml")  # kept with the run (for --resume)
