"""Accessibility per company: the axe-core audits the browser probes stored (events of kind `accessibility`).

Pure once read: `company_accessibility` turns the audits of a company's probes into counts by impact and the
critical and serious rules that failed, each with the failing element (selector and HTML), so a QA engineer
can find it on the page.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mysteryshop.channels.accessibility import IMPACTS
from mysteryshop.store import Store

SHOWN_IMPACTS = ("critical", "serious")


def read_audits(store: Store, run_id: str) -> dict[str, list[dict[str, Any]]]:
    """The run's stored audits, per probe, in the order they ran."""
    audits: dict[str, list[dict[str, Any]]] = {}
    for row in store.query("SELECT probe_id, step, utc, data FROM events WHERE run_id = ? AND kind = 'accessibility' ORDER BY t_ns, id", (run_id,)):
        audits.setdefault(row["probe_id"], []).append({"step": row["step"], "utc": row["utc"], **json.loads(row["data"])})
    return audits


def company_accessibility(probe_ids: Iterable[str], audits: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, Any] | None:
    """What the audits of these probes found: None when none ran.

    `by_impact`: failing elements per impact, each page audited counted (a form with one unlabelled input met by
    ten probes counts ten). `violations`: the critical and serious rules, one row per channel, rule and failing
    element, with the number of audits that found it. `incomplete`: audits that timed out or failed, with why.
    """
    ran = [a for pid in probe_ids for a in audits.get(pid, ())]
    if not ran:
        return None
    counts = dict.fromkeys(IMPACTS, 0)
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    incomplete = []
    for audit in ran:
        if audit.get("status") != "ok":
            incomplete.append({"channel": audit.get("channel"), "step": audit.get("step"), "status": audit.get("status"),
                               "error": audit.get("error"), "url": audit.get("url"), "screenshot": audit.get("screenshot")})
            continue
        for v in audit.get("violations", []):
            counts[v["impact"]] = counts.get(v["impact"], 0) + int(v.get("count", 0))
            if v["impact"] not in SHOWN_IMPACTS:
                continue
            for node in v.get("nodes", []):
                key = (str(audit.get("channel")), str(v["id"]), node.get("target", ""))
                row = rows.setdefault(key, {"channel": key[0], "rule": key[1], "impact": v["impact"], "help": v.get("help", ""),
                                            "help_url": v.get("help_url"), "target": key[2], "html": node.get("html", ""),
                                            "url": audit.get("url"), "audits": 0})
                row["audits"] += 1
    rank = {impact: i for i, impact in enumerate(IMPACTS)}
    violations = sorted(rows.values(), key=lambda r: (rank.get(r["impact"], 9), -r["audits"], r["channel"], r["rule"], r["target"]))
    return {"audits": len(ran), "axe": sorted({str(a.get("axe")) for a in ran if a.get("axe")}), "passed": sum(1 for a in ran if a.get("status") == "ok" and not a.get("violations")),
            "by_impact": counts, "violations": violations, "incomplete": incomplete}
