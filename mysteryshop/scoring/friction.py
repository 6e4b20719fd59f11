"""Form friction: what a contact form asked of the customer, and what it had no need of (pure functions).

The web-form channel stores each form's controls as the page showed them (label, name, type, autocomplete,
required, filled: `weblog.FormFriction`). Here each control is read for the data it asks for (the persona's
name, email, phone, order number; a date of birth, an address...), in English, German, French and Spanish,
and the data a support question has no need of is named. Scored again from the store, like everything else.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mysteryshop.scoring.weblog import FormFriction, WayIn

#: data kind -> (autocomplete tokens, input types, words in a label or name). First match wins, in this order.
_KINDS: tuple[tuple[str, frozenset[str], frozenset[str], str], ...] = (
    ("birth_date", frozenset({"bday", "bday-day", "bday-month", "bday-year"}), frozenset(),
     r"birth|\bdob\b|geburt|naissance|nacimiento|cumpleaños"),
    ("password", frozenset({"current-password", "new-password"}), frozenset({"password"}), r"password|passwort|mot de passe|contraseña"),
    ("phone", frozenset({"tel", "tel-national", "mobile"}), frozenset({"tel"}),
     r"phone|telephone|mobile|\bcell\b|telefon|handy|téléphone|portable|teléfono|móvil|celular"),
    ("email", frozenset({"email"}), frozenset({"email"}), r"e-?mail|courriel|correo"),
    ("order_id", frozenset(), frozenset(), r"order|bestell|auftrag|commande|pedido|invoice|rechnung|facture|factura"),
    ("address", frozenset({"street-address", "address-line1", "address-line2", "postal-code", "address-level1", "address-level2", "country"}),
     frozenset(), r"address|street|post ?code|zip|\bcity\b|adresse|stra(ss|ß)e|\bplz\b|\bort\b|\brue\b|code postal|ville|dirección|calle|código postal|ciudad"),
    ("gender", frozenset({"sex", "honorific-prefix"}), frozenset(), r"gender|\bsex\b|geschlecht|anrede|salutation|civilité|sexo|género|tratamiento"),
    ("company", frozenset({"organization"}), frozenset(), r"company|organi[sz]ation|firma|unternehmen|entreprise|société|empresa"),
    ("name", frozenset({"name", "given-name", "family-name"}), frozenset(), r"name|vorname|nachname|\bnom\b|prénom|nombre|apellido"),
    ("attachment", frozenset(), frozenset({"file"}), r"attach|anhang|pièce jointe|adjunt"),
    ("consent", frozenset(), frozenset(), r"agree|consent|accept|privacy|einverstanden|zustimm|datenschutz|j'accepte|acepto|consiento"),
    ("message", frozenset(), frozenset({"textarea"}), r"message|question|comment|describe|nachricht|anliegen|frage|mensaje|consulta|pregunta"),
    ("topic", frozenset(), frozenset({"select"}), r"topic|subject|betreff|thema|sujet|objet|asunto|tema|reason|category|kategorie|catégorie"),
    ("reply_by", frozenset(), frozenset({"radio"}), r"reply|contact (me|method)|antwort|réponse|respuesta"),
)
#: what a customer's question gives the company a need for: who they are, where to answer, what it is about
NEEDED = frozenset({"name", "email", "order_id", "message", "topic", "consent", "attachment", "reply_by"})
#: the persona's own details, as the form's controls ask for them
PERSONA_FIELDS = {"name": "full_name", "email": "email", "phone": "phone", "order_id": "order_id"}


def field_kind(control: Mapping[str, Any]) -> str:
    """What one control asks for (a kind of `_KINDS`, or 'other')."""
    autocomplete = set(str(control.get("autocomplete") or "").lower().split())
    kind_type = str(control.get("type") or "")
    text = f"{control.get('label') or ''} {control.get('name') or ''}".lower()
    for kind, tokens, types, words in _KINDS:
        if autocomplete & tokens:
            return kind
    for kind, _tokens, types, words in _KINDS:
        if re.search(words, text):
            return kind
    for kind, _tokens, types, _words in _KINDS:
        if kind_type in types:
            return kind
    return "other"


def read_form(friction: FormFriction) -> dict[str, Any]:
    """One form as the scorecard shows it: counts, what each control asked, and what it had no need of."""
    asked = [{"label": c.get("label") or c.get("name") or "", "kind": field_kind(c), "required": bool(c.get("required")),
              "filled": bool(c.get("filled"))} for c in friction.controls]
    unneeded = [a for a in asked if a["kind"] not in NEEDED and a["kind"] != "other"]
    return {
        "step": friction.step, "url": friction.url, "outcome": friction.outcome, "seconds": friction.seconds,
        "fields": len(asked), "required": sum(a["required"] for a in asked),
        "validation_errors": len(friction.invalid), "invalid": list(friction.invalid),
        "asked": asked,
        "persona_fields": sorted({PERSONA_FIELDS[a["kind"]] for a in asked if a["kind"] in PERSONA_FIELDS}),
        "unneeded": sorted({a["kind"] for a in unneeded}),
        "unneeded_required": sorted({a["kind"] for a in unneeded if a["required"]}),
    }


def read_way_in(way: WayIn) -> dict[str, Any]:
    return {"step": way.step, "goal": way.goal, "home": way.home, "found": way.found, "url": way.url, "clicks": len(way.clicks) if way.found else None,
            "path": list(way.clicks), "pages": len(way.visited), "visited": list(way.visited), "seconds": way.seconds,
            "reason": way.reason, "elsewhere": list(way.elsewhere)}


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _ways(probes: Iterable[Mapping[str, Any]], goal: str) -> list[Mapping[str, Any]]:
    return [w for probe in probes for w in (probe.get("web") or {}).get("way_in") or [] if w.get("goal", "form") == goal]


def _way_summary(ways: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Searches from the home page: how many, how many found it, median clicks, pages and seconds, and why not found."""
    if not ways:
        return None
    found = [w for w in ways if w["found"]]
    return {
        "searches": len(ways), "found": len(found),
        "clicks": _median([w["clicks"] for w in found]), "pages": _median([w["pages"] for w in ways]),
        "seconds": _median([w["seconds"] for w in found]),
        "not_found": [w["reason"] for w in ways if not w["found"]][:3],
    }


def summarize(probes: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """One company's friction over its probes' entries (`web.friction`, `web.way_in` to the form); None when no probe met a
    form or looked for one. Medians over the forms (or searches) measured, counts of each kind of data asked without need."""
    probes = list(probes)
    forms: list[Mapping[str, Any]] = [f for probe in probes for f in (probe.get("web") or {}).get("friction") or []]
    ways = _ways(probes, "form")
    if not forms and not ways:
        return None
    unneeded = Counter(kind for f in forms for kind in f["unneeded"])
    required = Counter(kind for f in forms for kind in f["unneeded_required"])
    return {
        "forms": len(forms),
        "fields": _median([f["fields"] for f in forms]),
        "required": _median([f["required"] for f in forms]),
        "seconds": _median([f["seconds"] for f in forms]),
        "with_validation_errors": sum(1 for f in forms if f["validation_errors"]),
        "validation_errors": sum(f["validation_errors"] for f in forms),
        "unneeded": [{"kind": kind, "forms": n, "required": required.get(kind, 0)} for kind, n in sorted(unneeded.items())],
        "way_in": _way_summary(ways),
    }


def summarize_chat_way_in(probes: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """One company's chat as customers starting at its home page found it (or did not); None when no probe looked."""
    return _way_summary(_ways(list(probes), "chat"))


def describe_way(way: Mapping[str, Any]) -> str:
    """'found from the home page in 2 clicks (3.1 s, 3 pages) · not found by 1 of 4 customers'."""
    parts = []
    if way["found"]:
        parts.append(f"found from the home page in {way['clicks']:g} clicks ({way['seconds']:.1f} s, {way['pages']:g} pages)")
    if way["found"] < way["searches"]:
        parts.append(f"not found by {way['searches'] - way['found']} of {way['searches']} customers")
    return " · ".join(parts)


def describe(summary: Mapping[str, Any]) -> str:
    """One company's friction in a line of plain words (the terminal summary): 'found from the home page in 3 clicks
    (1.2 s) · 10 fields, 1 required · asked without need: birth date, phone (required)'."""
    parts = []
    way = summary.get("way_in")
    if way:
        parts.append(describe_way(way))
    if summary.get("forms"):
        parts.append(f"{summary['fields']:g} fields, {summary['required']:g} required, {summary['seconds']:.1f} s to complete"
                     + (f", {summary['validation_errors']} validation errors" if summary["validation_errors"] else ""))
        if summary["unneeded"]:
            parts.append("asked without need: " + ", ".join(u["kind"].replace("_", " ") + (" (required)" if u["required"] else "")
                                                            for u in summary["unneeded"]))
    return " · ".join(parts)
