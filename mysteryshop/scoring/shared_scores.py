"""Reply-quality verdicts shared within a scope, so one reply is scored once.

A probe's answer is judged by its journey's `must` / `must_not` criteria and again by the
scorecard's own criteria; inside `shared_scores()` the second look reuses what the first found.
The rules engine judges every criterion on its own, so its verdicts are shared per criterion;
another engine (an LLM asked about several criteria at once) is shared per whole call only.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_MEMO: ContextVar[dict[Hashable, Any] | None] = ContextVar("mysteryshop_shared_scores", default=None)


@contextmanager
def shared_scores() -> Iterator[None]:
    """Within the block, `score_shared` scores a reply on a criterion at most once."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def exchange_key(exchange: Any) -> Hashable | None:
    """Everything a criterion may read of an Exchange, hashable (None when some field cannot be hashed)."""
    try:
        key = (exchange.customer_text, exchange.reply_text, exchange.reply_html, tuple(exchange.persona.items()),
               tuple(tuple(fact) for fact in exchange.expected_facts), exchange.channel, tuple(exchange.earlier_context))
        hash(key)
    except TypeError:
        return None
    return key


def score_shared(exchange: Any, criteria: Sequence[str], engine: str = "rules") -> dict[str, Any]:
    """`score_reply(exchange, criteria, engine=engine)`, reusing verdicts already found in the current `shared_scores()` block."""
    from mysteryshop.quality import score_reply

    memo = _MEMO.get()
    key = None if memo is None else exchange_key(exchange)
    if memo is None or key is None:
        return score_reply(exchange, criteria, engine=engine)
    if engine != "rules":
        call = (engine, key, tuple(criteria))
        found = memo.get(call)
        if found is None:
            found = memo[call] = score_reply(exchange, criteria, engine=engine)
        return dict(found)
    known: dict[str, Any] = memo.setdefault(("rules", key), {})
    wanted = list(dict.fromkeys(criteria))
    missing = [name for name in wanted if name not in known]
    if missing:
        known.update(score_reply(exchange, missing, engine=engine))
    return {name: known[name] for name in wanted}
