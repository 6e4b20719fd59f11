"""How likely a link or button leads to customer support, judged by its accessible name as a customer would.

Pure functions: `link_score` reads one name (with where on the page it sits), `topic_words` the words of
what the customer wants to ask (a help centre's topic that matches them is worth opening). The words are
English (which many sites use whatever their language) plus the persona's language: German, French, Spanish.
A customer looking for a chat (`chat=True`) also follows names that promise one ("Chat with us", "Live-Chat").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

#: phrase -> weight. Contact phrases lead straight to a form or an address; help phrases to a help centre in between.
CONTACT_WORDS: dict[str, dict[str, float]] = {
    "en": {
        "contact us": 10, "contact form": 10, "get in touch": 9, "send us a message": 9, "write to us": 9, "email us": 8, "message us": 8,
        "contact": 9, "customer service": 8, "customer care": 8, "customer support": 8, "support": 7, "help centre": 7, "help center": 7,
        "help & contact": 9, "help and contact": 9, "help": 6, "faq": 4, "frequently asked questions": 4,
    },
    "de": {
        "kontaktieren sie uns": 10, "kontaktformular": 10, "schreiben sie uns": 9, "kontakt": 9, "kundenservice": 8, "kundendienst": 8,
        "hilfe & kontakt": 9, "hilfe und kontakt": 9, "hilfe-center": 7, "hilfecenter": 7, "hilfe": 6, "support": 7,
        "häufige fragen": 4, "faq": 4,
    },
    "fr": {
        "contactez-nous": 10, "nous contacter": 10, "formulaire de contact": 10, "écrivez-nous": 9, "contact": 9, "service client": 8,
        "service clientèle": 8, "aide et contact": 9, "centre d'aide": 7, "assistance": 7, "support": 7, "aide": 6,
        "questions fréquentes": 4, "faq": 4,
    },
    "es": {
        "contáctanos": 10, "contáctenos": 10, "contactanos": 10, "contactenos": 10, "formulario de contacto": 10, "escríbenos": 9,
        "contacto": 9, "contactar": 9, "atención al cliente": 8, "servicio al cliente": 8, "ayuda y contacto": 9, "centro de ayuda": 7,
        "soporte": 7, "ayuda": 6, "preguntas frecuentes": 4, "faq": 4,
    },
}
#: phrase -> weight, for a customer looking for a chat: names that promise one (a help page's "Chat with us" link)
CHAT_WORDS: dict[str, dict[str, float]] = {
    "en": {"chat with us": 10, "live chat": 10, "start a chat": 10, "chat now": 10, "chat to us": 10, "chat": 9, "message us": 8},
    "de": {"chatten sie mit uns": 10, "live-chat": 10, "chat starten": 10, "zum chat": 10, "chat": 9},
    "fr": {"discuter avec nous": 10, "chat en direct": 10, "démarrer un chat": 10, "discuter": 9, "chat": 9, "tchat": 9},
    "es": {"chatea con nosotros": 10, "chat en vivo": 10, "iniciar chat": 10, "chatear": 9, "chat": 9},
}
#: a name at least this strong is opened at once (a customer who sees "Contact us" clicks it)
STRONG = 9.0
#: a name longer than this is prose (an article's sentence), not a menu item: its words count for less
LONG_NAME = 60
#: where a link sits: customers look for contact in the footer, then the navigation
REGION_BONUS = {"footer": 1.0, "nav": 0.5, "header": 0.5}
TOPIC_BONUS = 3.0
#: names that never lead to support, whatever else they say ("Terms of service", "Privacy help")
NOT_SUPPORT = ("terms", "privacy", "cookie", "imprint", "impressum", "datenschutz", "agb", "confidentialité", "mentions légales",
               "privacidad", "aviso legal", "careers", "jobs", "karriere", "newsletter", "log in", "login", "sign in", "anmelden")
_STOP = frozenset("about after again also and any are because been before but can could does from have how into just more not only "
                  "order other our please that the their them then there they this what when where which while will with would your "
                  "you my me it is of to in on for an a".split())
_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip().lower()


def language_of(locale: str) -> str:
    """'de_DE' -> 'de'; a language we have no words for reads English only."""
    return (locale or "en").replace("-", "_").split("_")[0].lower()


def _phrases(language: str, chat: bool = False) -> dict[str, float]:
    words: dict[str, float] = {}
    for table in (CONTACT_WORDS, CHAT_WORDS) if chat else (CONTACT_WORDS,):
        for lang in ("en", language):
            for phrase, weight in table.get(lang, {}).items():
                words[phrase] = max(weight, words.get(phrase, 0))
    return words


def _has(name: str, phrase: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", name) is not None


def topic_words(texts: Iterable[str]) -> frozenset[str]:
    """The words (four letters or more, no filler) of what the customer wants to ask: a topic field's value, the subject."""
    words = set()
    for text in texts:
        words.update(w for w in re.findall(r"\w{4,}", _norm(text)) if w not in _STOP)
    return frozenset(words)


def name_score(name: str, language: str = "en", *, chat: bool = False) -> float:
    """How strongly a link's name promises a way to support (0: not at all); with `chat`, a chat counts as one."""
    text = _norm(name)
    if not text or any(_has(text, word) for word in NOT_SUPPORT):
        return 0.0
    best = max((weight for phrase, weight in _phrases(language, chat).items() if _has(text, phrase)), default=0.0)
    if len(text) > LONG_NAME:
        best /= 2
    return best


def link_score(name: str, region: str = "main", language: str = "en", topic: frozenset[str] = frozenset(), *, chat: bool = False) -> float:
    """A link's score: its name's promise of support (or, with `chat`, of a chat), where it sits, and whether it names the
    customer's topic."""
    score = name_score(name, language, chat=chat)
    if topic and topic & set(re.findall(r"\w{4,}", _norm(name))):
        score += TOPIC_BONUS
    if score > 0:
        score += REGION_BONUS.get(region, 0.0)
    return score
