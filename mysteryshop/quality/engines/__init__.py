"""Scoring engines behind one interface: each turns (exchange, cleaned reply, criteria) into results.

`rules` is the default (deterministic, no downloads); `semantic` needs the `semantic` extra;
`llm` needs an OpenAI-compatible endpoint. Engines are built on first use, so naming one never
imports another's dependencies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from mysteryshop.quality.clean import CleanReply
from mysteryshop.quality.exchange import CriterionResult, Exchange


class Engine(Protocol):
    """What every engine offers; `name` is what each of its results says in `engine`."""

    name: str

    def score(self, exchange: Exchange, reply: CleanReply, criteria: Sequence[str]) -> dict[str, CriterionResult]:
        ...


def _rules(**options: Any) -> Engine:
    from mysteryshop.quality.engines.rules import RulesEngine

    return RulesEngine(**options)


def _semantic(**options: Any) -> Engine:
    from mysteryshop.quality.engines.semantic import SemanticEngine

    return SemanticEngine(**options)


def _llm(**options: Any) -> Engine:
    from mysteryshop.quality.engines.llm import LlmJudgeEngine

    return LlmJudgeEngine(**options)


ENGINES: dict[str, Callable[..., Engine]] = {"rules": _rules, "semantic": _semantic, "llm": _llm}
