"""Reply-quality verdicts shared within a scorecard: each reply scored once per criterion, same verdicts."""

from __future__ import annotations

from typing import Any

import pytest

import mysteryshop.quality as quality
from mysteryshop.quality import Exchange, score_reply
from mysteryshop.scoring.shared_scores import score_shared, shared_scores

from .conftest import EXCHANGE


def test_a_criterion_is_scored_once_per_reply_within_the_block(calls: list[tuple[str, ...]]) -> None:
    with shared_scores():
        first = score_shared(EXCHANGE, ["answers_question", "personalized"])
        second = score_shared(EXCHANGE, ["personalized", "empathy", "personalized"])
    assert calls == [("answers_question", "personalized"), ("empathy",)]
    assert first == score_reply(EXCHANGE, ["answers_question", "personalized"])
    assert second == score_reply(EXCHANGE, ["personalized", "empathy"])
    assert list(second) == ["personalized", "empathy"]


def test_another_reply_or_persona_is_scored_again(calls: list[tuple[str, ...]]) -> None:
    other = Exchange(EXCHANGE.customer_text, EXCHANGE.reply_text, persona={"first_name": "Kim"}, expected_facts=[["30 days"]])
    with shared_scores():
        score_shared(EXCHANGE, ["personalized"])
        assert score_shared(other, ["personalized"]) == score_reply(other, ["personalized"])
    assert calls == [("personalized",), ("personalized",)]


def test_nothing_is_shared_outside_the_block_or_between_blocks(calls: list[tuple[str, ...]]) -> None:
    score_shared(EXCHANGE, ["personalized"])
    score_shared(EXCHANGE, ["personalized"])
    with shared_scores():
        score_shared(EXCHANGE, ["personalized"])
    with shared_scores():
        score_shared(EXCHANGE, ["personalized"])
    assert len(calls) == 4


def test_another_engine_is_shared_per_whole_call_only(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[tuple[str, ...], str]] = []

    def fake(exchange: Exchange, criteria: Any = None, engine: str = "rules", **options: Any) -> Any:
        seen.append((tuple(criteria), engine))
        return {name: f"{engine}:{name}:{len(criteria)}" for name in criteria}

    monkeypatch.setattr(quality, "score_reply", fake)
    with shared_scores():
        assert score_shared(EXCHANGE, ["empathy", "personalized"], engine="llm") == {"empathy": "llm:empathy:2", "personalized": "llm:personalized:2"}
        score_shared(EXCHANGE, ["empathy", "personalized"], engine="llm")
        assert score_shared(EXCHANGE, ["personalized"], engine="llm") == {"personalized": "llm:personalized:1"}
    assert seen == [(("empathy", "personalized"), "llm"), (("personalized",), "llm")]


def test_an_unknown_criterion_still_raises() -> None:
    with shared_scores(), pytest.raises(ValueError, match="Unknown criterion"):
        score_shared(EXCHANGE, ["personalised"])
