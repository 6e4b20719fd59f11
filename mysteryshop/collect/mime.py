"""A received message's MIME structure, read by the standard library's parser within bounds.

The standard parser has no limits: its cost grows with the number of lines (about 1.3 µs a
line, so 15 million empty lines take 19 s), every level of nested multipart adds a boundary
test to every line below it and a level of recursion (3,000 levels raise RecursionError), and a
structure header is parsed by pure Python character by character. `parse_bounded` hands it at
most `PARSE_BYTE_LIMIT` bytes and `PARSE_LINE_LIMIT` lines, cuts header fields longer than
`HEADER_LIMIT` characters (`STRUCTURE_FIELD_LIMIT` for the fields that shape the MIME tree), and
reads parts nested deeper than `MIME_DEPTH_LIMIT`, or past `STRUCTURE_BUDGET`, as opaque data, and
stops after `MIME_PART_LIMIT` parts.
Each cut comes back as a note (the caller flags the message malformed); the raw bytes are kept
by the caller, so nothing is lost, only not read.
"""

from __future__ import annotations

import re
from email.feedparser import FeedParser
from email.message import EmailMessage
from email.policy import Policy
from itertools import islice

#: the parser reads at most this many bytes of a message (a 6 MB attachment, base64-encoded, fits)...
PARSE_BYTE_LIMIT = 8 * 1024 * 1024
#: ...and at most this many lines: the parser's cost is per line (100,000 take about 0.15 s here)
PARSE_LINE_LIMIT = 100_000
#: a header field (with its continuation lines) is cut to this many characters before it is parsed...
HEADER_LIMIT = 64 * 1024
#: ...a MIME structure field (Content-Type, -Disposition, -Transfer-Encoding, MIME-Version) to this
#: many: the standard library parses these in pure Python, some of them in quadratic time (16 KiB of
#: MIME-Version comments take 1 s)...
STRUCTURE_FIELD_LIMIT = 2048
#: ...and the structure fields of all parts of a message together get this many characters; parts
#: past that are read as opaque data (each distinct field costs about 5 µs a character to parse)
STRUCTURE_BUDGET = 32 * 1024
#: parts nested deeper than this are read as opaque data (real mail nests a few levels; a
#: forwarded message inside a forwarded message adds two)
MIME_DEPTH_LIMIT = 20
#: the parser stops after this many parts (each costs it about 15 µs, whatever it holds)
MIME_PART_LIMIT = 1000

class _PartLimit(Exception):
    """Raised inside the parser to stop it at `MIME_PART_LIMIT` parts."""


STRUCTURE_FIELDS = frozenset({"content-type", "content-disposition", "content-transfer-encoding", "mime-version"})
_LINE_END = re.compile(rb"\r\n|\r|\n")
_OPAQUE = "application/octet-stream"


class _BoundedFeedParser(FeedParser):
    """FeedParser within the limits above: it cuts header fields and stops descending into parts
    nested too deep or past the structure budget.

    Both are done in `_parse_headers`, the one step that sees each (sub)message's header lines
    before anything reads them: a non-public method of the standard parser (unchanged from Python
    3.8 to 3.13); tests/test_parse_fuzz.py fails if it stops being called.
    """

    def __init__(self, policy: Policy) -> None:
        super().__init__(policy=policy)
        self.notes: list[str] = []
        self.parts = 0
        self._structure_used = 0

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def _parse_headers(self, lines: list[str]) -> None:
        self.parts += 1
        if self.parts > MIME_PART_LIMIT:
            raise _PartLimit
        lines, structure = self._cut_fields(lines)
        self._structure_used += structure
        over_budget = self._structure_used > STRUCTURE_BUDGET
        if over_budget:
            lines = _without_structure(lines)
            self._note(f"MIME structure fields over {STRUCTURE_BUDGET} characters in all: later parts read as opaque data")
        super()._parse_headers(lines)  # type: ignore[misc]
        current = self._cur  # type: ignore[attr-defined]
        too_deep = len(self._msgstack) > MIME_DEPTH_LIMIT  # type: ignore[attr-defined]
        if over_budget or (too_deep and current.get_content_maintype() in ("multipart", "message")):
            del current["Content-Type"]
            current.set_raw("Content-Type", _OPAQUE)  # not `current[...] =`: that parses the value again, every time
            if too_deep:
                self._note(f"MIME parts nested deeper than {MIME_DEPTH_LIMIT} levels: read as opaque data")

    def _cut_fields(self, lines: list[str]) -> tuple[list[str], int]:
        """(lines with every field cut to its limit, characters of structure fields kept)."""
        total = sum(map(len, lines))
        if total <= STRUCTURE_FIELD_LIMIT:  # the common case, and cheap: nothing to cut; a part's header is all
            return lines, (total if len(self._msgstack) > 1 else 0)  # structure, near enough  # type: ignore[attr-defined]
        kept: list[str] = []
        used = structure = 0
        limit, name = HEADER_LIMIT, ""
        for line in lines:
            if not line[:1].isspace():  # a field starts (a continuation line starts with white space)
                name = line.partition(":")[0].strip().lower()[:60]
                limit = STRUCTURE_FIELD_LIMIT if name in STRUCTURE_FIELDS else HEADER_LIMIT
                used = 0
            room = limit - used
            if room <= 0:
                continue
            if len(line) > room:
                line = line[:room] + line[len(line.rstrip("\r\n")) :]
                self._note(f"header {name!r} longer than {limit} characters: cut for parsing")
            used += len(line)
            if limit == STRUCTURE_FIELD_LIMIT:
                structure += len(line)
            kept.append(line)
        return kept, structure


def _without_structure(lines: list[str]) -> list[str]:
    kept: list[str] = []
    drop = False
    for line in lines:
        if not line[:1].isspace():
            drop = line.partition(":")[0].strip().lower() in STRUCTURE_FIELDS
        if not drop:
            kept.append(line)
    return kept


def _cut(raw: bytes) -> int:
    """How many bytes of `raw` the parser reads: all, or as many as both limits allow (a line can be cut)."""
    end = min(len(raw), PARSE_BYTE_LIMIT)
    if end > PARSE_LINE_LIMIT and raw.count(b"\n", 0, end) + raw.count(b"\r", 0, end) > PARSE_LINE_LIMIT:
        last = next(islice(_LINE_END.finditer(raw, 0, end), PARSE_LINE_LIMIT - 1, None), None)
        if last is not None:
            end = last.end()
    return end


def parse_bounded(raw: bytes, policy: Policy) -> tuple[EmailMessage, list[str]]:
    """(message, notes): `raw` parsed as `BytesParser(policy=policy).parsebytes` would, within the
    bounds above; `notes` says what was cut (empty when nothing was)."""
    notes: list[str] = []
    end = _cut(raw)
    if end < len(raw):
        notes.append(
            f"message cut to its first {end} bytes for parsing (of {len(raw)}; limits {PARSE_BYTE_LIMIT} bytes, "
            f"{PARSE_LINE_LIMIT} lines): parts after that not read"
        )
    parser = _BoundedFeedParser(policy)
    try:
        parser.feed((raw[:end] if end < len(raw) else raw).decode("ascii", "surrogateescape"))
        message = parser.close()
    except _PartLimit:  # the tree built so far stands: each part is attached to its parent when it starts
        message = parser._msgstack[0]  # type: ignore[attr-defined]
        notes.append(f"more than {MIME_PART_LIMIT} MIME parts: the rest not read")
    return message, notes + parser.notes  # type: ignore[return-value]
