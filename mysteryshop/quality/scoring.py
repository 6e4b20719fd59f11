"""score_reply: clean the reply, pick the engine, run the criteria."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from mysteryshop.quality.clean import CleanReply, clean_reply
from mysteryshop.quality.criteria import CRITERIA
from mysteryshop.quality.engines import ENGINES, Engine
from mysteryshop.quality.exchange import CriterionResult, Exchange


def _unknown(kind: str, name: str, valid: Iterable[str]) -> ValueError:
    valid = list(valid)
    close = difflib.get_close_matches(name, valid, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(f"Unknown {kind} {name!r}.{hint} Valid names are: {', '.join(valid)}.")


def resolve_criteria(criteria: Iterable[str] | None) -> tuple[str, ...]:
    """The criteria to run, in registry order; an unknown name raises ValueError with a suggestion."""
    if criteria is None:
        return CRITERIA
    if isinstance(criteria, str):
        criteria = [criteria]
    wanted = list(dict.fromkeys(criteria))
    for name in wanted:
        if name not in CRITERIA:
            raise _unknown("criterion", name, CRITERIA)
    return tuple(wanted)


def get_engine(name: str = "rules", **options: Any) -> Engine:
    """The engine called `name`, built once per distinct set of options."""
    if name not in ENGINES:
        raise _unknown("engine", name, ENGINES)
    fixed = _FIXED_SETTINGS.get()
    settings = fixed if fixed is not None else _read_settings()
    return _cached_engine(name, tuple(sorted(options.items())), settings)


def _read_settings() -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("MYSTERYSHOP_")))


_FIXED_SETTINGS: ContextVar[tuple[tuple[str, str], ...] | None] = ContextVar("mysteryshop_quality_settings", default=None)


@contextmanager
def settings_fixed() -> Iterator[None]:
    """Read the MYSTERYSHOP_* environment once for the whole block, not at every reply.

    For scoring thousands of replies in one go (a scorecard): reading the environment costs
    about as much as scoring a short reply with the rules. Changes inside the block are not seen.
    """
    token = _FIXED_SETTINGS.set(_read_settings())
    try:
        yield
    finally:
        _FIXED_SETTINGS.reset(token)


@lru_cache(maxsize=32)
def _cached_engine(name: str, options: tuple[tuple[str, Any], ...], settings: tuple[tuple[str, str], ...]) -> Engine:
    """`settings` (the MYSTERYSHOP_* environment) is only part of the key: an engine reads it itself."""
    return ENGINES[name](**dict(options))


def clean(exchange: Exchange) -> CleanReply:
    """The reply of `exchange` with quoted text, signature, footer and HTML set aside."""
    return _clean(exchange.reply_text, exchange.reply_html, exchange.customer_text)


@lru_cache(maxsize=64)
def _clean(reply_text: str, reply_html: str | None, customer_text: str) -> CleanReply:
    """clean_reply is pure and CleanReply immutable: the same reply scored twice in a row (a journey's
    must / must_not criteria, then the scorecard's) is cleaned once."""
    return clean_reply(reply_text, reply_html, customer_text)


def score_reply(
    exchange: Exchange, criteria: Iterable[str] | None = None, engine: str = "rules", **engine_options: Any
) -> dict[str, CriterionResult]:
    """Score one reply on `criteria` (all by default) with `engine`.

    Example:
        >>> ex = Exchange("Can I return my boots?", "Hi Sam, thanks for your email. Yes, within 30 days.",
        ...               persona={"first_name": "Sam"}, expected_facts=[["30 days"]])
        >>> score_reply(ex, ["answers_question", "personalized"])["answers_question"].passed
        True
    """
    names = resolve_criteria(criteria)
    chosen = get_engine(engine, **engine_options)
    return chosen.score(exchange, clean(exchange), names)


def score_many(
    exchanges: Sequence[Exchange], criteria: Iterable[str] | None = None, engine: str = "rules", **engine_options: Any
) -> list[dict[str, CriterionResult]]:
    """Score many replies; engines that batch (the semantic one) use it."""
    names = resolve_criteria(criteria)
    chosen = get_engine(engine, **engine_options)
    batch = getattr(chosen, "score_batch", None)
    if batch is not None:
        return batch(exchanges, [clean(ex) for ex in exchanges], names)
    # one reply at a time: its HTML, parsed for cleaning, is still in html_text's cache when a criterion reads it
    return [chosen.score(ex, clean(ex), names) for ex in exchanges]
