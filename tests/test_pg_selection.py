"""Which tests the PostgreSQL pass runs: those that can reach a store (a store or temporary-folder fixture in their
fixture closure, or the `store` marker); pure-logic tests are skipped there with the reason, sqlite_only ones with theirs.
Checked on real tests of this suite, collected by a real pytest with MYSTERYSHOP_TEST_STORE=postgresql (--setup-plan:
nothing is run, so no server is started)."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from .conftest import NO_STORE, ROOT

PURE = ["tests/test_doctor.py::test_doctor_help_documents_the_checks_and_exit_codes",  # capsys and the CLI's help, no store
        "tests/test_units.py::test_durations_parse"]  # parametrized, no fixtures
STORE_USING = ["tests/test_store.py::test_runs_accumulate_in_one_file",  # store_location
               "tests/test_doctor.py::test_a_running_listener_is_found_by_its_heartbeat_and_greeted",  # a project in tmp_path
               "tests/test_dashboard.py::test_the_qa_page_filters_on_the_server_and_in_the_page"]  # a module's store (tmp_path_factory)


def _outcomes(tmp_path: Path, engine: str) -> dict[str, str | None]:
    """{test id (no parameters): skip reason or None} of the selected tests, as pytest on `engine` decides them."""
    report = tmp_path / "report.xml"
    done = subprocess.run([sys.executable, "-m", "pytest", "--setup-plan", "-q", "-p", "no:cacheprovider", f"--junitxml={report}",
                           *PURE, *STORE_USING], cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
                          env={**os.environ, "MYSTERYSHOP_TEST_STORE": engine, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    outcomes: dict[str, str | None] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        test_id = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name', '').split('[')[0]}"
        skipped = case.find("skipped")
        outcomes[test_id] = skipped.get("message") if skipped is not None else None
    return outcomes


def test_the_postgresql_pass_runs_the_tests_that_reach_a_store_and_says_why_it_skips_the_rest(tmp_path: Path) -> None:
    on_postgresql = _outcomes(tmp_path, "postgresql")
    assert set(on_postgresql) == {*PURE, *STORE_USING}, on_postgresql
    for test_id in STORE_USING:
        assert on_postgresql[test_id] is None, f"{test_id} reaches a store but the PostgreSQL pass skips it: {on_postgresql[test_id]}"
    for test_id in PURE:
        assert on_postgresql[test_id] == NO_STORE, f"{test_id} reaches no store but the PostgreSQL pass runs it"
