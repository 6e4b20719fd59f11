"""An LLM persona (journey `answers: {engine: llm}`): a language model writes the persona's answer to the company.

It speaks to the same OpenAI-compatible `/chat/completions` endpoint as the llm judge (MYSTERYSHOP_LLM_URL,
MYSTERYSHOP_LLM_MODEL, MYSTERYSHOP_LLM_API_KEY, MYSTERYSHOP_LLM_TIMEOUT), within a strict budget per run: at most
MYSTERYSHOP_PERSONA_LLM_CALLS calls (default 20) and MYSTERYSHOP_PERSONA_LLM_TOKENS tokens (default 20,000; the
server's `usage`, or an estimate when it gives none). What to give and what the persona lacks are decided by the
rules (converse/reply.py); the model only words it, and its text must carry every detail given, verbatim. An
endpoint that is down or slow, an error, a text without the details, or a budget used up: the rules write the
answer, and the probe's record says why (`fallback`). Never a crash; the run carries on.
"""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mysteryshop.converse.reply import Plan
    from mysteryshop.persona import Persona

DEFAULT_CALLS = 20
DEFAULT_TOKENS = 20_000
#: the longest answer asked for, in tokens
MAX_ANSWER_TOKENS = 300
DEFAULT_TIMEOUT = 30.0
_LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish"}


class PersonaLlmError(Exception):
    """Why the LLM persona did not write this answer (the rules write it instead)."""


@dataclass(slots=True)
class Budget:
    """Calls and tokens the LLM persona may still spend in this run (one per run, shared by its probes)."""

    calls: int = DEFAULT_CALLS
    tokens: int = DEFAULT_TOKENS
    used_calls: int = 0
    used_tokens: int = 0
    refused: int = 0

    @classmethod
    def from_environment(cls) -> Budget:
        def number(name: str, default: int) -> int:
            raw = os.environ.get(name, "")
            try:
                return max(0, int(raw)) if raw.strip() else default
            except ValueError:
                return default

        return cls(number("MYSTERYSHOP_PERSONA_LLM_CALLS", DEFAULT_CALLS), number("MYSTERYSHOP_PERSONA_LLM_TOKENS", DEFAULT_TOKENS))

    def take(self, estimate: int) -> None:
        """Reserve a call of about `estimate` tokens, or say why not."""
        if self.used_calls >= self.calls:
            self.refused += 1
            raise PersonaLlmError(f"the LLM persona's budget of {self.calls} calls per run is used up "
                                  "(MYSTERYSHOP_PERSONA_LLM_CALLS)")
        if self.used_tokens + estimate > self.tokens:
            self.refused += 1
            raise PersonaLlmError(f"the LLM persona's budget of {self.tokens} tokens per run would be exceeded "
                                  f"({self.used_tokens} used, about {estimate} more needed; MYSTERYSHOP_PERSONA_LLM_TOKENS)")
        self.used_calls += 1
        self.used_tokens += estimate

    def settle(self, estimate: int, actual: int | None) -> None:
        """Replace a call's estimate by the tokens the server says it used."""
        if actual is not None and actual >= 0:
            self.used_tokens += actual - estimate


@dataclass(slots=True)
class LlmPersona:
    """Writes answers through an OpenAI-compatible endpoint; `url` None: not configured (every answer by the rules)."""

    url: str | None
    model: str = "default"
    api_key: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    budget: Budget = field(default_factory=Budget)

    @classmethod
    def from_environment(cls, budget: Budget | None = None) -> LlmPersona:
        url = os.environ.get("MYSTERYSHOP_LLM_URL") or None
        if url and not url.rstrip("/").endswith("/chat/completions"):
            url = url.rstrip("/") + "/chat/completions"
        try:
            timeout = float(os.environ.get("MYSTERYSHOP_LLM_TIMEOUT") or DEFAULT_TIMEOUT)
        except ValueError:
            timeout = DEFAULT_TIMEOUT
        return cls(url, os.environ.get("MYSTERYSHOP_LLM_MODEL") or "default", os.environ.get("MYSTERYSHOP_LLM_API_KEY") or None,
                   min(timeout, DEFAULT_TIMEOUT), budget or Budget.from_environment())

    def write(self, persona: Persona, language: str, company_text: str, plan: Plan, *, chat: bool = False) -> str:
        """The persona's answer as the model words it; raises PersonaLlmError (the caller falls back to the rules).
        Blocking: call it off the event loop."""
        if not self.url:
            raise PersonaLlmError("the LLM persona needs an endpoint: set MYSTERYSHOP_LLM_URL (the llm judge's)")
        messages = build_messages(persona, language, company_text, plan, chat=chat)
        estimate = sum(len(m["content"]) for m in messages) // 3 + MAX_ANSWER_TOKENS
        self.budget.take(estimate)
        content, used = self._ask(messages)
        self.budget.settle(estimate, used)
        text = content.strip().strip('"').strip()
        if not text:
            raise PersonaLlmError(f"the LLM persona at {self.url} answered with an empty text")
        lacking = [value for detail, value in plan.gives if detail != "photo" and value not in text]
        if lacking:
            raise PersonaLlmError(f"the LLM persona's text leaves out {', '.join(lacking)}, which the persona gives; discarded")
        return text if text.endswith("\n") or chat else text + "\n"

    def _ask(self, messages: list[dict[str, str]]) -> tuple[str, int | None]:
        body = {"model": self.model, "messages": messages, "temperature": 0.7, "max_tokens": MAX_ANSWER_TOKENS}
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.url or "", data=json.dumps(body).encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read(1_000_000)
        except urllib.error.HTTPError as exc:
            raise PersonaLlmError(f"the LLM persona's endpoint {self.url} answered HTTP {exc.code}") from exc
        except TimeoutError as exc:
            raise PersonaLlmError(f"the LLM persona's endpoint {self.url} did not answer within {self.timeout:g}s") from exc
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise PersonaLlmError(f"the LLM persona's endpoint {self.url} did not answer within {self.timeout:g}s") from exc
            raise PersonaLlmError(f"the LLM persona's endpoint {self.url} could not be reached ({reason}); check MYSTERYSHOP_LLM_URL") from exc
        except OSError as exc:
            raise PersonaLlmError(f"the LLM persona's endpoint {self.url} failed: {exc}") from exc
        try:
            envelope = json.loads(raw)
            content = envelope["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise PersonaLlmError(f"the LLM persona's endpoint {self.url} sent something that is not a chat completion") from exc
        usage = envelope.get("usage") if isinstance(envelope, dict) else None
        used = usage.get("total_tokens") if isinstance(usage, dict) and isinstance(usage.get("total_tokens"), int) else None
        return str(content or ""), used


def build_messages(persona: Persona, language: str, company_text: str, plan: Plan, *, chat: bool = False) -> list[dict[str, str]]:
    """What the model is asked (public, so a user can see it): who the persona is, what the company wrote, what to give."""
    gives = "\n".join(f"- {detail}: {value}" for detail, value in plan.gives if detail != "photo") or "- (nothing)"
    photo = "\nYou attach a photo of the damage (already attached; just mention it)." if "photo" in plan.gave else ""
    lacks = "\n".join(f"- {label}" for label in plan.lacks)
    lacking = f"\nYou do not have these; say so briefly, as a customer would:\n{lacks}" if lacks else ""
    form = "one or two short chat lines, no greeting or signature" if chat else "a short email body: a greeting, the details, a sign-off with your first name"
    system = (f"You are {persona.full_name}, a customer writing to a company's support desk. Write in "
              f"{_LANGUAGE_NAMES.get(language, language)}, plainly, like a real customer. Reply with the message text only.")
    user = (f"The company wrote:\n---\n{company_text.strip()[:2000]}\n---\n"
            f"Answer it with {form}. Give exactly these details, copied character for character:\n{gives}{photo}{lacking}")
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]

