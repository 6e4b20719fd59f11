"""The visible text of an HTML reply, in time linear in its size and with its size bounded.

libxml2 (through lxml) reads the markup: it is linear on every input we tried, caps element nesting
at 256 levels, and needs no Python per character. The standard library's `html.parser` is not
linear (a run of unterminated attribute quotes, `<a href="` repeated, takes minutes for 256 KB on
Python 3.11) and lexbor (selectolax) is quadratic in the depth of nested blocks, so neither is used.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lxml import etree

#: only the first this many characters of an HTML part are turned into text. A reply's own words
#: come first (what follows is quoted history, signatures, footers); 512 KiB of the densest markup
#: (`<p>x` repeated) reads in about 0.2 s here, so one huge or hostile HTML part cannot stall the collector.
HTML_TEXT_LIMIT = 512 * 1024
#: libxml2 reads no element nested deeper than this (its default; the rest of the markup is dropped)
HTML_DEPTH_LIMIT = 256

_BLOCK_TAGS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr"})
_VOID_TAGS = frozenset({"br", "hr"})
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template"})
_QUOTE_CLASSES = re.compile(r"gmail_quote|yahoo_quoted|moz-cite|OutlookMessageHeader|quote", re.IGNORECASE)
_SPACES = re.compile(r"[^\S\n]+")  # whitespace but newlines (carriage returns, tabs, no-break spaces…)
_LINE_EDGES = re.compile(r" ?\n ?")
_BLANK_RUNS = re.compile(r"\n{3,}")


@lru_cache(maxsize=4)
def _parse(markup: str) -> tuple[etree._Element | None, list[str]]:
    """The parsed markup, kept for the last few replies: cleaning, the banner images and the links of one reply
    read the same HTML (the tree is only read, never changed)."""
    # imported on the first HTML reply: 6 MB and 18 ms that a run of plain-text replies never needs
    from lxml import etree

    notes: list[str] = []
    parser = etree.HTMLParser(encoding="utf-8", recover=True, no_network=True, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(markup.encode("utf-8", "replace"), parser)
    except (etree.LxmlError, ValueError) as exc:
        return None, [f"html could not be read: {exc}"]
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        notes.append(f"html nested deeper than {HTML_DEPTH_LIMIT} elements: text below that depth not read")
    return root, notes


def html_text(markup: str, *, limit: int = HTML_TEXT_LIMIT) -> tuple[str, list[str]]:
    """(text, notes): the visible text of the first `limit` characters of `markup`, and what was cut or
    could not be read (empty when nothing was). Quoted blocks (<blockquote>, gmail_quote…) come out
    as '> ' lines; block elements end lines; script, style and the head are dropped."""
    notes = []
    if len(markup) > limit:
        notes.append(f"html truncated to {limit} characters for text extraction (of {len(markup)})")
        markup = markup[:limit]
    if not markup.strip():
        return "", notes
    root, parse_notes = _parse(markup)
    notes += parse_notes
    if root is None:
        return "", notes
    parts: list[str] = []
    append = parts.append
    quoted: list[bool | None] = []  # per open element, innermost last: a quote block? (None: skipped)
    depth_quoted = 0
    from lxml import etree

    walker: Any = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag
        if event == "start":
            if not isinstance(tag, str) or tag in _SKIP_TAGS:  # a comment or processing instruction, or not shown
                walker.skip_subtree()
                quoted.append(None)
                continue
            if tag in _BLOCK_TAGS:
                append("\n")
            quote = tag == "blockquote" or (tag == "div" and bool(_QUOTE_CLASSES.search(element.get("class") or "")))
            quoted.append(quote)
            depth_quoted += quote
            data = element.text
        else:
            quote = quoted.pop()
            if quote is not None:
                depth_quoted -= quote
                if tag in _BLOCK_TAGS and tag not in _VOID_TAGS:
                    append("\n")
            data = element.tail
        if data:
            append("".join(f"> {line}\n" for line in data.splitlines() if line.strip()) if depth_quoted else data)
    text = _LINE_EDGES.sub("\n", _SPACES.sub(" ", "".join(parts)))
    return _BLANK_RUNS.sub("\n\n", text).strip(), notes


#: at most this many image texts are read from one HTML part (a newsletter may hold hundreds of images)
MAX_IMAGE_TEXTS = 50


def image_texts(markup: str, *, limit: int = HTML_TEXT_LIMIT) -> list[str]:
    """The alternative texts (alt, else title) of the images in the first `limit` characters of `markup`:
    what a banner image says ("Spring sale: 25% off") when it is not in the text at all. Quoted blocks are
    left out, like in `html_text`."""
    if "<img" not in markup[:limit].lower():
        return []
    root, _notes = _parse(markup[:limit])
    if root is None:
        return []
    found: list[str] = []
    for image in root.iter("img"):
        if any(a.tag == "blockquote" or (a.tag == "div" and _QUOTE_CLASSES.search(a.get("class") or "")) for a in image.iterancestors()):
            continue
        text = " ".join((image.get("alt") or image.get("title") or "").split())
        if text:
            found.append(text)
            if len(found) >= MAX_IMAGE_TEXTS:
                break
    return found


#: at most this many links are read from one HTML part
MAX_LINKS = 100


def links(markup: str, *, limit: int = HTML_TEXT_LIMIT) -> list[tuple[str, str]]:
    """(text, href) of the links in the first `limit` characters of `markup`, quoted blocks left out; an image
    link's text is the image's alternative text."""
    if "<a" not in markup[:limit].lower():
        return []
    root, _notes = _parse(markup[:limit])
    if root is None:
        return []
    found: list[tuple[str, str]] = []
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or any(a.tag == "blockquote" or (a.tag == "div" and _QUOTE_CLASSES.search(a.get("class") or "")) for a in anchor.iterancestors()):
            continue
        text = " ".join("".join(anchor.itertext()).split()) or " ".join(
            " ".join(img.get("alt") or img.get("title") or "" for img in anchor.iter("img")).split()
        )
        found.append((text, href))
        if len(found) >= MAX_LINKS:
            break
    return found
