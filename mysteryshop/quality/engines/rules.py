"""The default engine: every criterion's rules function, nothing else."""

from __future__ import annotations

from collections.abc import Sequence

from mysteryshop.quality.clean import CleanReply
from mysteryshop.quality.criteria import REGISTRY
from mysteryshop.quality.exchange import CriterionResult, Exchange


class RulesEngine:
    name = "rules"

    def score(self, exchange: Exchange, reply: CleanReply, criteria: Sequence[str]) -> dict[str, CriterionResult]:
        return {name: REGISTRY[name](exchange, reply) for name in criteria}
