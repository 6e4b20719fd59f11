"""Text that came from a company (a reply, a chat message, a page), made inert for each output it is written to.

A reply can hold anything: Markdown that would show an image or a `javascript:` link in a CI summary,
terminal escape sequences, characters XML forbids. Every writer that quotes such text passes it
through the function for its output here; HTML pages need none (Jinja autoescapes them).
"""

from __future__ import annotations

import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_SPACE = re.compile(r"\s+")
# C0 and C1 controls but tab and newline, DEL, bidirectional overrides and isolates (they reorder what is shown)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# what XML 1.0 cannot hold: C0 controls but tab, newline and carriage return; lone surrogates; U+FFFE, U+FFFF
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def markdown_inline(text: object) -> str:
    """`text` as literal characters on one line of GitHub-flavoured Markdown (a table cell, a list item, a quote).

    Every ASCII punctuation character is backslash-escaped (CommonMark makes any escaped punctuation
    literal), so nothing in it becomes an image, a link (nor an autolink: `https\\://`), emphasis, code,
    a heading, a list, a table column or HTML; white space runs, newlines included, become one space;
    control characters are dropped.
    """
    flat = _SPACE.sub(" ", _CONTROL.sub("", str(text))).strip()
    return _PUNCTUATION.sub(r"\\\1", flat)


def terminal_line(text: object) -> str:
    """`text` safe to print on a terminal: control characters (escape sequences, carriage returns that
    overwrite the line) shown as `\\x1b`-style escapes; newlines and tabs kept."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", str(text))


def xml_chars(text: str) -> str:
    """`text` with the characters XML 1.0 cannot hold (a NUL, most C0 controls, lone surrogates) replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)
