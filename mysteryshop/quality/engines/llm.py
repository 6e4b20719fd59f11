"""LLM-judge engine: asks a model behind an OpenAI-compatible `/chat/completions` endpoint.

The endpoint, model and key come from options or MYSTERYSHOP_LLM_URL, MYSTERYSHOP_LLM_MODEL,
MYSTERYSHOP_LLM_API_KEY (and MYSTERYSHOP_LLM_TIMEOUT, seconds). One request scores all the
criteria asked for. A timeout, an HTTP error, an answer that is not the JSON asked for, or a
verdict whose quoted evidence is not in the reply gives `passed=None` with the reason: never
a crash, never a silent pass.
"""

from __future__ import annotations

import json
import os
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from mysteryshop.quality.clean import CleanReply
from mysteryshop.quality.criteria import REGISTRY
from mysteryshop.quality.exchange import CriterionResult, Exchange, unscored
from mysteryshop.quality.text import fold, snippet

NAME = "llm"
DEFAULT_TIMEOUT = 60.0

_SYSTEM = (
    "You grade customer-support replies for a QA team. Judge only the company's reply, never the customer's words. "
    "Answer with one JSON object and nothing else."
)


def _definitions(criteria: Sequence[str]) -> str:
    lines = []
    for name in criteria:
        doc = (REGISTRY[name].__doc__ or name).strip().splitlines()[0]
        lines.append(f"- {name}: {doc}")
    return "\n".join(lines)


def build_messages(exchange: Exchange, reply: CleanReply, criteria: Sequence[str]) -> list[dict[str, str]]:
    """The chat messages sent to the judge (public so a user can see exactly what is asked)."""
    persona = exchange.persona
    facts = "\n".join(f"  {i}. any of: {', '.join(repr(p) for p in fact)}" for i, fact in enumerate(exchange.expected_facts, 1))
    user = f"""Channel: {exchange.channel}
Customer: {persona.get('full_name') or persona.get('first_name') or 'unknown'}; order: {persona.get('order_id') or 'none given'}; earlier references: {', '.join(exchange.earlier_context) or 'none'}

CUSTOMER MESSAGE:
{exchange.customer_text.strip()}

COMPANY REPLY (quoted text, signature and legal footer already removed):
{reply.body.strip()}

REPLY SIGNATURE (judge it only for marketing):
{reply.signature.strip() or '(none)'}

EXPECTED FACTS (answers_question passes only if every fact is conveyed; paraphrase counts, a different number or a negation does not):
{facts or '  (none: return passed null for answers_question)'}

For each criterion below decide whether the reply shows the trait (true) or not (false). For stalling_autoreply,
marketing and asks_again, true means the bad trait is present.
{_definitions(criteria)}

Return: {{"criteria": {{"<name>": {{"passed": true|false|null, "confidence": 0.0-1.0, "evidence": "<exact quote from the reply, or empty>", "reason": "<one sentence>"}}}}}}
with one entry for each of: {', '.join(criteria)}."""
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


class JudgeError(Exception):
    """The judge could not give a usable answer; the message says why and what to check."""


class LlmJudgeEngine:
    """Scores every criterion with one call to an OpenAI-compatible chat endpoint."""

    name = NAME

    def __init__(
        self,
        url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
        json_mode: bool = True,
    ) -> None:
        url = url or os.environ.get("MYSTERYSHOP_LLM_URL")
        if not url:
            raise ValueError(
                "the llm engine needs an endpoint: pass url='http://host:port/v1' or set MYSTERYSHOP_LLM_URL "
                "(any server speaking the OpenAI chat-completions API)"
            )
        self.url = url if url.rstrip("/").endswith("/chat/completions") else url.rstrip("/") + "/chat/completions"
        self.model = model or os.environ.get("MYSTERYSHOP_LLM_MODEL") or "default"
        self.api_key = api_key or os.environ.get("MYSTERYSHOP_LLM_API_KEY")
        self.timeout = float(timeout or os.environ.get("MYSTERYSHOP_LLM_TIMEOUT") or DEFAULT_TIMEOUT)
        self.json_mode = json_mode

    def score(self, exchange: Exchange, reply: CleanReply, criteria: Sequence[str]) -> dict[str, CriterionResult]:
        try:
            verdicts = self._ask(build_messages(exchange, reply, criteria))
        except JudgeError as exc:
            return {name: unscored(name, NAME, str(exc)) for name in criteria}
        return {name: self._result(name, verdicts.get(name), reply, exchange) for name in criteria}

    def _ask(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": 0}
        if self.json_mode:
            body["response_format"] = {"type": "json_object"}
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url, data=json.dumps(body).encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:200].decode("utf-8", "replace")
            raise JudgeError(f"LLM judge at {self.url} answered HTTP {exc.code}: {detail}") from exc
        except TimeoutError as exc:
            raise JudgeError(self._timeout_message()) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise JudgeError(self._timeout_message()) from exc
            raise JudgeError(f"LLM judge at {self.url} could not be reached ({exc.reason}); check MYSTERYSHOP_LLM_URL") from exc
        return _parse_answer(raw, self.url)

    def _timeout_message(self) -> str:
        return (
            f"LLM judge at {self.url} did not answer within {self.timeout:g}s; "
            "check the server, or raise timeout= / MYSTERYSHOP_LLM_TIMEOUT"
        )

    def _result(self, name: str, verdict: Any, reply: CleanReply, exchange: Exchange) -> CriterionResult:
        if verdict is None:
            return unscored(name, NAME, f"LLM judge's answer has no verdict for {name!r}")
        if not isinstance(verdict, dict):
            return unscored(name, NAME, f"LLM judge's verdict for {name!r} is not an object: {snippet(repr(verdict), 80)}")
        passed = verdict.get("passed")
        reason = str(verdict.get("reason") or "")
        if passed is None:
            return unscored(name, NAME, f"LLM judge gave no verdict: {reason or 'no reason given'}")
        if not isinstance(passed, bool):
            return unscored(name, NAME, f"LLM judge's 'passed' for {name!r} is {passed!r}, not true/false/null")
        evidence = str(verdict.get("evidence") or "").strip().strip('"“”')
        if evidence and not _quoted_from(evidence, reply):
            return unscored(name, NAME, f"LLM judge quoted text that is not in the reply ({snippet(evidence, 80)!r}); verdict discarded")
        try:
            confidence = min(1.0, max(0.0, float(verdict.get("confidence", 0.5))))
        except (TypeError, ValueError):
            confidence = 0.5
        return CriterionResult(name, passed, float(passed), confidence, snippet(evidence), NAME, reason or "LLM judge's verdict")


def _quoted_from(evidence: str, reply: CleanReply) -> bool:
    squash = lambda text: " ".join(re.sub(r"[^\w\s]", " ", fold(text)).split())
    return squash(evidence) in squash(reply.body + "\n" + reply.signature)


def _parse_answer(raw: bytes, url: str) -> dict[str, Any]:
    try:
        envelope = json.loads(raw)
        content = envelope["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise JudgeError(f"LLM judge at {url} sent a response that is not an OpenAI chat completion: {snippet(raw.decode('utf-8', 'replace'), 120)!r}") from exc
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", str(content).strip())
    try:
        answer = json.loads(text)
    except ValueError as exc:
        raise JudgeError(f"LLM judge's answer is not valid JSON: {snippet(text, 120)!r}") from exc
    if not isinstance(answer, dict):
        raise JudgeError(f"LLM judge's answer is JSON but not an object: {snippet(text, 120)!r}")
    verdicts = answer.get("criteria", answer)
    if not isinstance(verdicts, dict):
        raise JudgeError(f"LLM judge's 'criteria' is not an object: {snippet(text, 120)!r}")
    return verdicts
