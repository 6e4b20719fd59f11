"""Reply-quality verdicts shared within a scope, so one reply is scored once; and kept in the run store.

A probe's answer is judged by its journey's `must` / `must_not` criteria and again by the
scorecard's own criteria; inside `shared_scores()` the second look reuses what the first found.
The rules engine judges every criterion on its own, so its verdicts are shared per criterion;
another engine (an LLM asked about several criteria at once) is shared per whole call only.

Verdicts of the rules engine also outlive the run: while a run judges its probes it records each
verdict it makes (`recording_verdicts`), keyed by a digest of everything the criterion reads and
by the scorer (a digest of the quality package's own files). A report reads them back
(`reusing_verdicts`) and scores only what is missing, so a reply is scored once per scorer, not
once per report. A changed scorer has another id: its verdicts are found again from the text,
as DESIGN says ("scoring can be run again later, on the same events, with a better scorer");
`mysteryshop report --rescore` ignores stored verdicts altogether.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from importlib import resources
from typing import Any

_MEMO: ContextVar[dict[Hashable, Any] | None] = ContextVar("mysteryshop_shared_scores", default=None)
_KNOWN: ContextVar[StoredVerdicts | None] = ContextVar("mysteryshop_stored_verdicts", default=None)
#: called with (scorer, digest, {criterion: result as a list}) for every verdict newly made
_RECORD: ContextVar[Callable[[str, str, dict[str, list[Any]]], None] | None] = ContextVar("mysteryshop_record_verdicts", default=None)

_RESULT_FIELDS = ("criterion", "passed", "score", "confidence", "evidence", "engine", "reason")


@contextmanager
def shared_scores(memo: dict[Hashable, Any] | None = None) -> Iterator[dict[Hashable, Any]]:
    """Within the block, `score_shared` scores a reply on a criterion at most once.

    The block's verdicts are kept in the dict it yields; passing that dict to another block goes on from them.
    """
    memo = {} if memo is None else memo
    token = _MEMO.set(memo)
    try:
        yield memo
    finally:
        _MEMO.reset(token)


@contextmanager
def recording_verdicts(record: Callable[[str, str, dict[str, list[Any]]], None]) -> Iterator[None]:
    """Within the block, every verdict `score_shared` makes with the rules engine is passed to `record`
    as (scorer, digest, {criterion: fields}); see `StoredVerdicts` for reading them back."""
    token = _RECORD.set(record)
    try:
        yield
    finally:
        _RECORD.reset(token)


@contextmanager
def reusing_verdicts(known: StoredVerdicts | None) -> Iterator[None]:
    """Within the block, `score_shared` takes a verdict from `known` when it was made by this scorer on the same exchange."""
    token = _KNOWN.set(known)
    try:
        yield
    finally:
        _KNOWN.reset(token)


class StoredVerdicts:
    """Verdicts read from a run store: digest → the JSON objects recorded for it, decoded on first use."""

    def __init__(self, rows: Mapping[str, list[str]]) -> None:
        self._raw = dict(rows)
        self._decoded: dict[str, dict[str, Any]] = {}

    def __len__(self) -> int:
        return len(self._raw)

    def get(self, digest: str) -> dict[str, Any]:
        found = self._decoded.get(digest)
        if found is None:
            from mysteryshop.quality.exchange import CriterionResult

            found = self._decoded[digest] = {}
            for text in self._raw.pop(digest, ()):
                for criterion, fields in json.loads(text).items():
                    found[criterion] = CriterionResult(*fields)
        return found


def exchange_key(exchange: Any) -> Hashable | None:
    """Everything a criterion may read of an Exchange, hashable (None when some field cannot be hashed)."""
    try:
        key = (exchange.customer_text, exchange.reply_text, exchange.reply_html, tuple(exchange.persona.items()),
               tuple(tuple(fact) for fact in exchange.expected_facts), exchange.channel, tuple(exchange.earlier_context))
        by_language = getattr(exchange, "facts_by_language", None)
        if by_language:  # only then, so the digests of verdicts stored before facts per language stay the same
            key += (tuple((code, tuple(tuple(fact) for fact in facts)) for code, facts in sorted(by_language.items())),)
        hash(key)
    except TypeError:
        return None
    return key


def exchange_digest(key: Hashable) -> str:
    """A stable digest of an `exchange_key` (the same in every process and run)."""
    return hashlib.blake2b(repr(key).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@cache
def scorer_id(engine: str = "rules") -> str:
    """The engine's name and a digest of every file of the quality package: a change to any rule, lexicon or
    threshold gives another id, so verdicts of an older scorer are never taken for this one's."""
    return f"{engine}:{files_digest(resources.files('mysteryshop.quality'))}"


def files_digest(folder: Any) -> str:
    """A digest of the names and contents of every file under `folder` (compiled files left out)."""
    digest = hashlib.blake2b(digest_size=8)
    for name, item in sorted(_files(folder), key=lambda found: found[0]):
        digest.update(name.encode() + b"\0" + item.read_bytes() + b"\0")
    return digest.hexdigest()


def _files(folder: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for item in folder.iterdir():
        if item.name == "__pycache__":
            continue
        if item.is_dir():
            yield from _files(item, f"{prefix}{item.name}/")
        elif not item.name.endswith((".pyc", ".pyo")):
            yield f"{prefix}{item.name}", item


def score_shared(exchange: Any, criteria: Sequence[str], engine: str = "rules") -> dict[str, Any]:
    """`score_reply(exchange, criteria, engine=engine)`, reusing verdicts already found in the current `shared_scores()` block
    or stored by the run (`reusing_verdicts`), and recording new ones (`recording_verdicts`)."""
    from mysteryshop.quality import score_reply

    memo, known, record = _MEMO.get(), _KNOWN.get(), _RECORD.get()
    if memo is None and known is None and record is None:
        return score_reply(exchange, criteria, engine=engine)
    key = exchange_key(exchange)
    if key is None:
        return score_reply(exchange, criteria, engine=engine)
    if engine != "rules":
        if memo is None:
            return score_reply(exchange, criteria, engine=engine)
        call = (engine, key, tuple(criteria))
        found = memo.get(call)
        if found is None:
            found = memo[call] = score_reply(exchange, criteria, engine=engine)
        return dict(found)
    have: dict[str, Any] = memo.setdefault(("rules", key), {}) if memo is not None else {}
    wanted = list(dict.fromkeys(criteria))
    missing = [name for name in wanted if name not in have]
    digest = None
    if missing and known is not None:
        digest = exchange_digest(key)
        stored = known.get(digest)
        have.update((name, stored[name]) for name in missing if name in stored)
        missing = [name for name in missing if name not in have]
    if missing:
        made = score_reply(exchange, missing, engine=engine)
        have.update(made)
        if record is not None:
            record(scorer_id(engine), digest or exchange_digest(key),
                   {name: [getattr(result, f) for f in _RESULT_FIELDS] for name, result in made.items()})
    return {name: have[name] for name in wanted}
