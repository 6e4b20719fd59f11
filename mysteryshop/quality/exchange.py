"""What a criterion sees (an Exchange) and what it says (a CriterionResult)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

_EMPTY: Mapping[str, str] = MappingProxyType({})
_EMPTY_FACTS: Mapping[str, Sequence[Sequence[str]]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Exchange:
    """One customer message and the company's reply to it.

    Attributes:
        customer_text: what the customer wrote.
        reply_text: the reply body as text; it may still hold quoted text, a signature and a
            legal footer: scoring cleans them off first.
        reply_html: the HTML body, used when the reply had no text part.
        persona: the customer's details (`Persona.as_dict()`): first_name, last_name,
            full_name, email, phone, order_id, locale.
        expected_facts: what a good answer states; each fact is a list of acceptable
            phrasings, e.g. `[["30 days", "thirty days"], ["free return shipping"]]`.
        channel: "email", "chat" or "webform".
        earlier_context: ticket numbers and earlier-contact references the customer gave.
        facts_by_language: the expected facts per language (ISO 639-1 code → facts), for a journey that
            gives them so (`facts: {en: [["30 days"]], de: [["30 Tage"]]}`): a reply is checked against
            the facts of its own language, and is unscored in a language they are not given in.
            Without it, `expected_facts` count in every language.
    """

    customer_text: str
    reply_text: str
    reply_html: str | None = None
    persona: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    expected_facts: Sequence[Sequence[str]] = ()
    channel: str = "email"
    earlier_context: Sequence[str] = ()
    facts_by_language: Mapping[str, Sequence[Sequence[str]]] = field(default_factory=lambda: _EMPTY_FACTS)

    def facts_in(self, language: str) -> Sequence[Sequence[str]]:
        """The facts a reply in `language` must state."""
        if self.facts_by_language:
            return self.facts_by_language.get(language, ())
        return self.expected_facts


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One criterion's verdict on one reply.

    `passed` says whether the reply shows the trait the criterion names: for the
    undesirable ones (`stalling_autoreply`, `marketing`, `asks_again`) True is bad news.
    `passed is None` means unscored (not applicable, or the engine failed); `reason` says why.
    `evidence` is a span quoted from the cleaned reply, '' when there is none.
    """

    criterion: str
    passed: bool | None
    score: float | None
    confidence: float
    evidence: str
    engine: str
    reason: str

    @property
    def scored(self) -> bool:
        return self.passed is not None


def unscored(criterion: str, engine: str, reason: str) -> CriterionResult:
    """A result that admits no verdict, never mistaken for a pass."""
    return CriterionResult(criterion, None, None, 0.0, "", engine, reason)
