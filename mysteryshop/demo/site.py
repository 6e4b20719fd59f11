"""The demo company's website around its contact form, as a customer meets it from the home page.

Two layouts besides the plain one (`/`, which links the form directly):

- `/deep/`: the contact form hidden three clicks deep, as many companies do: home → "Help centre" (in
  the footer only) → a topic ("Returns and refunds", ...) → "Contact us" at the foot of the article →
  `/deep/help/contact`. Shop pages around it lead nowhere near support. That form also asks for a phone
  number (required) and a date of birth, which a question about an order has no need of.
- `/nowayin/`: a shop with no way at all to contact support (no help, no contact, no chat).

Pages are plain links: what a probe finds here it finds by the links' names, as a customer would.
"""

from __future__ import annotations

import html

DEEP = "/deep"
NOWAYIN = "/nowayin"
DEEP_FORM = f"{DEEP}/help/contact"

_SHOP = ("Jackets", "Boots", "Backpacks", "Tents", "Sale")
HELP_TOPICS = {
    "returns": ("Returns and refunds", "You can return an item within 30 days. Return shipping is free: print a prepaid return label."),
    "delivery": ("Delivery and tracking", "Orders ship within two working days. Track your parcel with the link in your shipping email."),
    "sizes": ("Size guide", "Measure your chest and compare with our size chart."),
    "payment": ("Payment options", "We accept cards, PayPal and invoices."),
}


def _page(title: str, body: str, *, base: str) -> str:
    nav = " · ".join(f'<a href="{base}/shop/{html.escape(item.lower())}">{html.escape(item)}</a>' for item in _SHOP)
    footer_links = ['<a href="{base}/about">About us</a>', '<a href="{base}/careers">Careers</a>', '<a href="{base}/privacy">Privacy</a>']
    if base == DEEP:
        footer_links.insert(1, '<a href="{base}/help">Help centre</a>')
    footer = " · ".join(link.format(base=base) for link in footer_links)
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)} — Northwind Outfitters</title></head><body>"
            f'<header><a href="{base}/">Northwind Outfitters</a><nav aria-label="Shop">{nav}</nav></header>'
            f"<main>{body}</main><footer>{footer}</footer></body></html>")


def site_page(base: str, path: str) -> str | None:
    """The HTML of page `path` (after `base`, e.g. '/help/returns') of layout `base` (DEEP or NOWAYIN); None: no such page."""
    path = "/" + path.strip("/")
    if path == "/":
        body = ("<h1>Gear for every weather</h1><p>New season jackets are in.</p>"
                f'<p><a href="{base}/shop/jackets">Shop jackets</a> · <a href="{base}/stores">Find a store</a></p>')
        return _page("Home", body, base=base)
    if path.startswith("/shop/") and path[6:] in {s.lower() for s in _SHOP}:
        item = path[6:].capitalize()
        products = "".join(f'<li><a href="{base}/shop/{path[6:]}">{item} model {n}</a></li>' for n in range(1, 4))
        return _page(item, f"<h1>{item}</h1><ul>{products}</ul>", base=base)
    if path in ("/about", "/careers", "/privacy", "/stores"):
        return _page(path[1:].capitalize(), f"<h1>{path[1:].capitalize()}</h1><p>Northwind Outfitters, since 1987.</p>", base=base)
    if base != DEEP:
        return None
    if path == "/help":
        topics = "".join(f'<li><a href="{DEEP}/help/{key}">{html.escape(title)}</a></li>' for key, (title, _) in HELP_TOPICS.items())
        return _page("Help centre", f"<h1>Help centre</h1><p>Browse our topics.</p><ul>{topics}</ul>", base=base)
    if path.startswith("/help/") and path[6:] in HELP_TOPICS:
        title, text = HELP_TOPICS[path[6:]]
        body = (f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
                f'<p>Still need help? <a href="{DEEP_FORM}">Contact us</a></p>')
        return _page(title, body, base=base)
    return None
