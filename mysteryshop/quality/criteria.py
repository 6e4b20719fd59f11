"""The criteria: plain functions from (exchange, cleaned reply) to a verdict, in a registry.

Each criterion answers "does the reply show this trait?". For the undesirable traits
(see `UNDESIRABLE`) a True verdict is bad news; journeys name them under `must_not`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mysteryshop.quality import lexicons as lex
from mysteryshop.quality.clean import CleanReply
from mysteryshop.quality.details import DETAILS, customer_specifics, details_given, find_name, find_reference, may_ask_for_details
from mysteryshop.quality.exchange import CriterionResult, Exchange, unscored
from mysteryshop.quality.facts import match_facts
from mysteryshop.quality.readability import reading_ease
from mysteryshop.quality.text import content_stem_set, fold, snippet

ENGINE = "rules"

Criterion = Callable[[Exchange, CleanReply], CriterionResult]
REGISTRY: dict[str, Criterion] = {}
UNDESIRABLE = frozenset({"stalling_autoreply", "marketing", "asks_again"})


def criterion(fn: Criterion) -> Criterion:
    """Register `fn` under its own name; a second criterion of that name is a mistake."""
    if fn.__name__ in REGISTRY:
        raise ValueError(f"criterion {fn.__name__!r} is already registered by {REGISTRY[fn.__name__].__module__}")
    REGISTRY[fn.__name__] = fn
    return fn


def _result(name: str, passed: bool, confidence: float, evidence: str, reason: str, score: float | None = None) -> CriterionResult:
    return CriterionResult(name, passed, float(passed) if score is None else score, confidence, snippet(evidence), ENGINE, reason)


def _first(pattern: re.Pattern[str], reply: CleanReply) -> str | None:
    index = reply.first(pattern)
    return None if index is None else reply.sentences[index]


@criterion
def acknowledges(exchange: Exchange, reply: CleanReply) -> CriterionResult:
    """Says the message arrived: thanks for it, confirms receipt, or gives a ticket reference."""
    found = _first(lex.ACKNOWLEDGES, reply)
    if found:
        return _result("acknowledges", True, 0.9, found, "acknowledges the customer's message")
    return _result("acknowledges", False, 0.8, "", "no thanks, receipt confirmation or ticket reference found")


@criterion
def answers_question(exchange: Exchange, reply: CleanReply) -> CriterionResult:
    """Every expected fact is conveyed: right numbers, not negated ('we cannot refund')."""
    if not exchange.expected_facts:
        return unscored("answers_question", ENGINE, "no expected facts given for this step: nothing to check the answer against")
    matches = match_facts(exchange.expected_facts, reply.sentences, reply.folded)
    conveyed = [m for m in matches if m.status == "conveyed"]
    problems = [m for m in matches if m.status != "conveyed"]
    evidence = " … ".join(dict.fromkeys(m.sentence for m in matches if m.sentence))
    if not problems:
        reason = f"all {len(matches)} expected facts conveyed"
    else:
        words = {"missing": "not stated", "wrong_number": "stated with a different number", "negated": "stated as negated"}
        reason = "; ".join(f"{m.fact!r} {words[m.status]}" for m in problems)
    score = len(conveyed) / len(matches)
    return _result("answers_question", not problems, 0.75, evidence, reason, score)


@criterion
def personalized(exchange: Exchange, reply: CleanReply) -> CriterionResult:
    """Uses the customer's name or their specifics (order, product, earlier contact), not 'Dear customer'."""
    name = find_name(reply.body, exchange.persona)
    if name:
        sentence = next((s for s in reply.sentences if name in s), name)
        return _result("personalized", True, 0.9, sentence, f"uses the customer's name ({name})")
    refs = [exchange.persona.get("order_id", ""), *exchange.earlier_context]
    ref = find_reference(reply.body, [r for r in refs if r])
    if ref:
        return _result("personalized", True, 0.85, _sentence_with(reply, ref), f"refers to the customer's reference {ref}")
    folded_body = fold(reply.body)
    for specific in customer_specifics(exchange.customer_text, exclude=reply.signature + "\n" + reply.footer):
        key = fold(specific)
        if key in folded_body and re.search(rf"(?<!\w){re.escape(key)}(?!\w)", folded_body):
            return _result("personalized", True, 0.7, _sentence_with(reply, specific), f"refers to what the customer mentioned ({specific})")
    generic = _first(lex.GENERIC_GREETING, reply)
    reason = f"generic greeting ({generic!r}) and no name or specifics" if generic else "neither the customer's name nor their specifics"
    return _result("personalized", False, 0.8, generic or "", reason)


def _sentence_with(reply: CleanReply, needle: str) -> str:
    key = fold(needle).replace("#", "")
    return next((s for s in reply.sentences if key in fold(s).replace("#", "")), needle)


@criterion
def empathy(exchange: Exchange, reply: CleanReply) -> CriterionResult:
    """Empathy tied to the customer's situation; boilerplate apologies alone do not count."""
    starts = [i for i in (reply.first(lex.EMPATHY), reply.first(lex.BOILERPLATE_EMPATHY)) if i is not None]
    if not starts:
        return _result("empathy", False, 0.75, "", "no empathy expressed about the customer's situation")
    situation: set[str] | None = None  # the customer's words, once a sentence needs them
    boilerplate = ""
    start = min(starts)
    for sentence, folded in zip(reply.sentences[start:], reply.folded[start:]):
        stripped = lex.BOILERPLATE_EMPATHY.sub(" ", folded)
        if stripped != folded and not boilerplate:
            boilerplate = sentence
        if not lex.EMPATHY.search(stripped):
            continue
        if situation is None:
            situation = content_stem_set(exchange.customer_text) - lex.GENERIC_SITUATION_WORDS
        shared = (content_stem_set(stripped) & situation) - lex.GENERIC_SITUATION_WORDS
        if shared or lex.CUSTOMER_EXPERIENCE.search(stripped):
            tie = ", ".join(sorted(shared)) if shared else "what the customer went through"
            return _result("empathy", True, 0.8, sentence, f"empathy tied to the customer's situation ({tie})")
    if boilerplate:
        return _result("empathy", False, 0.8, boilerplate, "only boilerplate apology, not tied to the customer's situation")
    return _result("empathy", False, 0.75, "", "no empathy expressed about the customer's situation")


@criterion
def sets_expectations(exchange: Exchange, reply: CleanReply) -> CriterionResult:
    """Tells the customer the next step and/or when it will happen."""
    step_at = reply.first(lex.NEXT_STEP)
    when_at = reply.first(lex.WHEN)
    end = len(reply.sentences) if step_at is None else step_at
    if when_at is not None:
        for index in range(when_at, end):
            folded = reply.folded[index]
            if lex.WHEN.search(folded) and not lex.POLICY_DEADLINE.search(folded):
                return _result("sets_expectations", True, 0.8, reply.sentences[index], "sets expectations (when)")
    if step_at is not None:
        kind = "next step and when" if lex.WHEN.search(reply.folded[step_at]) else "next step"
        return _result("sets_expectations", True, 0.8, reply.sentences[step_at], f"sets expectations ({kind})")
    return _result("sets_expectations", False, 0.75, "", "no next step or timeframe given")


@criterion
def asks_feedback(exchange: Exchange, reply: CleanReply) -> CriterionResult:
    """Asks for feedback or whether the issue is now resolved."""
    start = reply.first(lex.FEEDBACK)
    found = None if start is None else next(
        (s for s, f in zip(reply.sentences[start:], reply.folded[start:]) if lex.FEEDBACK.search(lex.FEEDBACK_THANKS.sub(" ", f))), None
    )
    if found:
        return _result("asks_feedback", True, 0.85, found, "asks whether the issue is resolved or for feedback")
    return _result("asks_feedback", False, 0.8, "", "does not ask whether the issue is resolved or for feedback")


@criterion
def stalling_autoreply(exchange: Exchange, reply: CleanReply) -> CriterionResult:
    """An auto-reply that only stalls ('allow 24-48 hours') with no substance."""
    cues = [] if reply.first(lex.STALLING) is None else [s for s, f in zip(reply.sentences, reply.folded) if lex.STALLING.search(f)]
    cue = " … ".join(cues)
    if not cues:
        return _result("stalling_autoreply", False, 0.85, "", "no stalling phrases")
    substantive = [
        s for s, f in zip(reply.sentences, reply.folded)
        if not (lex.STALLING.search(f) or lex.NON_SUBSTANCE.search(f) or lex.GREETING.match(f) or lex.MARKETING.search(f)
                or lex.ACKNOWLEDGES.search(f) or lex.BOILERPLATE_EMPATHY.search(f) or len(s.split()) <= 3)
    ]
    answered = any(m.status == "conveyed" for m in match_facts(exchange.expected_facts, reply.sentences, reply.folded))
    share = 1 - len(substantive) / max(1, len(reply.sentences))
    if answered or substantive:
        reason = "stalling phrase, but the reply also " + ("conveys an expected fact" if answered else f"says something of substance: {snippet(substantive[0], 80)!r}")
        return _result("stalling_autoreply", False, 0.7, cue, reason, share)
    return _result("stalling_autoreply", True, 0.85, cue, "only stalls: asks the customer to wait, no substance", share)


@criterion
def marketing(exchange: Exchange, reply: CleanReply) -> CriterionResult:
    """Sales or promotion inside a support reply (a goodwill credit for a failure is not marketing)."""
    signature_lines = reply.signature.splitlines()
    if reply.first(lex.MARKETING) is None and not any(lex.MARKETING.search(fold(line)) for line in signature_lines):
        return _result("marketing", False, 0.8, "", "no promotion found")
    for sentence in [*reply.sentences, *signature_lines]:
        folded = fold(sentence)
        if lex.MARKETING.search(folded) and not lex.GOODWILL.search(folded):
            return _result("marketing", True, 0.85, sentence, "promotes products or offers inside a support reply")
    return _result("marketing", False, 0.8, "", "no promotion found")


@criterion
def asks_again(exchange: Exchange, reply: CleanReply) -> CriterionResult:
    """Asks for a detail the customer already gave (order number, email, photo…)."""
    start = reply.first(lex.REQUEST)
    if start is None:
        return _result("asks_again", False, 0.75, "", "asks for nothing the customer already gave")
    for sentence, folded in zip(reply.sentences[start:], reply.folded[start:]):
        if not lex.REQUEST.search(folded):
            continue
        asked = [detail.name for detail in DETAILS if detail.asked.search(sentence)] if may_ask_for_details(sentence) else []
        if not asked:
            continue
        given = details_given(exchange.customer_text, exchange.persona, exchange.channel, exchange.earlier_context, only=asked)
        for detail in DETAILS:
            if detail.name in given and not _states_it(sentence, given[detail.name]):
                return _result("asks_again", True, 0.8, sentence, f"asks for the {detail.name}, which the customer already gave ({given[detail.name]})")
    return _result("asks_again", False, 0.75, "", "asks for nothing the customer already gave")


def _states_it(sentence: str, value: str) -> bool:
    """'Your order ORD-1 shipped' repeats the detail; it does not ask for it."""
    return len(value) >= 4 and fold(value) in fold(sentence)


HARD_EASE = 45.0
LONG_AVERAGE_SENTENCE = 18.0
MAX_AVERAGE_SENTENCE = 26.0
MAX_SENTENCE = 45


@criterion
def readability(exchange: Exchange, reply: CleanReply) -> CriterionResult:
    """Plain, short sentences. Fails on long sentences, or on hard words in long-ish sentences.

    Flesch reading ease alone swings wildly on a two-sentence reply with one long word, so
    it only fails a reply whose sentences are also long.
    """
    if not reply.sentences:
        return _result("readability", False, 0.6, "", "the reply has no text of its own", 0.0)
    ease, words_per_sentence, longest = reading_ease(reply.sentences, reply.folded)
    longest_words = len(longest.split())
    problems = []
    if words_per_sentence > MAX_AVERAGE_SENTENCE:
        problems.append(f"{words_per_sentence:.0f} words a sentence on average (>{MAX_AVERAGE_SENTENCE:.0f})")
    if longest_words > MAX_SENTENCE:
        problems.append(f"a {longest_words}-word sentence (>{MAX_SENTENCE})")
    if ease < HARD_EASE and words_per_sentence > LONG_AVERAGE_SENTENCE:
        problems.append(f"reading ease {ease:.0f} (<{HARD_EASE:.0f}) with {words_per_sentence:.0f}-word sentences")
    reason = "; ".join(problems) or f"reading ease {ease:.0f}, {words_per_sentence:.1f} words a sentence"
    score = round(max(0.0, min(100.0, ease)) / 100, 3)
    return _result("readability", not problems, 0.8, longest, reason, score)


CRITERIA: tuple[str, ...] = tuple(REGISTRY)
