"""The scorecard's machine outputs from a real store: JSON against its schema, JUnit against the XSD, Markdown."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import xmlschema

from mysteryshop.journey import load_journey
from mysteryshop.scorecard.build import build_scorecard
from mysteryshop.scorecard.synthetic import EXCELLENT, POOR, write_synthetic_run
from mysteryshop.scorecard.write import write_scorecard
from mysteryshop.store import Store
from mysteryshop.target import load_target

ROOT = Path(__file__).resolve().parent.parent
XSD = Path(__file__).parent / "data" / "junit-10.xsd"

from .conftest import fresh_store


def journeys_and_targets() -> tuple[dict, dict]:
    return ({"email_question": load_journey(ROOT / "journeys" / "email_question.yaml")},
            {"demo": load_target(ROOT / "journeys" / "targets" / "demo.yaml")})


@pytest.fixture
def written(tmp_path: Path) -> tuple[dict, dict[str, Path]]:
    # Given a stored run of 12 probes against a middling company
    db = fresh_store(tmp_path)
    write_synthetic_run(db, "run-a", probes=12, seed=4)
    store = Store(db)
    journeys, targets = journeys_and_targets()
    # When the scorecard is built and written
    card = build_scorecard(store, "run-a", journeys, targets)
    paths = write_scorecard(card, tmp_path / "run-a", journeys=journeys)
    store.close()
    return card, paths


def test_json_validates_against_the_documented_schema(written: tuple[dict, dict[str, Path]]) -> None:
    card, paths = written
    schema = json.loads(resources.files("mysteryshop.scorecard").joinpath("schema.json").read_text(encoding="utf-8"))
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    assert data["schema"] == "mysteryshop.scorecard/3"
    assert data["summary"]["probes"] == 12


def test_junit_validates_against_the_jenkins_schema_with_one_testcase_per_expectation(written: tuple[dict, dict[str, Path]]) -> None:
    card, paths = written
    xmlschema.XMLSchema(str(XSD)).validate(str(paths["junit"]))
    doc = xmlschema.XMLSchema(str(XSD)).to_dict(str(paths["junit"]))
    cases = [c for suite in doc["testsuite"] for c in suite["testcase"]]
    expectations = sum(len(p["outcomes"]) for p in card["probes"])
    assert len(cases) == expectations == 12 * 4
    failed = sum(1 for p in card["probes"] for o in p["outcomes"] if o["status"] == "failed")
    assert sum(1 for c in cases if "failure" in c) == failed > 0
    assert int(doc["@failures"]) == failed


def test_markdown_summary_has_the_grade_the_metrics_and_no_raw_html(written: tuple[dict, dict[str, Path]]) -> None:
    card, paths = written
    text = paths["markdown"].read_text(encoding="utf-8")
    assert f"grade **{card['summary']['grade']['grade']}**" in text
    email = card["summary"]["metrics"]["email"]["acknowledged"]
    assert f"| Email · Acknowledged within the deadline | {email['count']} of 12 emails · " in text
    assert "Worst moments" in text
    assert "<script" not in text


def test_worst_moments_quote_evidence_and_prefer_different_steps(written: tuple[dict, dict[str, Path]]) -> None:
    card, _ = written
    moments = card["worst_moments"]
    assert len(moments) == 3
    assert all(m["quote"] and m["utc"] for m in moments)
    assert len({m["step"] for m in moments}) == 3
    assert [m["severity"] for m in moments] == sorted((m["severity"] for m in moments), reverse=True)


def test_perception_gap_compares_believed_levels_with_what_was_measured(written: tuple[dict, dict[str, Path]]) -> None:
    card, _ = written
    gap = {g["expect"]: g for g in card["perception_gap"]}
    assert set(gap) == {"acknowledgement", "answer"}  # journeys/email_question.yaml: believed: {acknowledgement: 5m, answer: 4h}
    ack = gap["acknowledgement"]
    assert ack["believed"] == "5m" and ack["probes"] == 12
    latencies = [o["latency_ns"] for p in card["probes"] for o in p["outcomes"] if o["expect"] == "acknowledgement"]
    assert ack["met"] == sum(1 for lat in latencies if lat is not None and lat <= 5 * 60 * 10**9)
    assert ack["never"] == sum(1 for lat in latencies if lat is None)


def test_grades_and_trend_follow_the_company(tmp_path: Path) -> None:
    # Given an excellent run, then a poor one, in one store
    db = fresh_store(tmp_path)
    journeys, targets = journeys_and_targets()
    write_synthetic_run(db, "good", probes=20, behaviour=EXCELLENT)
    store = Store(db)
    good = build_scorecard(store, "good", journeys, targets, quality=False)
    store.finish_run("good", "passed", good["summary"])
    store.close()
    write_synthetic_run(db, "bad", probes=20, behaviour=POOR)
    store = Store(db)
    bad = build_scorecard(store, "bad", journeys, targets, quality=False)
    store.close()
    # Then the grades say so, per channel too, and the trend of the poor run starts at the excellent one
    assert good["summary"]["grade"]["grade"] == "A" and good["channels"]["email"]["grade"]["grade"] == "A"
    assert bad["summary"]["grade"]["grade"] == "F"
    assert [p["run_id"] for p in bad["trend"]] == ["good", "bad"]
    assert bad["trend"][0]["values"]["email.answered.rate"] == 1.0 > bad["trend"][1]["values"]["email.answered.rate"]


def test_a_programme_rubric_grades_a_stored_run_again(tmp_path: Path) -> None:
    from importlib import resources

    from mysteryshop.scorecard.rubric import load_rubric

    # Given a middling stored run, and a rubric that only asks for answers (every other email rule weighs almost nothing)
    db = fresh_store(tmp_path)
    write_synthetic_run(db, "run-a", probes=12, seed=4)
    shipped = resources.files("mysteryshop.scorecard").joinpath("rubric.yaml").read_text(encoding="utf-8")
    lenient = shipped.replace("      answered.rate:\n        weight: 20\n        full: 0.95\n        zero: 0.50",
                              "      answered.rate:\n        weight: 20\n        full: 0.10\n        zero: 0.0", 1)
    (tmp_path / "lenient.yaml").write_text(lenient, encoding="utf-8")
    rubric = load_rubric(tmp_path / "lenient.yaml")
    journeys, targets = journeys_and_targets()
    store = Store(db)
    default = build_scorecard(store, "run-a", journeys, targets, quality=False)
    regraded = build_scorecard(store, "run-a", journeys, targets, quality=False, rubric=rubric)
    store.close()
    # Then the same figures get another grade, and the card names the rubric it was graded with
    assert regraded["summary"]["metrics"] == default["summary"]["metrics"]
    assert regraded["grading"]["rubric"] == str(tmp_path / "lenient.yaml") and default["grading"]["rubric"] == "default"
    answered = default["summary"]["metrics"]["email"]["answered"]["rate"]
    assert 0.1 < answered < 0.95
    points = {p["metric"]: p["points"] for p in regraded["channels"]["email"]["grade"]["points"]}
    assert points["email.answered.rate"] == 20 and regraded["summary"]["grade"]["score"] > default["summary"]["grade"]["score"]
