"""`mysteryshop quality eval`, driven through add_commands on our own parser."""

import argparse
import json
from pathlib import Path

from mysteryshop.quality.cli import add_commands

LABELLED = Path(__file__).parent / "labelled.yaml"


def run(argv):
    parser = argparse.ArgumentParser(prog="mysteryshop")
    add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_eval_prints_a_table_per_engine(capsys):
    assert run(["quality", "eval", "--engine", "rules", "--labelled", str(LABELLED)]) == 0
    out = capsys.readouterr().out
    assert "engine: rules" in out
    for column in ("agree", "prec", "recall"):
        assert column in out
    assert "answers_question" in out and "readability" in out


def test_eval_json_has_figures_per_criterion(capsys):
    assert run(["quality", "eval", "--engine", "rules", "--criterion", "marketing", "--json", "--labelled", str(LABELLED)]) == 0
    report = json.loads(capsys.readouterr().out)
    figures = report["engines"]["rules"]["marketing"]
    assert figures["n"] == report["exchanges"] >= 60
    assert 0 <= figures["agreement"] <= 1 and 0 <= figures["precision"] <= 1 and 0 <= figures["recall"] <= 1


def test_missing_labelled_file_exits_2_with_a_hint(capsys, tmp_path):
    assert run(["quality", "eval", "--engine", "rules", "--labelled", str(tmp_path / "nope.yaml")]) == 2
    assert "--labelled" in capsys.readouterr().err


def test_llm_engine_without_endpoint_exits_2_saying_what_to_set(capsys, monkeypatch):
    monkeypatch.delenv("MYSTERYSHOP_LLM_URL", raising=False)
    assert run(["quality", "eval", "--engine", "llm", "--labelled", str(LABELLED)]) == 2
    assert "MYSTERYSHOP_LLM_URL" in capsys.readouterr().err


SPLIT_SET = """\
- id: de-train
  language: de
  split: train
  customer: Wo ist mein Paket?
  reply: Vielen Dank für Ihre Nachricht. Ihr Paket kommt morgen bei Ihnen an.
  labels: {acknowledges: true, sets_expectations: true, marketing: false}
- id: fr-heldout
  language: fr
  split: heldout
  customer: Où est mon colis ?
  reply: Votre colis arrivera demain chez vous, merci de votre patience.
  labels: {acknowledges: true, sets_expectations: true}
"""


def test_eval_reports_each_language_with_train_and_heldout_apart(capsys, tmp_path):
    path = tmp_path / "exchanges_x.yaml"
    path.write_text(SPLIT_SET, encoding="utf-8")
    assert run(["quality", "eval", "--engine", "rules", "--json", "--labelled", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["splits"] == {"train": {"de": 1}, "heldout": {"fr": 1}}
    by_split = report["engines"]["rules"]["by_split"]
    assert by_split["train"]["de"]["acknowledges"]["agreement"] == 1.0
    assert by_split["heldout"]["fr"]["acknowledges"]["agreement"] == 0.0  # "merci de votre patience" is no acknowledgement
    assert by_split["heldout"]["fr"]["marketing"]["n"] == 0
    assert run(["quality", "eval", "--engine", "rules", "--labelled", str(path)]) == 0
    out = capsys.readouterr().out
    assert "train: agreement per criterion and language" in out and "heldout: agreement per criterion and language" in out
    assert "de (1)" in out and "fr (1)" in out


def test_a_split_that_is_neither_train_nor_heldout_is_refused_with_its_line(capsys, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(SPLIT_SET.replace("split: heldout", "split: test"), encoding="utf-8")
    assert run(["quality", "eval", "--engine", "rules", "--labelled", str(path)]) == 2
    assert "bad.yaml:7: exchange 'fr-heldout' has split 'test'" in capsys.readouterr().err


def test_default_sets_are_every_labelled_file_that_exists(tmp_path):
    from mysteryshop.quality.labelled import default_sets

    (tmp_path / "tests/quality").mkdir(parents=True)
    for name in ("labelled.yaml", "exchanges_b.yaml", "exchanges_a.yaml"):
        (tmp_path / "tests/quality" / name).write_text("[]\n", encoding="utf-8")
    assert [p.name for p in default_sets(tmp_path)] == ["labelled.yaml", "exchanges_a.yaml", "exchanges_b.yaml"]


def test_split_option_keeps_only_that_split_so_misses_can_be_read_without_the_held_out_ones(capsys, tmp_path):
    path = tmp_path / "exchanges_x.yaml"
    path.write_text(SPLIT_SET, encoding="utf-8")
    assert run(["quality", "eval", "--engine", "rules", "--split", "train", "--misses", "--labelled", str(path)]) == 0
    out = capsys.readouterr().out
    assert "fr-heldout" not in out and "heldout: agreement" not in out
    assert "train: agreement per criterion and language" in out
    assert "kinds, heldout split" not in out


def test_each_held_out_file_is_also_reported_alone(capsys, tmp_path):
    first, second = tmp_path / "exchanges_a.yaml", tmp_path / "exchanges_b.yaml"
    first.write_text(SPLIT_SET, encoding="utf-8")
    second.write_text(SPLIT_SET.replace("id: de-train", "id: de-train-b").replace("id: fr-heldout", "id: fr-heldout-b")
                      .replace("Votre colis arrivera demain chez vous, merci de votre patience.",
                               "Merci pour votre message. Votre colis arrivera demain chez vous."), encoding="utf-8")
    argv = ["quality", "eval", "--engine", "rules", "--labelled", str(first), "--labelled", str(second)]
    assert run(argv + ["--json"]) == 0
    by_file = json.loads(capsys.readouterr().out)["engines"]["rules"]["heldout_by_file"]
    assert set(by_file) == {str(first), str(second)}
    assert by_file[str(first)]["fr"]["acknowledges"]["agreement"] == 0.0
    assert by_file[str(second)]["fr"]["acknowledges"]["n"] == 1
    assert "de" not in by_file[str(first)]  # train exchanges are not in the held-out tables
    assert run(argv) == 0
    out = capsys.readouterr().out
    assert f"heldout, {first} alone: agreement per criterion and language" in out
    assert f"heldout, {second} alone: agreement per criterion and language" in out


def test_a_single_held_out_file_gets_no_second_copy_of_its_table(capsys, tmp_path):
    path = tmp_path / "exchanges_x.yaml"
    path.write_text(SPLIT_SET, encoding="utf-8")
    assert run(["quality", "eval", "--engine", "rules", "--labelled", str(path)]) == 0
    assert " alone: agreement" not in capsys.readouterr().out
