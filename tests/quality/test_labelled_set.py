"""The labelled set itself, and the default engine's agreement with it."""

from collections import Counter
from pathlib import Path

import pytest

from mysteryshop.quality import CRITERIA, score_many
from mysteryshop.quality.evaluation import tally
from mysteryshop.quality.labelled import LabelledSetError, load_labelled

HERE = Path(__file__).parent
LABELLED = HERE / "labelled.yaml"


@pytest.fixture(scope="module")
def items():
    return load_labelled(LABELLED)


def test_set_is_large_and_varied(items):
    assert len(items) >= 60
    assert {i.exchange.channel for i in items} >= {"email", "chat", "webform"}
    assert {i.quality for i in items} >= {"excellent", "typical", "poor"}
    assert len({i.industry for i in items}) >= 8


def test_every_exchange_is_labelled_on_every_criterion(items):
    for item in items:
        assert set(item.labels) == set(CRITERIA), item.id


def test_each_criterion_has_both_outcomes(items):
    for name in CRITERIA:
        seen = Counter(i.labels[name] for i in items)
        assert seen[True] >= 3 and seen[False] >= 3, (name, seen)


def test_tricky_cases_are_present(items):
    notes = " ".join(i.note.lower() for i in items)
    for word in ("negat", "wrong number", "greeting", "quoted", "html"):
        assert word in notes, word
    assert sum(1 for i in items if any(not c.isascii() for c in i.exchange.persona.get("full_name", ""))) >= 8


def test_default_engine_agrees_at_least_90_percent_on_every_criterion(items):
    results = score_many([i.exchange for i in items])
    tallies = tally(items, results, CRITERIA)
    low = {name: round(t.agreement, 3) for name, t in tallies.items() if t.agreement < 0.9}
    assert not low, f"criteria below 90% agreement: {low}"


def test_loader_names_file_and_line_of_a_bad_label(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: a\n  customer: hi\n  reply: hello\n  labels: {acknowledges: maybe}\n", encoding="utf-8")
    with pytest.raises(LabelledSetError, match=r"bad\.yaml:1: .*acknowledges='maybe'"):
        load_labelled(bad)


def test_loader_rejects_unknown_criteria_and_duplicate_ids(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: a\n  customer: hi\n  reply: x\n  labels: {empathie: true}\n", encoding="utf-8")
    with pytest.raises(LabelledSetError, match="empathie"):
        load_labelled(bad)
    bad.write_text("- id: a\n  customer: hi\n  reply: x\n  labels: {}\n- id: a\n  customer: hi\n  reply: x\n  labels: {}\n", encoding="utf-8")
    with pytest.raises(LabelledSetError, match=r"bad\.yaml:5: id 'a' is used twice"):
        load_labelled(bad)
