"""JUnit XML: one testcase per probe expectation, so a CI server lists every missed promise.

Written with `xml.etree` (no dependency). One <testsuite> per (journey, target); a testcase is
named '<step> (<expectation>)' with the probe (persona) as its classname. A probe that could
not run (target unreachable, target misconfigured, channel refused) is one testcase with an <error> whose type
is the problem; one its run interrupted is skipped, as are the expectations it left undecided.
Each testcase of a probe the QA page shows carries the link to it (`url="scorecard.html#probe-<id>"`,
relative to junit.xml's folder; failures and errors end with it too, for CI pages that show no
attributes). Validates against the Jenkins junit-10.xsd (tests/data/junit-10.xsd).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mysteryshop.atomic import atomic_path
from mysteryshop.scoring.expectations import NOT_DECIDED
from mysteryshop.untrusted import xml_chars


def _seconds(ns: int | None) -> str:
    return f"{(ns or 0) / 1e9:.3f}"


# the characters to escape, and those XML 1.0 cannot hold at all (a reply can carry a NUL or an escape sequence)
_ATTR_SPECIAL = re.compile('[&<>"\r\n\t\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
_TEXT_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _attr(value: str) -> str:
    """An attribute value escaped as ElementTree escapes it; characters XML cannot hold become U+FFFD."""
    if _ATTR_SPECIAL.search(value):
        value = (xml_chars(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
                 .replace("\r", "&#13;").replace("\n", "&#10;").replace("\t", "&#09;"))
    return value


def _text(value: str) -> str:
    if _TEXT_SPECIAL.search(value):
        value = xml_chars(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def _element(tag: str, attrs: Mapping[str, str], indent: str, text: str | None = None, children: list[str] | None = None) -> str:
    head = f"{indent}<{tag}" + "".join(f' {k}="{_attr(v)}"' for k, v in attrs.items())
    if children:
        return head + ">\n" + "".join(children) + f"{indent}</{tag}>\n"
    if text:
        return head + f">{_text(text)}</{tag}>\n"
    return head + " />\n"


def _case(attrs: dict[str, str], child: tuple[str, dict[str, str], str | None] | None) -> str:
    if child is None:
        return _element("testcase", attrs, "  ")
    tag, child_attrs, text = child
    return _element("testcase", attrs, "  ", children=[_element(tag, child_attrs, "   ", text)])


def write_junit(card: Mapping[str, Any], path: Path, *, linked: Collection[str] | None = None, page: str = "scorecard.html") -> Path:
    """Write the JUnit XML of `card` to `path`, streamed: the bytes an ElementTree document indented with
    ET.indent(space=" ") would give (tests/test_scorecard_scale.py keeps that reference), without building ten
    thousand probes' worth of elements first.

    `linked`: the probes `page` shows (None: all of them); their testcases link to their anchor there."""
    suites: dict[tuple[str, str], list[str]] = {}
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for probe in card["probes"]:
        key = (probe["journey"], probe["target"])
        cases = suites.setdefault(key, [])
        tally = counts.setdefault(key, {"tests": 0, "failures": 0, "errors": 0, "skipped": 0})
        classname = f"{probe['journey']}.{probe['target']}.{probe['persona'].get('key', probe['id'])}"
        url = f"{page}#probe-{quote(probe['id'])}" if linked is None or probe["id"] in linked else None
        where = {"url": url} if url else {}
        see = f"\ndetails: {url}" if url else ""
        error_case = None
        problem = probe.get("problem") or ("unreachable" if probe["unreachable"] else "error")
        cut_short = probe["status"] == "interrupted"  # the run stopped it: nobody's fault, nothing to count against anyone
        if probe["error"]:
            error_case = _case({"name": "probe", "classname": classname, **where, "time": "0.000"},
                               ("skipped", {"message": probe["error"]}, None) if cut_short else
                               ("error", {"message": probe["error"], "type": problem}, probe["error"] + see))
        if probe["status"] == "undeliverable":  # a mail server returned the probe's message: a probe problem, not graded
            bounce = probe.get("undeliverable") or {}
            message = "undeliverable: a mail server returned the message (" + "; ".join(bounce.get("evidence") or [])[:300] + ")"
            cases.append(_case({"name": "probe", "classname": classname, **where, "time": "0.000"},
                               ("error", {"message": message, "type": "undeliverable"}, message + see)))
            tally["tests"] += 1
            tally["errors"] += 1
            continue
        if probe["error"] and not probe["outcomes"]:
            cases.append(error_case)
            tally["tests"] += 1
            tally["skipped" if cut_short else "errors"] += 1
            continue
        # what every testcase of the probe repeats, escaped once
        head = f'" classname="{_attr(classname)}"' + (f' url="{_attr(url)}"' if url else "") + ' time="'
        about = f"persona: {probe['persona'].get('full_name', '')} <{probe['persona'].get('email', '')}>\nprobe: {probe['id']}\n"
        for outcome in probe["outcomes"]:
            name = _attr(f"{outcome['step']} ({outcome['expect']})")
            opening = f'  <testcase name="{name}{head}{_seconds(outcome["latency_ns"])}">\n   '
            tally["tests"] += 1
            status, reason = outcome["status"], outcome["reason"]
            if status == "pending":
                message = reason if reason.startswith(NOT_DECIDED) else "undecided: " + reason
                cases.append(f'{opening}<skipped message="{_attr(message)}" />\n  </testcase>\n')
                tally["skipped"] += 1
                continue
            evidence = outcome["evidence"]
            detail = _text(about + reason + (f"\nevidence ({evidence['utc']}): {evidence['quote']}" if evidence else ""))
            if status == "failed":
                detail += _text(see)
                cases.append(f'{opening}<failure message="{_attr(reason)}" type="{_attr(outcome["expect"])}">{detail}</failure>\n  </testcase>\n')
                tally["failures"] += 1
            else:
                cases.append(f"{opening}<system-out>{detail}</system-out>\n  </testcase>\n")
        if probe["error"]:
            cases.append(error_case)
            tally["tests"] += 1
            tally["skipped" if cut_short else "errors"] += 1
    total = {k: str(sum(c[k] for c in counts.values())) for k in ("tests", "failures", "errors")}
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as fh:
        fh.write("<?xml version='1.0' encoding='utf-8'?>\n")
        root = {"name": f"mysteryshop run {card['run']['id']}", **total}
        if not suites:
            fh.write(_element("testsuites", root, "").rstrip("\n"))
            return path
        fh.write("<testsuites" + "".join(f' {k}="{_attr(v)}"' for k, v in root.items()) + ">\n")
        for (journey, target), cases in suites.items():
            tally = counts[(journey, target)]
            attrs = {"name": f"{journey} @ {target}", "tests": str(tally["tests"]), "failures": str(tally["failures"]),
                     "errors": str(tally["errors"]), "skipped": str(tally["skipped"]), "timestamp": card["run"]["started_utc"] or ""}
            props = [_element("property", {"name": "run_id", "value": card["run"]["id"]}, "   "),
                     _element("property", {"name": "grade", "value": str(card["summary"].get("grade", {}).get("grade", ""))}, "   ")]
            fh.write(_element("testsuite", attrs, " ", children=[_element("properties", {}, "  ", children=props)]).removesuffix(" </testsuite>\n"))
            fh.writelines(cases)
            fh.write(" </testsuite>\n")
        fh.write("</testsuites>")
    return path
