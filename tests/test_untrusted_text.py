"""Reply text stays text in every output: summary.md (rendered here by a GFM-like Markdown parser, links recognised
as GitHub does), JUnit XML, the terminal."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from mysteryshop.scorecard.junit import write_junit
from mysteryshop.scorecard.labels import LABELS
from mysteryshop.scorecard.markdown import markdown_summary
from mysteryshop.untrusted import markdown_inline, terminal_line, xml_chars

MD = MarkdownIt("gfm-like")  # CommonMark + tables, strikethrough and linkify (bare URLs and addresses become links)

HOSTILE_QUOTES = [
    "![tracking pixel](https://evil.example/pixel.png)",
    "[click here](javascript:alert(document.cookie))",
    "[ref link][1]\n\n[1]: javascript:alert(1)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "<a href='javascript:alert(1)'>x</a>",
    "<https://evil.example/autolink>",
    "https://evil.example/bare and www.evil.example and mail me@evil.example",
    "`code` and ```fenced```",
    "a | b | c",
    "# Heading",
    "> quoted\n> more",
    "- item\n* item\n+ item\n1. item",
    "**bold** __bold__ *em* _em_ ~~strike~~",
    "line one\n\n---\n\nline two",
    "Setext heading\n===",
    "&lt;script&gt; &amp; &#x3C;img&#x3E;",
    "back\\slash \\*not em\\*",
    "\x1b[31mred\x1b[0m and a NUL \x00 and a bell \x07",
    "\u202eright-to-left override",
    "    indented code block",
    "[x]: <javascript:alert(1)>",
    "<!-- comment --> <?php ?> <![CDATA[x]]>",
    "trailing two spaces  \nhard break",
]
_MARKUP = re.compile(r"<(?!/?(p|table|thead|tbody|tr|th|td|ol|li)\b)[a-z!?/]", re.IGNORECASE)


def _shown(rendered: str) -> str:
    """The text a reader sees in rendered HTML: tags stripped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()


def _expected(quote: str) -> str:
    return " ".join(re.sub("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", "", quote).split())


@pytest.mark.parametrize("quote", HOSTILE_QUOTES)
def test_a_reply_quote_in_markdown_renders_as_its_own_literal_text(quote: str) -> None:
    rendered = MD.render(markdown_inline(quote))
    assert rendered.startswith("<p>") and rendered.count("<") == 2, rendered  # one paragraph: no link, image, code, html, heading
    assert _shown(rendered) == _expected(quote)


@pytest.mark.parametrize("quote", HOSTILE_QUOTES)
def test_a_reply_quote_in_a_table_cell_stays_in_its_cell(quote: str) -> None:
    rendered = MD.render(f"| a | b |\n|---|---|\n| {markdown_inline(quote)} | after |\n")
    cells = re.findall(r"<td>(.*?)</td>", rendered, re.DOTALL)
    assert len(cells) == 2 and _shown(cells[1]) == "after", rendered
    assert _shown(cells[0]) == _expected(quote)
    assert "<" not in cells[0]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("![](){}<>`*_~#|>-+=.:/\\&;'\"@ \nab1javscript")), max_size=60) | st.text(max_size=60))
def test_any_text_renders_literally(quote: str) -> None:
    rendered = MD.render(markdown_inline(quote))
    assert not _MARKUP.search(rendered), rendered
    assert _shown(rendered) == _expected(quote)


def _card(quote: str, reason: str) -> dict[str, Any]:
    outcome = {"step": "ask", "expect": "answer", "status": "failed", "reason": reason, "latency_ns": None,
               "evidence": {"quote": quote, "utc": "2026-01-01T00:00:00Z", "subject": quote}}
    probe = {"id": "p1", "journey": "refund", "target": "shop", "persona": {"full_name": "Ann Lee"}, "status": "failed",
             "error": None, "unreachable": False, "duration_ns": 10**9, "outcomes": [outcome]}
    metrics = {key.split(".")[1]: {"rate": 0.5, "count": 1, "of": 2, "unit": "emails", "measured": True, "too_few": False,
                                   "median_s": 60.0, "p90_s": 90.0} for key in LABELS if key.startswith("email.")}
    return {
        "run": {"id": "run-1", "started_utc": "2026-01-01T00:00:00Z"},
        "summary": {"grade": {"grade": "C", "score": 60}, "probes": 1, "passed": 0, "failed": 1, "error": 0, "targets": ["shop"],
                    "metrics": {"email": metrics}},
        "channels": {"email": {"contacts": 2, "probes": 2, "metrics": metrics, "grade": {"grade": "C", "score": 60}}},
        "probes": [probe],
        "worst_moments": [{"journey": "refund", "step": "ask", "reason": reason, "persona": "Ann Lee", "utc": "2026-01-01T00:00:00Z",
                           "quote": quote, "severity": 1.0}],
    }


@pytest.mark.parametrize("quote", HOSTILE_QUOTES)
def test_summary_md_shows_worst_moment_quotes_as_text(quote: str) -> None:
    reason = f"not 'clear': {quote}"
    rendered = MD.render(markdown_summary(_card(quote, reason)))
    assert not re.search(r"<(img|script|a|iframe)\b", rendered), rendered
    assert not re.search(r"<(h[1-6]|code|pre|em|strong|del|hr)\b", rendered.split("Worst moments")[1]), rendered  # the one blockquote is ours
    assert _expected(quote)[:50] in _shown(rendered)


@pytest.mark.parametrize("quote", HOSTILE_QUOTES)
def test_junit_xml_holds_any_reply_quote(quote: str, tmp_path: Path) -> None:
    path = write_junit(_card(quote, f"not 'clear': {quote}"), tmp_path / "junit.xml")
    failure = ET.parse(path).getroot().find(".//failure")  # XML 1.0 well-formed: a NUL or an escape would not parse
    assert failure is not None
    assert xml_chars(quote).replace("\r", "\n") in failure.text.replace("\r", "\n")


def test_terminal_lines_show_escape_sequences_instead_of_running_them() -> None:
    line = terminal_line("ok\x1b]0;pwned\x07\r\x1b[2Kgone\u202e")
    assert "\x1b" not in line and "\r" not in line and "\x07" not in line and "\u202e" not in line
    assert line == "ok\\x1b]0;pwned\\x07\\x0d\\x1b[2Kgone\\u202e"
    assert terminal_line("two\nlines\tand a tab") == "two\nlines\tand a tab"
