"""Scorecard entries recorded by the engine as probes finish, and taken by a report only while they still hold."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

import mysteryshop.scorecard.build as build
from mysteryshop.demo.profile import builtin_profiles
from mysteryshop.journey import Journey, load_journey
from mysteryshop.runner import EngineThread
from mysteryshop.scorecard.build import build_scorecard
from mysteryshop.scorecard.entries import FinishedProbe, entry_scorer, record_entries
from mysteryshop.scorecard.synthetic import EXCELLENT, record_as_the_engine_does, write_synthetic_run
from mysteryshop.store import Store
from mysteryshop.target import Target

from .conftest import ROOT, fresh_store, profile, specs_for, target_for

PROBES = 6
SPEEDUP = 86400  # a day a second: the journey's 3-day follow-up deadline passes in 3 s


@pytest.fixture
def scored(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the probes a report scores from their rows (rather than take a recorded entry)."""
    ids: list[str] = []
    real = build.probe_entry

    def counting(probe: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        ids.append(probe.probe_id)
        return real(probe, *args, **kwargs)

    monkeypatch.setattr(build, "probe_entry", counting)
    return ids


@pytest.fixture
def email_run(engine: EngineThread, make_desk, store: Store) -> tuple[Journey, Target]:
    """A real run of the shipped email journey against the demo desk (every email answered), its entries recorded by
    the engine once mail stopped coming; the engine stopped."""
    typical = builtin_profiles()["typical"]
    desk = make_desk(typical.model_copy(update={"answer": typical.answer.model_copy(update={"probability": 1.0})}), speedup=SPEEDUP, seed=4)
    journey = load_journey(ROOT / "journeys" / "email_question.yaml")
    target = target_for(desk.port, speedup=SPEEDUP, name="demo")
    specs = specs_for(journey, target, PROBES, seed=11)
    for spec in specs:
        store.add_probe("run-1", spec.probe_id, journey.name, target.name, spec.persona.as_dict())
    results = [f.result(timeout=120) for f in [engine.submit(s) for s in specs]]
    assert len(results) == PROBES
    engine.call(engine.engine.mailbox.drain())
    wait_for_entries(engine)
    engine.stop()
    return journey, target


def wait_for_entries(engine: EngineThread, timeout: float = 20) -> None:
    """Until the engine has recorded the entries of the probes finished so far: it does once no mail has come for RECORD_QUIET_S."""
    engine.call(engine.engine.entries_recorded(), timeout=timeout)


def card_bytes(store: Store, journey: Journey, target: Target, **options: Any) -> bytes:
    card = build_scorecard(store, "run-1", {journey.name: journey}, {target.name: target}, **options)
    return orjson.dumps(card)


def test_a_report_takes_every_entry_the_engine_recorded_and_gives_the_card_scoring_gives(
    email_run: tuple[Journey, Target], store: Store, scored: list[str],
) -> None:
    journey, target = email_run
    assert len(store.query("SELECT probe_id FROM entries WHERE run_id = 'run-1'")) == PROBES

    recorded = card_bytes(store, journey, target)
    assert scored == []

    rescored = card_bytes(store, journey, target, rescore=True)
    assert sorted(scored) == [f"p{i}" for i in range(PROBES)]
    assert recorded == rescored
    assert b'"quality":{' in recorded  # the first answers' quality is in the entries


def test_a_report_records_the_entries_it_scored_and_the_next_report_takes_them(
    email_run: tuple[Journey, Target], store: Store, scored: list[str],
) -> None:
    journey, target = email_run
    store.write("DELETE FROM entries")  # as after a run whose engine had no quiet moment, or a new version of mysteryshop

    first = card_bytes(store, journey, target, keep=True)  # the run's own scorecard, `mysteryshop report`
    assert sorted(scored) == [f"p{i}" for i in range(PROBES)]
    store.write("SELECT 1")  # the entries kept were posted: committed once the writes before this one are
    assert len(store.query("SELECT probe_id FROM entries WHERE run_id = 'run-1'")) == PROBES

    scored.clear()
    assert card_bytes(store, journey, target) == first
    assert scored == []


def test_a_reply_that_came_after_the_entry_makes_the_report_score_that_probe_again(
    email_run: tuple[Journey, Target], store: Store, scored: list[str],
) -> None:
    journey, target = email_run
    finished = store.query("SELECT t_ns FROM events WHERE run_id = 'run-1' AND probe_id = 'p2' AND kind = 'probe_finished'")[0]["t_ns"]
    persona = orjson.loads(store.query("SELECT persona FROM probes WHERE run_id = 'run-1' AND id = 'p2'")[0]["persona"])
    raw = (f"From: support@northwind.demo\r\nTo: {persona['email']}\r\nSubject: one more thing\r\n\r\nSorry, we forgot.\r\n").encode()
    store.write(*store.message_write("run-1", "in", "support@northwind.demo", [persona["email"]], finished + 10**9, raw, probe_id="p2"))

    card = orjson.loads(card_bytes(store, journey, target))
    assert scored == ["p2"]
    assert next(p for p in card["probes"] if p["id"] == "p2")["late_replies"] == 1
    assert orjson.dumps(card) == card_bytes(store, journey, target, rescore=True)


def test_entries_of_another_journey_speedup_or_quality_setting_are_not_taken(
    email_run: tuple[Journey, Target], store: Store, scored: list[str], tmp_path: Path,
) -> None:
    journey, target = email_run
    edited = tmp_path / "email_question.yaml"
    edited.write_text(journey.path.read_text(encoding="utf-8").replace("within: 24h", "within: 48h", 1), encoding="utf-8")
    changed = load_journey(edited)
    assert changed.spec != journey.spec, "the edit changed nothing: the journey no longer has 'within: 24h'"
    slower = Target(spec=target.spec.model_copy(update={"speedup": SPEEDUP / 2}), path=target.path)

    assert entry_scorer(journey, SPEEDUP, True) == entry_scorer(load_journey(journey.path), float(SPEEDUP), True)
    assert len({entry_scorer(journey, SPEEDUP, True), entry_scorer(changed, SPEEDUP, True), entry_scorer(journey, SPEEDUP / 2, True),
                entry_scorer(journey, SPEEDUP, False)}) == 4

    for other, where, options in ((changed, target, {}), (journey, slower, {}), (journey, target, {"quality": False})):
        scored.clear()
        card_bytes(store, other, where, **options)
        assert len(scored) == PROBES, (other.path, where.spec.speedup, options)


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists() and not os.environ.get("MYSTERYSHOP_CHROMIUM"),
                    reason="needs Debian's chromium (scripts/bootstrap.sh installs it)")
def test_entries_of_browser_probes_give_the_card_scoring_gives(engine: EngineThread, make_desk, store: Store, scored: list[str]) -> None:
    # Given a web form, a chat and the emails threaded to them (the cross-channel journey), in real Chromium
    from .test_web_probes import demo_target, quick_chat

    desk = make_desk(profile(chat=quick_chat()), speedup=60)
    journey = load_journey(ROOT / "journeys" / "cross_channel.yaml")
    target = demo_target(desk, speedup=60)
    spec = specs_for(journey, target, 1)[0]
    store.add_probe("run-1", spec.probe_id, journey.name, target.name, spec.persona.as_dict())
    result = engine.submit(spec).result(timeout=90)
    assert result.timeline.web.forms and result.timeline.web.chat, "the probe saw no form or chat: nothing browser-made to record"
    wait_for_entries(engine)
    engine.stop()

    recorded = card_bytes(store, journey, target)
    assert scored == []
    assert recorded == card_bytes(store, journey, target, rescore=True)
    assert scored == [spec.probe_id]


# -- from a synthetic run recorded as the engine records it (no desk, no engine) --------------------------

def synthetic_run(tmp_path: Path, journey: Journey, probes: int = 4) -> tuple[Path | str, Target]:
    path = fresh_store(tmp_path, "synthetic.sqlite")
    write_synthetic_run(path, "run-1", journey.name, probes=probes, behaviour=EXCELLENT, speedup=SPEEDUP)
    target = target_for(1, speedup=SPEEDUP, name="demo")
    record_as_the_engine_does(path, "run-1", {journey.name: journey}, {target.name: target})
    return path, target


def card_at(path: Path | str, journey: Journey, target: Target, **options: Any) -> bytes:
    store = Store(path)
    try:
        return card_bytes(store, journey, target, **options)
    finally:
        store.close()


def test_no_entry_is_kept_for_a_journey_judged_by_another_engine_than_the_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A journey whose answer a language model judges, unreachable while the run records (its address is in the verdicts' reason)
    text = (ROOT / "journeys" / "email_question.yaml").read_text(encoding="utf-8")
    assert "    must: [answers_question, personalized]" in text
    (tmp_path / "j").mkdir()
    (tmp_path / "j" / "email_question.yaml").write_text(
        text.replace("    must: [answers_question, personalized]", "    engine: llm\n    must: [answers_question, personalized]"), encoding="utf-8")
    journey = load_journey(tmp_path / "j" / "email_question.yaml")
    monkeypatch.setenv("MYSTERYSHOP_LLM_URL", "http://127.0.0.1:1/v1")
    path, target = synthetic_run(tmp_path, journey)

    monkeypatch.setenv("MYSTERYSHOP_LLM_URL", "http://127.0.0.1:2/v1")  # the report asks another judge
    assert card_at(path, journey, target) == card_at(path, journey, target, rescore=True)


@pytest.mark.parametrize("change", [
    pytest.param("delete the last message, store another under its id",
                 marks=pytest.mark.sqlite_only("SQLite gives a deleted largest id to the next row; a PostgreSQL sequence never does")),
    "edit a message's text"])
def test_a_row_changed_or_replaced_under_its_id_drops_the_entry(tmp_path: Path, change: str) -> None:
    journey = load_journey(ROOT / "journeys" / "email_question.yaml")
    path, target = synthetic_run(tmp_path, journey)
    store = Store(path)
    last, probe_id, t_ns = store.rows("SELECT id, probe_id, t_ns FROM messages WHERE direction = 'in' ORDER BY id DESC LIMIT 1")[0]
    if change.startswith("delete"):  # SQLite reuses the largest id: the probe's row marks are what they were
        assert last == store.rows("SELECT MAX(id) FROM messages")[0][0]
        store.write("DELETE FROM messages WHERE id = ?", (last,))
        email = orjson.loads(store.rows("SELECT persona FROM probes WHERE id = ?", (probe_id,))[0][0])["email"]
        raw = f"From: support@northwind.demo\r\nTo: {email}\r\nSubject: hello\r\n\r\nBLACK FRIDAY: 40% off! Unsubscribe here.\r\n"
        rowid = store.write(*store.message_write("run-1", "in", "support@northwind.demo", [email], t_ns, raw.encode(), probe_id=probe_id))
        assert rowid == last
    else:
        store.write("UPDATE messages SET text = 'BLACK FRIDAY: 40% off! Unsubscribe here.' WHERE id = ?", (last,))
    assert store.rows("SELECT COUNT(*) FROM entries WHERE probe_id = ?", (probe_id,))[0][0] == 0
    assert store.rows("SELECT COUNT(*) FROM entries")[0][0] == 3
    store.close()
    assert card_at(path, journey, target) == card_at(path, journey, target, rescore=True)


@pytest.mark.sqlite_only("written in SQLite's dialect: its error class and trigger syntax")
def test_recording_entries_neither_hides_nor_causes_a_failed_write_of_the_run(tmp_path: Path) -> None:
    journey = load_journey(ROOT / "journeys" / "email_question.yaml")
    path = fresh_store(tmp_path, "synthetic.sqlite")
    write_synthetic_run(path, "run-1", journey.name, probes=2, behaviour=EXCELLENT, speedup=SPEEDUP)
    store = Store(path)
    finished = [FinishedProbe(row["id"], journey, SPEEDUP) for row in store.probes("run-1")]
    try:
        # A write of the run's own record failed (disk full...): recording entries afterwards does not swallow it
        store.post("INSERT INTO no_such_table VALUES (1)")
        store.write("SELECT 1")
        assert record_entries(store, "run-1", finished) == 2
        with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
            store.post("SELECT 1")

        # An entry that cannot be written is lost alone: the run's next writes go on
        store.write("CREATE TRIGGER no_entries BEFORE INSERT ON entries BEGIN SELECT RAISE(ABORT, 'entry refused'); END")
        assert record_entries(store, "run-1", finished) == 2
        store.write("SELECT 1")
        store.post("INSERT INTO events (run_id, probe_id, kind, t_ns, utc) VALUES ('run-1', 'x', 'probe_started', 1, 'now')")
        store.write("SELECT 1")
    finally:
        store.close()
