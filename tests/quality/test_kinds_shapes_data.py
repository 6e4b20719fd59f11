"""Checks on tests/quality/kinds_shapes/ (see its README): written by a helper who had read the rules, so train only."""

from __future__ import annotations

import yaml

from tests.quality.test_mail_data import HERE, KINDS, LANGUAGES, parse, real_data_problems, text_of

SHAPES = HERE / "kinds_shapes"


def test_shapes_labels_list_exactly_the_files_present_and_are_all_train():
    labels = yaml.safe_load((SHAPES / "labels.yaml").read_text(encoding="utf-8"))
    assert set(labels) == {p.name for p in SHAPES.glob("*.eml")}
    for name, entry in labels.items():
        assert entry["kind"] in KINDS and entry["language"] in LANGUAGES, name
        assert entry["split"] == "train", f"{name}: written by someone who read the rules, so it can never be held out"
    assert {e["kind"] for e in labels.values()} >= {"survey", "other", "out_of_office", "answer"}


def test_shapes_parse_without_defects_and_hold_no_real_data():
    for path in sorted(SHAPES.glob("*.eml")):
        message = parse(path)
        assert not message.defects and all(not part.defects for part in message.walk()), path.name
        assert not real_data_problems(text_of(message)), (path.name, real_data_problems(text_of(message)))
