"""JUnit XML: one testcase per probe expectation, so a CI server lists every missed promise.

Written with `xml.etree` (no dependency). One <testsuite> per (journey, target); a testcase is
named '<step> (<expectation>)' with the probe (persona) as its classname. A probe that could
not run (target unreachable, channel refused) is one testcase with an <error>.
Validates against the Jenkins junit-10.xsd (tests/data/junit-10.xsd).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _seconds(ns: int | None) -> str:
    return f"{(ns or 0) / 1e9:.3f}"


def junit_tree(card: Mapping[str, Any]) -> ET.ElementTree:
    """The JUnit document of a scorecard."""
    suites: dict[tuple[str, str], list[ET.Element]] = {}
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for probe in card["probes"]:
        key = (probe["journey"], probe["target"])
        cases = suites.setdefault(key, [])
        tally = counts.setdefault(key, {"tests": 0, "failures": 0, "errors": 0, "skipped": 0})
        classname = f"{probe['journey']}.{probe['target']}.{probe['persona'].get('key', probe['id'])}"
        persona = probe["persona"].get("full_name", "")
        if probe["error"] and not probe["outcomes"]:
            case = ET.Element("testcase", name="probe", classname=classname, time="0.000")
            ET.SubElement(case, "error", message=probe["error"], type="unreachable" if probe["unreachable"] else "error").text = probe["error"]
            cases.append(case)
            tally["tests"] += 1
            tally["errors"] += 1
            continue
        for outcome in probe["outcomes"]:
            name = f"{outcome['step']} ({outcome['expect']})"
            case = ET.Element("testcase", name=name, classname=classname, time=_seconds(outcome["latency_ns"]))
            tally["tests"] += 1
            detail = [f"persona: {persona} <{probe['persona'].get('email', '')}>", f"probe: {probe['id']}", outcome["reason"]]
            if outcome["evidence"]:
                detail.append(f"evidence ({outcome['evidence']['utc']}): {outcome['evidence']['quote']}")
            if outcome["status"] == "failed":
                ET.SubElement(case, "failure", message=outcome["reason"], type=outcome["expect"]).text = "\n".join(detail)
                tally["failures"] += 1
            elif outcome["status"] == "pending":
                ET.SubElement(case, "skipped", message=f"undecided: {outcome['reason']}")
                tally["skipped"] += 1
            else:
                ET.SubElement(case, "system-out").text = "\n".join(detail)
            cases.append(case)
        if probe["error"]:
            case = ET.Element("testcase", name="probe", classname=classname, time="0.000")
            ET.SubElement(case, "error", message=probe["error"], type="unreachable" if probe["unreachable"] else "error").text = probe["error"]
            cases.append(case)
            tally["tests"] += 1
            tally["errors"] += 1
    total = {k: sum(c[k] for c in counts.values()) for k in ("tests", "failures", "errors")}
    root = ET.Element("testsuites", name=f"mysteryshop run {card['run']['id']}", **{k: str(v) for k, v in total.items()})
    for (journey, target), cases in suites.items():
        tally = counts[(journey, target)]
        suite = ET.SubElement(
            root, "testsuite", name=f"{journey} @ {target}", tests=str(tally["tests"]), failures=str(tally["failures"]),
            errors=str(tally["errors"]), skipped=str(tally["skipped"]), timestamp=card["run"]["started_utc"] or "",
        )
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="run_id", value=card["run"]["id"])
        ET.SubElement(props, "property", name="grade", value=str(card["summary"].get("grade", {}).get("grade", "")))
        suite.extend(cases)
    return ET.ElementTree(root)


def write_junit(card: Mapping[str, Any], path: Path) -> Path:
    """Write the JUnit XML of `card` to `path`."""
    tree = junit_tree(card)
    ET.indent(tree, space=" ")
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path
