"""Accessibility of the pages a probe meets: axe-core run on the loaded contact form and on the open chat widget.

axe-core (Deque, MPL-2.0) is vendored in mysteryshop/vendor/axe-core/ from the npm registry. It is injected with
`page.evaluate` rather than a `<script>` tag: evaluated code runs in the page's main world but is not subject to
the page's Content-Security-Policy, so a company's strict CSP does not stop the audit.

Only the WCAG 2.0/2.1 level A and AA rules run (`wcag2a`, `wcag2aa`). An audit never blocks a probe: it has a
time limit inside the step's deadline, and a timed-out or failed audit is recorded as such (with a screenshot,
by the caller) while the step carries on.
"""

from __future__ import annotations

import asyncio
import time
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

AXE_VERSION = "4.14.1"
RULE_TAGS = ("wcag2a", "wcag2aa")
IMPACTS = ("critical", "serious", "moderate", "minor")
#: the longest an audit may take; less when the step's deadline is nearer
MAX_SECONDS = 8.0
MAX_NODES = 5  # failing elements kept per rule (the count says how many there were)
MAX_HTML = 300  # characters of each failing element's HTML kept

#: Frames are not entered (`iframes: false`): axe would wait up to a minute for each frame's own copy of axe. A
#: widget inside a frame is audited by running this in that frame.
_RUN_JS = r"""
async ({context, tags}) => {
  const results = await window.axe.run(context ? document.querySelector(context) || document : document,
                                       {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], iframes: false});
  return {version: window.axe.version, url: location.href, violations: results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.map((t) => Array.isArray(t) ? t.join(' >>> ') : String(t)), html: n.html}))}))};
}
"""


@cache
def axe_source() -> str:
    """The vendored axe.min.js."""
    return resources.files("mysteryshop.vendor").joinpath("axe-core", "axe.min.js").read_text(encoding="utf-8")


def summarize(raw: dict[str, Any]) -> list[dict[str, Any]]:
    """axe's violations as the probe stores them: id, impact, help, count of failing elements, the first few
    (target selector, HTML snippet); worst impact first."""
    out = []
    for v in raw.get("violations", []):
        nodes = v.get("nodes", [])
        out.append({
            "id": v.get("id"), "impact": v.get("impact") or "minor", "help": v.get("help", ""), "help_url": v.get("helpUrl"),
            "count": len(nodes),
            "nodes": [{"target": " ".join(n.get("target", [])), "html": str(n.get("html", ""))[:MAX_HTML]} for n in nodes[:MAX_NODES]],
        })
    rank = {impact: i for i, impact in enumerate(IMPACTS)}
    return sorted(out, key=lambda v: (rank.get(v["impact"], len(IMPACTS)), v["id"] or ""))


async def audit(page: Any, *, deadline: float, context: str | None = None) -> dict[str, Any]:
    """Run axe-core on `page` (a Playwright Page or Frame; or the element matching `context`) before `deadline`.

    Returns the data of an `accessibility` event: status `ok` with the violations, `timed out`, or `failed` with
    the error. Never raises for what the page does, and never outlives the deadline by more than a moment.
    """
    limit = min(MAX_SECONDS, deadline - time.monotonic())
    base = {"url": page.url, "tags": list(RULE_TAGS), "axe": AXE_VERSION, "context": context}
    if limit <= 0.2:
        return {**base, "status": "timed out", "error": "no time left before the step's deadline to run axe-core", "violations": []}
    started = time.monotonic()
    try:
        async with asyncio.timeout(limit):
            if not await page.evaluate("() => typeof window.axe === 'object'"):
                # an expression, not a function: evaluated by CDP as a script of its own, which no CSP stops (eval would be)
                await page.evaluate(axe_source() + "\n;undefined")
            raw = await page.evaluate(_RUN_JS, {"context": context, "tags": list(RULE_TAGS)})
    except TimeoutError:
        return {**base, "status": "timed out", "error": f"axe-core did not finish within {limit:.1f}s", "violations": [],
                "seconds": round(time.monotonic() - started, 3)}
    except Exception as exc:  # noqa: BLE001 - a page that breaks axe is a finding about the audit, not a failed probe
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return {**base, "status": "failed", "error": f"axe-core failed on {page.url}: {first}", "violations": []}
    return {**base, "status": "ok", "url": raw.get("url", page.url), "violations": summarize(raw),
            "seconds": round(time.monotonic() - started, 3)}


def by_impact(violations: list[dict[str, Any]]) -> dict[str, int]:
    """Failing elements per impact."""
    counts = dict.fromkeys(IMPACTS, 0)
    for v in violations:
        counts[v["impact"]] = counts.get(v["impact"], 0) + int(v.get("count", 0))
    return counts


#: share of the time left in a step an audit may take: the rest is for filling the form or chatting
SHARE_OF_STEP = 0.5


class AuditedPages:
    """The pages a run has audited, by (company, channel, address without query): a contact form is the same page for
    every persona, and axe-core costs about a third of a form probe's CPU (bench/browser_probes.py --accessibility),
    so each page is audited once per run. A page is claimed while its audit runs (probes that meet it meanwhile skip
    it) and given back when the audit did not complete, so a later probe tries again."""

    def __init__(self) -> None:
        self._claimed: set[tuple[str, str, str]] = set()

    def claim(self, company: str, channel: str, url: str) -> tuple[str, str, str] | None:
        key = (company, channel, urlsplit(url)._replace(query="", fragment="").geturl())
        if key in self._claimed:
            return None
        self._claimed.add(key)
        return key

    def release(self, key: tuple[str, str, str]) -> None:
        self._claimed.discard(key)


async def audit_step(browser: Any, store: Any, run_id: str, probe_id: str, step: str, page: Any, *, channel: str, deadline: float,
                     t_ns: int, frame: Any = None, company: str = "", audited: AuditedPages | None = None) -> dict[str, Any] | None:
    """Audit the page of a probe's step and store the result as an `accessibility` event of the probe.

    `frame`: the frame the chat widget lives in, audited instead of the page when given. The audit takes at most
    half the time left before `deadline`; when it times out or fails, a screenshot of the page is kept (if the run
    keeps browser evidence) and named in the event. With `audited`, a page `company` has had audited in this run is
    not audited again (None).
    """
    target = frame if frame is not None else page
    key = audited.claim(company, channel, target.url) if audited is not None else None
    if audited is not None and key is None:
        return None
    now = time.monotonic()
    result = await audit(target, deadline=now + min(MAX_SECONDS, max(0.0, deadline - now) * SHARE_OF_STEP))
    result["channel"] = channel
    if result["status"] != "ok":
        if audited is not None and key is not None:
            audited.release(key)
        shot = None
        try:
            async with asyncio.timeout(max(0.5, min(3.0, deadline - time.monotonic()))):
                shot = await browser.screenshot(probe_id, page, f"{step}-accessibility")
        except Exception:  # noqa: BLE001 - a page too busy for axe may be too busy for a screenshot: the verdict stands without it
            shot = None
        result["screenshot"] = str(shot) if shot else None
    await store.aevent(run_id, probe_id, "accessibility", t_ns, step=step, **result)
    return result
