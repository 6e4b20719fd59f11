"""What a persona's mail client does to the text it writes: line wrapping, a signature block, a "Sent from my
iPhone" line, an HTML part beside the plain text. Pure functions of the text and the habit.
"""

from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass

#: plain: a desktop client sending plain text, wrapped at 72 columns (Thunderbird, mutt); html: a webmail or
#: Outlook sending text and HTML; iphone, android: a phone's mail app, which signs with its own line
CLIENTS = ("plain", "html", "iphone", "android")
WRAP_AT = 72


@dataclass(frozen=True, slots=True)
class Dressed:
    """The message as its client sends it: the plain text, and the HTML alternative when the client writes one."""

    text: str
    html: str | None = None


def wrap(text: str, width: int = WRAP_AT) -> str:
    """Each line longer than `width` broken at spaces, as a plain-text client does on sending (words are never split)."""
    return "\n".join(
        textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False) if len(line) > width else line
        for line in text.split("\n")
    )


def as_html(text: str, signature: str | None) -> str:
    """The HTML a webmail client sends beside `text`: a div per line, an empty one for a blank line."""
    lines = "".join(f"<div>{html.escape(line)}</div>" if line.strip() else "<div><br></div>" for line in text.split("\n"))
    sig = ""
    if signature:
        sig = '<br clear="all"><div><br></div>-- <br><div dir="ltr" class="gmail_signature">' + "<br>".join(
            html.escape(line) for line in signature.split("\n")) + "</div>"
    return f'<div dir="ltr">{lines}{sig}</div>\n'


def dress(body: str, client: str, *, footer: str = "", signature: str | None = None) -> Dressed:
    """`body` as `client` sends it. `footer`: the phone app's own line ("Sent from my iPhone"); `signature`: the
    block a desktop client appends after "-- " (name, phone), for personas who set one up."""
    body = body.rstrip("\n")
    if client in ("iphone", "android"):
        return Dressed(f"{body}\n\n{footer}\n" if footer else f"{body}\n")
    block = f"\n\n-- \n{signature}" if signature else ""
    if client == "html":
        return Dressed(f"{body}{block}\n", as_html(body, signature))
    return Dressed(f"{wrap(body)}{block}\n")
