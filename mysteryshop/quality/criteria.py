"""The criteria: plain functions from (exchange, cleaned reply, lexicon) to a verdict, in a registry.

Each criterion answers "does the reply show this trait?". For the undesirable traits
(see `UNDESIRABLE`) a True verdict is bad news; journeys name them under `must_not`.

A criterion is judged in the reply's language, with that language's lexicon (languages/*.yaml).
The language is detected once per reply, on the cleaned text, the first time a criterion needs
it (`CleanReply.language`). A reply in a language the criterion has no lexicon for is
"unscored (language xx)", never judged with another language's words. When the language cannot
be told (a reply of a few words), the criterion is judged in every language it supports and the
verdict stands only if they all agree.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterator, Sequence

from mysteryshop.quality.clean import CleanReply
from mysteryshop.quality.details import (
    DETAILS,
    customer_specifics,
    details_given,
    find_name,
    find_reference,
    may_ask_for_details,
)
from mysteryshop.quality.exchange import CriterionResult, Exchange, unscored
from mysteryshop.quality.facts import match_facts
from mysteryshop.quality.html_text import html_text, image_texts, links
from mysteryshop.quality.lexicons import Lexicon, Phrases, lexicon, supporting
from mysteryshop.quality.readability import reading_ease
from mysteryshop.quality.requests import already_given, given_by_shape
from mysteryshop.quality.text import fold, snippet
from mysteryshop.quality.wording import (
    content_stem_set,
    customer_stem_set,
    not_residual,
    promo_words_in,
    residual_words,
    stemmer_of,
    words_of,
)

ENGINE = "rules"

Judge = Callable[[Exchange, CleanReply, Lexicon], CriterionResult]
Criterion = Callable[[Exchange, CleanReply], CriterionResult]
REGISTRY: dict[str, Criterion] = {}
#: the lexicon entries each criterion reads: a language supports it when its file has them all
NEEDS: dict[str, tuple[str, ...]] = {}
UNDESIRABLE = frozenset({"stalling_autoreply", "marketing", "asks_again"})


def criterion(*needs: str) -> Callable[[Judge], Criterion]:
    """Register a judge under its own name, run in the reply's language; a second criterion of that name is a mistake."""

    def register(judge: Judge) -> Criterion:
        name = judge.__name__
        if name in REGISTRY:
            raise ValueError(f"criterion {name!r} is already registered by {REGISTRY[name].__module__}")

        @functools.wraps(judge)
        def run(exchange: Exchange, reply: CleanReply) -> CriterionResult:
            return _in_language(name, judge, exchange, reply)

        REGISTRY[name] = run
        NEEDS[name] = needs
        return run

    return register


def languages_for(name: str, exchange: Exchange) -> tuple[str, ...]:
    """The languages criterion `name` can judge `exchange` in."""
    supported = _supporting(name)
    if name == "answers_question" and exchange.facts_by_language:
        return tuple(code for code in supported if code in exchange.facts_by_language)
    return supported


@functools.cache
def _supporting(name: str) -> tuple[str, ...]:
    """`supporting(NEEDS[name])`, looked up by the criterion's name alone (ten times a reply)."""
    return supporting(NEEDS[name])


def _in_language(name: str, judge: Judge, exchange: Exchange, reply: CleanReply) -> CriterionResult:
    if name == "answers_question":
        if not (exchange.expected_facts or exchange.facts_by_language):
            return unscored(name, ENGINE, "no expected facts given for this step: nothing to check the answer against")
        supported = languages_for(name, exchange)
    else:
        supported = _supporting(name)
    code = reply.language
    if code is not None:
        lex = lexicon(code) if code in supported else None
        if lex is not None:
            return judge(exchange, reply, lex)
        if name == "answers_question" and exchange.facts_by_language and code in _supporting(name):
            given = ", ".join(sorted(exchange.facts_by_language))
            return unscored(name, ENGINE, f"unscored (language {code}): the step gives its facts in {given}, not in {code}")
        return unscored(name, ENGINE, f"unscored (language {code}): {name} is judged in {', '.join(supported) or 'no language'} only")
    verdicts = [judge(exchange, reply, lex) for lex in map(lexicon, supported) if lex is not None]
    if verdicts and all(v.passed == verdicts[0].passed for v in verdicts):
        first = verdicts[0]
        return dataclasses.replace(first, reason=f"{first.reason} (language not detected: the same verdict in {', '.join(supported)})")
    return unscored(name, ENGINE, "unscored (language unknown): too little text to tell its language, and the verdict depends on it")


def _result(name: str, passed: bool, confidence: float, evidence: str, reason: str, score: float | None = None) -> CriterionResult:
    if not evidence and score is None and (passed is True or passed is False):
        key = (name, passed, confidence, reason)
        found = _NO_EVIDENCE.get(key)
        if found is None:
            found = CriterionResult(name, passed, float(passed), confidence, "", ENGINE, reason)
            if len(_NO_EVIDENCE) < _MAX_NO_EVIDENCE:
                _NO_EVIDENCE[key] = found
        return found
    return CriterionResult(name, passed, float(passed) if score is None else score, confidence, snippet(evidence), ENGINE, reason)


_NO_EVIDENCE: dict[tuple[str, bool, float, str], CriterionResult] = {}
"""Verdicts without evidence or a score of their own, made once: a result is frozen, so one can stand for every reply
that gets it. The criteria's reasons are mostly fixed messages; one with reply text in it would grow this, so it is
capped at `_MAX_NO_EVIDENCE`."""
_MAX_NO_EVIDENCE = 1024


def _first(pattern: object, reply: CleanReply) -> str | None:
    index = reply.first(pattern)  # type: ignore[arg-type]
    return None if index is None else reply.sentences[index]


@criterion("acknowledges")
def acknowledges(exchange: Exchange, reply: CleanReply, lex: Lexicon) -> CriterionResult:
    """Says the message arrived: thanks for it, confirms receipt, or gives a ticket reference."""
    found = _first(lex.acknowledges, reply)
    if found:
        return _result("acknowledges", True, 0.9, found, "acknowledges the customer's message")
    return _result("acknowledges", False, 0.8, "", "no thanks, receipt confirmation or ticket reference found")


@criterion("negations", "stopwords", "greeting")
def answers_question(exchange: Exchange, reply: CleanReply, lex: Lexicon) -> CriterionResult:
    """Every expected fact is conveyed: right numbers, not negated ('we cannot refund')."""
    facts = exchange.facts_in(lex.code)
    if not facts:
        return unscored("answers_question", ENGINE, "no expected facts given for this step: nothing to check the answer against")
    sentences, folded = _without_greeting(reply, lex)
    matches = match_facts(facts, sentences, folded, lex)
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


def _without_greeting(reply: CleanReply, lex: Lexicon) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The reply's sentences less a salutation line ("Estimada clienta:" states no estimate)."""
    if reply.folded and lex.greeting.match(reply.folded[0]):
        return reply.sentences[1:], reply.folded[1:]
    return reply.sentences, reply.folded


@criterion("generic_greeting")
def personalized(exchange: Exchange, reply: CleanReply, lex: Lexicon) -> CriterionResult:
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
    common = lex.words("common_capitals")
    for specific in customer_specifics(exchange.customer_text, exclude=reply.signature + "\n" + reply.footer, common=common):
        key = fold(specific)
        if key in folded_body and re.search(rf"(?<!\w){re.escape(key)}(?!\w)", folded_body):
            return _result("personalized", True, 0.7, _sentence_with(reply, specific), f"refers to what the customer mentioned ({specific})")
    generic = _first(lex.generic_greeting, reply)
    reason = f"generic greeting ({generic!r}) and no name or specifics" if generic else "neither the customer's name nor their specifics"
    return _result("personalized", False, 0.8, generic or "", reason)


def _sentence_with(reply: CleanReply, needle: str) -> str:
    key = fold(needle).replace("#", "")
    return next((s for s in reply.sentences if key in fold(s).replace("#", "")), needle)


@criterion("empathy", "boilerplate_empathy", "customer_experience", "generic_situation_words")
def empathy(exchange: Exchange, reply: CleanReply, lex: Lexicon) -> CriterionResult:
    """Empathy tied to the customer's situation; boilerplate apologies alone do not count."""
    starts = [i for i in (reply.first(lex.empathy), reply.first(lex.boilerplate_empathy)) if i is not None]
    if not starts:
        return _result("empathy", False, 0.75, "", "no empathy expressed about the customer's situation")
    generic = _generic_situation(lex)
    situation: frozenset[str] | None = None  # the customer's words, once a sentence needs them
    boilerplate = ""
    start = min(starts)
    for sentence, folded in zip(reply.sentences[start:], reply.folded[start:]):
        stripped = lex.boilerplate_empathy.sub(" ", folded)
        if stripped != folded and not boilerplate:
            boilerplate = sentence
        if not lex.empathy.search(stripped):
            continue
        if situation is None:
            situation = customer_stem_set(exchange.customer_text, lex) - generic
        shared = _shared_stems(content_stem_set(stripped, lex) - generic, situation)
        if shared or lex.customer_experience.search(stripped):
            tie = ", ".join(sorted(shared)) if shared else "what the customer went through"
            return _result("empathy", True, 0.8, sentence, f"empathy tied to the customer's situation ({tie})")
    if boilerplate:
        return _result("empathy", False, 0.8, boilerplate, "only boilerplate apology, not tied to the customer's situation")
    return _result("empathy", False, 0.75, "", "no empathy expressed about the customer's situation")


_SHARED_PREFIX = 5
_SHARED_HEAD = 6


def _shared_stems(said: set[str], written: set[str] | frozenset[str]) -> set[str]:
    """The stems of `said` the customer also wrote, or wrote a longer or shorter form of ("cancel" from "cancellation",
    "cancell" from "cancelled": stemmers do not always meet), the shorter at least `_SHARED_PREFIX` letters; or the
    head of a compound they wrote ("maschin" in "waschmaschin"), at least `_SHARED_HEAD` letters."""
    shared = said & written
    for stem in said - shared:
        for w in written:
            short, long = sorted((stem, w), key=len)
            if (len(short) >= _SHARED_PREFIX and long.startswith(short)) or (len(short) >= _SHARED_HEAD and long.endswith(short)):
                shared.add(stem)
                break
    return shared


@functools.cache
def _generic_situation(lex: Lexicon) -> frozenset[str]:
    """Words of any situation ("problem", "Anliegen"), as written and as stems."""
    words = lex.words("generic_situation_words")
    return words | {stemmer_of(lex)(w) for w in words}


@criterion("next_step", "company_step", "customer_step", "vague_step", "when", "policy_deadline", "automated", "conditional", "general_time", "addressee")
def sets_expectations(exchange: Exchange, reply: CleanReply, lex: Lexicon) -> CriterionResult:
    """Tells the customer what will happen next in their matter and/or when: who does what by when (a time, a step the
    company or someone else will take that the customer will notice, a promise to reply). "We will look into it",
    "we will take the necessary steps" and promises made only "if necessary" are too vague; so is how long a thing
    takes in general ("standard delivery usually takes 3-5 days"): a policy, not this case. A request or an
    instruction to the customer ("please send us your order number", "open Settings > ...", `customer_step`) says
    what they should do, not what will happen: it counts only through a step of the company's beside it
    ("...and we'll send a new one the same day"). The definition is tests/quality/LABELLING.md."""
    when_at = reply.first(lex.when)
    if when_at is not None:
        for index in range(when_at, len(reply.sentences)):
            folded = reply.folded[index]
            if lex.when.search(folded) and not lex.policy_deadline.search(folded) and not lex.automated.search(folded):
                if _general_time(folded, lex) or _already_done(folded, lex) or _customer_deadline(folded, lex):
                    continue
                return _result("sets_expectations", True, 0.8, reply.sentences[index], "sets expectations (when)")
    steps = lex.union("next_step", "company_step")
    step_at = reply.first(steps)
    vague = ""
    if step_at is not None:
        for index in range(step_at, len(reply.sentences)):
            folded = reply.folded[index]
            if not steps.search(folded) or lex.automated.search(folded):
                continue  # "please do not reply to this email" is no step
            if lex.conditional.search(folded):
                vague = vague or reply.sentences[index]  # "we will contact you if necessary" promises nothing
                continue
            plain = lex.vague_step.sub(" ", folded)
            concrete = lex.next_step.search(plain) or (lex.company_step.search(plain) and not _on_its_own_side(plain, lex))
            if concrete and not _only_on_the_matter(folded, lex) and not _already_done(folded, lex):
                return _result("sets_expectations", True, 0.8, reply.sentences[index], "sets expectations (a concrete next step)")
            vague = vague or reply.sentences[index]
    if vague:
        return _result("sets_expectations", False, 0.7, vague, "only a vague next step, with no concrete action or time")
    asked = reply.first(lex.customer_step)
    if asked is not None:
        return _result("sets_expectations", False, 0.7, reply.sentences[asked],
                       "only a request or instruction to the customer: what they should do, not what will happen or when")
    return _result("sets_expectations", False, 0.75, "", "no next step or timeframe given")


def _customer_deadline(folded: str, lex: Lexicon) -> bool:
    """A time on a request to the customer and on nothing of the company's ("merci de nous envoyer une photo d'ici
    vendredi", "please send the form by Friday"): when the customer should act, not what will happen."""
    return bool(lex.customer_step.search(folded)) and not lex.union("next_step", "company_step").search(folded)


_CLAUSE_BREAK = re.compile(r"[,;:()]|\s(?:and|but|und|aber|et|mais|y|pero)\s")


def _only_on_the_matter(folded: str, lex: Lexicon) -> bool:
    """A step done to the customer's matter and nothing else ("nous vérifierons votre dossier", "our team will process
    your request", "nous traiterons votre demande dans les meilleurs délais"): no more than one word of its own beyond
    the matter and the courtesies, and not done to the customer ("we will call you"). Such a step is work the company
    does on its side, with nothing the customer will see or get."""
    objects = lex.words("customer_objects")
    possessives = lex.words("customer_possessives")
    if not objects or not possessives:
        return False  # a lexicon without these lists keeps every step it finds
    if not objects.isdisjoint(words_of(folded)):
        return False  # "nous allons examiner votre demande et revenir vers vous"
    step = lex.union("next_step", "company_step").search(folded)
    if step is None:
        return False
    before = _CLAUSE_BREAK.split(folded[: step.start()])[-1]
    after = _CLAUSE_BREAK.split(folded[step.start() :])[0]
    tokens = words_of(before + " " + after)  # the clause the step is in: "we have received your enquiry and will reply" is two
    endings = tuple(lex.words("company_verb_endings"))
    if lex.words("company_subjects").isdisjoint(tokens) and not (endings and any(w.endswith(endings) for w in tokens)):
        return False  # not the company's own step: a request to the customer ("please provide your order number")
    matter = lex.words("filler_words") | lex.words("generic_situation_words")
    if not any(word in possessives and following in matter for word, following in zip(tokens, tokens[1:])):
        return False
    skip = not_residual(lex) | lex.words("generic_situation_words")
    return sum(1 for word in tokens if word not in skip) <= 1


def _on_its_own_side(folded: str, lex: Lexicon) -> bool:
    """A step in general words ("we will …") that is work on the company's side: done to the customer's matter only
    ("we will keep your comments on file", "we will proceed with your request"), or to the company's own things
    with no word for the customer ("we will update our records"). "We will refund you", "we'll post your card" and
    "nous allons organiser l'enlèvement de l'appareil" are steps the customer will see."""
    if not residual_words(lex.company_step.sub(" ", folded), lex, frozenset()):
        return True  # nothing left but "wir werden" once the vague part is out ("wir werden uns der Sache annehmen")
    matter = lex.words("filler_words") | lex.words("generic_situation_words")
    possessives = lex.words("customer_possessives")
    tokens = words_of(folded)
    addressed = False
    for at, word in enumerate(tokens):
        if lex.addressee.search(word) is None:
            continue
        addressed = True
        if not (word in possessives and at + 1 < len(tokens) and tokens[at + 1] in matter):
            return False
    return addressed or not lex.words("company_possessives").isdisjoint(tokens)


def _already_done(folded: str, lex: Lexicon) -> bool:
    """A time in a sentence about what already happened, with nothing still to come in it ("your order left our
    warehouse on Monday", "votre commande a été expédiée le 3 mai"): done is an answer, not an expectation. Each
    language's file says what marks the past (`past_event`) and what marks something still to come (`still_to_come`);
    a language without them keeps every time."""
    try:
        past, to_come = lex.past_event, lex.still_to_come
    except AttributeError:
        return False
    return past.search(folded) is not None and to_come.search(folded) is None


def _general_time(folded: str, lex: Lexicon) -> bool:
    """How long a thing takes in general ("deliveries normally take 48 hours", "die Lieferzeit beträgt in der Regel
    3 bis 5 Werktage"): no word for the customer in it and no step of the company's."""
    return (
        lex.general_time.search(folded) is not None
        and lex.addressee.search(folded) is None
        and lex.union("next_step", "company_step").search(lex.vague_step.sub(" ", folded)) is None
    )


@criterion("feedback", "feedback_thanks", "not_feedback", "outcome_words", "restore_words", "report_back", "request_modal", "negations")
def asks_feedback(exchange: Exchange, reply: CleanReply, lex: Lexicon) -> CriterionResult:
    """Asks for feedback or whether the issue is now resolved: in the lexicon's words, or by what the sentence does.

    A question about whether it worked ("Is the sync behaving again?", "Tout est rentré dans l'ordre ?"), or a
    request to report back on it ("tell us whether it prints now", "cuéntenos si ya puede imprimir"), counts;
    "anything else?" and "let us know if you would like…" do not. A question that opens with a request
    ("could you send it again?") asks for something, so a word like "again" alone does not make it one."""
    start = reply.first(lex.feedback)
    found = None if start is None else next(
        (s for s, f in zip(reply.sentences[start:], reply.folded[start:]) if lex.feedback.search(lex.feedback_thanks.sub(" ", f))), None
    )
    if found:
        return _result("asks_feedback", True, 0.85, found, "asks whether the issue is resolved or for feedback")
    report_at = reply.first(lex.report_back)
    if "?" not in reply.folded_text and report_at is None:
        return _result("asks_feedback", False, 0.8, "", "does not ask whether the issue is resolved or for feedback")
    outcome = lex.words("outcome_words")
    restore = lex.words("restore_words")
    topic: frozenset[str] | None = None  # the customer's own words, once a request to report back needs them
    for index, (sentence, folded) in enumerate(zip(reply.sentences, reply.folded)):
        question = folded.rstrip().endswith("?")
        if not question and "?" not in folded and (report_at is None or index < report_at or lex.report_back.search(folded) is None):
            continue
        if lex.not_feedback.search(folded):
            continue
        words = set(_LETTERS.findall(folded))
        about_outcome = not outcome.isdisjoint(words)
        about_state = not restore.isdisjoint(words)
        if question and (about_outcome or (about_state and lex.request_modal.search(folded) is None)):
            return _result("asks_feedback", True, 0.7, sentence, "asks whether the answer worked")
        if report_at is not None and index >= report_at and lex.report_back.search(folded):
            if about_outcome or about_state:
                return _result("asks_feedback", True, 0.7, sentence, "asks the customer to report back on whether it worked")
            if topic is None:
                topic = customer_stem_set(exchange.customer_text, lex) - _generic_situation(lex)
            shared = content_stem_set(folded, lex) & topic
            negated = not lex.words("negations").isdisjoint(_TOKENS.findall(folded))  # "…if the refund doesn't arrive": a fallback
            if shared and not negated:  # "let me know if the connection holds", for a customer whose connection kept dropping
                return _result("asks_feedback", True, 0.7, sentence, f"asks the customer to report back on their problem ({', '.join(sorted(shared))})")
    return _result("asks_feedback", False, 0.8, "", "does not ask whether the issue is resolved or for feedback")


_LETTERS = re.compile(r"[^\W\d_]+")
_TOKENS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


#: a sentence with at least this many words beyond receipt, ticket, deferral and courtesy says something
SUBSTANCE_WORDS = 2


@criterion("deferral", "automated", "acknowledges", "non_substance", "filler_words", "stopwords", "marketing", "vague_step", "conditional", "lead_in", "when", "hand_off", "answer_sign", "sympathy")
def stalling_autoreply(exchange: Exchange, reply: CleanReply, lex: Lexicon) -> CriterionResult:
    """A reply that only defers: receipt, a ticket or case number, 'someone will get back to you', with no substance.

    Judged by structure, not by a fixed phrase: every sentence is taken apart into what defers
    (a deferral, a receipt, a reference, a pleasantry, the company's own names) and what is left;
    a sentence with words of its own left over is substance. In a reply that defers, a sentence that itself defers
    or only commiserates ("I'm sorry your parcel is late") must also show a sign of an answer (`answer_sign`: an
    action done, a decision, an amount, steps, a link): naming what is being checked, and with whom, is no answer.
    """
    defers = lex.union("deferral", "automated", "vague_step")
    at = reply.first(defers)
    deferring: dict[str, bool] = {}
    cues = [] if at is None else [s for s, f in zip(reply.sentences[at:], reply.folded[at:]) if _defers(f, defers, deferring)]
    if cues:
        substantive = list(_substance(exchange, reply, lex, deferring=deferring))
    else:
        # a receipt alone ("we have received your message, ref 4471") defers as surely as "we will get back to you";
        # with no deferral in it, one sentence of substance settles it (score 0: nothing defers)
        if next(_substance(exchange, reply, lex, longest_first=True), None) is not None:
            return _result("stalling_autoreply", False, 0.85, "", "no deferral: nothing says the answer comes later")
        cues = [s for s, f in zip(reply.sentences, reply.folded) if lex.acknowledges.search(f) and not lex.non_substance.match(f)]
        if not cues:
            return _result("stalling_autoreply", False, 0.85, "", "no deferral: nothing says the answer comes later")
        substantive = []
    cue = " … ".join(cues)
    facts = exchange.facts_in(lex.code)
    # a fact only in whom the question went to ("passed to our technicians") is not conveyed: read without hand-offs
    unhanded = [lex.hand_off.sub(" ", f) for f in reply.folded] if facts and not substantive else reply.folded
    answered = not substantive and bool(facts) and any(m.status == "conveyed" for m in match_facts(facts, reply.sentences, unhanded, lex))
    share = 1 - len(substantive) / max(1, len(reply.sentences))
    if answered or substantive:
        reason = "defers, but the reply also " + ("conveys an expected fact" if answered else f"says something of substance: {snippet(substantive[0], 80)!r}")
        return _result("stalling_autoreply", False, 0.7, cue, reason, share)
    return _result("stalling_autoreply", True, 0.85, cue, "only defers: receipt, reference or 'we will get back to you', no substance", share)


def _defers(folded: str, defers: Phrases, seen: dict[str, bool]) -> bool:
    """Whether `defers` finds anything in `folded`, searched once per distinct text of a reply."""
    found = seen.get(folded)
    if found is None:
        found = seen[folded] = defers.search(folded) is not None
    return found


def _substance(
    exchange: Exchange, reply: CleanReply, lex: Lexicon, longest_first: bool = False, deferring: dict[str, bool] | None = None
) -> Iterator[str]:
    """The reply's sentences that say something beyond deferring (the longest first, when only whether there is one matters).

    What is taken out before the words left are counted: codes and numbers (a case number is not substance),
    names (the company's, its team's), an opening "in the meantime", and every deferral, receipt and
    courtesy phrase; in a sentence that defers, the customer's own words echoed back ("your request
    regarding 'meter reading'") say nothing new either.
    """
    customer = fold(exchange.customer_text)
    echoed = ""
    if longest_first:  # called when the reply holds no deferral, automated notice or vague step at all
        phrases: tuple[Phrases, ...] = (lex.acknowledges, lex.boilerplate_empathy, lex.conditional)
    else:
        # a vague step first (it holds a deferral: "nous allons étudier la situation"); whom the question went to,
        # in any words ("checking with our warehouse team"): a hand-off, not an answer; last (below, once the signs
        # of an answer were looked for: an appointment's window is one), a time: it is when the deferred answer
        # comes ("melde mich spätestens Donnerstag")
        phrases = (lex.vague_step, lex.deferral, lex.automated, lex.acknowledges, lex.boilerplate_empathy, lex.conditional, lex.hand_off)
    names_only = "names" in lex.words("capitals_mark")
    defers = lex.union("deferral", "automated", "vague_step")
    if deferring is None:
        deferring = {}
    pairs = zip(reply.sentences, reply.folded)
    for sentence, folded in sorted(pairs, key=lambda pair: -len(pair[1])) if longest_first else pairs:
        if longest_first and lex.non_substance.match(folded):
            continue
        lead = lex.lead_in.match(folded)
        if longest_first and lead is None and _plainly_says_something(sentence, folded, lex):
            yield sentence
            continue
        if lead is not None:
            folded = folded[lead.end() :]
            if lex.non_substance.match(folded):
                continue
        elif not longest_first and lex.non_substance.match(folded):
            continue  # (with the longest first, a sentence that is a pleasantry was passed over above)
        if lex.greeting.match(folded):
            continue
        coded = _DIGIT.search(folded) is not None
        names = _sentence_names(sentence, customer, names_only)
        words = residual_words(_CODE.sub(" ", folded) if coded else folded, lex, names)
        if len(words) < SUBSTANCE_WORDS:
            continue  # too few words of its own even before the deferral is taken out
        if longest_first and len(words) >= _PLAINLY_SUBSTANCE and not lex.acknowledges.search(folded):
            yield sentence  # no deferral in the reply, no receipt in the sentence, and words enough of its own
            continue
        before_when = folded
        # the first three (vague step, deferral, automated) can only take something out where their union finds it
        skip = 0 if longest_first or _defers(folded, defers, deferring) else 3
        for pattern in phrases[skip:]:
            before_when = pattern.sub(" ", before_when)  # on the sentence as written: references and times have digits
        if not longest_first and lex.answer_sign.search(before_when) and not _promotes(folded, customer, lex):
            yield sentence  # an action done, a decision, an amount, steps: an answer, even in the customer's own words
            continue
        left = before_when if longest_first else lex.when.sub(" ", before_when)
        if left != folded:
            kept = set(words)
            words = [w for w in words_of(_CODE.sub(" ", left) if coded else left) if w in kept]
            if len(words) >= SUBSTANCE_WORDS:
                if not echoed:
                    echoed = " " + " ".join(words_of(customer))
                to_stem = stemmer_of(lex)
                words = [w for w in words if " " + to_stem(w) not in echoed]
        if len(words) < SUBSTANCE_WORDS or lex.marketing.search(folded):
            continue
        if not longest_first and (lex.sympathy.match(folded) or _defers(folded, defers, deferring)):
            continue  # it defers or commiserates, in words of its own, and answers nothing
        yield sentence


def _promotes(folded: str, customer: str, lex: Lexicon) -> bool:
    """Whether a sentence holds a promotional phrase the customer did not write first ("en soldes" echoed back is none)."""
    promo = lex.marketing.search(folded)
    return promo is not None and promo.group() not in customer


#: with no receipt or deferral to take out, a sentence with this many words of its own says something
_PLAINLY_SUBSTANCE = 4


def _plainly_says_something(sentence: str, folded: str, lex: Lexicon) -> bool:
    """A quick first look, for a reply that defers nowhere: `_PLAINLY_SUBSTANCE` words of its own even if every
    capitalised word were a name and every code a reference, in a sentence that is no pleasantry and no receipt
    (twice as many whatever it holds: no receipt takes out that many). Called on a sentence that is no pleasantry
    and has no lead-in ("in the meantime")."""
    words = len(set(words_of(folded)) - not_residual(lex))  # distinct, and one-letter words count: a quick upper bound
    if words < _PLAINLY_SUBSTANCE:
        return False
    words -= len(_CAPITAL.findall(sentence)) + len(_DIGITS.findall(folded))
    return words >= 2 * _PLAINLY_SUBSTANCE or (words >= _PLAINLY_SUBSTANCE and not lex.acknowledges.search(folded))


_NO_NAMES: frozenset[str] = frozenset()
_DIGIT = re.compile(r"\d")
_DIGITS = re.compile(r"\d+")
"""Runs of digits: at least as many as the tokens with a digit in them, so counting them is a safe upper bound."""
_CODE = re.compile(r"(?<!\S)[^\s\d]*\d\S*")
"""A token (between spaces) with a digit in it: a case number, a reference, a date, an amount, with its brackets."""
_CAPITAL = re.compile(r"[A-Z][\w&'-]*")
"""A word that starts with a capital, counted from the capital on ("iPhone" counts)."""
_CAPITALISED_WORD = re.compile(r"\b[A-Z][\w&'-]*")


def _sentence_names(sentence: str, customer: str, names_only: bool) -> frozenset[str]:
    """Names in a sentence of the reply (folded): capitalised words the customer did not write (the company's own:
    "Acme", "Care Team") and, where a capital inside a sentence marks only names (`names_only`: not German, where
    it marks every noun), every capitalised word but the first."""
    found = set()
    for match in _CAPITALISED_WORD.finditer(sentence):
        word = fold(match.group())
        if (names_only and match.start() > 0) or word not in customer:
            found.add(word)
    return frozenset(found)


@criterion("marketing", "goodwill", "promo_words", "promo_offer", "promo_call", "greeting", "promo_path", "help_path")
def marketing(exchange: Exchange, reply: CleanReply, lex: Lexicon) -> CriterionResult:
    """Sales or promotion inside a support reply, body, signature banner or trailing section alike
    (a goodwill credit for a failure is not marketing; a legal or unsubscribe footer is not either).

    In the body, a selling phrase of the lexicon counts, unless the customer asked about that very thing
    ("how do I upgrade to Pro?" answered with the Pro plan's price). After the answer (a P.S., the last
    paragraph, the signature, the footer, the text of an image banner), a line sells when it both offers
    something (a price, a saving, something free or new) and calls the reader to take it (an imperative,
    a teaser question, a link), or holds two promotional words.
    """
    if reply.first(lex.marketing) is not None:
        for sentence, folded in zip(reply.sentences, reply.folded):
            if lex.marketing.search(folded) and not lex.goodwill.search(folded) and not _what_was_asked(sentence, exchange, lex):
                return _result("marketing", True, 0.85, sentence, "promotes products or offers inside a support reply")
    in_body, outside = _trailing(exchange, reply, lex)
    images: list[str] = []
    if exchange.reply_html:
        link = _campaign_link(exchange.reply_html, lex)
        if link:
            return _result("marketing", True, 0.75, link, "a link to a campaign or an offer (its address says so), not to help")
        images = [*image_texts(exchange.reply_html), *_html_only_lines(exchange.reply_html, reply)]
    for line in (*in_body, *outside, *images):
        if line not in in_body and line not in images:
            sells = _sells(fold(line), lex)
            if sells is not None:
                return _result("marketing", True, sells[0], line, sells[1])
            continue
        folded = fold(line)
        if line not in in_body and lex.marketing.search(folded):  # the body was searched as a whole above
            found = (0.85, "promotes products or offers after the answer")
        elif line in images and (offer := lex.promo_offer.search(folded)):
            found = (0.75, f"an image in the HTML offers something ({offer.group().strip()!r}): a banner, not help")
        elif (offer := lex.promo_offer.search(folded)) and (call := lex.promo_call.search(folded)):
            found = (0.75, f"an offer ({offer.group().strip()!r}) and a call to take it ({call.group().strip()!r}) after the answer")
        elif len(promo := promo_words_in(folded, lex)) >= 2:
            found = (0.75, f"a promotional line after the answer ({', '.join(sorted(promo))})")
        else:
            continue
        if not lex.goodwill.search(folded) and not (line in in_body and _what_was_asked(line, exchange, lex)):
            return _result("marketing", True, found[0], line, found[1])
    return _result("marketing", False, 0.8, "", "no promotion found")


@functools.lru_cache(maxsize=4096)
def _sells(folded: str, lex: Lexicon) -> tuple[float, str] | None:
    """`marketing`'s verdict on one line of the signature or footer (folded), neither in the body nor an image's:
    (confidence, reason) when it sells, else None. Kept per line: a company signs every reply alike."""
    if lex.marketing.search(folded):
        found = (0.85, "promotes products or offers after the answer")
    elif (offer := lex.promo_offer.search(folded)) and (call := lex.promo_call.search(folded)):
        found = (0.75, f"an offer ({offer.group().strip()!r}) and a call to take it ({call.group().strip()!r}) after the answer")
    elif len(promo := promo_words_in(folded, lex)) >= 2:
        found = (0.75, f"a promotional line after the answer ({', '.join(sorted(promo))})")
    else:
        return None
    return None if lex.goodwill.search(folded) else found


_UTM_CAMPAIGN = re.compile(r"[?&]utm_(campaign|content)=", re.IGNORECASE)
_URL_PATH = re.compile(r"^[a-z][a-z0-9+.-]*://[^/?#]*([^?#]*)", re.IGNORECASE)


def _campaign_link(markup: str, lex: Lexicon) -> str | None:
    """A link that sells by its address: to a sale, an offer or a deal (its path in the lexicon's `promo_path`), or
    tracked as a campaign (utm_campaign) with words that offer or call to buy; never a link to help, an account,
    an order or the legal pages (`help_path`), whatever its tracking."""
    for text, href in links(markup):
        path = _URL_PATH.match(href)
        where = fold(path.group(1) if path else "")
        if lex.help_path.search(where):
            continue
        folded = fold(text)
        if lex.promo_path.search(where) or (
            _UTM_CAMPAIGN.search(href) and (lex.promo_offer.search(folded) or lex.promo_call.search(folded) or promo_words_in(folded, lex))
        ):
            return f"{text} <{href}>" if text else href
    return None


def _html_only_lines(markup: str, reply: CleanReply) -> list[str]:
    """Lines of the HTML part that its plain-text part lacks: a banner the plain part leaves out."""
    text, _notes = html_text(markup)
    plain = fold(reply.body + "\n" + reply.signature + "\n" + reply.footer)
    return [line for line in (" ".join(raw.split()) for raw in text.splitlines()) if line and not line.startswith(">") and fold(line) not in plain]


_POSTSCRIPT = re.compile(r"^\s*p\.?\s?[sd]\b\.?", re.IGNORECASE)
_POSTSCRIPT_START = ("p", "P")


def _trailing(exchange: Exchange, reply: CleanReply, lex: Lexicon) -> tuple[list[str], list[str]]:
    """Where upsell lines sit: in the body, its last paragraph (when another paragraph than a greeting comes
    before it) and P.S. lines; outside it, the signature and footer lines that are not legal boilerplate."""
    in_body = [s for s in reply.sentences if s.lstrip()[:1] in _POSTSCRIPT_START and _POSTSCRIPT.match(s)]
    paragraphs = _PARAGRAPHS.split(reply.body.strip()) if "\n" in reply.body else []
    if paragraphs and lex.greeting.match(fold(paragraphs[0].strip())):
        del paragraphs[0]
    if len(paragraphs) >= 2 and len(paragraphs[-1]) <= _MAX_TRAILING:
        in_body.append(" ".join(paragraphs[-1].split()))
    return in_body, [*reply.signature.splitlines(), *reply.footer_lines]


_PARAGRAPHS = re.compile(r"\n\s*\n")
_MAX_TRAILING = 400


def _what_was_asked(text: str, exchange: Exchange, lex: Lexicon) -> bool:
    """Whether an offer in the reply answers what the customer asked: they were asking about buying, upgrading or
    an offer themselves, and it names a thing of theirs ("Is there a student discount?": "Students get 20% off…").
    An upsell of the same topic to a customer who asked something else is still selling ("How much is roaming?":
    "Upgrade to our Unlimited World plan")."""
    customer = fold(exchange.customer_text)
    if not (lex.marketing.search(customer) or lex.promo_offer.search(customer)):
        return False
    return bool((content_stem_set(text, lex) & customer_stem_set(exchange.customer_text, lex)) - _generic_situation(lex))


@criterion("request", "stopwords", "determiners", "email_asked", "photo_asked", "photo_given", "when_asked", "date_value", "phone_asked", "address_asked", "address_value")
def asks_again(exchange: Exchange, reply: CleanReply, lex: Lexicon) -> CriterionResult:
    """Asks for a detail the customer already gave (order number, date of birth, invoice, photo…), compared
    with everything the customer wrote rather than with a fixed list."""
    asking = lex.words("ask_determiners")
    start = reply.first(lex.request)
    if start is None and (_asks_which(reply.folded_text, asking) or _asks_by_shape(reply.folded_text, lex)):
        start = 0  # "which invoice…?", "when did you order?" ask without a word of request
    if start is None:
        return _result("asks_again", False, 0.75, "", "asks for nothing the customer already gave")
    for sentence, folded in zip(reply.sentences[start:], reply.folded[start:]):
        hit = lex.request.search(folded)
        if hit is None:
            if not _asks_which(folded, asking) and not _asks_by_shape(folded, lex):
                continue
            hit = _WHOLE.match(folded)
        if lex.code == "en":
            known = _known_detail(exchange, sentence)
            if known:
                return _result("asks_again", True, 0.8, sentence, known)
        elif lex.email_asked.search(folded) and exchange.channel in ("email", "webform"):
            return _result("asks_again", True, 0.75, sentence, f"asks for the email address, known from the {exchange.channel} the customer sent")
        elif lex.photo_asked.search(folded) and lex.photo_given.search(fold(exchange.customer_text)):
            return _result("asks_again", True, 0.75, sentence, "asks for a photo the customer already attached")
        given = already_given(folded[hit.start():], exchange, lex) or given_by_shape(folded, exchange, lex)
        if given and not _states_it(sentence, given[1]):
            return _result("asks_again", True, 0.75, sentence, f"asks for the {given[0]}, which the customer already gave ({given[1]})")
    return _result("asks_again", False, 0.75, "", "asks for nothing the customer already gave")


_WHOLE = re.compile("")


def _asks_which(folded: str, asking: frozenset[str]) -> bool:
    """A question with an asking determiner in it ("which", "welche", "quel", "qué")."""
    return "?" in folded and any(w in folded for w in asking) and not asking.isdisjoint(words_of(folded))


def _asks_by_shape(folded: str, lex: Lexicon) -> bool:
    """A question about when something happened, or for a telephone number or an address ("Wann haben Sie bestellt?")."""
    return "?" in folded and any(p.search(folded) for p in (lex.when_asked, lex.phone_asked, lex.address_asked))


def _known_detail(exchange: Exchange, sentence: str) -> str | None:
    """Details with a shape of their own (an email address on the email channel, an attached photo)."""
    asked = [detail.name for detail in DETAILS if detail.asked.search(sentence)] if may_ask_for_details(sentence) else []
    if not asked:
        return None
    given = details_given(exchange.customer_text, exchange.persona, exchange.channel, exchange.earlier_context, only=asked)
    for detail in DETAILS:
        if detail.name in given and not _states_it(sentence, given[detail.name]):
            return f"asks for the {detail.name}, which the customer already gave ({given[detail.name]})"
    return None


def _states_it(sentence: str, value: str) -> bool:
    """'Your order ORD-1 shipped' repeats the detail; it does not ask for it."""
    return len(value) >= 4 and fold(value) in fold(sentence)


HARD_EASE = 45.0
LONG_AVERAGE_SENTENCE = 18.0
MAX_AVERAGE_SENTENCE = 26.0
MAX_SENTENCE = 45


@criterion("readability")
def readability(exchange: Exchange, reply: CleanReply, lex: Lexicon) -> CriterionResult:
    """Plain, short sentences. Fails on long sentences, or on hard words in long-ish sentences.

    Reading ease is the language's own Flesch formula (Amstad for German, Kandel-Moles for French,
    Fernández Huerta for Spanish). It swings wildly on a two-sentence reply with one long word, so
    it only fails a reply whose sentences are also long.
    """
    if not reply.sentences:
        return _result("readability", False, 0.6, "", "the reply has no text of its own", 0.0)
    ease, words_per_sentence, longest = reading_ease(reply.sentences, reply.folded, lex.readability)
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


def supported_languages(name: str) -> tuple[str, ...]:
    """The languages criterion `name` has a lexicon for."""
    return supporting(NEEDS[name])


__all__: Sequence[str] = ("CRITERIA", "REGISTRY", "UNDESIRABLE", "criterion", "languages_for", "supported_languages")
