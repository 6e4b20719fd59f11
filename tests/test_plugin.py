"""The pytest plugin from the outside: a probe suite run in a subprocess against the demo desk."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from mysteryshop.config import pytest_store
from mysteryshop.errors import ConfigError
from mysteryshop.scoring.timeline import SIMULATED_GRACE_WALL_S
from mysteryshop.store import Store

from .conftest import ROOT

pytest_plugins = ["pytester"]

FAST_JOURNEY = """
id: quick_question
title: A quick question
tags: [email]
steps:
  - id: ask
    do: send_email
    subject: "Returning order {persona.order_id}"
    body: "Can I return my jacket? {persona.full_name}"
  - id: acknowledged
    expect: acknowledgement
    within: 1h
  - id: answered
    expect: answer
    within: 8h
    facts: [["30 days"]]
  - id: no_marketing
    expect: no_marketing
"""

PROBE_MODULE = """
import pytest

@pytest.mark.journey("quick_question")
def test_quick_question(probe):
    probe.check()
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    journeys = pytester.path / "journeys"
    (journeys / "targets").mkdir(parents=True)
    (journeys / "quick_question.yaml").write_text(FAST_JOURNEY)
    shutil.copy(ROOT / "journeys/targets/demo.yaml", journeys / "targets/demo.yaml")
    pytester.makepyfile(test_probe=PROBE_MODULE)
    return pytester


def _scorecard(pytester: pytest.Pytester, run_id: str) -> dict:
    return json.loads((pytester.path / "reports" / run_id / "scorecard.json").read_text())


def test_an_excellent_desk_passes_and_writes_a_scorecard(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess("test_probe.py", "--demo-profile", "excellent", "--personas", "3", "--run-id", "good", "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*test_quick_question?demo-p0-*PASSED*", "*mysteryshop scorecard*", "*3 probes: 3 passed*"])
    card = _scorecard(suite, "good")
    assert card["schema"] == "mysteryshop.scorecard/3"
    assert card["summary"]["metrics"]["email"]["acknowledged"]["rate"] == 1.0
    assert (suite.path / "reports/good/scorecard.html").read_text().count("<tr>") >= 4


def test_a_poor_desk_fails_each_item_with_one_line_per_missed_expectation(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess("test_probe.py", "--demo-profile", "poor", "--personas", "4", "--run-id", "bad", "--seed", "2")
    card = _scorecard(suite, "bad")
    failed = [p for p in card["probes"] if p["status"] == "failed"]
    result.assert_outcomes(passed=4 - len(failed), failed=len(failed))
    assert failed, "the poor profile should miss expectations"
    result.stdout.re_match_lines([r"quick_question/answered \(answer\): .*(8h|answer).* — target 'demo' <support@northwind.demo>"])


def test_probes_run_concurrently_not_one_after_another(suite: pytest.Pytester) -> None:
    # 12 probes, each waiting 20 minutes to 1.5 company hours (0.08 to 0.38 s) for its answer, then the simulated
    # desk's grace for mail still on its way (runner._simulated_end: SIMULATED_GRACE_WALL_S).
    result = suite.runpytest_subprocess("test_probe.py", "--demo-profile", "excellent", "--personas", "12", "--run-id", "many")
    result.assert_outcomes(passed=12)
    card = _scorecard(suite, "many")
    waited_s = sum(p["metrics"]["answered_ns"] for p in card["probes"]) / 14400 / 1e9
    one_after_another_s = waited_s + len(card["probes"]) * SIMULATED_GRACE_WALL_S
    # Then the whole run took less than half of what the probes waited in all: they waited at the same time.
    started = datetime.fromisoformat(card["run"]["started_utc"])
    finished = datetime.fromisoformat(card["run"]["finished_utc"])
    elapsed_s = (finished - started).total_seconds()
    assert waited_s > 1.0
    assert elapsed_s < one_after_another_s / 2, f"run took {elapsed_s:.2f} s, the probes waited {one_after_another_s:.2f} s in all"


def test_a_test_without_a_journey_marker_is_a_clear_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(probe):\n    probe.check()\n")
    result = pytester.runpytest_subprocess()
    result.stdout.fnmatch_lines(["*uses the 'probe' fixture but has no journey: add @pytest.mark.journey*"])
    assert result.ret != 0


def test_a_bad_journey_file_fails_collection_with_its_location(suite: pytest.Pytester) -> None:
    (suite.path / "journeys/quick_question.yaml").write_text(FAST_JOURNEY.replace("within: 8h", "within: eight hours"))
    result = suite.runpytest_subprocess("test_probe.py")
    result.stdout.re_match_lines([r".*quick_question.yaml:15:5: steps\[2\]\.within: 'eight hours' is not a duration.*"])
    assert result.ret != 0


def test_journey_files_are_collected_directly_with_tag_markers(suite: pytest.Pytester) -> None:
    (suite.path / "journeys/untagged.yaml").write_text(FAST_JOURNEY.replace("tags: [email]", "tags: []").replace("id: quick_question", "id: untagged"))
    result = suite.runpytest_subprocess("journeys", "--personas", "2", "-m", "email", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["journeys/quick_question.yaml::demo-p0-*", "journeys/quick_question.yaml::demo-p1-*", "*2/4 tests collected (2 deselected)*"])


def test_a_journey_file_runs_as_items_selected_with_k(suite: pytest.Pytester) -> None:
    result = suite.runpytest_subprocess("journeys", "--personas", "3", "-k", "p1", "--demo-profile", "excellent", "--run-id", "yaml", "-v")
    result.assert_outcomes(passed=1, deselected=2)
    card = _scorecard(suite, "yaml")
    assert [p["journey"] for p in card["probes"]] == ["quick_question"]


# -- which store a pytest run writes: the CLI's order, --store > MYSTERYSHOP_STORE > [tool.mysteryshop] store -----

def test_a_pytest_run_stores_where_the_config_file_says(suite: pytest.Pytester, store_location: Path | str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MYSTERYSHOP_STORE", raising=False)  # the PostgreSQL pass names the test's database there; the config names it here
    configured = store_location if isinstance(store_location, str) else "team/shared.sqlite"
    (suite.path / "pyproject.toml").write_text(f'[tool.mysteryshop]\nstore = "{configured}"\n')
    result = suite.runpytest_subprocess("test_probe.py", "--demo-profile", "excellent", "--personas", "1", "--run-id", "cfg")
    result.assert_outcomes(passed=1)
    assert not (suite.path / "reports/mysteryshop.sqlite").exists()
    store = Store(store_location if isinstance(store_location, str) else suite.path / configured)
    try:
        assert store.rows("SELECT id FROM runs") == [("cfg",)]
        assert len(store.probes("cfg")) == 1
    finally:
        store.close()


def test_the_store_option_beats_the_environment_which_beats_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.mysteryshop]\nstore = "from-config.sqlite"\n')
    url = "postgresql://shop@127.0.0.1:5432/env"
    assert pytest_store(tmp_path, "flag.sqlite", {"MYSTERYSHOP_STORE": url}) == "flag.sqlite"
    assert pytest_store(tmp_path, None, {"MYSTERYSHOP_STORE": url}) == url
    assert pytest_store(tmp_path, None, {}) == str(tmp_path / "from-config.sqlite")  # relative to the project, as the CLI reads it
    (tmp_path / "pyproject.toml").write_text('[tool.mysteryshop]\nstore = "postgresql://shop@db.internal/m"\n')
    assert pytest_store(tmp_path, None, {}) == "postgresql://shop@db.internal/m"
    (tmp_path / "pyproject.toml").write_text('[tool.mysteryshop]\npersonas = 2\n')
    assert pytest_store(tmp_path, None, {}) is None  # the run's default: <reports>/mysteryshop.sqlite
    (tmp_path / "pyproject.toml").write_text('[tool.mysteryshop]\nstore = 5\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml \[tool.mysteryshop\]: 'store' must be text"):
        pytest_store(tmp_path, None, {})
