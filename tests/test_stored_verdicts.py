"""Reply-quality verdicts recorded by the run and reused by the report: same card, no reply scored twice."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson

from mysteryshop.demo.profile import builtin_profiles
from mysteryshop.journey import load_journey
from mysteryshop.quality import Exchange, score_reply
from mysteryshop.runner import EngineThread
from mysteryshop.scorecard.build import build_scorecard
from mysteryshop.scoring.shared_scores import StoredVerdicts, files_digest, recording_verdicts, reusing_verdicts, score_shared, scorer_id, shared_scores
from mysteryshop.store import Store

from .conftest import EXCHANGE, ROOT, specs_for, target_for


def test_recorded_verdicts_are_reused_and_only_the_missing_criteria_scored(calls: list[tuple[str, ...]]) -> None:
    recorded: dict[str, list[str]] = {}

    def record(scorer: str, digest: str, results: dict[str, list[Any]]) -> None:
        assert scorer == scorer_id("rules")
        recorded.setdefault(digest, []).append(orjson.dumps(results).decode())

    with recording_verdicts(record):
        made = score_shared(EXCHANGE, ["answers_question", "personalized"])
    assert calls == [("answers_question", "personalized")]

    with reusing_verdicts(StoredVerdicts(recorded)), shared_scores():
        again = score_shared(EXCHANGE, ["personalized", "answers_question", "empathy"])
    assert calls == [("answers_question", "personalized"), ("empathy",)]
    assert again == score_reply(EXCHANGE, ["personalized", "answers_question", "empathy"])
    assert {k: again[k] for k in made} == made


def test_a_verdict_on_another_exchange_is_not_reused(calls: list[tuple[str, ...]]) -> None:
    recorded: dict[str, list[str]] = {}
    with recording_verdicts(lambda scorer, digest, results: recorded.setdefault(digest, []).append(orjson.dumps(results).decode())):
        score_shared(EXCHANGE, ["personalized"])
    other = Exchange(EXCHANGE.customer_text, EXCHANGE.reply_text, persona={"first_name": "Kim"}, expected_facts=[["30 days"]])
    with reusing_verdicts(StoredVerdicts(recorded)):
        assert score_shared(other, ["personalized"]) == score_reply(other, ["personalized"])
    assert calls == [("personalized",), ("personalized",)]


def test_the_scorer_id_names_the_engine_and_changes_with_any_file_of_the_quality_package(tmp_path: Path) -> None:
    assert scorer_id("rules").startswith("rules:") and scorer_id("semantic").startswith("semantic:")
    package = ROOT / "mysteryshop" / "quality"
    assert scorer_id("rules") == f"rules:{files_digest(package)}"
    copy = tmp_path / "quality"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert files_digest(copy) == files_digest(package)
    lexicons = copy / "lexicons.py"
    lexicons.write_text(lexicons.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # any change to a rule file
    assert files_digest(copy) != files_digest(package)


def test_a_report_reuses_every_verdict_the_engine_recorded(
    tmp_path: Path, engine: EngineThread, make_desk, store: Store, calls: list[tuple[str, ...]],
) -> None:
    # Given a real run of the shipped email journey against the demo desk, answering every email
    typical = builtin_profiles()["typical"]
    desk = make_desk(typical.model_copy(update={"answer": typical.answer.model_copy(update={"probability": 1.0})}), speedup=14400, seed=4)
    journey = load_journey(ROOT / "journeys" / "email_question.yaml")
    target = target_for(desk.port, speedup=14400, name="demo")
    specs = specs_for(journey, target, 8, seed=11)
    for spec in specs:
        store.add_probe("run-1", spec.probe_id, journey.name, target.name, spec.persona.as_dict())
    results = [f.result(timeout=120) for f in [engine.submit(s) for s in specs]]
    assert len(results) == 8
    engine.call(engine.engine.mailbox.drain())  # ends with a barrier write: the verdicts the probes posted are committed
    assert store.verdicts("run-1", scorer_id()), "the run recorded no verdict"
    scored_in_the_run = len(calls)
    assert scored_in_the_run > 0, "the engine scored no reply: the journey's answer step has quality criteria"

    # When the report is built from the store
    journeys, targets = {journey.name: journey}, {target.name: target}
    reused = build_scorecard(store, "run-1", journeys, targets)

    # Then no reply was scored again, and the card is the one scoring every reply again gives
    assert calls[scored_in_the_run:] == []
    answered = [p for p in reused["probes"] if p["quality"]]
    assert answered, "no probe got an answer: the profile answers every email"
    rescored = build_scorecard(store, "run-1", journeys, targets, rescore=True)
    assert len(calls) > scored_in_the_run
    assert orjson.dumps(reused) == orjson.dumps(rescored)
