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
