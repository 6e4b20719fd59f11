"""The demo company's website around its contact form, as a customer meets it from the home page.

Two layouts besides the plain one (`/`, which links the form directly):

- `/deep/`: the contact form hidden three clicks deep, as many companies do: home → "Help centre" (in
  the footer only) → a topic ("Returns and refunds", ...) → "Contact us" at the foot of the article →
  `/deep/help/contact`. Shop pages around it lead nowhere near support. That form also asks for a phone
  number (required) and a date of birth, which a question about an order has no need of.
- `/deep/de/`: the same in German ("Hilfe" in the footer, "Kontaktieren Sie uns"), leading to the same form: a
  customer who reads only English does not find it.
- `/deep/js/`: the same, but "Contact us" is a button that a script sends to the form (no link to follow).
- `/nowayin/`: a shop with no way at all to contact support (no help, no contact, no chat).
- `/chathelp/`: a shop whose chat is reachable only through its help centre: home → "Help centre" (footer) →
  "Chat with us" → `/chathelp/chat`, a page with the chat widget of demo/widget.py (its launcher, frames and
  shadow roots). Every page shows a cookie banner until it is accepted (a cookie remembers it), and the widget's
  script loads only after consent, as consent managers do.

Pages are plain links: what a probe finds here it finds by the links' names, as a customer would.
"""

from __future__ import annotations

import html

DEEP = "/deep"
DEEP_DE = "/deep/de"
DEEP_JS = "/deep/js"
NOWAYIN = "/nowayin"
CHATHELP = "/chathelp"
CHATHELP_CHAT = f"{CHATHELP}/chat"
DEEP_FORM = f"{DEEP}/help/contact"

_SHOP = ("Jackets", "Boots", "Backpacks", "Tents", "Sale")
HELP_TOPICS = {
    "returns": ("Returns and refunds", "You can return an item within 30 days. Return shipping is free: print a prepaid return label."),
    "delivery": ("Delivery and tracking", "Orders ship within two working days. Track your parcel with the link in your shipping email."),
    "sizes": ("Size guide", "Measure your chest and compare with our size chart."),
    "payment": ("Payment options", "We accept cards, PayPal and invoices."),
}
#: the words of each layout's pages (the German one is the deep layout in German)
WORDS = {
    "en": {"about": "About us", "help": "Help centre", "careers": "Careers", "privacy": "Privacy", "home": "Gear for every weather",
           "shop": "Shop jackets", "stores": "Find a store", "browse": "Browse our topics.", "still": "Still need help?", "contact": "Contact us",
           "chat": "Chat with us",
           "topics": {k: v[0] for k, v in HELP_TOPICS.items()}},
    "de": {"about": "Über uns", "help": "Hilfe", "careers": "Karriere", "privacy": "Datenschutz", "home": "Ausrüstung für jedes Wetter",
           "shop": "Jacken ansehen", "stores": "Filiale finden", "browse": "Unsere Themen.", "still": "Noch Fragen?", "contact": "Kontaktieren Sie uns",
           "topics": {"returns": "Rückgabe und Erstattung", "delivery": "Lieferung und Sendungsverfolgung", "sizes": "Größentabelle",
                      "payment": "Zahlungsarten"}},
}


def _page(title: str, body: str, *, base: str, banner: str = "") -> str:
    w = WORDS["de" if base == DEEP_DE else "en"]
    nav = " · ".join(f'<a href="{base}/shop/{html.escape(item.lower())}">{html.escape(item)}</a>' for item in _SHOP)
    footer_links = [("about", w["about"]), ("careers", w["careers"]), ("privacy", w["privacy"])]
    if base != NOWAYIN:
        footer_links.insert(1, ("help", w["help"]))
    footer = " · ".join(f'<a href="{base}/{path}">{html.escape(name)}</a>' for path, name in footer_links)
    return (f"<!doctype html><html lang={'de' if base == DEEP_DE else 'en'}><head><meta charset=utf-8><title>{html.escape(title)} — Northwind Outfitters"
            f'</title></head><body><header><a href="{base}/">Northwind Outfitters</a><nav aria-label="Shop">{nav}</nav></header>'
            f"<main>{body}</main><footer>{footer}</footer>{banner}</body></html>")


def site_page(base: str, path: str, *, banner: str = "") -> str | None:
    """The HTML of page `path` (after `base`, e.g. '/help/returns') of layout `base` (DEEP, DEEP_DE, DEEP_JS, NOWAYIN or CHATHELP);
    None: no such page. `banner`: a cookie banner's HTML, shown on every page."""
    w = WORDS["de" if base == DEEP_DE else "en"]
    path = "/" + path.strip("/")
    page = _site_page(base, path, w)
    return None if page is None else _page(page[0], page[1], base=base, banner=banner)


def _site_page(base: str, path: str, w: dict) -> tuple[str, str] | None:
    if path == "/":
        body = (f"<h1>{html.escape(w['home'])}</h1><p>New season jackets are in.</p>"
                f'<p><a href="{base}/shop/jackets">{html.escape(w["shop"])}</a> · <a href="{base}/stores">{html.escape(w["stores"])}</a></p>')
        return "Home", body
    if path.startswith("/shop/") and path[6:] in {s.lower() for s in _SHOP}:
        item = path[6:].capitalize()
        products = "".join(f'<li><a href="{base}/shop/{path[6:]}">{item} model {n}</a></li>' for n in range(1, 4))
        return item, f"<h1>{item}</h1><ul>{products}</ul>"
    if path in ("/about", "/careers", "/privacy", "/stores"):
        return path[1:].capitalize(), f"<h1>{path[1:].capitalize()}</h1><p>Northwind Outfitters, since 1987.</p>"
    if base == NOWAYIN:
        return None
    if path == "/help":
        topics = "".join(f'<li><a href="{base}/help/{key}">{html.escape(title)}</a></li>' for key, title in w["topics"].items())
        # the chat layout's only way to the chat: at the foot of the help centre (and of its topics)
        chat = f'<p>{html.escape(w["still"])} <a href="{CHATHELP_CHAT}">{html.escape(w["chat"])}</a></p>' if base == CHATHELP else ""
        return w["help"], f"<h1>{html.escape(w['help'])}</h1><p>{html.escape(w['browse'])}</p><ul>{topics}</ul>{chat}"
    if path.startswith("/help/") and path[6:] in HELP_TOPICS:
        title, text = w["topics"][path[6:]], HELP_TOPICS[path[6:]][1]
        contact = (f'<button type="button" onclick="location.href = \'{DEEP_FORM}\'">{html.escape(w["contact"])}</button>' if base == DEEP_JS
                   else f'<a href="{CHATHELP_CHAT}">{html.escape(w["chat"])}</a>' if base == CHATHELP
                   else f'<a href="{DEEP_FORM}">{html.escape(w["contact"])}</a>')
        body = f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p><p>{html.escape(w['still'])} {contact}</p>"
        return title, body
    return None
