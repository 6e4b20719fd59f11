"""Judging replies: cleaning, criteria and scoring engines.

Example:
    >>> from mysteryshop.quality import Exchange, score_reply
    >>> results = score_reply(Exchange("Where is my order?", "Thanks for your email! It ships tomorrow."))
    >>> results["acknowledges"].passed, results["acknowledges"].engine
    (True, 'rules')
"""

from mysteryshop.quality.clean import (
    CleanReply,
    clean_reply,
    html_to_text,
    remove_quoted,
)
from mysteryshop.quality.criteria import CRITERIA, UNDESIRABLE
from mysteryshop.quality.engines import ENGINES
from mysteryshop.quality.exchange import CriterionResult, Exchange
from mysteryshop.quality.scoring import get_engine, score_many, score_reply

__all__ = [
    "CRITERIA",
    "ENGINES",
    "UNDESIRABLE",
    "CleanReply",
    "CriterionResult",
    "Exchange",
    "clean_reply",
    "get_engine",
    "html_to_text",
    "remove_quoted",
    "score_many",
    "score_reply",
]
